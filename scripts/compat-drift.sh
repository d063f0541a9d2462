#!/usr/bin/env bash
# Not CI: runs the tests that compare embedis with redis-py (client-side checks, messages,
# return shapes) against the NEWEST redis-py release instead of the pinned one, in a
# throw-away virtualenv, and prints the drift: which tests fail there, and why. The test
# command itself stays on requirements-test.txt, so a release upstream never breaks CI;
# this script says when embedis should follow it (update the pin and the code together).
set -uo pipefail
cd "$(dirname "$0")/.."

venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r requirements-test.txt
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade redis
"$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation --no-deps .
pinned=$(grep -E '^redis==' requirements-test.txt | cut -d= -f3)
newest=$("$venv/bin/python" -c 'import redis; print(redis.__version__)')
echo "redis-py pinned: $pinned; newest: $newest"
"$venv/bin/python" -m pytest -q -p no:cacheprovider -rf --tb=line \
    tests/python/test_compat_redis.py tests/python/test_compat_streams.py \
    tests/python/test_keys_strings.py tests/python/test_streams.py tests/python/test_lists.py
status=$?
if [ "$status" = 0 ]; then
    echo "no drift: embedis matches redis-py $newest on every compatibility test"
else
    echo "drift: the failures above are where redis-py $newest differs from $pinned as embedis mirrors it"
fi
exit "$status"
