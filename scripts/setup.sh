#!/usr/bin/env bash
# Installs everything flashgate needs to build, test and run, from Debian 12's packages only.
# Idempotent: packages already present are not touched, so a second run is fast and offline.
set -euo pipefail

packages=(
    build-essential cmake ninja-build ccache pkg-config
    libboost1.81-dev libsimdjson-dev libconcurrentqueue-dev libjemalloc-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    nlohmann-json3-dev libssl-dev curl python3
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
