"""The rest of the string methods and the bitmap methods through every door: redis-py's
methods and shapes (compared with redis-py on a real server), decode_responses, asyncio,
MULTI/EXEC through the RESP server, AOF replay and snapshots, and the AOF's effects
checked by redis-check-aof and replayed into real Redis by redis-cli --pipe."""

from __future__ import annotations

import asyncio
import datetime
import shutil
import subprocess
from pathlib import Path
from typing import Any

import embedis
import pytest
import redis
from conftest import assert_same_outcome, dump_keyspace, outcome

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
REDIS_CHECK_AOF = shutil.which("redis-check-aof") or "/usr/bin/redis-check-aof"

# (method, args, kwargs): each is called on embedis and on redis-py against the real server.
CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("set", ("s", "foobar"), {}),
    ("append", ("s", "baz"), {}),
    ("append", ("new", b"\x00\x01"), {}),
    ("strlen", ("s",), {}),
    ("strlen", ("missing",), {}),
    ("getrange", ("s", 1, -2), {}),
    ("getrange", ("missing", 0, -1), {}),
    ("substr", ("s", 2), {}),
    ("substr", ("s", 2, 4), {}),
    ("setrange", ("s", 8, "XY"), {}),
    ("setrange", ("pad", 3, "z"), {}),
    ("get", ("pad",), {}),
    ("getset", ("s", "new"), {}),
    ("getset", ("missing2", "v"), {}),
    ("getex", ("s",), {}),
    ("getex", ("s",), {"ex": 100}),
    ("getex", ("s",), {"px": datetime.timedelta(seconds=50)}),
    ("getex", ("s",), {"ex": "30"}),
    ("getex", ("s",), {"persist": True}),
    ("ttl", ("s",), {}),
    ("getex", ("s",), {"ex": 10, "px": 10}),
    ("getex", ("s",), {"ex": 1.5}),
    ("getex", ("s",), {"px": "x"}),
    ("getex", ("s",), {"ex": 0}),
    ("setex", ("t", 100, "v"), {}),
    ("setex", ("t", datetime.timedelta(minutes=2), "v"), {}),
    ("setex", ("t", 0, "v"), {}),
    ("psetex", ("t", 100000, "w"), {}),
    ("psetex", ("t", datetime.timedelta(seconds=3), "w"), {}),
    ("psetex", ("t", -5, "w"), {}),
    ("incrbyfloat", ("f",), {}),
    ("incrbyfloat", ("f", 0.1), {}),
    ("incrbyfloat", ("f", "0.2"), {}),
    ("incrbyfloat", ("f", 2), {}),
    ("incrbyfloat", ("f", "1e400"), {}),
    ("incrbyfloat", ("s", 1), {}),
    ("incrbyfloat", ("f", "inf"), {}),
    ("get", ("f",), {}),
    ("set", ("a", "ohmytext"), {}),
    ("set", ("c", "mynewtext"), {}),
    ("lcs", ("a", "c"), {}),
    ("lcs", ("a", "c"), {"len": True}),
    ("lcs", ("a", "c"), {"idx": True}),
    ("lcs", ("a", "c"), {"idx": True, "minmatchlen": 4, "withmatchlen": True}),
    ("lcs", ("a", "c"), {"idx": True, "len": True}),
    ("lcs", ("a", "c"), {"minmatchlen": None}),
    ("setbit", ("bits", 7, 1), {}),
    ("setbit", ("bits", 7, True), {}),
    ("setbit", ("bits", 9, 5), {}),
    ("setbit", ("bits", 3, 0), {}),
    ("getbit", ("bits", 7), {}),
    ("getbit", ("bits", 1000), {}),
    ("get", ("bits",), {}),
    ("bitcount", ("s",), {}),
    ("bitcount", ("s", 0, 1), {}),
    ("bitcount", ("s", 0, 10, "BIT"), {}),
    ("bitcount", ("s", 0), {}),
    ("bitcount", ("s",), {"end": 3}),
    ("bitpos", ("bits", 1), {}),
    ("bitpos", ("bits", 0, 1), {}),
    ("bitpos", ("bits", 1, 0, 10, "BIT"), {}),
    ("bitpos", ("bits", 2), {}),
    ("bitpos", ("bits", 1), {"end": 3}),
    ("bitpos", ("bits", True), {}),
    ("bitop", ("AND", "dest", "s", "bits"), {}),
    ("bitop", ("NOT", "dest", "s"), {}),
    ("bitop", ("OR", "dest", "missing", "missing3"), {}),
    ("exists", ("dest",), {}),
    ("bitop", ("NOT", "dest", "s", "bits"), {}),
    ("bitfield_ro", ("bits", "u8", 0), {}),
    ("bitfield_ro", ("bits", "u8", 0), {"items": [("i4", "#1"), ("u16", 3)]}),
    ("bitfield_ro", ("bits", "u64", 0), {}),
    ("rpush", ("l", "x"), {}),
    ("append", ("l", "x"), {}),
    ("setbit", ("l", 0, 1), {}),
    ("lcs", ("l", "a"), {}),
    ("bitfield_ro", ("l", "u8", 0), {}),
]


@pytest.mark.parametrize("decode", [False, True])
def test_methods_match_redis_py(real: Any, decode: bool) -> None:
    b = embedis.Broker(decode_responses=decode)
    r = redis.Redis(connection_pool=real.connection_pool) if not decode else redis.Redis(
        **{k: v for k, v in real.connection_pool.connection_kwargs.items() if k in ("host", "port")}, decode_responses=True
    )
    for name, args, kwargs in CALLS:
        got = outcome(getattr(b, name), *args, **kwargs)
        want = outcome(getattr(r, name), *args, **kwargs)
        if name == "ttl" and want[0] == "ok":
            assert got[0] == "ok" and abs(got[1] - want[1]) <= 1
            continue
        assert_same_outcome(got, want, f"{name}{args}{kwargs}")
    assert dump_keyspace(b) == dump_keyspace(r)


def _bitfield_script(c: Any) -> list[Any]:
    """The same builder calls on any client; their results."""
    out = []
    op = c.bitfield("bf")
    out.append(op.set("i8", 0, 100).get("u4", 0).incrby("i8", 0, 100).execute())
    out.append(c.bitfield("bf", default_overflow="SAT").incrby("i8", 0, 100).incrby("u8", "#1", -5, overflow="fail").execute())
    out.append(op.command)
    out.append(c.bitfield("bf").overflow("fail").set("u8", "#2", 300).get("u8", 16).execute())
    return out


def test_bitfield_builder_matches_redis_py(real: Any) -> None:
    b = embedis.Broker()
    assert _bitfield_script(b) == _bitfield_script(real)
    assert b.get("bf") == real.get("bf")
    assert isinstance(b.bitfield("k"), embedis.BitFieldOperation)


def test_asyncio_methods_and_bitfield_builder(real: Any) -> None:
    async def main() -> list[Any]:
        b = embedis.asyncio.Broker()
        out = [
            await b.append("s", "ab"),
            await b.strlen("s"),
            await b.getrange("s", 0, 0),
            await b.substr("s", 1),
            await b.setrange("s", 4, "z"),
            await b.getset("s", "q"),
            await b.getex("s", ex=100),
            await b.setex("t", 10, "v"),
            await b.psetex("t", 10000, "v"),
            await b.incrbyfloat("f", 0.5),
            await b.lcs("s", "t"),
            await b.setbit("bits", 3, 1),
            await b.getbit("bits", 3),
            await b.bitcount("bits"),
            await b.bitpos("bits", 1),
            await b.bitop("NOT", "d", "bits"),
            await b.bitfield("bf").set("u8", 0, 7).incrby("u8", 0, 1).execute(),
            await b.bitfield_ro("bf", "u8", 0),
        ]
        return out

    got = asyncio.run(main())
    assert got == [2, 2, b"a", b"b", 5, b"ab\x00\x00z", b"q", True, True, 0.5, b"", 0, 1, 1, 3, 1, [0, 8], [8]]


def test_decode_responses_shapes() -> None:
    b = embedis.Broker(decode_responses=True)
    b.set("a", "ohmytext")
    b.set("c", "mynewtext")
    assert b.lcs("a", "c") == "mytext"
    assert b.lcs("a", "c", idx=True) == ["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]
    assert b.getrange("a", 0, 1) == "oh"
    assert b.incrbyfloat("f", "1.5") == 1.5
    assert b.getex("a") == "ohmytext"


def test_multi_exec_through_the_server() -> None:
    b = embedis.Broker()
    with b.serve(host="127.0.0.1", port=0) as srv:
        c = redis.Redis(host="127.0.0.1", port=srv.port)
        p = c.pipeline(transaction=True)
        p.append("s", "abc").setrange("s", 5, "x").incrbyfloat("f", "0.1").incrbyfloat("f", "0.2")
        p.setbit("b", 9, 1).bitcount("b").bitop("NOT", "nb", "b").getex("s", px=60000).lcs("s", "nb", len=True)
        p.bitfield("bf").incrby("u4", 0, 20).execute()
        p.setex("t", 5, "v").psetex("u", 5000, "w")
        res = p.execute()
        c.close()
    assert res == [3, 6, 0.1, 0.3, 0, 1, 2, b"abc\x00\x00x", 0, [4], True, True]
    assert b.get("f") == b"0.3"
    assert b.pttl("s") > 0


def _workload(b: embedis.Broker) -> None:
    b.set("s", "hello")
    b.append("s", " world")
    b.setrange("s", 20, "!")
    b.setrange("pad", 2, "x")
    b.getset("gs", "v")
    b.set("e1", "v")
    b.getex("e1", ex=1000)
    b.set("e2", "v", ex=1000)
    b.getex("e2", persist=True)
    b.set("e3", "v")
    b.getex("e3", exat=1)
    b.setex("sx", 1000, "v")
    b.psetex("psx", 1000000, "v")
    b.set("fl", "10.5", ex=5000)
    b.incrbyfloat("fl", "0.1")
    b.incrbyfloat("fl2", "1e20")
    b.setbit("bits", 100, 1)
    b.setbit("bits", 3, 1)
    b.setbit("bits", 3, 1)
    b.bitop("XOR", "x", "bits", "s")
    b.set("gone", "v")
    b.bitop("AND", "gone", "missing")
    b.bitfield("bf").set("i8", 0, -3).overflow("FAIL").incrby("u8", 16, 300).incrby("u4", "#1", 3).execute()
    b.bitfield("bf2", default_overflow="SAT").incrby("i8", 40, 1000).execute()


def _dump(b: Any) -> dict[Any, Any]:
    return dump_keyspace(b, dbs=(0,))


def test_aof_replay_and_snapshot_restore_the_same_data(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path / "aof", appendonly=True, appendfsync="always", save=[])
    _workload(b)
    want = _dump(b)
    del b
    assert _dump(embedis.Broker(dir=tmp_path / "aof", appendonly=True, save=[])) == want

    s = embedis.Broker(dir=tmp_path / "snap", save=[])
    _workload(s)
    want = _dump(s)
    s.save()
    del s
    assert _dump(embedis.Broker(dir=tmp_path / "snap", save=[])) == want


def test_aof_effects_pass_redis_check_aof_and_replay_into_redis(tmp_path: Path, real: Any) -> None:
    d = tmp_path / "embedis"
    b = embedis.Broker(dir=d, appendonly=True, appendfsync="always", save=[])
    _workload(b)
    want = _dump(b)
    del b
    incr = sorted((d / "appendonlydir").glob("*.incr.aof"))[-1]
    text = incr.read_bytes()
    # Effects, not requests: INCRBYFLOAT as SET … KEEPTTL, GETEX as PEXPIREAT/PERSIST/DEL.
    for effect in (b"KEEPTTL", b"PEXPIREAT", b"PERSIST", b"SETRANGE", b"BITFIELD", b"SETBIT"):
        assert effect in text, effect
    assert b"INCRBYFLOAT" not in text and b"GETEX" not in text and b"BITOP" not in text
    check = subprocess.run([REDIS_CHECK_AOF, str(incr)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    port = real.connection_pool.connection_kwargs["port"]
    with incr.open("rb") as f:
        pipe = subprocess.run([REDIS_CLI, "-p", str(port), "--pipe"], stdin=f, capture_output=True, text=True, timeout=60)
    assert pipe.returncode == 0, pipe.stdout + pipe.stderr
    assert "errors: 0" in pipe.stdout, pipe.stdout
    assert _dump(real) == want


def test_same_workload_on_real_redis_gives_the_same_keyspace(real: Any) -> None:
    b = embedis.Broker()
    _workload(b)
    _workload(real)
    assert _dump(b) == _dump(real)
