#!/usr/bin/env bash
# Tesseract (with English data) is the one system package docassets needs. Install it through apt
# when it is missing and we may (root, or password-less sudo); otherwise say exactly what to run.
set -euo pipefail
if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx eng; then
  exit 0
fi
packages="tesseract-ocr tesseract-ocr-eng"
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  echo "docassets needs Tesseract OCR: run 'sudo apt-get install $packages' and try again" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "docassets needs Tesseract OCR with English data; install it with your package manager" >&2
  exit 1
fi
echo "installing $packages ..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $packages >/dev/null
tesseract --version | head -1
