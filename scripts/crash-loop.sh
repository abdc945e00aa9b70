#!/usr/bin/env bash
# The long crash loop: builds the release preset, then kills and restarts the gateway 1,000 times
# under load, auditing it against the client's ledger after every restart (tests/crash/).
#   scripts/crash-loop.sh            1,000 cycles, a random seed (printed)
#   scripts/crash-loop.sh 200        200 cycles
#   FG_CRASH_SEED=42 scripts/crash-loop.sh   reproduce a run
# Prints the counts and exits non-zero on any violation. The full output goes to
# build/release/crash-loop.log; a failed run keeps its data directory and ledger (path printed).
set -euo pipefail
cd "$(dirname "$0")/.."

cycles=${1:-${FG_CRASH_CYCLES:-1000}}
cmake --preset release >/dev/null
cmake --build build/release --target flashgate fg_crash_loop_test

# Run private copies: a rebuild during the (long) run must not swap the binaries under it.
private=$(mktemp -d)
trap 'rm -rf "$private"' EXIT
cp build/release/gateway/flashgate build/release/tests/crash/fg_crash_loop_test "$private/"

log=build/release/crash-loop.log
started=$(date +%s)
status=0
FG_CRASH_CYCLES=$cycles FG_CRASH_MAX_SECONDS=0 FG_GATEWAY_BINARY="$private/flashgate" \
    "$private/fg_crash_loop_test" >"$log" 2>&1 || status=$?
elapsed=$(($(date +%s) - started))

grep -E '^crash loop: seed' "$log" || true
result=$(grep -E '^crash loop result:' "$log" || true)
if [[ -z $result ]]; then
    echo "crash loop: no result line (exit status $status); see $log" >&2
    tail -n 40 "$log" >&2
    exit 1
fi
echo "$result"
echo "crash loop: $(date -u +%Y-%m-%d), ${elapsed} s wall time, log in $log"
violations=$(sed -E 's/.*violations ([0-9]+).*/\1/' <<<"$result")
if [[ $status -ne 0 || $violations -ne 0 ]]; then
    grep -E 'VIOLATION|Failure|data kept' "$log" | head -n 40 >&2 || true
    echo "crash loop: FAILED (exit status $status, $violations violations)" >&2
    exit 1
fi
echo "crash loop: OK"
