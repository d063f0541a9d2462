"""Differential tests of ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD: the same
calls on ``embedis.Broker`` and on redis-py talking to a real redis-server 7.0 give the same
values (or errors of the same class and message), and the same whole keyspace after each
step. Sources mix sorted sets and plain sets (members scoring 1, as Redis reads them); a list
key and a string key share the names, so WRONGTYPE paths run, and a destination of any type
is overwritten or deleted. Weights include infinities and 0, so Redis's "NaN is 0" rule runs."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import redis

import embedis

from conftest import assert_same_outcome, dump_keyspace, outcome

KEYS = st.sampled_from(["z1", "z2", "s1", "s2", "list", "str", "nokey"])
DESTS = st.sampled_from(["z1", "d", "s1", "list", "str"])
MEMBERS = st.sampled_from(["a", "b", "c", "d", "1", "2", "m" * 70])
SCORES = st.sampled_from([1, 2, 0, -1, 1.5, 0.1, -0.0, 1e300, "inf", "-inf"])
WEIGHTS = st.sampled_from([1, 2, 0, -1, 0.5, "inf", "-inf", 1e300])
AGGREGATES = st.sampled_from([None, "sum", "MIN", "max", "Max"])
KEYLISTS = st.lists(KEYS, min_size=1, max_size=4)
WEIGHTED = st.dictionaries(KEYS, WEIGHTS, min_size=1, max_size=4)
SOURCES = st.one_of(KEYLISTS, WEIGHTED)


def _cmd(method: str, *args: st.SearchStrategy, **kwargs: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(st.just(method), st.tuples(*args), st.fixed_dictionaries(kwargs))


COMMANDS = st.one_of(
    st.builds(lambda k, m: ("zadd", (k, m), {}), KEYS, st.dictionaries(MEMBERS, SCORES, min_size=1, max_size=4)),
    st.builds(lambda k, ms: ("sadd", (k, *ms), {}), KEYS, st.lists(MEMBERS, min_size=1, max_size=4)),
    _cmd("zunion", SOURCES, aggregate=AGGREGATES, withscores=st.booleans()),
    _cmd("zunion", SOURCES, withscores=st.just(True), score_cast_func=st.sampled_from([float, str, bytes])),
    _cmd("zinter", SOURCES, aggregate=AGGREGATES, withscores=st.booleans()),
    _cmd("zdiff", KEYLISTS, withscores=st.booleans()),
    _cmd("zunionstore", DESTS, SOURCES, aggregate=AGGREGATES),
    _cmd("zinterstore", DESTS, SOURCES, aggregate=AGGREGATES),
    _cmd("zdiffstore", DESTS, KEYLISTS),
    _cmd("zintercard", st.just(0), KEYLISTS, limit=st.sampled_from([0, 1, 2, -1])),
    _cmd("delete", KEYS),
    _cmd("rpush", KEYS, MEMBERS),
    _cmd("set", KEYS, MEMBERS),
)


def compare(e, r, method: str, args: tuple, kwargs: dict) -> None:  # type: ignore[no-untyped-def]
    if method == "zintercard":
        args = (len(args[1]), *args[1:])
    got = outcome(getattr(e, method), *args, **kwargs)
    want = outcome(getattr(r, method), *args, **kwargs)
    assert_same_outcome(got, want, f"{method}{args!r} {kwargs!r}")


class ZsetAlgebraSameAsRedis(RuleBasedStateMachine):
    """Random sequences of the algebra commands on embedis and on redis give the same replies."""

    real = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.e = embedis.Broker()
        self.r = type(self).real
        self.r.flushall()

    @initialize(entries=st.sampled_from([0, 2, 128]), value=st.sampled_from([4, 64]))
    def start(self, entries: int, value: int) -> None:
        for client in (self.e, self.r):
            client.config_set("zset-max-listpack-entries", entries)
            client.config_set("zset-max-listpack-value", value)
            client.zadd("z1", {"a": 1, "b": 2})
            client.sadd("s1", "a", "c")
            client.rpush("list", "x")
            client.set("str", "v")

    @rule(cmd=COMMANDS)
    def call(self, cmd) -> None:  # type: ignore[no-untyped-def]
        method, args, kwargs = cmd
        compare(self.e, self.r, method, args, kwargs)

    @invariant()
    def same_keyspace(self) -> None:
        assert dump_keyspace(self.e) == dump_keyspace(self.r)
        for key in ("z1", "z2", "d", "s1"):
            if self.r.type(key) == b"zset":
                assert self.e.object("encoding", key) == self.r.object("encoding", key), key

    def teardown(self) -> None:
        self.r.config_set("zset-max-listpack-entries", 128)
        self.r.config_set("zset-max-listpack-value", 64)


def test_random_zset_algebra_behaves_as_redis(real) -> None:  # type: ignore[no-untyped-def]
    ZsetAlgebraSameAsRedis.real = real
    run_state_machine_as_test(
        ZsetAlgebraSameAsRedis,
        settings=settings(
            max_examples=100,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )


# ---- raw command words: edge cases and error texts --------------------------------------

RAW = [
    ["ZADD", "a", "1", "x", "2", "y", "inf", "i"],
    ["SADD", "s", "x", "z", "i"],
    ["RPUSH", "l", "1"],
    ["ZUNIONSTORE", "d", "0", "a"],
    ["ZUNION", "0", "a"],
    ["ZINTER", "-1", "a"],
    ["ZDIFF", "0", "a"],
    ["ZDIFFSTORE", "d", "0", "a"],
    ["ZINTERCARD", "0", "a"],
    ["ZINTERCARD", "-1", "a"],
    ["ZINTERCARD", "x", "a"],
    ["ZUNION", "x", "a"],
    ["ZUNION", "3", "a"],
    ["ZUNION", "2", "a"],
    ["ZINTERCARD", "3", "a"],
    ["ZINTER", "1", "a", "WEIGHTS"],
    ["ZINTER", "1", "a", "WEIGHTS", "x"],
    ["ZINTER", "1", "a", "WEIGHTS", "nan"],
    ["ZINTER", "2", "a", "s", "WEIGHTS", "1"],
    ["ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "1", "2"],
    ["ZINTER", "1", "a", "AGGREGATE", "foo"],
    ["ZINTER", "1", "a", "AGGREGATE"],
    ["ZINTER", "1", "a", "AGGREGATE", "count"],
    ["ZINTERCARD", "1", "a", "LIMIT", "-1"],
    ["ZINTERCARD", "1", "a", "LIMIT", "x"],
    ["ZINTERCARD", "1", "a", "LIMIT"],
    ["ZINTERCARD", "1", "a", "WITHSCORES"],
    ["ZINTERCARD", "2", "a", "s", "LIMIT", "1"],
    ["ZINTERCARD", "2", "a", "s", "LIMIT", "0"],
    ["ZINTERCARD", "2", "a", "s", "LIMIT", "1", "LIMIT", "0"],
    ["ZINTERCARD", "2", "a", "nokey"],
    ["ZDIFF", "1", "a", "WEIGHTS", "1"],
    ["ZDIFF", "1", "a", "AGGREGATE", "sum"],
    ["ZDIFF", "2", "a", "s", "WITHSCORES"],
    ["ZDIFFSTORE", "d", "1", "a", "WITHSCORES"],
    ["ZUNIONSTORE", "d", "1", "a", "WITHSCORES"],
    ["ZUNION", "2", "a", "l"],
    ["ZUNION", "2", "nokey", "l", "foo"],
    ["ZUNION", "2", "a", "s", "WITHSCORES"],
    ["ZUNION", "2", "a", "s", "WEIGHTS", "inf", "0", "WITHSCORES"],
    ["ZUNION", "2", "a", "a", "WEIGHTS", "inf", "-inf", "WITHSCORES"],
    ["ZUNION", "2", "a", "s", "WEIGHTS", "0", "0", "AGGREGATE", "min", "WITHSCORES"],
    ["ZUNION", "2", "a", "s", "WEIGHTS", "3", "-2", "AGGREGATE", "min", "WITHSCORES"],
    ["ZUNION", "2", "a", "s", "WEIGHTS", "3", "-2", "AGGREGATE", "max", "WITHSCORES"],
    ["ZINTER", "2", "a", "s", "WEIGHTS", "3", "-2", "AGGREGATE", "min", "WITHSCORES"],
    ["ZINTER", "2", "a", "s", "WEIGHTS", "-inf", "inf", "AGGREGATE", "MAX", "WITHSCORES"],
    ["ZINTER", "2", "a", "s", "WEIGHTS", "1", "2", "WEIGHTS", "3", "4", "WITHSCORES", "WITHSCORES"],
    ["ZUNION", "2", "a", "s", "LIMIT", "1"],
    ["ZUNIONSTORE", "l", "2", "a", "s", "WEIGHTS", "2", "3"],
    ["TYPE", "l"],
    ["ZINTERSTORE", "str", "2", "a", "nokey"],
    ["EXISTS", "str"],
    ["ZDIFFSTORE", "s2", "2", "s", "a"],
    ["ZINTERSTORE", "s", "2", "s", "a", "AGGREGATE", "min"],
    ["ZRANGE", "s", "0", "-1", "WITHSCORES"],
    ["ZUNIONSTORE", "a", "2", "a", "a"],
    ["ZRANGE", "a", "0", "-1", "WITHSCORES"],
    ["ZDIFFSTORE", "a", "2", "a", "a"],
    ["EXISTS", "a"],
]


def test_raw_words_match_redis(real) -> None:  # type: ignore[no-untyped-def]
    e = embedis.Broker()
    for client in (e, real):
        client.execute_command("SET", "str", "v")
    for words in RAW:
        got = outcome(e.execute_command, *words)
        want = outcome(real.execute_command, *words)
        assert_same_outcome(got, want, repr(words))
    assert dump_keyspace(e) == dump_keyspace(real)


def test_redis_py_shapes_match(real) -> None:  # type: ignore[no-untyped-def]
    """redis-py's conversions: tuples with float scores, score_cast_func, ZDIFF's flat
    RESP2-text shape, weights from a dict, and the DataErrors raised before sending."""
    e = embedis.Broker()
    for client in (e, real):
        client.zadd("z", {"a": 1.5, "b": 2, "c": 0.1})
        client.zadd("y", {"a": 1, "d": 3})
        client.sadd("s", "a", "e")
    calls = [
        ("zunion", (["z", "y", "s"],), {"withscores": True}),
        ("zunion", ({"z": 2, "y": 0.5},), {"withscores": True, "score_cast_func": str}),
        ("zunion", (["z", "y"],), {"aggregate": "MIN"}),
        ("zunion", (["z", "y"],), {"aggregate": "bogus"}),
        ("zunion", (["z", "y"],), {"aggregate": "count"}),
        ("zinter", (["z", "y", "s"],), {"withscores": True, "aggregate": "max"}),
        ("zinter", ({"z": 1, "s": 3},), {"withscores": True}),
        ("zdiff", (["z", "y"],), {"withscores": True}),
        ("zdiff", (["z", "y"],), {}),
        ("zunionstore", ("d", {"z": 2, "s": 1}), {"aggregate": "SUM"}),
        ("zinterstore", ("d2", ["z", "y"]), {"aggregate": "min"}),
        ("zdiffstore", ("d3", ["z", "y"]), {}),
        ("zintercard", (2, ["z", "y"]), {}),
        ("zintercard", (3, ["z", "y", "s"]), {"limit": 1}),
        ("zunion", ([],), {}),
        ("execute_command", ("ZUNION", 2, "z", "y", "WITHSCORES"), {}),
        ("execute_command", ("ZDIFF", 2, "z", "y", "WITHSCORES"), {}),
    ]
    for method, args, kwargs in calls:
        got = outcome(getattr(e, method), *args, **kwargs)
        want = outcome(getattr(real, method), *args, **kwargs)
        assert_same_outcome(got, want, f"{method}{args!r} {kwargs!r}")
        if got[0] == "ok":
            assert type(got[1]) is type(want[1]), (method, got, want)
            if isinstance(want[1], list):
                assert [repr(x) for x in got[1]] == [repr(x) for x in want[1]], (method, got, want)
    assert dump_keyspace(e) == dump_keyspace(real)
    d = embedis.Broker(decode_responses=True)
    d.zadd("z", {"a": 1})
    assert d.zunion(["z"], withscores=True) == [("a", 1.0)]
    assert d.zdiff(["z"], withscores=True) == ["a", "1"]


# ---- every door: MULTI/EXEC, asyncio, the RESP server, notifications, AOF replay ---------

SCRIPT = [
    ["ZADD", "a", "1", "x", "2", "y"],
    ["SADD", "s", "x", "z"],
    ["SET", "d", "v"],
    ["ZUNIONSTORE", "d", "2", "a", "s", "WEIGHTS", "2", "3", "AGGREGATE", "MAX"],
    ["ZINTERSTORE", "i", "2", "a", "s"],
    ["ZDIFFSTORE", "f", "2", "a", "s"],
    ["ZINTERSTORE", "d", "2", "a", "nokey"],
    ["ZINTERSTORE", "never", "2", "a", "nokey"],
    ["ZUNION", "2", "a", "s", "WITHSCORES"],
    ["ZINTERCARD", "2", "a", "s", "LIMIT", "5"],
]


def test_multi_exec_matches_redis(real) -> None:  # type: ignore[no-untyped-def]
    e = embedis.Broker()
    results = []
    with e.serve(port=0) as server:
        c = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
        for client in (c, real):
            p = client.pipeline(transaction=True)
            for words in SCRIPT:
                p.execute_command(*words)
            results.append(p.execute())
        c.close()
    assert results[0] == results[1]
    assert dump_keyspace(e) == dump_keyspace(real)


def test_asyncio_and_served_doors(real) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    import embedis.asyncio

    async def run() -> list:
        ab = embedis.asyncio.Broker()
        await ab.zadd("a", {"x": 1, "y": 2})
        await ab.sadd("s", "x")
        return [
            await ab.zunion({"a": 2, "s": 1}, withscores=True),
            await ab.zinter(["a", "s"], aggregate="min", withscores=True),
            await ab.zdiff(["a", "s"], withscores=True),
            await ab.zunionstore("d", ["a", "s"]),
            await ab.zinterstore("d2", ["a", "s"]),
            await ab.zdiffstore("d3", ["a", "s"]),
            await ab.zintercard(2, ["a", "s"], limit=1),
        ]

    got = asyncio.run(run())
    real.zadd("a", {"x": 1, "y": 2})
    real.sadd("s", "x")
    want = [
        real.zunion({"a": 2, "s": 1}, withscores=True),
        real.zinter(["a", "s"], aggregate="min", withscores=True),
        real.zdiff(["a", "s"], withscores=True),
        real.zunionstore("d", ["a", "s"]),
        real.zinterstore("d2", ["a", "s"]),
        real.zdiffstore("d3", ["a", "s"]),
        real.zintercard(2, ["a", "s"], limit=1),
    ]
    assert got == want
    b = embedis.Broker()
    with b.serve(port=0) as server:
        c = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
        for client in (c, real):
            client.flushall()
        for words in SCRIPT:
            assert outcome(c.execute_command, *words) == outcome(real.execute_command, *words), words
        c.close()
    assert dump_keyspace(b) == dump_keyspace(real)


def _events(client, script) -> list:  # type: ignore[no-untyped-def]
    client.config_set("notify-keyspace-events", "KEA")
    p = client.pubsub()
    p.psubscribe("__key*__:*")
    p.get_message(timeout=5)
    for words in script:
        outcome(client.execute_command, *words)
    client.publish("sentinel", "end")
    seen = []
    for _ in range(200):
        m = p.get_message(timeout=5)
        if m is None:
            break
        if m["type"] == "pmessage":
            seen.append((m["channel"], m["data"]))
    p.close()
    client.config_set("notify-keyspace-events", "")
    return seen


def test_keyspace_events_match_redis(real) -> None:  # type: ignore[no-untyped-def]
    script = [*SCRIPT, ["ZUNIONSTORE", "l", "1", "nokey"], ["RPUSH", "l", "1"], ["ZUNIONSTORE", "l", "1", "nokey"]]
    assert _events(embedis.Broker(), script) == _events(real, script)


def test_aof_replays_to_the_same_keyspace(tmp_path, real) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    for words in SCRIPT:
        outcome(b.execute_command, *words)
    want = dump_keyspace(b)
    del b
    b2 = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    assert dump_keyspace(b2) == want
    del b2
    for f in sorted((tmp_path / "appendonlydir").glob("*.incr.aof")):
        subprocess.run(["redis-check-aof", str(f)], check=True, capture_output=True)
        real.flushall()
        pipe = subprocess.run(
            ["redis-cli", "-p", str(real.connection_pool.connection_kwargs["port"]), "--pipe"],
            input=f.read_bytes(),
            capture_output=True,
            check=True,
        )
        assert b"errors: 0" in pipe.stdout, pipe.stdout
    assert dump_keyspace(real) == want
