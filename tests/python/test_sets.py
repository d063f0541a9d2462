"""The set methods through every door: redis-py 8.2's signatures and reply shapes (sync,
asyncio, decode_responses, execute_command), the RESP server with MULTI/EXEC, and
persistence: AOF replay, rewrite and snapshot, with files redis-check-aof accepts and
``redis-cli --pipe`` replays into a real redis-server to the same data."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
import redis

import embedis

from conftest import dump_keyspace

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
REDIS_CHECK_AOF = shutil.which("redis-check-aof") or "/usr/bin/redis-check-aof"


def test_shapes_are_redis_pys(broker: embedis.Broker) -> None:
    b = broker
    assert b.sadd("s", "a", "b", 1, 2.5, b"a") == 4
    assert b.smembers("s") == {b"a", b"b", b"1", b"2.5"}
    assert b.smembers("nokey") == set()
    assert b.sismember("s", "a") == 1 and type(b.sismember("s", "a")) is int
    assert b.sismember("s", "z") == 0
    assert b.smismember("s", ["a", "z"], "b") == [1, 0, 1]
    assert b.smismember("s", "a") == [1]
    assert b.scard("s") == 4
    assert b.srem("s", "b", "nope") == 1
    assert b.smove("s", "t", "a") is True
    assert b.smove("s", "t", "zz") is False
    b.sadd("u", "1", "x")
    assert b.sinter(["s", "u"]) == {b"1"}
    assert b.sinter("s", "u") == {b"1"}
    assert b.sunion(["s", "t"], "u") == {b"1", b"2.5", b"a", b"x"}
    with pytest.raises(redis.DataError):
        b.sunion("s", ["t", "u"])  # redis-py sends the list as one argument, and refuses it
    assert b.sdiff(["u", "s"]) == {b"x"}
    assert b.sinter("s", "nokey") == set()
    assert b.sintercard(2, ["s", "u"]) == 1
    assert b.sintercard(2, ["s", "u"], limit=1) == 1
    assert b.sinterstore("d", ["s", "u"]) == 1
    assert b.sunionstore("d", "s", "u") == 3
    assert b.sdiffstore("d", ["u"], "s") == 1
    assert b.smembers("d") == {b"x"}
    assert b.spop("nokey") is None
    assert b.spop("nokey", 2) == []
    assert b.srandmember("nokey") is None
    assert b.srandmember("nokey", 2) == []
    assert b.srandmember("u") in {b"1", b"x"}
    assert sorted(b.srandmember("u", 5)) == [b"1", b"x"]
    assert len(b.srandmember("u", -5)) == 5
    popped = b.spop("u", 1)
    assert isinstance(popped, list) and len(popped) == 1
    assert b.spop("u") in {b"1", b"x"}
    assert b.exists("u") == 0
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        b.set("str", "v")
        b.sadd("str", "a")
    with pytest.raises(redis.DataError):
        b.sadd("s", None)  # type: ignore[arg-type]


def test_sscan_and_sscan_iter(broker: embedis.Broker) -> None:
    b = broker
    b.sadd("ints", *range(20))
    # An intset comes whole, with cursor 0, as Redis.
    cursor, members = b.sscan("ints", count=2)
    assert cursor == 0 and sorted(int(m) for m in members) == list(range(20))
    assert sorted(b.sscan("ints", 0, match="1*")[1]) == sorted(f"{i}".encode() for i in (1, *range(10, 20)))
    b.sadd("words", *[f"w{i}" for i in range(1000)])
    cursor, members = b.sscan("words", count=10)
    assert cursor != 0 and 0 < len(members) < 1000
    assert sorted(b.sscan_iter("words")) == sorted(f"w{i}".encode() for i in range(1000))
    assert sorted(b.sscan_iter("words", match="w99*", count=50)) == sorted(
        f"w{i}".encode() for i in (99, *range(990, 1000))
    )
    assert list(b.sscan_iter("nokey")) == []
    assert b.sscan("nokey") == (0, [])


def test_decode_responses() -> None:
    b = embedis.Broker(decode_responses=True)
    b.sadd("s", "é", "b", 3)
    assert b.smembers("s") == {"é", "b", "3"}
    assert b.sinter("s") == {"é", "b", "3"}
    assert sorted(b.sscan("s")[1]) == ["3", "b", "é"]
    assert b.spop("s", 0) == []
    assert b.srandmember("s") in {"é", "b", "3"}
    assert sorted(b.sscan_iter("s")) == ["3", "b", "é"]
    assert b.execute_command("SMEMBERS", "s") == {"é", "b", "3"}


def test_execute_command_applies_redis_pys_callbacks(broker: embedis.Broker) -> None:
    b = broker
    assert b.execute_command("SADD", "s", "a", "b") == 2
    assert b.execute_command("SMEMBERS", "s") == {b"a", b"b"}
    assert b.execute_command("SMOVE", "s", "t", "a") is True
    assert b.execute_command("SSCAN", "s", 0) == (0, [b"b"])
    assert b.execute_command("SISMEMBER", "s", "b") == 1


def test_asyncio(abroker: embedis.asyncio.Broker) -> None:
    async def main() -> None:
        b = abroker
        assert await b.sadd("s", "a", "b", "c") == 3
        assert await b.smembers("s") == {b"a", b"b", b"c"}
        assert await b.scard("s") == 3
        assert await b.sismember("s", "a") == 1
        assert await b.smismember("s", ["a", "q"]) == [1, 0]
        assert await b.smove("s", "t", "a") is True
        assert await b.sinter(["s", "t"]) == set()
        assert await b.sunion(["s", "t"]) == {b"a", b"b", b"c"}
        assert await b.sdiff(["s", "t"]) == {b"b", b"c"}
        assert await b.sintercard(1, ["s"]) == 2
        assert await b.sunionstore("d", ["s", "t"]) == 3
        assert await b.sinterstore("d2", ["s", "d"]) == 2
        assert await b.sdiffstore("d3", ["d"], "s") == 1
        assert await b.srem("d", "a") == 1
        assert (await b.sscan("s"))[0] == 0
        assert sorted([m async for m in b.sscan_iter("s")]) == [b"b", b"c"]
        assert await b.srandmember("s") in {b"b", b"c"}
        assert len(await b.spop("s", 5)) == 2

    asyncio.run(main())


def test_the_server_and_multi(broker: embedis.Broker) -> None:
    with broker.serve(port=0) as server:
        for protocol in (2, 3):
            c = redis.Redis(host="127.0.0.1", port=server.port, protocol=protocol, socket_timeout=10)
            c.flushall()
            assert c.sadd("s", "a", "b", "1") == 3
            assert c.smembers("s") == {b"a", b"b", b"1"}
            p = c.pipeline(transaction=True)
            p.sadd("s", "c").srem("s", "a").scard("s").smembers("s").sunionstore("d", ["s"]).spop("s", 10)
            got = p.execute()
            assert got[:5] == [1, 1, 3, {b"b", b"1", b"c"}, 3]
            assert sorted(got[5]) == [b"1", b"b", b"c"]
            assert c.exists("s") == 0
            assert c.smembers("d") == {b"b", b"1", b"c"}
            assert broker.smembers("d") == {b"b", b"1", b"c"}
            cursor, members = c.sscan("d")
            assert cursor == 0 and sorted(members) == [b"1", b"b", b"c"]
            c.close()


def _workload(b: embedis.Broker) -> None:
    b.sadd("ints", *range(10))
    b.sadd("big", *range(600))  # past set-max-intset-entries: a hashtable of integers
    b.sadd("words", *[f"w{i}" for i in range(300)])
    b.sadd("mixed", 1, "x", 2)
    b.spop("big", 3)
    b.spop("words")
    b.spop("words", 250)  # most of the set: Redis's "new set" case
    b.spop("ints", 100)  # the whole set: a DEL
    b.srem("mixed", 1)
    b.smove("mixed", "moved", "x")
    b.sinterstore("inter", ["big", "words"])
    b.sunionstore("union", ["words", "mixed"])
    b.sdiffstore("diff", ["big"], "mixed")
    b.sadd("ttl", "a")
    b.expire("ttl", 1000)
    embedis.Broker(broker=b, db=3).sadd("other", "z")


def test_aof_replay_rewrite_and_snapshot_roundtrip(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    _workload(b)
    want = dump_keyspace(b, dbs=(0, 3))
    del b
    b2 = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    assert dump_keyspace(b2, dbs=(0, 3)) == want
    b2.bgrewriteaof()
    b2._sync_persistence()
    b2.sadd("after", "rewrite")
    want = dump_keyspace(b2, dbs=(0, 3))
    del b2
    b3 = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    assert dump_keyspace(b3, dbs=(0, 3)) == want
    del b3
    snap = tmp_path / "snap"
    b4 = embedis.Broker(dir=snap, save=[])
    _workload(b4)
    want = dump_keyspace(b4, dbs=(0, 3))
    assert b4.save() is True
    del b4
    assert dump_keyspace(embedis.Broker(dir=snap, save=[]), dbs=(0, 3)) == want


def _pipe(real: redis.Redis, path: Path) -> None:
    port = real.connection_pool.connection_kwargs["port"]
    with path.open("rb") as f:
        pipe = subprocess.run([REDIS_CLI, "-p", str(port), "--pipe"], stdin=f, capture_output=True, text=True, timeout=60)
    assert pipe.returncode == 0, pipe.stdout + pipe.stderr
    assert "errors: 0" in pipe.stdout, pipe.stdout


def test_redis_checks_and_replays_the_aof(tmp_path: Path, real: redis.Redis) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    _workload(b)
    want = dump_keyspace(b, dbs=(0, 3))
    del b
    incr = sorted((tmp_path / "appendonlydir").glob("*.incr.aof"))[-1]
    check = subprocess.run([REDIS_CHECK_AOF, str(incr)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    _pipe(real, incr)
    assert dump_keyspace(real, dbs=(0, 3)) == want


def test_redis_replays_a_rewritten_resp_base(tmp_path: Path, real: redis.Redis) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[], aof_use_rdb_preamble=False)
    _workload(b)
    b.bgrewriteaof()
    b._sync_persistence()
    want = dump_keyspace(b, dbs=(0, 3))
    del b
    base = tmp_path / "appendonlydir" / "appendonly.aof.1.base.aof"
    text = base.read_bytes()
    assert b"SADD" in text
    check = subprocess.run(
        [REDIS_CHECK_AOF, str(tmp_path / "appendonlydir" / "appendonly.aof.manifest")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    _pipe(real, base)
    assert dump_keyspace(real, dbs=(0, 3)) == want


def _raw_types(port: int) -> list[bytes]:
    """The first byte of each RESP3 reply to a fixed sequence of set commands."""
    import socket

    def cmd(*words: str) -> bytes:
        return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w.encode()) for w in words)

    lines = [
        ("HELLO", "3"),
        ("FLUSHALL",),
        ("SADD", "q", "1", "2", "3"),
        ("SMEMBERS", "q"),
        ("SINTER", "q", "nokey"),
        ("SUNION", "q"),
        ("SDIFF", "q"),
        ("SPOP", "q", "1"),
        ("SPOP", "nokey", "2"),
        ("SRANDMEMBER", "q", "2"),
        ("SRANDMEMBER", "q", "-2"),
        ("SSCAN", "q", "0"),
        ("PING",),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"".join(cmd(*line) for line in lines))
        data = b""
        while not data.endswith(b"+PONG\r\n"):
            chunk = s.recv(65536)
            assert chunk
            data += chunk
    # Each reply after HELLO's map and FLUSHALL's +OK starts a line with its type byte;
    # only the aggregate headers of the set commands are compared.
    return [ln[:1] for ln in data.split(b"\r\n") if ln[:1] in (b"~", b"*")]


def test_resp3_set_replies_as_redis(real: redis.Redis) -> None:
    b = embedis.Broker()
    with b.serve(port=0) as server:
        got = _raw_types(server.port)
    want = _raw_types(real.connection_pool.connection_kwargs["port"])
    assert got == want
    assert b"~" in got


def test_set_max_intset_entries_is_a_real_setting(real: redis.Redis) -> None:
    # Observable without OBJECT ENCODING: an intset comes whole from SSCAN with cursor 0,
    # a hashtable by pages.
    b = embedis.Broker()
    try:
        for c in (b, real):
            assert c.config_get("set-max-intset-entries") == {"set-max-intset-entries": "512"}
            c.sadd("small", *range(100))
            assert c.sscan("small", count=1)[0] == 0
            assert c.config_set("set-max-intset-entries", 10) is True
            c.sadd("big", *range(100))
            cursor, members = c.sscan("big", count=1)
            assert cursor != 0 and len(members) < 100
            assert c.sscan("small", count=1)[0] == 0, "an existing intset stays one until it grows"
            c.sadd("small", 1000)
            assert c.sscan("small", count=1)[0] != 0
    finally:
        real.config_set("set-max-intset-entries", 512)


def test_a_huge_negative_random_count_is_refused_not_built(broker) -> None:  # type: ignore[no-untyped-def]
    """Redis builds any reply asked for, so SRANDMEMBER/HRANDFIELD with count -2^63+1
    exhausts its memory; embedis refuses past 2^24 repeats (and serves up to it)."""
    broker.sadd("s", "a")
    broker.hset("h", "f", "v")
    for words in (("SRANDMEMBER", "s", -(2**63 - 1)), ("HRANDFIELD", "h", -(2**25))):
        with pytest.raises(embedis.ResponseError, match="^value is out of range$"):
            broker.execute_command(*words)
    assert broker.srandmember("s", -3) == [b"a"] * 3
    assert broker.hrandfield("h", -2) == [b"f", b"f"]
    assert broker.smembers("s") == {b"a"} and broker.hgetall("h") == {b"f": b"v"}
