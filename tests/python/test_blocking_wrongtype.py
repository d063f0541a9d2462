"""Blocked BLMOVE / BRPOPLPUSH calls whose destination is not a list when an element comes.

Redis 7.0.15 answers such a waiter WRONGTYPE and unblocks it; the element stays in the
source, and the waiters behind it are served in order. A waiter behind a source that ran
empty keeps waiting, even one that will be refused. Each scenario runs on the real
redis-server and on embedis through every door (threads on ``embedis.Broker``, tasks on
``embedis.asyncio.Broker``, redis-py over the RESP server), and what each blocked client got
and the final keyspace must be the same.

The order of blocking is fixed by waiting for INFO's ``blocked_clients`` to reach N before
starting the next call; after each feed, by waiting for it to fall to the count Redis
leaves blocked. An in-process broker has no INFO, so it is watched through a RESP server
on it, whose count includes its in-process waiters.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import embedis
import embedis.asyncio
import embedis.exceptions
from conftest import Waiter, assert_same_outcome, outcome

pytestmark = pytest.mark.timeout(120)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"

# name: (setup commands, blocked calls as (method, args) in blocking order, feeds). A feed
# is (commands, how many calls Redis leaves blocked after it); commands in a tuple of
# tuples run as one MULTI/EXEC (over the network only: in-process brokers have none).
SCENARIOS: dict[str, tuple[list[tuple[Any, ...]], list[tuple[str, tuple[Any, ...]]], list[tuple[Any, int]]]] = {
    # The issue: string, list, string, missing destinations, and a plain pop at the end.
    "issue": (
        [("SET", "s", "str")],
        [
            ("brpoplpush", ("src", "s", 0)),
            ("blmove", ("src", "d", 0, "LEFT", "RIGHT")),
            ("blmove", ("src", "s", 0, "LEFT", "RIGHT")),
            ("brpoplpush", ("src", "missing", 0)),
            ("blpop", (["src"], 0)),
        ],
        [([("RPUSH", "src", "a", "b")], 1), ([("RPUSH", "src", "c")], 0)],
    ),
    # One refused waiter and a mover behind it: the second gets the only element.
    "string-then-list": (
        [("SET", "s", "str"), ("RPUSH", "d", "old")],
        [("blmove", ("src", "s", 0, "RIGHT", "LEFT")), ("brpoplpush", ("src", "d", 0))],
        [([("LPUSH", "src", "only")], 0)],
    ),
    # Alone and refused: the element stays in the source.
    "alone": (
        [("SET", "s", "str")],
        [("execute_command", ("BLMOVE", "src", "s", "LEFT", "LEFT", 0))],
        [([("RPUSH", "src", "x")], 0)],
    ),
    # The source runs empty before the refused waiter's turn: it waits for the next push.
    "refused-after-empty": (
        [("SET", "s", "str")],
        [
            ("blmove", ("src", "d", 0, "LEFT", "RIGHT")),
            ("blmove", ("src", "s", 0, "LEFT", "RIGHT")),
            ("blpop", (["src"], 0)),
        ],
        [([("RPUSH", "src", "x")], 2), ([("RPUSH", "src", "y")], 0)],
    ),
    # Destinations that change type while their waiters are blocked, and a stream.
    "retyped-while-blocked": (
        [],
        [
            ("brpoplpush", ("src", "st", 0)),
            ("blmove", ("src", "d", 0, "LEFT", "RIGHT")),
            ("blmove", ("src", "back", 0, "LEFT", "RIGHT")),
        ],
        [
            ([("XADD", "st", "1-1", "f", "v"), ("SET", "d", "now a string"), ("SET", "back", "s")], 3),
            ([("DEL", "back"), ("LPUSH", "src", "a", "b", "c")], 0),
        ],
    ),
    # The destination is the source itself: always a list when an element comes.
    "onto-itself": (
        [],
        [("blmove", ("src", "src", 0, "LEFT", "RIGHT")), ("brpoplpush", ("src", "src", 0))],
        [([("RPUSH", "src", "a", "b")], 0)],
    ),
    # A served BLMOVE feeds a destination whose first waiter is refused; the pop after it
    # gets the element.
    "chain": (
        [("SET", "s", "str")],
        [
            ("blmove", ("a", "b", 0, "LEFT", "RIGHT")),
            ("blmove", ("b", "s", 0, "LEFT", "RIGHT")),
            ("brpop", (["b"], 0)),
        ],
        [([("RPUSH", "a", "x")], 0)],
    ),
}

MULTI_SCENARIOS = {
    **SCENARIOS,
    # Waiters are served after EXEC: the destination's type then is what counts.
    "multi": (
        [("SET", "s", "str"), ("SET", "was", "x")],
        [
            ("brpoplpush", ("src", "s", 0)),
            ("blmove", ("src", "d", 0, "LEFT", "RIGHT")),
            ("blmove", ("src", "was", 0, "LEFT", "RIGHT")),
        ],
        [((("RPUSH", "src", "a"), ("SET", "s", "y"), ("DEL", "was"), ("RPUSH", "src", "b")), 0)],
    ),
}


def _keyspace(dump: Any) -> dict[bytes, Any]:
    """Every key with its type and contents, read through ``dump`` (a sync client)."""
    out: dict[bytes, Any] = {}
    for k in sorted(dump.keys()):
        t = dump.type(k)
        if t == b"list":
            out[k] = (t, dump.lrange(k, 0, -1))
        elif t == b"string":
            out[k] = (t, dump.get(k))
        else:
            out[k] = (t, dump.xlen(k) if t == b"stream" else None)
    return out


def _blocked(client: Any) -> int:
    return int(client.info("clients")["blocked_clients"])


def _wait_blocked(client: Any, n: int) -> None:
    deadline = time.monotonic() + 5
    while _blocked(client) != n:
        if time.monotonic() > deadline:
            raise AssertionError(f"{_blocked(client)} calls blocked, waiting for {n}")
        time.sleep(0.002)


def _feed(client: Any, commands: Any) -> None:
    if isinstance(commands, tuple):
        with client.pipeline(transaction=True) as p:
            for c in commands:
                p.execute_command(*c)
            p.execute()
    else:
        for c in commands:
            client.execute_command(*c)


def run_with_threads(
    name: str, scenarios: dict[str, Any], make_client: Any, admin: Any, observer: Any = None
) -> tuple[list[Any], dict[bytes, Any]]:
    """Runs a scenario with one thread per blocked call, each on ``make_client()``, feeding
    through ``admin`` and counting blocked calls through ``observer`` (``admin`` itself by
    default); returns each call's outcome and the final keyspace."""
    observer = observer or admin
    setup, calls, feeds = scenarios[name]
    for c in setup:
        admin.execute_command(*c)
    waiters = []
    try:
        for i, (method, args) in enumerate(calls):
            w = Waiter(outcome, getattr(make_client(), method), *args)
            w.start()
            waiters.append(w)
            _wait_blocked(observer, i + 1)
        for commands, left in feeds:
            _feed(admin, commands)
            _wait_blocked(observer, left)
        for w in waiters:
            w.join(5)
            assert not w.is_alive(), "a blocked call did not return"
    except BaseException:
        # Leave no client blocked on the session's real server for the next tests.
        observer.client_kill_filter(_type="normal", skipme=True)
        raise
    return [w.result for w in waiters], _keyspace(admin)


def _compare(name: str, got: tuple[list[Any], dict[bytes, Any]], want: tuple[list[Any], dict[bytes, Any]]) -> None:
    for i, (g, w) in enumerate(zip(got[0], want[0], strict=True)):
        assert_same_outcome(g, w, f"{name}: blocked call {i}")
    assert got[1] == want[1], name


def _on_real(real: Any, name: str, scenarios: dict[str, Any]) -> tuple[list[Any], dict[bytes, Any]]:
    port = real.connection_pool.connection_kwargs["port"]
    return run_with_threads(name, scenarios, lambda: redis.Redis(host="127.0.0.1", port=port, socket_timeout=10), real)


@pytest.mark.parametrize("name", SCENARIOS)
def test_threads_on_a_broker_get_what_redis_clients_get(real, name) -> None:  # type: ignore[no-untyped-def]
    want = _on_real(real, name, SCENARIOS)
    b = embedis.Broker()
    with b.serve(port=0) as server:
        observer = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
        got = run_with_threads(name, SCENARIOS, lambda: b, b, observer)
        observer.close()
    _compare(name, got, want)


@pytest.mark.parametrize("name", MULTI_SCENARIOS)
def test_network_clients_of_the_server_get_what_redis_clients_get(real, name) -> None:  # type: ignore[no-untyped-def]
    want = _on_real(real, name, MULTI_SCENARIOS)
    with embedis.Broker().serve(port=0) as server:
        admin = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
        got = run_with_threads(
            name, MULTI_SCENARIOS, lambda: redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10), admin
        )
        admin.close()
    _compare(name, got, want)


async def _run_with_tasks(name: str, ab: embedis.asyncio.Broker, observer: Any) -> list[Any]:
    setup, calls, feeds = SCENARIOS[name]

    async def until_blocked(n: int) -> None:
        deadline = time.monotonic() + 5
        while _blocked(observer) != n:
            if time.monotonic() > deadline:
                raise AssertionError(f"waiting for {n} blocked calls")
            await asyncio.sleep(0.001)

    async def one(method: str, args: tuple[Any, ...]) -> Any:
        try:
            return ("ok", await getattr(ab, method)(*args))
        except Exception as e:  # noqa: BLE001 - compared with redis-py's
            return ("err", e)

    for c in setup:
        await ab.execute_command(*c)
    tasks = []
    for i, (method, args) in enumerate(calls):
        tasks.append(asyncio.ensure_future(one(method, args)))
        await until_blocked(i + 1)
    for commands, left in feeds:
        for c in commands:
            await ab.execute_command(*c)
        await until_blocked(left)
    return list(await asyncio.wait_for(asyncio.gather(*tasks), 5))


@pytest.mark.parametrize("name", SCENARIOS)
def test_tasks_on_an_asyncio_broker_get_what_redis_clients_get(real, name) -> None:  # type: ignore[no-untyped-def]
    want = _on_real(real, name, SCENARIOS)
    ab = embedis.asyncio.Broker()
    with ab.sync.serve(port=0) as server:
        observer = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
        results = asyncio.run(_run_with_tasks(name, ab, observer))
        observer.close()
    _compare(name, (results, _keyspace(ab.sync)), want)


def test_the_refusal_is_a_response_error_with_redis_text_and_the_broker_goes_on(broker) -> None:  # type: ignore[no-untyped-def]
    broker.set("s", "str")
    w = Waiter(broker.brpoplpush, "src", "s", 0)
    w.start()
    with broker.serve(port=0) as server:
        with redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10) as observer:
            _wait_blocked(observer, 1)
    broker.rpush("src", "x")
    with pytest.raises(redis.ResponseError) as e:
        w.outcome()
    assert type(e.value) is embedis.exceptions.ResponseError
    assert str(e.value) == WRONGTYPE
    assert broker.lrange("src", 0, -1) == [b"x"]
    # Once the destination is a list, the same call moves the element.
    broker.delete("s")
    assert broker.brpoplpush("src", "s", 0) == b"x"
    assert broker.lrange("s", 0, -1) == [b"x"]


# ---- random schedules over the network, against the real server -----------------------

SOURCES = ["a", "b"]
DESTS = ["a", "b", "d1", "d2"]
_end = st.sampled_from(["LEFT", "RIGHT"])
_waiter = st.one_of(
    st.tuples(st.just("blmove"), st.sampled_from(SOURCES), st.sampled_from(DESTS), _end, _end),
    st.tuples(st.just("brpoplpush"), st.sampled_from(SOURCES), st.sampled_from(DESTS)),
    st.tuples(st.sampled_from(["blpop", "brpop"]), st.sampled_from(SOURCES)),
)
_push = st.sampled_from(["RPUSH", "LPUSH"])
# Pushes onto the sources twice as often as anything else, so most calls get an answer.
_feed_step = st.one_of(
    st.tuples(_push, st.sampled_from(SOURCES), st.integers(1, 3)),
    st.tuples(_push, st.sampled_from(SOURCES), st.integers(1, 3)),
    st.tuples(_push, st.sampled_from(DESTS[2:]), st.integers(1, 3)),
    st.tuples(st.sampled_from(["SET", "DEL", "XADD"]), st.sampled_from(DESTS[2:])),
)
_plan = st.tuples(
    st.lists(st.sampled_from(["none", "string", "list", "stream"]), min_size=2, max_size=2),
    st.lists(_waiter, min_size=1, max_size=6),
    st.lists(_feed_step, min_size=1, max_size=6),
)


def _run_plan(plan: Any, port: int) -> tuple[list[Any], list[int], dict[bytes, Any]]:
    """Blocks the plan's calls in order on fresh connections, feeds, and returns what each
    finished call got (None: still blocked), INFO's blocked count after each feed step, and
    the final keyspace; then unblocks the rest."""
    kinds, waiters, feed = plan
    admin = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    admin.flushall()
    for key, kind in zip(DESTS[2:], kinds, strict=True):
        if kind != "none":
            _feed_one(admin, {"string": "SET", "list": "RPUSH", "stream": "XADD"}[kind], key, 1)
    threads: list[tuple[Waiter, int]] = []
    try:
        for i, (cmd, *args) in enumerate(waiters):
            c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
            w = Waiter(outcome, c.execute_command, cmd.upper(), *args, 0)
            threads.append((w, c.client_id()))
            w.start()
            _wait_blocked(admin, i + 1)
        counts = []
        for n, step in enumerate(feed):
            _feed_one(admin, step[0], step[1], step[2] if len(step) > 2 else 1, tag=str(n))
            # Serving ends inside the pushing command, on both servers: the count is final.
            counts.append(_blocked(admin))
        left = counts[-1]
        deadline = time.monotonic() + 5
        while sum(not w.is_alive() for w, _ in threads) != len(threads) - left:
            assert time.monotonic() < deadline, "served calls did not return"
            time.sleep(0.002)
        got = [None if w.is_alive() else w.result for w, _ in threads]
        return got, counts, _keyspace(admin)
    finally:
        # Whatever happened, no call stays blocked on the shared real server.
        for w, cid in threads:
            if w.is_alive():
                admin.client_unblock(cid)
            w.join(5)
        admin.close()


def _feed_one(admin: Any, word: str, key: str, n: int, tag: str = "") -> None:
    try:
        if word in ("RPUSH", "LPUSH"):
            admin.execute_command(word, key, *[f"v{tag}.{i}" for i in range(n)])
        elif word == "SET":
            admin.set(key, "str")
        elif word == "DEL":
            admin.delete(key)
        else:
            admin.xadd(key, {"f": "v"})
    except redis.ResponseError:
        pass  # a push onto a key of another type: refused alike on both servers


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=_plan)
def test_random_schedules_over_the_server_match_redis(real, plan) -> None:  # type: ignore[no-untyped-def]
    want = _run_plan(plan, real.connection_pool.connection_kwargs["port"])
    with embedis.Broker().serve(port=0) as server:
        got = _run_plan(plan, server.port)
    for i, (g, w) in enumerate(zip(got[0], want[0], strict=True)):
        if w is None or g is None:
            assert g is w, f"call {i}: embedis {g!r}, redis {w!r}"
        else:
            assert_same_outcome(g, w, f"call {i}")
    assert got[1:] == want[1:]


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")
def test_redis_cli_over_embedis_serve_as_in_the_issue(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The issue's report, as written: redis-cli blocked in BRPOPLPUSH over ``embedis serve``
    with a string destination is answered WRONGTYPE once an element is pushed, and the
    element stays. The AOF logs nothing for it."""
    from test_server import _free_port, _serve_cmd, _wait_port  # the server tests' helpers

    port = _free_port()
    args = _serve_cmd(port, "--dir", str(tmp_path), "--appendonly", "yes", "--appendfsync", "always", "--save", "")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_port(port, proc)
        r = redis.Redis(port=port, socket_timeout=10)
        r.set("s", "str")
        cli = subprocess.Popen(
            ["redis-cli", "-p", str(port), "BRPOPLPUSH", "src", "s", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        _wait_blocked(r, 1)
        r.rpush("src", "a")
        out, _ = cli.communicate(timeout=10)
        # Not on a terminal, redis-cli prints the error bare.
        assert out.strip() == WRONGTYPE
        assert r.lrange("src", 0, -1) == [b"a"]
        assert r.get("s") == b"str"
        assert _blocked(r) == 0
        r.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    aof = b"".join(p.read_bytes() for p in sorted((tmp_path / "appendonlydir").glob("*.incr.aof")))
    assert b"RPOPLPUSH" not in aof.upper() and b"LMOVE" not in aof.upper(), aof
    assert b"rpush" in aof.lower()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
