"""Hashes through every door: the redis-py 8.2 methods and their return shapes,
decode_responses, asyncio, execute_command, the RESP server (MULTI/EXEC), the AOF and the
snapshot, and the AOF read by redis-check-aof and replayed into a real redis-server."""

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


def test_methods_answer_redis_py_shapes(broker: embedis.Broker) -> None:
    b = broker
    assert b.hset("h", "a", 1, mapping={"b": 2}, items=["c", 3]) == 3
    assert b.hsetnx("h", "a", 5) == 0
    assert b.hsetnx("h", "n", 5) == 1
    assert b.hmset("h", {"d": 4}) is True
    assert b.hexists("h", "a") is True
    assert b.hexists("h", "zz") is False
    assert b.hincrbyfloat("h", "x", 1.5) == 1.5
    assert b.hincrbyfloat("h", "x") == 2.5
    assert b.hincrby("h", "y") == 1
    assert b.hincrby("h", "y", 10) == 11
    assert b.hgetall("h") == {b"c": b"3", b"a": b"1", b"b": b"2", b"n": b"5", b"d": b"4", b"x": b"2.5", b"y": b"11"}
    assert list(b.hgetall("h")) == [b"c", b"a", b"b", b"n", b"d", b"x", b"y"], "listpack order, as Redis"
    assert b.hget("h", "a") == b"1"
    assert b.hget("h", "zz") is None
    assert b.hmget("h", ["a", "zz"]) == [b"1", None]
    assert b.hmget("h", "a", "b") == [b"1", b"2"]
    assert b.hlen("h") == 7
    assert b.hstrlen("h", "x") == 3
    assert b.hkeys("h")[:2] == [b"c", b"a"]
    assert b.hvals("h")[:2] == [b"3", b"1"]
    assert b.hdel("h", "a", "zz") == 1
    assert b.hgetall("nokey") == {}
    assert b.hrandfield("nokey") is None
    assert b.hrandfield("nokey", 2, withvalues=True) == []
    assert b.hrandfield("h") in b.hkeys("h")
    pairs = b.hrandfield("h", 3, withvalues=True)
    assert len(pairs) == 6 and all(b.hget("h", f) == v for f, v in zip(pairs[::2], pairs[1::2]))
    assert len(b.hrandfield("h", -10)) == 10
    assert b.hscan("h") == (0, b.hgetall("h"))
    assert b.hscan("h", match="[xy]", count=5) == (0, {b"x": b"2.5", b"y": b"11"})
    assert list(b.hscan_iter("h", match="x")) == [(b"x", b"2.5")]
    assert b.type("h") == b"hash"


def test_redis_py_side_errors(broker: embedis.Broker) -> None:
    with pytest.raises(embedis.DataError, match="'hset' with no key value pairs"):
        broker.hset("h")
    with pytest.raises(embedis.DataError, match="'hmset' with 'mapping' of length 0"):
        broker.hmset("h", {})
    with pytest.raises(embedis.DataError):
        broker.hset("h", "f", None)
    broker.set("s", "v")
    with pytest.raises(embedis.ResponseError, match="WRONGTYPE"):
        broker.hget("s", "f")
    with pytest.raises(embedis.ResponseError, match="^hash value is not an integer$"):
        broker.hset("h", "f", "x") and broker.hincrby("h", "f")
    with pytest.raises(embedis.ResponseError, match="syntax error"):
        broker.hscan("h", no_values=True)


def test_decode_responses() -> None:
    b = embedis.Broker(decode_responses=True)
    b.hset("h", mapping={"f": "v", "g": "w"})
    assert b.hgetall("h") == {"f": "v", "g": "w"}
    assert b.hkeys("h") == ["f", "g"]
    assert b.hget("h", "f") == "v"
    assert b.hmget("h", "f", "zz") == ["v", None]
    assert b.hscan("h") == (0, {"f": "v", "g": "w"})
    assert sorted(b.hrandfield("h", 2)) == ["f", "g"]
    assert b.hincrbyfloat("h", "n", "0.1") == 0.1


def test_asyncio_forwards_every_hash_method() -> None:
    async def main() -> None:
        b = embedis.asyncio.Broker()
        assert await b.hset("h", mapping={"a": 1, "b": 2}) == 2
        assert await b.hsetnx("h", "c", 3) == 1
        assert await b.hmset("h", {"d": 4}) is True
        assert await b.hget("h", "a") == b"1"
        assert await b.hmget("h", ["a", "b"]) == [b"1", b"2"]
        assert await b.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"3", b"d": b"4"}
        assert await b.hexists("h", "a") is True
        assert await b.hlen("h") == 4
        assert await b.hstrlen("h", "a") == 1
        assert await b.hkeys("h") == [b"a", b"b", b"c", b"d"]
        assert await b.hvals("h") == [b"1", b"2", b"3", b"4"]
        assert await b.hincrby("h", "a", 2) == 3
        assert await b.hincrbyfloat("h", "a", 0.5) == 3.5
        assert await b.hrandfield("h", 10) == [b"a", b"b", b"c", b"d"]
        assert await b.hscan("h", match="a") == (0, {b"a": b"3.5"})
        assert [p async for p in b.hscan_iter("h", match="b")] == [(b"b", b"2")]
        assert await b.hdel("h", "a", "b", "c", "d") == 4
        assert await b.exists("h") == 0

    asyncio.run(main())


def test_execute_command_and_server_with_multi(broker: embedis.Broker) -> None:
    assert broker.execute_command("HSET", "h", "a", "1") == 1
    assert broker.execute_command("HGETALL", "h") == {b"a": b"1"}
    assert broker.execute_command("HINCRBYFLOAT", "h", "a", "0.5") == 1.5
    with broker.serve(port=0) as server:
        for protocol in (2, 3):
            r = redis.Redis(host="127.0.0.1", port=server.port, protocol=protocol, socket_timeout=10)
            with r.pipeline(transaction=True) as p:
                p.hset("m", mapping={"x": 1, "y": 2}).hincrby("m", "x", 5).hgetall("m").hdel("m", "y")
                assert p.execute() == [2, 6, {b"x": b"6", b"y": b"2"}, 1]
            assert r.hgetall("h") == {b"a": b"1.5"}
            assert r.hscan("h") == (0, {b"a": b"1.5"})
            assert len(r.hrandfield("h", -3, withvalues=True)) == (3 if protocol == 3 else 6)
            r.close()
            broker.delete("m")


def test_aof_and_snapshot_round_trip(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    b.config_set("hash-max-listpack-entries", 8)
    b.hset("small", mapping={"a": 1, "b": 2})
    b.hincrbyfloat("small", "f", 0.1)
    b.hincrbyfloat("small", "f", 0.2)
    b.hset("big", mapping={f"f{i}": i for i in range(50)})
    b.hdel("big", "f1")
    b.hset("gone", "a", 1)
    b.hdel("gone", "a")
    want = dump_keyspace(b)
    order = list(b.hgetall("small"))
    b.close()
    del b
    b2 = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    assert dump_keyspace(b2) == want
    assert list(b2.hgetall("small")) == order
    assert b2.hget("small", "f") == b"0.3"
    b2.bgrewriteaof()
    b2._sync_persistence()
    b2.hset("small", "after", "rewrite")
    want = dump_keyspace(b2)
    b2.save()
    b2.close()
    del b2
    b3 = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    assert dump_keyspace(b3) == want
    b3.close()
    del b3
    # The snapshot alone.
    snap_dir = tmp_path / "snap"
    b4 = embedis.Broker(dir=snap_dir, save=[])
    b4.hset("h", mapping={"x": "1", "y": "2"})
    b4.save()
    del b4
    assert embedis.Broker(dir=snap_dir, save=[]).hgetall("h") == {b"x": b"1", b"y": b"2"}


def test_aof_passes_redis_check_aof_and_replays_into_redis(tmp_path: Path, real) -> None:  # type: ignore[no-untyped-def]
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    b.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    b.hsetnx("h", "d", 4)
    b.hmset("h", {"e": 5})
    b.hdel("h", "b")
    b.hincrby("h", "a", 41)
    b.hincrbyfloat("h", "f", "0.1")
    b.hincrbyfloat("h", "f", "0.2")
    b.hset("big", mapping={f"f{i}": "x" * 70 for i in range(10)})
    b.hset("gone", "a", 1)
    b.hdel("gone", "a")
    want = dump_keyspace(b)
    b._sync_persistence()
    incr = sorted((tmp_path / "appendonlydir").glob("*.incr.aof"))[-1]
    check = subprocess.run([REDIS_CHECK_AOF, str(incr)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    port = real.connection_pool.connection_kwargs["port"]
    with incr.open("rb") as f:
        pipe = subprocess.run([REDIS_CLI, "-p", str(port), "--pipe"], stdin=f, capture_output=True, text=True, timeout=60)
    assert pipe.returncode == 0 and "errors: 0" in pipe.stdout, pipe.stdout + pipe.stderr
    assert dump_keyspace(real) == want
    assert list(real.hgetall("h")) == list(b.hgetall("h")), "listpack order survives the replay"


def test_used_memory_counts_hashes_and_returns_after_delete(broker: embedis.Broker) -> None:
    used0 = broker.info("memory")["used_memory"]
    broker.config_set("hash-max-listpack-entries", 16)
    for i in range(100):
        broker.hset(f"h{i % 3}", f"field{i}", "v" * (i % 80))
    used1 = broker.info("memory")["used_memory"]
    assert used1 > used0 + 100 * 20
    broker.hincrbyfloat("h0", "f", 1.5)
    broker.hdel("h1", *[f"field{i}" for i in range(0, 100, 3)])
    broker.delete("h0", "h1", "h2")
    assert broker.info("memory")["used_memory"] == used0


def test_a_hdel_that_deletes_nothing_leaves_watchers_alone(broker: embedis.Broker) -> None:
    broker.hset("h", "a", "1")
    with broker.serve(port=0) as server:
        r = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
        other = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
        with r.pipeline(transaction=True) as p:
            p.watch("h")
            other.hdel("h", "nosuch")
            other.hsetnx("h", "a", "2")
            p.multi()
            p.hget("h", "a")
            assert p.execute() == [b"1"]
        with r.pipeline(transaction=True) as p:
            p.watch("h")
            other.hset("h", "a", "3")
            p.multi()
            p.hget("h", "a")
            with pytest.raises(redis.WatchError):
                p.execute()
        r.close()
        other.close()
