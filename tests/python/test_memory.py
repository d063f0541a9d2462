"""Bounded memory: ``maxmemory`` and its eight policies through every door (``Broker``
keywords, the asyncio twin, ``execute_command``, the RESP server with CONFIG and MULTI/EXEC,
``embedis serve`` options, the AOF), compared with a real redis-server where the outcome is
deterministic (the OOM error, which commands are refused, CONFIG's validation texts).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import embedis
import embedis.asyncio
from embedis.exceptions import OutOfMemoryError

from conftest import assert_same_outcome, outcome

POLICIES = ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]
OOM_TEXT = "command not allowed when used memory > 'maxmemory'."


@pytest.fixture
def limited_real(real: Any) -> Iterator[Any]:
    """The real server, its limit and policy put back after the test."""
    yield real
    real.config_set("maxmemory", 0)
    real.config_set("maxmemory-policy", "noeviction")
    real.config_set("maxmemory-samples", 5)


def _seed(r: Any) -> None:
    r.rpush("q", "a", "b", "c", "x")
    r.set("s", "v")
    r.xadd("st", {"f": "v"}, id="1-1")
    r.xgroup_create("st", "g", id="0")


# (name, call): calls whose outcome is deterministic on both sides.
_CALLS = [
    ("rpush", lambda r: r.rpush("q", "y")),
    ("lpush", lambda r: r.lpush("q", "y")),
    ("rpushx", lambda r: r.rpushx("q", "y")),
    ("set", lambda r: r.set("k", "v")),
    ("setnx", lambda r: r.setnx("k", "v")),
    ("mset", lambda r: r.mset({"k": "v"})),
    ("incr", lambda r: r.incr("n")),
    ("decrby", lambda r: r.decrby("n", 2)),
    ("lset", lambda r: r.lset("q", 0, "z")),
    ("linsert", lambda r: r.linsert("q", "BEFORE", "x", "w")),
    ("lmove", lambda r: r.lmove("q", "q2")),
    ("rpoplpush", lambda r: r.rpoplpush("q", "q2")),
    ("xadd", lambda r: r.xadd("st", {"f": "v"}, id="9-9")),
    ("xgroup create", lambda r: r.xgroup_create("st", "g2", id="0")),
    ("xgroup createconsumer", lambda r: r.xgroup_createconsumer("st", "g", "c2")),
    ("xsetid", lambda r: r.execute_command("XSETID", "st", "5-5")),
    ("execute SET", lambda r: r.execute_command("SET", "k2", "v")),
    ("execute LPUSH", lambda r: r.execute_command("LPUSH", "q", "v")),
    # Not DENYOOM: they go on.
    ("lpop", lambda r: r.lpop("q")),
    ("rpop count", lambda r: r.rpop("q", 1)),
    ("lrange", lambda r: r.lrange("q", 0, -1)),
    ("llen", lambda r: r.llen("q")),
    ("get", lambda r: r.get("s")),
    ("exists", lambda r: r.exists("s", "q")),
    ("expire", lambda r: r.expire("s", 100)),
    ("xreadgroup", lambda r: r.xreadgroup("g", "c", {"st": ">"})),
    ("xack", lambda r: r.xack("st", "g", "1-1")),
    ("xgroup destroy", lambda r: r.xgroup_destroy("st", "g")),
    ("blpop", lambda r: r.blpop("q", 1)),
    ("publish", lambda r: r.publish("ch", "m")),
    ("delete", lambda r: r.delete("s")),
    ("getdel", lambda r: r.getdel("nothing")),
]


def test_over_the_limit_the_same_commands_are_refused_with_redis_text(limited_real: Any) -> None:
    real = limited_real
    inproc, served = embedis.Broker(), embedis.Broker()
    for r in (real, inproc, served):
        _seed(r)
    real.config_set("maxmemory", 1)
    _set_limit_in_process(inproc, 1)
    _set_limit_in_process(served, 1)
    with served.serve(port=0) as server:
        net = redis.Redis(port=server.port, socket_timeout=10)
        for name, call in _CALLS:
            want = outcome(call, real)
            assert_same_outcome(outcome(call, inproc), want, f"in process: {name}")
            assert_same_outcome(outcome(call, net), want, f"server: {name}")
    real.config_set("maxmemory", 0)
    refused = [name for name, call in _CALLS if outcome(call, redis_over_limit(real))[0] == "err"]
    assert {"rpush", "xadd", "set", "lmove"} <= set(refused)


def redis_over_limit(real: Any) -> Any:
    real.config_set("maxmemory", 1)
    return real


def _set_limit_in_process(b: embedis.Broker, limit: int) -> None:
    """Sets the limit of an in-process broker through a server on it (CONFIG SET)."""
    with b.serve(port=0) as server:
        redis.Redis(port=server.port, socket_timeout=10).config_set("maxmemory", limit)


def test_oom_error_is_redis_pys_class_and_text() -> None:
    b = embedis.Broker(maxmemory=1)
    with pytest.raises(OutOfMemoryError) as info:
        b.rpush("q", "a")
    assert isinstance(info.value, redis.exceptions.OutOfMemoryError)
    assert str(info.value) == OOM_TEXT
    assert b.llen("q") == 0


def test_asyncio_twin_takes_the_keywords_and_raises_oom() -> None:
    async def main() -> None:
        b = embedis.asyncio.Broker(maxmemory="20kb", maxmemory_policy="noeviction", maxmemory_samples=3)
        with pytest.raises(OutOfMemoryError):
            for i in range(1000):
                await b.rpush("q", f"{i:0100}")
        assert await b.lpop("q") == b"0" * 100
        info = await b.info("memory")
        assert info["maxmemory"] == 20 * 1024
        assert info["maxmemory_policy"] == "noeviction"

    asyncio.run(main())


def test_keyword_validation() -> None:
    assert embedis.Broker(maxmemory="512mb").info("memory")["maxmemory"] == 512 << 20
    assert embedis.Broker(maxmemory="100k").info("memory")["maxmemory"] == 100_000
    assert embedis.Broker(maxmemory=12345).info("memory")["maxmemory"] == 12345
    for bad in ["lots", "-1", "1.5mb", -1, 1.5, True]:
        with pytest.raises(ValueError, match="maxmemory"):
            embedis.Broker(maxmemory=bad)
    with pytest.raises(ValueError, match="maxmemory_policy"):
        embedis.Broker(maxmemory_policy="lru")
    with pytest.raises(ValueError, match="maxmemory_samples"):
        embedis.Broker(maxmemory_samples=0)
    with pytest.raises(ValueError, match="broker="):
        embedis.Broker(broker=embedis.Broker(), maxmemory=1)


def test_used_memory_tracks_the_data() -> None:
    b = embedis.Broker()
    empty = b.info("memory")["used_memory"]
    b.rpush("q", *[f"{i:0100}" for i in range(10_000)])
    full = b.info("memory")
    assert 1_000_000 <= full["used_memory"] - empty < 1_300_000
    assert full["used_memory_peak"] >= full["used_memory"]
    b.delete("q")
    assert b.info("memory")["used_memory"] == empty
    assert b.info("memory")["used_memory_peak"] == full["used_memory_peak"]


def test_producer_hits_the_limit_consumer_drains_producer_goes_on() -> None:
    """A producer thread pushes until refused, then waits for the consumer, which drains;
    every push that returned is popped exactly once."""
    b = embedis.Broker(maxmemory=embedis.Broker().info("memory")["used_memory"] + 300_000)
    refused = threading.Event()
    drained = threading.Event()
    acked: list[int] = []
    rounds = 5

    def produce() -> None:
        n = 0
        for _ in range(rounds):
            while True:
                try:
                    b.rpush("jobs", f"{n:0200}")
                except OutOfMemoryError:
                    break
                acked.append(n)
                n += 1
            refused.set()
            drained.wait(10)
            drained.clear()
        b.rpush("jobs", "stop")

    producer = threading.Thread(target=produce)
    producer.start()
    popped: list[int] = []
    for _ in range(rounds):
        assert refused.wait(10)
        refused.clear()
        # Drain most of it, one element at a time, with the blocking pop a worker uses.
        for _ in range(b.llen("jobs") * 3 // 4):
            _, v = b.blpop("jobs", timeout=5)
            popped.append(int(v))
        drained.set()
    producer.join(10)
    while (item := b.blpop("jobs", timeout=5)) is not None and item[1] != b"stop":
        popped.append(int(item[1]))
    assert popped == acked
    assert len(acked) > 2000


@pytest.mark.parametrize("policy", POLICIES)
def test_each_policy_keeps_the_broker_under_its_limit(policy: str) -> None:
    limit = 300_000
    b = embedis.Broker(maxmemory=limit, maxmemory_policy=policy, maxmemory_samples=5)
    for i in range(2000):
        # Every key may be evicted under allkeys-*; all but the first 100 under volatile-*.
        b.set(f"k{i}", "v" * 300, ex=1000 + i if i >= 100 else None)
        assert b.info("memory")["used_memory"] <= limit + 1000
    info = b.info()
    assert info["evicted_keys"] > 0
    assert info["evicted_keys"] + b.dbsize() == 2000
    if policy.startswith("volatile"):
        assert b.exists(*[f"k{i}" for i in range(100)]) == 100
        # Once the volatile keys are gone, writes are refused.
        with pytest.raises(OutOfMemoryError):
            for i in range(2000):
                b.set(f"p{i}", "v" * 300)


def test_volatile_policies_without_volatile_keys_refuse_as_redis(limited_real: Any) -> None:
    real = limited_real
    for policy in ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]:
        b = embedis.Broker()
        real.flushall()
        for r in (b, real):
            r.set("k", "v")
        real.config_set("maxmemory-policy", policy)
        real.config_set("maxmemory", 1)
        _set_limit_in_process(b, 1)
        with b.serve(port=0) as server:
            redis.Redis(port=server.port).config_set("maxmemory-policy", policy)
        assert_same_outcome(outcome(b.set, "k2", "v"), outcome(real.set, "k2", "v"), policy)
        assert_same_outcome(outcome(b.get, "k"), outcome(real.get, "k"), policy)
        real.config_set("maxmemory", 0)


_CONFIG_SETS = [
    ("maxmemory", "foo"),
    ("maxmemory", "-1"),
    ("maxmemory", "1.5mb"),
    ("maxmemory", "10KB"),
    ("maxmemory", "1gb"),
    ("maxmemory-samples", "0"),
    ("maxmemory-samples", "x"),
    ("maxmemory-samples", "65"),
    ("maxmemory-policy", "lru"),
    ("maxmemory-policy", "ALLKEYS-LFU"),
    ("lfu-log-factor", "-1"),
    ("lfu-log-factor", "20"),
    ("lfu-decay-time", "x"),
    ("lfu-decay-time", "0"),
]


def test_config_get_and_set_match_redis(limited_real: Any) -> None:
    real = limited_real
    with embedis.Broker().serve(port=0) as server:
        r = redis.Redis(port=server.port, socket_timeout=10, decode_responses=True)
        real_d = redis.Redis(port=real.connection_pool.connection_kwargs["port"], decode_responses=True)
        for name, value in _CONFIG_SETS:
            assert_same_outcome(outcome(r.config_set, name, value), outcome(real_d.config_set, name, value), f"{name} {value}")
            assert r.config_get(name) == real_d.config_get(name), name
        # Several at once, as Redis: all or nothing.
        args = ("CONFIG", "SET", "maxmemory", "2mb", "maxmemory-policy", "nope")
        assert_same_outcome(outcome(r.execute_command, *args), outcome(real_d.execute_command, *args))
        assert r.config_get("maxmemory") == real_d.config_get("maxmemory")
        real_d.config_set("lfu-log-factor", 10)
        real_d.config_set("lfu-decay-time", 1)


def _raw(r: redis.Redis) -> Any:
    conn = r.connection_pool.get_connection()

    def cmd(*args: Any) -> Any:
        conn.send_command(*args)
        return outcome(conn.read_response)

    return cmd


def test_multi_exec_over_the_limit_matches_redis(limited_real: Any) -> None:
    real = limited_real
    with embedis.Broker().serve(port=0) as server:
        for_each = []
        for r in (redis.Redis(port=server.port, socket_timeout=10), real):
            cmd, admin = _raw(r), redis.Redis(port=r.connection_pool.connection_kwargs["port"])
            out = []
            out.append(cmd("MULTI"))
            out.append(cmd("SET", "k", "v"))
            out.append(cmd("GET", "k"))
            admin.config_set("maxmemory", 1)
            out.append(cmd("EXEC"))  # a queued DENYOOM command: EXECABORT
            out.append(cmd("MULTI"))
            out.append(cmd("GET", "k"))  # anything queued over the limit is refused
            out.append(cmd("EXEC"))
            out.append(cmd("MULTI"))
            out.append(cmd("DISCARD"))
            out.append(cmd("MULTI"))
            out.append(cmd("EXEC"))  # an empty transaction goes on
            out.append(cmd("BLMOVE", "a", "b", "LEFT", "LEFT", "0.1"))
            out.append(cmd("BLPOP", "a", "0.1"))
            out.append(cmd("MULTI"))
            out.append(cmd("WATCH", "x"))
            out.append(cmd("EXEC"))
            admin.config_set("maxmemory", 0)
            out.append(cmd("SET", "k", "v"))
            for_each.append(out)
        for i, (got, want) in enumerate(zip(*for_each)):
            assert_same_outcome(got, want, f"step {i}")


def test_embedis_serve_takes_redis_server_options(tmp_path: Any) -> None:
    from test_server import _free_port, _serve_cmd, _wait_port

    port = _free_port()
    args = _serve_cmd(port, "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-lru", "--maxmemory-samples", "7")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_port(port, proc)
        r = redis.Redis(port=port, socket_timeout=10, decode_responses=True)
        assert r.config_get("maxmemory*") | {"maxmemory-clients": "0", "maxmemory-eviction-tenacity": "10"} == {
            "maxmemory": str(1 << 20),
            "maxmemory-policy": "allkeys-lru",
            "maxmemory-samples": "7",
            "maxmemory-clients": "0",
            "maxmemory-eviction-tenacity": "10",
        }
        for i in range(5000):
            r.set(f"k{i}", "v" * 500)
        # DBSIZE first: like every command, it evicts first when over the limit.
        keys = r.dbsize()
        info = r.info()
        assert info["used_memory"] <= (1 << 20) + 2000
        assert info["evicted_keys"] > 0 and info["maxmemory_policy"] == "allkeys-lru"
        assert info["evicted_keys"] + keys == 5000
    finally:
        proc.kill()
        proc.communicate()
    bad = subprocess.run([sys.executable, "-m", "embedis", "serve", "--maxmemory", "lots"], capture_output=True, text=True)
    assert bad.returncode != 0 and "memory value" in bad.stderr


def test_evictions_are_logged_to_the_aof(tmp_path: Any) -> None:
    b = embedis.Broker(dir=str(tmp_path), appendonly=True, save=[], maxmemory=200_000, maxmemory_policy="allkeys-lru")
    for i in range(1000):
        b.set(f"k{i}", "v" * 300)
    left = set(b.keys())
    assert 0 < len(left) < 1000
    b._sync_persistence()
    del b
    again = embedis.Broker(dir=str(tmp_path), appendonly=True, save=[])
    assert set(again.keys()) == left


def test_config_set_in_process_changes_the_limit_at_once() -> None:
    # The same parameter table as the server's: the limit, the policy and their checks.
    b = embedis.Broker()
    b.rpush("q", *[b"x" * 100 for _ in range(1000)])
    assert b.config_set("maxmemory", "1") is True
    assert b.config_get("maxmemory") == {"maxmemory": "1"}
    with pytest.raises(OutOfMemoryError):
        b.rpush("q", "more")
    # CONFIG itself is not refused over the limit; a bad pair leaves every pair unset.
    with pytest.raises(embedis.ResponseError, match="'lfu-log-factor'"):
        b.execute_command("CONFIG", "SET", "maxmemory-policy", "allkeys-random", "maxmemory", "0", "lfu-log-factor", "x")
    assert b.config_get("maxmemory*") == {
        "maxmemory": "1", "maxmemory-clients": "0", "maxmemory-eviction-tenacity": "10",
        "maxmemory-policy": "noeviction", "maxmemory-samples": "5",
    }
    assert b.lpop("q") == b"x" * 100
    # A new limit under the data evicts at once when the policy allows it (Redis's
    # updateMaxmemory), here every key.
    b.config_set("maxmemory", 0)
    b.set("k", "v")
    b.config_set("maxmemory-policy", "allkeys-random")
    assert b.dbsize() == 2
    b.config_set("maxmemory", "2")
    assert b.dbsize() == 0
    b.config_set("maxmemory", 0)
    assert b.rpush("q", "again") == 1


def test_config_set_in_process_on_the_asyncio_twin() -> None:
    async def main() -> None:
        b = embedis.asyncio.Broker()
        await b.rpush("q", "a")
        assert await b.config_set("maxmemory", "1") is True
        with pytest.raises(OutOfMemoryError):
            await b.rpush("q", "b")
        assert await b.config_get("maxmemory-*") == {
            "maxmemory-clients": "0",
            "maxmemory-eviction-tenacity": "10",
            "maxmemory-policy": "noeviction",
            "maxmemory-samples": "5",
        }

    asyncio.run(main())


def test_config_keyword_reaches_the_memory_and_slow_log_parameters() -> None:
    # Parameters that live with their part of the engine, not only the keyspace's own.
    b = embedis.Broker(config={"maxmemory": "1", "maxmemory-policy": "allkeys-lru", "slowlog-log-slower-than": 0, "hz": 20})
    assert b.config_get("maxmemory", "maxmemory-policy", "slowlog-log-slower-than", "hz") == {
        "maxmemory": "1", "maxmemory-policy": "allkeys-lru", "slowlog-log-slower-than": "0", "hz": "20",
    }
    with pytest.raises(OutOfMemoryError):
        b.set("k", "v")
    # A call refused by the memory check is rejected, not run: the slow log, as Redis's,
    # shows the calls that ran.
    assert b.slowlog_len() == 0
    b.get("k")
    assert [e["command"] for e in b.slowlog_get()] == [b"GET k"]
