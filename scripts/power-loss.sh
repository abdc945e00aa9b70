#!/usr/bin/env bash
# Seeded power-loss runs of the commit log over the fault-injecting disk (storage/testing/
# fault_fs.hpp): thousands of crashes, then recovery with the real file layer. Prints the counts
# and exits non-zero on any violation (each failing seed is printed, with how to replay it).
#   scripts/power-loss.sh               5000 seeds, fresh first seed
#   scripts/power-loss.sh 20000         that many seeds (or FG_POWER_LOSS_RUNS=20000)
#   FG_POWER_LOSS_FIRST_SEED=123 scripts/power-loss.sh   a fixed range of seeds
#   FG_POWER_LOSS_SEED=456 scripts/power-loss.sh          one seed
# Builds the release preset's crash test binary first (Debian packages, as scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-${FG_POWER_LOSS_RUNS:-5000}}
if ! [[ $runs =~ ^[0-9]+$ ]] || [ "$runs" -eq 0 ]; then
    echo "usage: $0 [runs]   (runs: a positive integer, default 5000)" >&2
    exit 2
fi

cmake --preset release >/dev/null
cmake --build build/release --target fg_storage_crash_tests
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) $runs power-loss runs"
start=$(date +%s)
status=0
FG_POWER_LOSS_RUNS=$runs build/release/tests/storage/fg_storage_crash_tests \
    --gtest_filter='PowerLoss.*' --gtest_brief=1 || status=$?
echo "== $(( $(date +%s) - start )) s, exit status $status"
exit $status
