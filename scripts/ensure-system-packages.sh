#!/usr/bin/env bash
# The system packages docassets needs: Tesseract with English data (OCR) and Chromium (the search
# page's browser test drives Debian's chromium through Playwright; no browser is downloaded).
# Install the missing ones through apt when we may (root, or password-less sudo); otherwise say
# exactly what to run.
set -euo pipefail
packages=""
if ! (command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx eng); then
  packages="tesseract-ocr tesseract-ocr-eng"
fi
if ! [ -x /usr/bin/chromium ]; then
  packages="$packages chromium"
fi
packages="${packages# }"
if [ -z "$packages" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  echo "docassets needs $packages: run 'sudo apt-get install $packages' and try again" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "docassets needs $packages; install them with your package manager" >&2
  exit 1
fi
echo "installing $packages ..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $packages >/dev/null
if command -v tesseract >/dev/null 2>&1; then tesseract --version | head -1; fi
