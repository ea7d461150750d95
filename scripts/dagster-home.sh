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
