#!/usr/bin/env bash
# Installs what the tests need and runs every test: cargo (the engine, no Python) and
# pytest (the Python API, blocking, asyncio, stubs, and the differential tests against a
# real redis-server, which the tests start themselves on 127.0.0.1 on a free port).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
    else
        echo "redis-server is needed: sudo apt-get install redis-server redis-tools" >&2
        exit 1
    fi
fi

python3 -m pip install -q --disable-pip-version-check '.[test]'
# The engine and the RESP server (feature `server`: src/server/, tests/server_*.rs).
cargo test -q --features server
python3 -m pytest -q
