#!/usr/bin/env bash
# Lay out DAGSTER_HOME with the project's dagster.yaml. With DOCASSETS_DAGSTER_PG_URL set, the
# instance's runs, events and schedules live in that PostgreSQL database instead of SQLite files.
set -euo pipefail
: "${DAGSTER_HOME:?set DAGSTER_HOME}"
mkdir -p "$DAGSTER_HOME"
cp "$(dirname "$0")/../dagster.yaml" "$DAGSTER_HOME/dagster.yaml"
if [ -n "${DOCASSETS_DAGSTER_PG_URL:-}" ]; then
  cat >> "$DAGSTER_HOME/dagster.yaml" <<'YAML'

storage:
  postgres:
    postgres_url:
      env: DOCASSETS_DAGSTER_PG_URL
YAML
fi
# Create the instance's tables now, in one process: a daemon, a webserver and the docassets CLI that
# first open a fresh SQLite instance at the same moment can each stamp its schema version, leaving
# two heads that no later start can read.
dagster="$(dirname "$0")/../.venv/bin/dagster"
[ -x "$dagster" ] || dagster=dagster
"$dagster" instance migrate >/dev/null
