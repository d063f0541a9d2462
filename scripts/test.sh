#!/usr/bin/env bash
# Installs what the tests need, at pinned versions, and runs every test: cargo (the engine,
# no Python) and pytest (the Python API, blocking, asyncio, stubs, and the differential
# tests against a real redis-server, which the tests start themselves on 127.0.0.1 on a
# free port).
#
# Pinned: Python packages in requirements-test.txt, crates in Cargo.lock (--locked), and
# Debian's redis-server 7.0.15 below (any Debian revision of it: security updates replace
# the revision, never the version).
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_VERSION=7.0.15
if ! redis-server --version 2>/dev/null | grep -q "v=$REDIS_VERSION "; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades \
            "redis-server=5:$REDIS_VERSION*" "redis-tools=5:$REDIS_VERSION*" >/dev/null
    else
        echo "redis-server $REDIS_VERSION is needed: sudo apt-get install 'redis-server=5:$REDIS_VERSION*' 'redis-tools=5:$REDIS_VERSION*'" >&2
        exit 1
    fi
fi
redis-server --version | grep -q "v=$REDIS_VERSION " || { echo "redis-server is not $REDIS_VERSION" >&2; exit 1; }

python3 -m pip install -q --disable-pip-version-check -r requirements-test.txt
python3 -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps .
# The engine and the RESP server (feature `server`: src/server/, tests/server_*.rs).
cargo test -q --locked --features server
python3 -m pytest -q
