#!/usr/bin/env bash
# Run a command with DOCASSETS_TEST_DATABASE_URL pointing at a PostgreSQL server:
#  1. the URL already given, or
#  2. a server answering on 127.0.0.1:5432 (starting an installed-but-stopped local cluster first), or
#  3. a throwaway cluster in a temporary folder, installing PostgreSQL's server package if missing,
#     removed again when the command ends.
set -euo pipefail

if [ -n "${DOCASSETS_TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi

local_url="postgresql+psycopg://postgres@127.0.0.1:5432/test"
answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

if ! answers && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do answers && break; sleep 1; done
fi

if answers; then
  if command -v psql >/dev/null 2>&1 && ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -d postgres -c 'create database test' >/dev/null 2>&1 || true
  fi
  DOCASSETS_TEST_DATABASE_URL="$local_url" exec "$@"
fi

# Nothing on 5432: a throwaway cluster of our own.
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ]; then
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    echo "the tests need PostgreSQL: install it (sudo apt-get install postgresql) or set DOCASSETS_TEST_DATABASE_URL" >&2
    exit 1
  fi
  sudo=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo -n")
  echo "installing PostgreSQL's server package for the tests ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

cluster=$(mktemp -d /tmp/docassets-pg.XXXXXX)
port=55432
as_owner=()
if [ "$(id -u)" -eq 0 ]; then  # initdb refuses to run as root
  chown postgres "$cluster"
  as_owner=(runuser -u postgres --)
fi
cleanup() { "${as_owner[@]}" "$bindir/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$cluster"; }
trap cleanup EXIT
"${as_owner[@]}" "$bindir/initdb" -D "$cluster/data" -U postgres -A trust >/dev/null
"${as_owner[@]}" "$bindir/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w \
  -o "-p $port -k $cluster -c listen_addresses=127.0.0.1" start >/dev/null
"${as_owner[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres test
DOCASSETS_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/test" "$@"
