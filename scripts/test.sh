#!/usr/bin/env bash
# Runs every test project and ends with one summary line ("Tests: N passed, N failed, N skipped").
set -uo pipefail
cd "$(dirname "$0")/.."
# The TypeScript SDK tests (tests/Batch.Batches.Tests) run node against packages from the committed lock file.
npm ci --prefix tests/sdk-typescript --no-audit --no-fund --silent
log=$(mktemp)
dotnet test Batch.sln --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { v = $(i+1); gsub(/,/, "", v);
         if ($i == "Failed:") f += v; if ($i == "Passed:") p += v; if ($i == "Skipped:") s += v }
     }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
