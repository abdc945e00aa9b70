#!/usr/bin/env bash
# Sets up this machine (Debian packages), builds the release preset, and starts flashgate on
# 127.0.0.1:8080 with a demo SKU. Extra arguments go to the gateway (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target flashgate
exec build/release/gateway/flashgate --demo "$@"
