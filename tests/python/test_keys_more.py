"""COPY, MOVE, SWAPDB, RANDOMKEY, TOUCH, EXPIRETIME, PEXPIRETIME, OBJECT, SORT and SORT_RO
through every door: redis-py 8.2's methods and shapes (with decode_responses), asyncio,
execute_command, a redis-py client on the RESP server (MULTI/EXEC included), the AOF
(replayed by embedis, accepted by redis-check-aof, piped into real Redis) and the
snapshot."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import redis

import embedis
from conftest import assert_same_outcome, dump_keyspace, outcome, wait_blocked

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
REDIS_CHECK_AOF = shutil.which("redis-check-aof") or "/usr/bin/redis-check-aof"


def test_copy_move_and_swapdb_return_redis_py_shapes(broker: embedis.Broker) -> None:
    broker.rpush("l", "a", "b")
    assert broker.copy("l", "l2") is True
    assert broker.copy("l", "l2") is False
    assert broker.copy("l", "l2", replace=True) is True
    assert broker.copy("l", "l", destination_db=1) is True
    assert broker.move("l2", 2) is True
    assert broker.move("nokey", 2) is False
    assert broker.swapdb(0, 2) is True
    assert broker.lrange("l2", 0, -1) == [b"a", b"b"], "this handle stays on db 0, now the old db 2"
    other = embedis.Broker(broker=broker, db=2)
    assert other.lrange("l", 0, -1) == [b"a", b"b"]
    with pytest.raises(embedis.ResponseError, match="^source and destination objects are the same$"):
        broker.copy("l2", "l2")
    with pytest.raises(embedis.ResponseError, match="^DB index is out of range$"):
        broker.move("l2", 16)
    with pytest.raises(embedis.ResponseError, match="^invalid first DB index$"):
        broker.swapdb("x", 1)


def test_randomkey_touch_expiretime_object(broker: embedis.Broker) -> None:
    assert broker.randomkey() is None
    broker.set("n", 12)
    broker.set("s", "hello")
    assert broker.randomkey() in (b"n", b"s")
    assert broker.touch("n", "s", "nokey") == 2
    assert broker.expiretime("n") == -1
    assert broker.pexpiretime("nokey") == -2
    broker.pexpireat("n", 4102444800123)
    assert broker.pexpiretime("n") == 4102444800123
    assert broker.expiretime("n") == 4102444800
    assert broker.object("encoding", "n") == b"int"
    assert broker.object("ENCODING", "s") == b"embstr"
    assert broker.object("refcount", "n") == 2147483647
    assert broker.object("idletime", "s") == 0
    assert broker.object("encoding", "nokey") is None
    with pytest.raises(embedis.ResponseError, match="An LFU maxmemory policy is not selected"):
        broker.object("freq", "s")


def test_decode_responses_is_honoured() -> None:
    b = embedis.Broker(decode_responses=True)
    b.rpush("l", "b", "a")
    b.set("w_a", 2)
    b.set("w_b", 1)
    assert b.randomkey() in ("l", "w_a", "w_b")
    assert b.object("encoding", "l") == "quicklist"
    assert b.sort("l", alpha=True) == ["a", "b"]
    assert b.sort("l", by="w_*", get=["#", "w_*"], groups=True) == [("b", "1"), ("a", "2")]


def test_sort_arguments_follow_redis_py(broker: embedis.Broker) -> None:
    broker.rpush("l", 3, 1, 2)
    broker.mset({"w_1": 30, "w_2": 20, "w_3": 10, "n_1": "one", "n_2": "two"})
    assert broker.sort("l") == [b"1", b"2", b"3"]
    assert broker.sort("l", desc=True, start=0, num=2) == [b"3", b"2"]
    assert broker.sort("l", by="w_*") == [b"3", b"2", b"1"]
    assert broker.sort("l", by="nosort") == [b"3", b"1", b"2"]
    assert broker.sort("l", get="n_*") == [b"one", b"two", None]
    assert broker.sort("l", get=["#", "n_*"], groups=True) == [(b"1", b"one"), (b"2", b"two"), (b"3", None)]
    assert broker.sort("l", store="dst") == 3
    assert broker.lrange("dst", 0, -1) == [b"1", b"2", b"3"]
    assert broker.sort_ro("l", start=1, num=1) == [b"2"]
    assert broker.sort("nokey", get=["#", "n_*"], groups=True) == []
    with pytest.raises(embedis.DataError, match="must both be specified"):
        broker.sort("l", start=1)
    with pytest.raises(embedis.DataError, match='"groups" the "get" argument'):
        broker.sort("l", get="n_*", groups=True)
    with pytest.raises(embedis.DataError, match='"groups" the "get" argument'):
        broker.sort("l", groups=True)
    broker.rpush("bad", "x")
    with pytest.raises(embedis.ResponseError, match="^One or more scores can't be converted into double$"):
        broker.sort("bad")
    broker.set("str", "v")
    with pytest.raises(embedis.ResponseError, match="^WRONGTYPE"):
        broker.sort("str")


def test_sort_and_scan_type_match_redis_py_on_the_real_server(broker: embedis.Broker, real) -> None:  # type: ignore[no-untyped-def]
    for c in (broker, real):
        c.rpush("l", 3, 1, 2, 10)
        c.mset({"w_1": 30, "w_2": 20, "w_3": "x", "n_1": "one"})
        c.set("s", "v")
        c.xadd("x", {"f": "v"}, id="1-1")
    calls = [
        ("sort", ("l",), {}),
        ("sort", ("l",), {"alpha": True, "desc": True}),
        ("sort", ("l",), {"by": "w_*"}),
        ("sort", ("l",), {"by": "w_*", "alpha": True}),
        ("sort", ("l",), {"get": ["#", "n_*", "w_*"], "groups": True, "start": 1, "num": 2}),
        ("sort", ("l",), {"by": "nosort", "desc": True, "start": 1, "num": 5}),
        ("sort_ro", ("l",), {"get": "n_*->f"}),
        ("object", ("encoding", "l"), {}),
        ("object", ("encoding", "x"), {}),
        ("object", ("encoding", "w_1"), {}),
    ]
    for method, args, kwargs in calls:
        got = outcome(getattr(broker, method), *args, **kwargs)
        assert_same_outcome(got, outcome(getattr(real, method), *args, **kwargs), f"{method}{args}{kwargs}")
    for t in ("string", "list", "stream", "hash", "set", "zset", "none"):
        got = sorted(broker.scan_iter(_type=t))
        assert got == sorted(real.scan_iter(_type=t)), t


def test_asyncio_methods_forward() -> None:
    async def main() -> None:
        b = embedis.asyncio.Broker()
        await b.rpush("l", 2, 1)
        assert await b.copy("l", "c") is True
        assert await b.move("c", 1) is True
        assert await b.swapdb(0, 1) is True
        assert await b.sort("c") == [b"1", b"2"]
        assert await b.sort_ro("c", desc=True) == [b"2", b"1"]
        assert await b.touch("c") == 1
        assert await b.expiretime("c") == -1
        assert await b.pexpiretime("c") == -1
        assert await b.object("encoding", "c") == b"quicklist"
        assert await b.randomkey() == b"c"
        await b.set("s", "v")
        assert [k async for k in b.scan_iter(_type="list")] == [b"c"]
        assert [k async for k in b.scan_iter(_type="string")] == [b"s"]
        assert await b.scan(0, _type="stream") == (0, [])

    asyncio.run(main())


def test_swapdb_wakes_a_blocked_in_process_consumer(broker: embedis.Broker) -> None:
    db1 = embedis.Broker(broker=broker, db=1)
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(db1.blpop("q", timeout=30)))
    t.start()
    wait_blocked(broker, 1)
    broker.rpush("q", "job")
    broker.swapdb(0, 1)
    t.join(30)
    assert got == [(b"q", b"job")]
    assert broker.exists("q") == 0 and db1.exists("q") == 0


def test_execute_command_and_the_server_with_multi() -> None:
    b = embedis.Broker()
    assert b.execute_command("COPY", "nokey", "x") == 0
    b.rpush("l", 2, 1)
    assert b.execute_command("SORT", "l", "STORE", "s") == 2
    assert b.execute_command("OBJECT", "HELP")[0].startswith(b"OBJECT <subcommand>")
    with b.serve(port=0) as server:
        c = redis.Redis(port=server.port)
        p = c.pipeline(transaction=True)
        p.copy("l", "l2").move("l2", 3).sort("l", desc=True).swapdb(0, 3).randomkey()
        assert p.execute() == [True, True, [b"2", b"1"], True, b"l2"]
        assert c.object("encoding", "l2") == b"quicklist"
        with pytest.raises(redis.ResponseError, match="source and destination objects are the same"):
            c.move("l2", 0)
        c.close()


def _workload(b: embedis.Broker) -> None:
    b.rpush("l", 3, 1, 2)
    b.set("w_1", 9)
    b.set("exp", "v", ex=3600)
    b.copy("exp", "exp2", destination_db=1)
    b.copy("l", "l", destination_db=2)
    b.move("w_1", 3)
    b.sort("l", desc=True, store="sorted")
    b.sort("l", get="nostar", store="empties")
    b.set("gone", "x")
    b.sort("nokey", store="gone")
    b.swapdb(0, 4)
    b.swapdb(4, 5)
    b.rpush("after", "z")
    b.expire("after", 100, nx=True)


def _all(b: embedis.Broker) -> dict:
    return dump_keyspace(b, dbs=range(16))


def test_aof_replay_and_snapshot_keep_the_effects(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    _workload(b)
    want = _all(b)
    assert want[(5, b"sorted")] == ("list", [b"3", b"2", b"1"], False)
    assert want[(1, b"exp2")][2] is True
    b.save()
    del b
    assert _all(embedis.Broker(dir=tmp_path, appendonly=True, save=[])) == want
    snap = tmp_path / "snap"
    snap.mkdir()
    shutil.copy(tmp_path / "dump.edb", snap / "dump.edb")
    assert _all(embedis.Broker(dir=snap, save=[])) == want


def test_redis_check_aof_accepts_and_real_redis_replays_the_effects(tmp_path: Path, real) -> None:  # type: ignore[no-untyped-def]
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    _workload(b)
    want = _all(b)
    del b
    (incr,) = sorted((tmp_path / "appendonlydir").glob("*.incr.aof"))
    check = subprocess.run([REDIS_CHECK_AOF, str(incr)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    port = real.connection_pool.connection_kwargs["port"]
    with incr.open("rb") as f:
        pipe = subprocess.run([REDIS_CLI, "-p", str(port), "--pipe"], stdin=f, capture_output=True, text=True, timeout=60)
    assert pipe.returncode == 0 and "errors: 0" in pipe.stdout, pipe.stdout + pipe.stderr
    assert dump_keyspace(real, dbs=range(16)) == want


def test_swapdb_and_move_abort_a_transaction_watching_the_key() -> None:
    b = embedis.Broker()
    embedis.Broker(broker=b, db=1).set("k", "other")
    with b.serve(port=0) as server:
        for change in (lambda c: c.swapdb(0, 1), lambda c: c.move("k", 2)):
            watcher = redis.Redis(port=server.port)
            other = redis.Redis(port=server.port)
            p = watcher.pipeline(transaction=True)
            p.watch("k")
            change(other)
            p.multi()
            p.get("k")
            with pytest.raises(redis.WatchError):
                p.execute()
            watcher.close()
            other.close()


def test_swapdb_serves_a_blocked_stream_reader(broker: embedis.Broker) -> None:
    db1 = embedis.Broker(broker=broker, db=1)
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(db1.xread({"s": "$"}, block=30000)))
    t.start()
    wait_blocked(broker, 1)
    broker.xadd("s", {"f": "v"}, id="1-1")
    broker.swapdb(1, 0)
    t.join(30)
    assert got == [[[b"s", [(b"1-1", {b"f": b"v"})]]]]
