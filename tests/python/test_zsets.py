"""Sorted sets through every door: asyncio, execute_command, the RESP server (MULTI/EXEC,
RESP2 and RESP3, compared with a real redis-server), decode_responses, and memory
accounting."""

from __future__ import annotations

import asyncio

import redis

import embedis


def test_asyncio_forwards_every_zset_method() -> None:
    async def main() -> None:
        b = embedis.asyncio.Broker()
        assert await b.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
        assert await b.zadd("z", {"a": 1}, incr=True) == 2.0
        assert await b.zincrby("z", 0.5, "a") == 2.5
        assert await b.zcard("z") == 3
        assert await b.zcount("z", "(2", "+inf") == 2
        assert await b.zscore("z", "a") == 2.5
        assert await b.zmscore("z", ["a", "x"]) == [2.5, None]
        assert await b.zrank("z", "a") == 1
        assert await b.zrevrank("z", "a") == 1
        assert await b.zrange("z", 0, -1, withscores=True) == [(b"b", 2.0), (b"a", 2.5), (b"c", 3.0)]
        assert await b.zrange("z", 0, 1, desc=True) == [b"c", b"a"]
        assert await b.zrangebyscore("z", 2, 3, start=1, num=1) == [b"a"]
        assert await b.zrevrangebyscore("z", 3, 2) == [b"c", b"a", b"b"]
        assert await b.zrevrange("z", 0, 0, withscores=True, score_cast_func=int) == [(b"c", 3)]
        assert await b.zpopmin("z") == [(b"b", 2.0)]
        assert await b.zpopmax("z", 5) == [(b"c", 3.0), (b"a", 2.5)]
        assert await b.zrem("z", "a") == 0
        assert await b.exists("z") == 0

    asyncio.run(main())


def _same_through(r: redis.Redis, calls: list) -> list:  # type: ignore[type-arg]
    out = []
    for method, args, kwargs in calls:
        out.append(getattr(r, method)(*args, **kwargs))
    with r.pipeline(transaction=True) as p:
        p.zadd("m", {"x": 1.1, "y": 2}).zincrby("m", 1, "x").zrange("m", 0, -1, withscores=True).zpopmin("m")
        out.append(p.execute())
    return out


CALLS = [
    ("zadd", ("z", {"a": 1.1, "b": 2, "c": 1e300}), {}),
    ("zscore", ("z", "a"), {}),
    ("zrange", ("z", 0, -1), {"withscores": True}),
    ("zrange", ("z", 0, -1), {"withscores": True, "score_cast_func": str}),
    ("zrangebyscore", ("z", "-inf", "+inf"), {"withscores": True}),
    ("zmscore", ("z", ["a", "nope"]), {}),
    ("zpopmax", ("z", 2), {}),
    ("zpopmin", ("z",), {}),
    ("execute_command", ("ZADD", "y", "1", "p", "2", "q"), {}),
    ("execute_command", ("ZRANGE", "y", "0", "-1", "WITHSCORES"), {}),
    ("execute_command", ("ZPOPMIN", "y"), {}),
]
# redis-py's RESP2 callback cannot parse this one (`int(b"3.5")`); on its default RESP3
# wire it is a float.
INCR = [("execute_command", ("ZADD", "y", "INCR", "1.5", "q"), {})]


def test_served_resp2_and_resp3_match_redis(real) -> None:  # type: ignore[no-untyped-def]
    b = embedis.Broker()
    port = real.connection_pool.connection_kwargs["port"]
    with b.serve(host="127.0.0.1", port=0) as server:
        for protocol in (2, 3):
            r = redis.Redis(host="127.0.0.1", port=server.port, protocol=protocol, socket_timeout=10)
            w = redis.Redis(host="127.0.0.1", port=port, protocol=protocol, socket_timeout=10)
            r.flushall()
            w.flushall()
            assert _same_through(r, CALLS) == _same_through(w, CALLS), protocol
            r.close()
            w.close()


def test_in_process_matches_redis(real) -> None:  # type: ignore[no-untyped-def]
    b = embedis.Broker()
    for method, args, kwargs in CALLS + INCR:
        assert getattr(b, method)(*args, **kwargs) == getattr(real, method)(*args, **kwargs), (method, args)


def test_decode_responses() -> None:
    b = embedis.Broker(decode_responses=True)
    b.zadd("z", {"a": 1.5, "b": 2})
    assert b.zrange("z", 0, -1, withscores=True) == [("a", 1.5), ("b", 2.0)]
    assert b.zrange("z", 0, -1, withscores=True, score_cast_func=str) == [("a", "1.5"), ("b", "2")]
    assert b.zpopmax("z") == [("b", 2.0)]


def test_used_memory_counts_zsets_and_returns_after_delete() -> None:
    b = embedis.Broker()
    used0 = b.info("memory")["used_memory"]
    b.config_set("zset-max-listpack-entries", 16)
    for i in range(300):
        b.zadd(f"z{i % 3}", {f"member{i}": i})
    used1 = b.info("memory")["used_memory"]
    assert used1 > used0 + 300 * 20
    b.zrem("z1", *[f"member{i}" for i in range(0, 300, 3)])
    b.zpopmin("z2", 7)
    b.delete("z0", "z1", "z2")
    assert b.info("memory")["used_memory"] == used0
