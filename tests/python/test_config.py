"""CONFIG against a real redis-server: the one parameter table through every door
(``config_get``/``config_set``, ``execute_command``, asyncio, the RESP server, ``embedis
serve``), its checks and error texts, and ``stream-node-max-entries``/``-bytes`` made
real: approximate trimming removes exactly the entries Redis removes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import embedis
import embedis.asyncio

from conftest import assert_same_outcome, outcome
from test_server import _free_port, _wait_port

# Parameters whose value depends on how each side was started (listeners, files), or that
# embedis reports differently on purpose (see docs/configuration.md).
HOST_SPECIFIC = {
    "bind", "port", "unixsocket", "unixsocketperm", "dir", "dbfilename", "save", "appendonly",
    "appendfilename", "appenddirname", "logfile", "daemonize", "supervised",
    "stop-writes-on-bgsave-error", "maxmemory-policy", "maxmemory",
}

# What the tests change on the shared real server, with Redis's defaults to restore.
TOUCHED = {
    "stream-node-max-entries": "100", "stream-node-max-bytes": "4096", "hz": "10",
    "hash-max-listpack-entries": "512", "list-max-listpack-size": "-2", "loglevel": "notice",
    "busy-reply-threshold": "5000", "timeout": "0", "notify-keyspace-events": "",
    "zset-max-listpack-value": "64", "activerehashing": "yes", "maxclients": "10000",
}


@pytest.fixture
def rr(real: Any) -> Iterator[Any]:
    """The real server's client; the parameters tests change are put back after."""
    yield real
    for name, value in TOUCHED.items():
        real.config_set(name, value)


def both(b: embedis.Broker, r: Any, method: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    return outcome(getattr(b, method), *args, **kwargs), outcome(getattr(r, method), *args, **kwargs)


# ---- the table, differential ------------------------------------------------------------


def test_defaults_match_redis_for_every_shared_parameter(rr: Any) -> None:
    b = embedis.Broker()
    mine = b.config_get("*")
    theirs = rr.config_get("*")
    assert len(mine) > 60
    for name, value in mine.items():
        if name in HOST_SPECIFIC:
            continue
        assert name in theirs, f"{name} is not a Redis 7.0 parameter"
        assert value == theirs[name], name


@pytest.mark.parametrize(
    "patterns",
    [("stream-node-*",), ("hz",), ("HZ",), ("h?",), ("*ziplist*",), ("hash-max-*", "hz", "hz"),
     ("nosuch",), ("lua-time-limit", "busy-reply-threshold"), ("[hz]z",), ("min-slaves-*",)],
)
def test_config_get_patterns(rr: Any, patterns: tuple[str, ...]) -> None:
    b = embedis.Broker()
    mine = b.config_get(*patterns)
    theirs = rr.config_get(*patterns)
    # Redis has parameters embedis does not (hll-*, cluster-*...): what embedis lists, it
    # lists with Redis's value, and a name Redis lists that embedis has is listed.
    assert {k: theirs.get(k) for k in mine} == mine
    names = set(b.config_get("*")) | {"lua-time-limit", "hash-max-ziplist-entries", "hash-max-ziplist-value"}
    assert {k for k in theirs if k.lower() in names} == set(mine)


BAD_SETS = [
    ("stream-node-max-entries", "-1"), ("stream-node-max-entries", "abc"), ("stream-node-max-entries", "01"),
    ("stream-node-max-entries", "+1"), ("stream-node-max-entries", "99999999999999999999"),
    ("stream-node-max-bytes", "-1"), ("stream-node-max-bytes", "1x"), ("stream-node-max-bytes", "1.5mb"),
    ("hz", "-1"), ("hz", "x"), ("activerehashing", "maybe"), ("loglevel", "loud"), ("appendfsync", "sometimes"),
    ("maxmemory-policy", "lru"), ("daemonize", "yes"), ("databases", "4"), ("rdbchecksum", "no"),
    ("dir", "/tmp"), ("dbfilename", "x.rdb"), ("appendfilename", "x.aof"), ("nosuch", "1"), ("NoSuch", "1"),
    ("notify-keyspace-events", "Kq"), ("maxclients", "0"), ("timeout", "-1"), ("proto-max-bulk-len", "10"),
    ("client-output-buffer-limit", "normal 1 2"), ("client-output-buffer-limit", "foo 1 2 3"),
    ("zset-max-listpack-value", "-1"), ("active-expire-effort", "11"), ("save", "100 abc"),
    ("appendonly", "maybe"), ("tcp-keepalive", "-1"),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETS)
def test_bad_config_set_is_refused_in_redis_words(rr: Any, name: str, value: str) -> None:
    b = embedis.Broker()
    before = b.config_get("*")
    assert_same_outcome(*both(b, rr, "config_set", name, value), context=f"{name}={value}")
    assert b.config_get("*") == before


@pytest.mark.parametrize(
    "pairs",
    [
        ("hz", "5", "HZ", "6"),
        ("stream-node-max-entries", "7", "hz", "x"),
        ("stream-node-max-entries", "7", "nosuch", "1"),
        ("hash-max-listpack-entries", "9", "loglevel", "warning", "busy-reply-threshold", "10"),
        ("hz", "1000"),
        ("hz", "0"),
        ("hash-max-ziplist-entries", "33"),
        ("lua-time-limit", "77"),
        ("stream-node-max-bytes", "1Kb", "zset-max-listpack-value", "2k"),
        ("loglevel", "WARNING", "activerehashing", "NO"),
        ("notify-keyspace-events", ""),
        ("min-replicas-to-write", "0"),
    ],
)
def test_config_set_pairs_are_atomic_and_read_back_as_redis(rr: Any, pairs: tuple[str, ...]) -> None:
    b = embedis.Broker()
    assert_same_outcome(*both(b, rr, "config_set", *pairs), context=str(pairs))
    names = sorted({n.lower() for n in pairs[::2]} | set(TOUCHED) - HOST_SPECIFIC)
    mine = b.config_get(*names)
    theirs = rr.config_get(*names)
    assert mine == {k: v for k, v in theirs.items() if k in mine}
    assert set(mine) == set(theirs)


def test_config_subcommands_through_execute_command(rr: Any) -> None:
    b = embedis.Broker()
    for args in [
        ("CONFIG", "HELP"), ("CONFIG", "help", "x"), ("CONFIG", "REWRITE"), ("CONFIG", "RESETSTAT", "x"),
        ("CONFIG", "foo"), ("CONFIG",), ("CONFIG", "GET"), ("CONFIG", "SET", "hz"),
        ("CONFIG", "SET", "hz", "11"), ("CONFIG", "GET", "hz"), ("CONFIG GET", "hz"), ("CONFIG SET", "hz", "12"),
        ("CONFIG", "RESETSTAT"), ("CONFIG RESETSTAT",),
    ]:
        assert_same_outcome(outcome(b.execute_command, *args), outcome(rr.execute_command, *args), context=str(args))
    assert_same_outcome(*both(b, rr, "config_rewrite"))
    assert_same_outcome(*both(b, rr, "config_resetstat"))


def test_refused_parameters_say_why_instead_of_a_lying_ok(rr: Any) -> None:
    b = embedis.Broker()
    for name, value in [("min-replicas-to-write", "1"),
                        ("min-slaves-to-write", "2"), ("stop-writes-on-bgsave-error", "yes")]:
        with pytest.raises(redis.ResponseError, match=rf"^CONFIG SET failed \(possibly related to argument '{name.replace('slaves', 'replicas')}'\) - embedis"):
            b.config_set(name, value)
    # Without a server, a server parameter keeps the value of a broker with no server.
    with pytest.raises(redis.ResponseError, match="has no server"):
        b.config_set("timeout", "10")
    assert b.config_set("timeout", "0") is True
    assert b.config_get("port") == {"port": "0"}


def test_persistence_parameters_in_process(tmp_path: Any) -> None:
    b = embedis.Broker(dir=str(tmp_path), appendonly=True, save="")
    assert b.config_get("appendonly", "appendfsync") == {"appendonly": "yes", "appendfsync": "everysec"}
    assert b.config_set("appendfsync", "always") is True
    assert b.config_get("appendfsync") == {"appendfsync": "always"}
    assert b.config_set("save", "100 10 60 1000") is True
    assert b.config_get("save") == {"save": "100 10 60 1000"}
    with pytest.raises(redis.ResponseError, match="Invalid save parameters"):
        b.config_set("save", "0 1")
    with pytest.raises(redis.ResponseError, match="can't set protected config"):
        b.config_set("dir", "/tmp")
    assert b.config_set("appendonly", "no") is True
    assert b.config_get("appendonly") == {"appendonly": "no"}
    without = embedis.Broker()
    with pytest.raises(redis.ResponseError, match="no persistence directory"):
        without.config_set("appendonly", "yes")


def test_hz_is_read_by_the_engine() -> None:
    b = embedis.Broker()
    assert b.config_set("hz", "1000") is True
    assert b.config_get("hz") == {"hz": "500"}
    assert b.config_set("hz", "0") is True
    assert b.config_get("hz") == {"hz": "1"}


# ---- every door --------------------------------------------------------------------------


def test_one_table_for_server_process_and_asyncio() -> None:
    b = embedis.Broker()
    with b.serve(port=0) as server:
        r = redis.Redis(port=server.port, socket_timeout=10)
        assert r.config_set("stream-node-max-entries", 3) is True
        # The same value in process, through the sync and the asyncio API.
        assert b.config_get("stream-node-max-entries") == {"stream-node-max-entries": "3"}
        ab = embedis.asyncio.Broker(broker=b)
        assert asyncio.run(ab.config_get("stream-node-max-*")) == {
            "stream-node-max-entries": "3", "stream-node-max-bytes": "4096"}
        assert asyncio.run(ab.config_set("stream-node-max-bytes", "8kb")) is True
        assert r.config_get("stream-node-max-bytes") == {"stream-node-max-bytes": "8192"}
        # XADD over the network uses it: 7 entries in nodes of 3.
        for i in range(1, 8):
            r.xadd("s", {"f": "v"}, id=f"{i}-0")
        assert b.xinfo_stream("s")["radix-tree-keys"] == 3
        # In a transaction, CONFIG SET applies to the XADDs after it.
        p = r.pipeline(transaction=True)
        p.config_set("stream-node-max-entries", 1)
        p.xadd("t", {"f": "v"}, id="1-0")
        p.xadd("t", {"f": "v"}, id="2-0")
        assert p.execute() == [True, b"1-0", b"2-0"]
        assert r.xinfo_stream("t")["radix-tree-keys"] == 2
        # The server answers its own parameters; RESP3 gets a map.
        assert r.config_get("port") == {"port": str(server.port)}
        r3 = redis.Redis(port=server.port, protocol=3, socket_timeout=10)
        assert r3.config_get("hz") == {"hz": "10"}
        assert r.config_set("timeout", 100) is True
        assert r.config_get("timeout") == {"timeout": "100"}
        with pytest.raises(redis.ResponseError, match="listeners"):
            r.config_set("protected-mode", "no")
        assert r.config_resetstat() is True


def test_embedis_serve_takes_the_stream_node_options(tmp_path: Any) -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "embedis", "serve", "--port", str(port), "--stream-node-max-entries", "5",
           "--stream-node-max-bytes", "1kb", "--hz", "20"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_port(port, proc)
        r = redis.Redis(port=port, socket_timeout=10)
        assert r.config_get("stream-node-*", "hz") == {
            "stream-node-max-entries": "5", "stream-node-max-bytes": "1024", "hz": "20"}
        for i in range(1, 13):
            r.xadd("s", {"f": "v"}, id=f"{i}-0")
        assert r.xinfo_stream("s")["radix-tree-keys"] == 3
        r.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=15)
    bad = subprocess.run([*cmd[:5], str(_free_port()), "--stream-node-max-entries", "-1"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1
    assert "stream-node-max-entries" in bad.stderr


# ---- stream nodes as Redis's listpacks ---------------------------------------------------

FIELD_SETS = [
    (("f", None),),
    (("f", None), ("g", None)),
    (("a", None),),
    (("123", None),),
    (("f", None), ("-5", None), ("007", None)),
    (),
]
VALUES = st.one_of(
    st.sampled_from(["", "0", "1", "-1", "127", "128", "4095", "-4096", "-4097", "32767", "8388608",
                     "2147483648", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
                     "007", "-0", "+1", " 1", "x"]),
    st.integers(min_value=0, max_value=80).map(lambda n: "v" * n),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)


@st.composite
def stream_ops(draw: Any) -> tuple[tuple[int, int], list[tuple[Any, ...]]]:
    entries = draw(st.sampled_from([0, 1, 2, 3, 5, 100]))
    nbytes = draw(st.sampled_from([0, 1, 40, 64, 100, 128, 200, 300, 4096]))
    ops: list[tuple[Any, ...]] = []
    ms, seq = 1, 0
    for _ in range(draw(st.integers(min_value=5, max_value=40))):
        kind = draw(st.sampled_from(["add"] * 6 + ["del", "trim", "addtrim"]))
        if kind in ("add", "addtrim"):
            step = draw(st.sampled_from([0, 0, 1, 1, 2, 300, 70000, 10**10]))
            if step == 0:
                seq += draw(st.sampled_from([1, 1, 2, 5000]))
            else:
                ms += step
                seq = draw(st.sampled_from([0, 0, 1, 7]))
            shape = draw(st.sampled_from(FIELD_SETS))
            fields = {name if name else "x": draw(VALUES) for name, _ in shape} or {"only": draw(VALUES)}
            if kind == "add":
                ops.append(("add", f"{ms}-{seq}", fields))
            else:
                ops.append(("addtrim", f"{ms}-{seq}", fields, draw(st.integers(0, 20)), draw(st.integers(0, 12)),
                            draw(st.booleans()), draw(st.integers(0, 10**6))))
        elif kind == "del":
            ops.append(("del", draw(st.integers(0, 10**6))))
        else:
            ops.append(("trim", draw(st.booleans()), draw(st.booleans()), draw(st.integers(0, 20)),
                        draw(st.integers(0, 12)), draw(st.integers(0, 10**6))))
    return (entries, nbytes), ops


def _apply(c: Any, op: tuple[Any, ...], ids: list[bytes]) -> Any:
    kind = op[0]
    if kind == "add":
        return outcome(c.xadd, "s", op[2], id=op[1])
    if kind == "addtrim":
        _, id_, fields, maxlen, limit, by_len, pick = op
        if by_len or not ids:
            return outcome(c.xadd, "s", fields, id=id_, maxlen=maxlen, approximate=True, limit=limit or None)
        return outcome(c.xadd, "s", fields, id=id_, minid=ids[pick % len(ids)], approximate=True, limit=limit or None)
    if kind == "del":
        return outcome(c.xdel, "s", ids[op[1] % len(ids)]) if ids else None
    _, by_len, approx, maxlen, limit, pick = op
    if by_len:
        return outcome(c.xtrim, "s", maxlen=maxlen, approximate=approx, limit=(limit or None) if approx else None)
    if not ids:
        return None
    return outcome(c.xtrim, "s", minid=ids[pick % len(ids)], approximate=approx, limit=(limit or None) if approx else None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=stream_ops())
def test_stream_nodes_and_approximate_trimming_match_redis(rr: Any, case: Any) -> None:
    (entries, nbytes), ops = case
    b = embedis.Broker()
    rr.delete("s")
    for c in (b, rr):
        c.config_set("stream-node-max-entries", entries, "stream-node-max-bytes", nbytes)
    for i, op in enumerate(ops):
        ids = [e[0] for e in rr.xrange("s")] if rr.exists("s") else []
        got, want = _apply(b, op, ids), _apply(rr, op, ids)
        if want is None:
            continue
        assert_same_outcome(got, want, context=f"op {i}: {op} with nodes {entries}/{nbytes}")
        if rr.exists("s"):
            assert b.xinfo_stream("s") == rr.xinfo_stream("s"), f"after op {i}: {op}"
    assert b.xrange("s") == rr.xrange("s")
    assert b.xlen("s") == rr.xlen("s")


def test_large_values_cross_the_listpack_length_encodings(rr: Any) -> None:
    # String headers grow at 64 and 4096 bytes, back-lengths at 128 and 16383.
    b = embedis.Broker()
    rr.delete("s")
    for c in (b, rr):
        c.config_set("stream-node-max-entries", 0, "stream-node-max-bytes", 40000)
    for i, n in enumerate([62, 63, 64, 125, 126, 127, 4093, 4094, 4095, 4096, 16375, 16376, 16377, 16378, 16380, 16383, 9000], 1):
        for c in (b, rr):
            c.xadd("s", {"f": "x" * n}, id=f"{i}-0")
    assert b.xinfo_stream("s") == rr.xinfo_stream("s")
    for limit in (1, 2, 3, 5):
        assert_same_outcome(*both(b, rr, "xtrim", "s", maxlen=0, approximate=True, limit=limit))
        assert b.xinfo_stream("s") == rr.xinfo_stream("s")


def test_existing_nodes_keep_their_size_after_config_set(rr: Any) -> None:
    b = embedis.Broker()
    rr.delete("s")
    for c in (b, rr):
        c.config_set("stream-node-max-entries", 10)
        for i in range(1, 16):
            c.xadd("s", {"f": i}, id=f"{i}-0")
        # Smaller: the tail node (5 entries) takes no more; bigger: it takes more again.
        c.config_set("stream-node-max-entries", 4)
        for i in range(16, 20):
            c.xadd("s", {"f": i}, id=f"{i}-0")
        c.config_set("stream-node-max-entries", 50)
        for i in range(20, 30):
            c.xadd("s", {"f": i}, id=f"{i}-0")
    assert b.xinfo_stream("s") == rr.xinfo_stream("s")
    for limit in (4, 5, 10, 11, 15, 0):
        assert_same_outcome(*both(b, rr, "xtrim", "s", maxlen=1, approximate=True, limit=limit or None))
        assert b.xinfo_stream("s") == rr.xinfo_stream("s")


def test_a_node_emptied_by_an_exact_minid_trim_stays_as_in_redis(rr: Any) -> None:
    b = embedis.Broker()
    rr.delete("s")
    for c in (b, rr):
        c.config_set("stream-node-max-entries", 10)
        for i in range(1, 6):
            c.xadd("s", {"f": i}, id=f"{i}-0")
        c.xdel("s", "5-0")
    # The tombstone 5-0 keeps the node; its live entries below 5-0 are all flagged.
    assert_same_outcome(*both(b, rr, "xtrim", "s", minid="5-0"))
    assert b.xinfo_stream("s") == rr.xinfo_stream("s")
    assert rr.xinfo_stream("s")["radix-tree-keys"] == 1
    for c in (b, rr):
        for i in range(6, 9):
            c.xadd("s", {"f": i}, id=f"{i}-0")
    assert b.xinfo_stream("s") == rr.xinfo_stream("s")
    assert b.xrange("s") == rr.xrange("s")
    assert_same_outcome(*both(b, rr, "xtrim", "s", maxlen=1, approximate=True, limit=3))
    assert b.xinfo_stream("s") == rr.xinfo_stream("s")


def test_broker_config_applies_before_the_directory_loads(tmp_path: Any, rr: Any) -> None:
    # Redis replays an AOF into nodes of the configured size: so does a reopened broker.
    opts = {"dir": str(tmp_path), "appendonly": True, "appendfsync": "always", "save": ""}
    b = embedis.Broker(**opts, config={"stream-node-max-entries": 3, "hz": 20})
    assert b.config_get("stream-node-max-entries", "hz") == {"stream-node-max-entries": "3", "hz": "20"}
    rr.delete("s")
    rr.config_set("stream-node-max-entries", 3)
    for c in (b, rr):
        for i in range(1, 11):
            c.xadd("s", {"f": i}, id=f"{i}-0")
    assert b.xinfo_stream("s") == rr.xinfo_stream("s")
    b._sync_persistence()
    # The last handle's drop unlocks the directory before `del` returns (no gc needed).
    del b
    again = embedis.Broker(**opts, config={"stream-node-max-entries": 3})
    assert again.xinfo_stream("s") == rr.xinfo_stream("s")
    assert_same_outcome(*both(again, rr, "xtrim", "s", maxlen=2, approximate=True, limit=6))
    assert again.xinfo_stream("s") == rr.xinfo_stream("s")
    del again
    # Bad values get CONFIG SET's error; broker= shares the configuration it has.
    with pytest.raises(redis.ResponseError, match="stream-node-max-entries"):
        embedis.Broker(config={"stream-node-max-entries": -1})
    with pytest.raises(ValueError, match="config="):
        embedis.Broker(broker=embedis.Broker(), config={"hz": 5})
    assert embedis.asyncio.Broker(config={"hz": 7}).sync.config_get("hz") == {"hz": "7"}
