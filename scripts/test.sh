#!/usr/bin/env bash
# Sets up this machine, then builds and runs the whole suite twice: the release preset (with
# jemalloc, as shipped) and the ASan+UBSan preset. Any failure fails the script.
#   scripts/test.sh            both presets
#   FG_PRESETS=release scripts/test.sh   one preset
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
presets=${FG_PRESETS:-"release asan"}
for preset in $presets; do
    echo "== preset $preset: build"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset"
    echo "== preset $preset: test"
    ctest --preset "$preset" --timeout 600
done
