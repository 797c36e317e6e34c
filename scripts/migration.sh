#!/usr/bin/env bash
# Adds an EF Core migration for the current model and regenerates the idempotent SQL script
# in migrations/, which a test compares against the migrations so the two never drift.
#   scripts/migration.sh add <Name>     add a migration and refresh migrations/batch.sql
#   scripts/migration.sh script         only refresh migrations/batch.sql
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
ef() { dotnet ef "$@" --project src/Batch.Data --startup-project src/Batch.Data; }
case "${1:-}" in
  add)
    [ -n "${2:-}" ] || { echo "usage: scripts/migration.sh add <Name>" >&2; exit 2; }
    ef migrations add "$2" --output-dir Migrations
    ;;
  script) ;;
  *) echo "usage: scripts/migration.sh add <Name> | script" >&2; exit 2 ;;
esac
ef migrations script --idempotent --output migrations/batch.sql
echo "migrations/batch.sql refreshed"
