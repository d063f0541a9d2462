"""Differential tests of the sorted-set commands: the same calls on ``embedis.Broker`` and
on redis-py talking to a real redis-server 7.0 give the same values (or errors of the same
class and message), and the same whole keyspace after each step. A list key and a string
key share the key names, so the WRONGTYPE paths run; small thresholds and a long member
send sets through the listpack → skiplist conversion (compared through OBJECT ENCODING)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import embedis

from conftest import assert_same_outcome, dump_keyspace, outcome

KEYS = st.sampled_from(["z1", "z2", "z3", "list", "str"])
MEMBERS = st.sampled_from(["a", "b", "c", "d", "e", "", "m" * 70])
SCORES = st.sampled_from([1, 2, 0, -1, 1.5, 0.1, -0.0, 1e300, "inf", "-inf", "+inf", "abc", "nan", " 1", "1e5000", "0x10", "3"])
BOUNDS = st.sampled_from(["-inf", "+inf", "(1", "1", "0", "(0", "2", "(inf", "1e999", "abc", " 1", "", "(", "nan", 1.5])
INDEXES = st.sampled_from([0, 1, 2, -1, -2, 5, -10, "x"])
LEX = st.sampled_from(["-", "+", "[a", "(a", "[c", "(e", "[", "(", "a", "", "[m"])
COUNTS = st.sampled_from([None, 0, 1, 2, 10, -1])


def _cmd(method: str, *args: st.SearchStrategy, **kwargs: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(st.just(method), st.tuples(*args), st.fixed_dictionaries(kwargs))


FLAGS = st.fixed_dictionaries(
    {},
    optional={
        "nx": st.booleans(),
        "xx": st.booleans(),
        "ch": st.booleans(),
        "incr": st.booleans(),
        "gt": st.booleans(),
        "lt": st.booleans(),
    },
)

COMMANDS = st.one_of(
    st.builds(lambda k, m, f: ("zadd", (k, m), f), KEYS, st.dictionaries(MEMBERS, SCORES, min_size=1, max_size=4), FLAGS),
    _cmd("zincrby", KEYS, SCORES, MEMBERS),
    st.builds(lambda k, ms: ("zrem", (k, *ms), {}), KEYS, st.lists(MEMBERS, min_size=1, max_size=3)),
    _cmd("zcard", KEYS),
    _cmd("zscore", KEYS, MEMBERS),
    st.builds(lambda k, ms: ("zmscore", (k, ms), {}), KEYS, st.lists(MEMBERS, min_size=1, max_size=3)),
    _cmd("zrank", KEYS, MEMBERS),
    _cmd("zrevrank", KEYS, MEMBERS),
    _cmd("zcount", KEYS, BOUNDS, BOUNDS),
    _cmd("zrange", KEYS, INDEXES, INDEXES, desc=st.booleans(), withscores=st.booleans()),
    _cmd(
        "zrange",
        KEYS,
        BOUNDS,
        BOUNDS,
        byscore=st.just(True),
        desc=st.booleans(),
        withscores=st.booleans(),
        offset=st.sampled_from([None, 0, 1, -1]),
        num=st.sampled_from([None, 1, 2, -1, 0]),
    ),
    _cmd("zrangebyscore", KEYS, BOUNDS, BOUNDS, withscores=st.booleans()),
    _cmd("zrangebyscore", KEYS, BOUNDS, BOUNDS, st.sampled_from([0, 1, -1]), st.sampled_from([1, 2, -1, 0]), withscores=st.booleans()),
    _cmd("zrevrangebyscore", KEYS, BOUNDS, BOUNDS, withscores=st.booleans()),
    _cmd("zrevrangebyscore", KEYS, BOUNDS, BOUNDS, st.sampled_from([0, 1, -1]), st.sampled_from([1, 2, -1]), withscores=st.booleans()),
    _cmd("zrevrange", KEYS, INDEXES, INDEXES, withscores=st.booleans()),
    _cmd("zpopmin", KEYS, COUNTS),
    _cmd("zpopmax", KEYS, COUNTS),
    _cmd("zlexcount", KEYS, LEX, LEX),
    _cmd("zrangebylex", KEYS, LEX, LEX),
    _cmd("zrangebylex", KEYS, LEX, LEX, st.sampled_from([0, 1, -1]), st.sampled_from([1, 2, -1, 0])),
    _cmd("zrevrangebylex", KEYS, LEX, LEX),
    _cmd("zrevrangebylex", KEYS, LEX, LEX, st.sampled_from([0, 1, -1]), st.sampled_from([1, 2, -1])),
    _cmd("zremrangebylex", KEYS, LEX, LEX),
    _cmd("zremrangebyrank", KEYS, INDEXES, INDEXES),
    _cmd("zremrangebyscore", KEYS, BOUNDS, BOUNDS),
    _cmd("zrangestore", KEYS, KEYS, INDEXES, INDEXES, desc=st.booleans()),
    _cmd(
        "zrangestore",
        KEYS,
        KEYS,
        BOUNDS,
        BOUNDS,
        byscore=st.just(True),
        desc=st.booleans(),
        offset=st.sampled_from([None, 0, 1, -1]),
        num=st.sampled_from([None, 1, 2, -1, 0]),
    ),
    _cmd("zrangestore", KEYS, KEYS, LEX, LEX, bylex=st.just(True), desc=st.booleans()),
    st.builds(
        lambda ks, mm, c: ("zmpop", (len(ks), ks), {"min": mm, "max": not mm, "count": c}),
        st.lists(KEYS, min_size=1, max_size=3),
        st.booleans(),
        st.sampled_from([1, 2, 10, 0, -1]),
    ),
    _cmd("type", KEYS),
    _cmd("delete", KEYS),
    _cmd("rpush", KEYS, MEMBERS),
    _cmd("set", KEYS, MEMBERS),
)


def compare(e, r, method: str, args: tuple, kwargs: dict) -> None:  # type: ignore[no-untyped-def]
    got = outcome(getattr(e, method), *args, **kwargs)
    want = outcome(getattr(r, method), *args, **kwargs)
    assert_same_outcome(got, want, f"{method}{args!r} {kwargs!r}")


class ZsetsSameAsRedis(RuleBasedStateMachine):
    """Random sorted-set command sequences on embedis and on redis give the same replies."""

    real = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.e = embedis.Broker()
        self.r = type(self).real
        self.r.flushall()

    @initialize(entries=st.sampled_from([0, 2, 4, 128]), value=st.sampled_from([4, 64]))
    def start(self, entries: int, value: int) -> None:
        for client in (self.e, self.r):
            client.config_set("zset-max-listpack-entries", entries)
            client.config_set("zset-max-listpack-value", value)
            client.rpush("list", "x")
            client.set("str", "v")

    @rule(cmd=COMMANDS)
    def call(self, cmd) -> None:  # type: ignore[no-untyped-def]
        method, args, kwargs = cmd
        compare(self.e, self.r, method, args, kwargs)

    @rule(key=KEYS, count=st.sampled_from([None, 0, 1, 2, 5, -1, -3]), withscores=st.booleans())
    def zrandmember(self, key: str, count: int | None, withscores: bool) -> None:
        """Random picks compare by shape: the same error, or as many members, all in the set
        (distinct for a positive count), with their own scores."""
        ws = withscores and count is not None
        got = outcome(self.e.zrandmember, key, count, withscores=ws)
        want = outcome(self.r.zrandmember, key, count, withscores=ws)
        assert got[0] == want[0], (got, want)
        if got[0] != "ok":
            assert_same_outcome(got, want, f"zrandmember {key} {count}")
            return
        members = dict(self.r.zrange(key, 0, -1, withscores=True)) if self.r.type(key) == b"zset" else {}
        if count is None:
            assert (got[1] is None) == (want[1] is None) and (got[1] is None or got[1] in members), (got, want)
            return
        g, w = got[1], want[1]
        assert len(g) == len(w), (g, w)
        picked = g[0::2] if ws else g
        assert all(m in members for m in picked), (g, members)
        if ws:
            assert all(float(sc) == members[m] for m, sc in zip(g[0::2], g[1::2])), (g, members)
        if count > 0:
            assert len(set(picked)) == len(picked), g

    @rule(key=KEYS, match=st.sampled_from([None, "*", "a*", "[a-c]"]), count=st.sampled_from([None, 1, 3]))
    def zscan(self, key: str, match: str | None, count: int | None) -> None:
        """A listpack answers whole (cursor 0) as Redis does; a skiplist compares by the
        members of a whole iteration."""
        results = []
        for client in (self.e, self.r):
            try:
                cursor, seen = client.zscan(key, 0, match=match, count=count)
                while cursor:
                    cursor, more = client.zscan(key, cursor, match=match, count=count)
                    seen += more
                results.append(("ok", sorted(set(seen))))
            except Exception as exc:  # noqa: BLE001 - compared below
                results.append(("err", type(exc).__name__, str(exc)))
        assert results[0] == results[1], results
        if self.r.type(key) == b"zset" and self.r.object("encoding", key) == b"listpack":
            assert self.e.zscan(key, 0, match=match) == self.r.zscan(key, 0, match=match)

    @invariant()
    def same_keyspace(self) -> None:
        assert dump_keyspace(self.e) == dump_keyspace(self.r)
        for key in ("z1", "z2", "z3"):
            if self.r.type(key) == b"zset":
                assert self.e.object("encoding", key) == self.r.object("encoding", key), key

    def teardown(self) -> None:
        self.r.config_set("zset-max-listpack-entries", 128)
        self.r.config_set("zset-max-listpack-value", 64)


def test_random_zset_sequences_behave_as_redis(real) -> None:  # type: ignore[no-untyped-def]
    ZsetsSameAsRedis.real = real
    run_state_machine_as_test(
        ZsetsSameAsRedis,
        settings=settings(
            max_examples=120,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )


# ---- raw command words: edge cases and error texts --------------------------------------

RAW = [
    ["ZADD", "z"],
    ["ZADD", "z", "1"],
    ["ZADD", "z", "NX"],
    ["ZADD", "z", "NX", "XX", "1", "a"],
    ["ZADD", "z", "GT", "LT", "1", "a"],
    ["ZADD", "z", "GT", "NX", "1", "a"],
    ["ZADD", "z", "INCR", "1", "a", "2", "b"],
    ["ZADD", "z", "nan", "a"],
    ["ZADD", "z", "1", "a", "x", "b"],
    ["ZADD", "z", "1.1", "a", "2", "b", "1e300", "c", "-0", "d", "0x1p-2", "e"],
    ["ZSCORE", "z", "a"],
    ["ZSCORE", "z", "c"],
    ["ZSCORE", "z", "d"],
    ["ZSCORE", "z", "e"],
    ["ZADD", "z", "INCR", "inf", "a"],
    ["ZADD", "z", "INCR", "-inf", "a"],
    ["ZINCRBY", "z", "-inf", "a"],
    ["ZINCRBY", "z", "x", "a"],
    ["ZINCRBY", "z", "1"],
    ["ZADD", "z", "XX", "INCR", "1", "nosuch"],
    ["ZADD", "z", "CH", "GT", "5", "b", "0", "c", "7", "new"],
    ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"],
    ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
    ["ZRANGE", "z", "0", "-1", "LIMIT", "0"],
    ["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
    ["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"],
    ["ZRANGE", "z", "0", "1", "REV", "REV"],
    ["ZRANGE", "z", "(0", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"],
    ["ZRANGE", "z", "+inf", "(0", "BYSCORE", "REV", "LIMIT", "0", "2"],
    ["ZRANGE", "z", "0", "1", "REV"],
    ["ZRANGE", "z", "-2", "-1", "REV", "WITHSCORES"],
    ["ZRANGE", "z", "1", "100", "REV"],
    ["ZRANGE", "z", "x", "1"],
    ["ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "x", "1"],
    ["ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "1", "WITHSCORES"],
    ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "1", "-1"],
    ["ZREVRANGE", "z", "0", "1", "REV"],
    ["ZREVRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZCOUNT", "z", "(1", "+inf"],
    ["ZCOUNT", "z", "a", "1"],
    ["ZCOUNT", "z", "1", "nan"],
    ["ZCOUNT", "z", "", ""],
    ["ZCOUNT", "z", "   1", "1e400"],
    ["ZCOUNT", "z", "1 ", "2"],
    ["ZMSCORE", "z", "a", "nosuch", "b"],
    ["ZMSCORE", "nokey", "a"],
    ["ZRANK", "z", "b"],
    ["ZREVRANK", "z", "b"],
    ["ZRANK", "z", "b", "WITHSCORE"],
    ["ZPOPMIN", "z", "-1"],
    ["ZPOPMIN", "z", "x"],
    ["ZPOPMIN", "z", "1", "2"],
    ["ZPOPMIN", "z", "0"],
    ["ZPOPMIN", "z"],
    ["ZPOPMAX", "z", "2"],
    ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"],
    ["ZRANGE", "lex", "[b", "(d", "BYLEX"],
    ["ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"],
    ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "-1", "2"],
    ["ZRANGE", "lex", "b", "+", "BYLEX"],
    ["ZRANGE", "lex", "(", "[", "BYLEX"],
    ["ZRANGE", "lex", "[c", "+", "BYLEX"],
    ["ZLEXCOUNT", "lex", "[b", "(d"],
    ["ZLEXCOUNT", "lex", "-", "+"],
    ["ZLEXCOUNT", "lex", "+", "-"],
    ["ZLEXCOUNT", "lex", "b", "+"],
    ["ZLEXCOUNT", "nokey", "-", "+"],
    ["ZLEXCOUNT", "lex", "-"],
    ["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1", "2"],
    ["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"],
    ["ZRANGEBYLEX", "lex", "-", "+", "REV"],
    ["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1"],
    ["ZRANGEBYLEX", "lex", "x", "+"],
    ["ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "1", "2"],
    ["ZREVRANGEBYLEX", "lex", "(c", "-"],
    ["ZREVRANGEBYLEX", "lex", "-", "+"],
    ["ZRANGESTORE", "dst", "lex", "0", "-1"],
    ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", "dst", "lex", "[b", "+", "BYLEX", "REV", "LIMIT", "0", "2"],
    ["ZRANGESTORE", "dst", "lex", "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", "dst", "lex", "0", "-1", "LIMIT", "x", "1", "WITHSCORES"],
    ["ZRANGESTORE", "dst", "lex", "0", "-1", "LIMIT", "0", "1"],
    ["ZRANGESTORE", "dst", "lex", "(5", "+inf", "BYSCORE"],
    ["EXISTS", "dst"],
    ["SET", "dst", "v"],
    ["ZRANGESTORE", "dst", "lex", "0", "0"],
    ["TYPE", "dst"],
    ["ZRANGESTORE", "dst", "nokey", "0", "-1"],
    ["EXISTS", "dst"],
    ["ZRANGESTORE", "dst", "lex", "0"],
    ["ZREMRANGEBYLEX", "lex", "[b", "[c"],
    ["ZREMRANGEBYLEX", "lex", "b", "[c"],
    ["ZREMRANGEBYLEX", "nokey", "-", "+"],
    ["ZREMRANGEBYLEX", "lex", "-"],
    ["ZRANGE", "lex", "0", "-1"],
    ["ZADD", "rr", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
    ["ZREMRANGEBYSCORE", "rr", "(1", "2"],
    ["ZREMRANGEBYSCORE", "rr", "x", "2"],
    ["ZREMRANGEBYSCORE", "rr", "10", "20"],
    ["ZREMRANGEBYRANK", "rr", "-1", "-1"],
    ["ZREMRANGEBYRANK", "rr", "x", "1"],
    ["ZREMRANGEBYRANK", "rr", "5", "1"],
    ["ZREMRANGEBYRANK", "rr", "0", "1", "2"],
    ["ZRANGE", "rr", "0", "-1", "WITHSCORES"],
    ["ZREMRANGEBYRANK", "rr", "0", "-1"],
    ["EXISTS", "rr"],
    ["ZREMRANGEBYSCORE", "str", "0", "1"],
    ["ZREMRANGEBYRANK", "list", "0", "1"],
    ["ZLEXCOUNT", "str", "-", "+"],
    ["ZADD", "negz", "-0", "a", "1e300", "b", "123456789012345678", "c"],
    ["ZSCAN", "negz", "0"],
    ["ZRANDMEMBER", "negz", "5", "WITHSCORES"],
    ["ZMPOP", "1", "negz", "MIN", "COUNT", "3"],
    ["ZADD", "mp", "1", "a", "2", "b", "3", "c", "0.1", "d"],
    ["ZSCAN", "mp", "0"],
    ["ZSCAN", "mp", "0", "MATCH", "[ab]", "COUNT", "1"],
    ["ZSCAN", "mp", "x"],
    ["ZSCAN", "mp", "0", "COUNT", "0"],
    ["ZSCAN", "nokey", "0", "COUNT", "0"],
    ["ZSCAN", "str", "0"],
    ["ZRANDMEMBER", "mp", "0"],
    ["ZRANDMEMBER", "mp", "4"],
    ["ZRANDMEMBER", "mp", "x"],
    ["ZRANDMEMBER", "mp", "1", "2"],
    ["ZRANDMEMBER", "mp", "1", "WITHSCORES", "x"],
    ["ZRANDMEMBER", "mp", "-9223372036854775808"],
    ["ZRANDMEMBER", "mp", "-9223372036854775807", "WITHSCORES"],
    ["ZRANDMEMBER", "nokey", "-99999999999"],
    ["ZRANDMEMBER", "nokey"],
    ["ZRANDMEMBER", "str"],
    ["ZRANDMEMBER", "str", "1"],
    ["ZMPOP", "0", "mp", "MIN"],
    ["ZMPOP", "x", "mp", "MIN"],
    ["ZMPOP", "-1", "mp", "MIN"],
    ["ZMPOP", "2", "mp", "MIN"],
    ["ZMPOP", "1", "mp", "MID"],
    ["ZMPOP", "1", "mp", "MIN", "COUNT"],
    ["ZMPOP", "1", "mp", "MIN", "COUNT", "0"],
    ["ZMPOP", "1", "mp", "MIN", "COUNT", "x"],
    ["ZMPOP", "1", "mp", "MIN", "COUNT", "1", "COUNT", "1"],
    ["ZMPOP", "1", "mp", "MIN", "FOO"],
    ["ZMPOP", "2", "nokey", "mp", "MIN", "COUNT", "2"],
    ["ZMPOP", "2", "str", "mp", "MIN"],
    ["ZMPOP", "2", "nokey", "nokey2", "MAX"],
    ["ZMPOP", "1", "mp", "max", "count", "10"],
    ["EXISTS", "mp"],
    ["ZREM", "z"],
    ["ZREM", "nokey", "a"],
    ["ZCARD", "nokey"],
    ["ZADD", "str", "1", "a"],
    ["ZADD", "str", "x", "a"],
    ["ZSCORE", "str", "a"],
    ["ZRANGE", "str", "0", "1"],
    ["ZRANGE", "str", "x", "1"],
    ["ZPOPMIN", "str"],
    ["ZREM", "z", "a", "b", "c", "d", "e", "new", "nosuch"],
    ["EXISTS", "z"],
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
    """The redis-py conversions: tuples with float scores, score_cast_func, INCR's float,
    and the DataErrors redis-py raises before sending."""
    e = embedis.Broker()
    for client in (e, real):
        client.zadd("z", {"a": 1.5, "b": 2, "c": 1e300})
    calls = [
        ("zrange", ("z", 0, -1), {"withscores": True}),
        ("zrange", ("z", 0, -1), {"withscores": True, "score_cast_func": int}),
        ("zrange", ("z", 0, -1), {"withscores": True, "score_cast_func": bytes}),
        ("zrange", ("z", 0, -1), {"desc": True, "withscores": True}),
        ("zrange", ("z", 0, 1), {"byscore": True, "bylex": True}),
        ("zrange", ("z", 0, 1), {"byscore": True, "offset": 1}),
        ("zrange", ("z", "-", "+"), {"bylex": True, "withscores": True}),
        ("zrevrangebyscore", ("z", "+inf", "-inf"), {"withscores": True, "score_cast_func": str}),
        ("zrangebyscore", ("z", "-inf", "+inf"), {"start": 1}),
        ("zadd", ("z", {"a": 1}), {"incr": True}),
        ("zadd", ("z", {}), {}),
        ("zadd", ("z", {"a": 1}), {"nx": True, "xx": True}),
        ("zadd", ("z", {"a": 1}), {"gt": True, "lt": True}),
        ("zadd", ("z", {"a": 1, "b": 2}), {"incr": True}),
        ("zadd", ("z", {"a": 1}), {"nx": True, "gt": True}),
        ("zadd", ("z", {"a": 5}), {"incr": True, "xx": True, "lt": True}),
        ("zscore", ("z", "a"), {}),
        ("zincrby", ("z", 0.5, "a"), {}),
        ("zmscore", ("z", ["a", "x"]), {}),
        ("zmscore", ("z", []), {}),
        ("zrangebylex", ("z", "-", "+"), {"start": 1}),
        ("zrevrangebylex", ("z", "+", "-"), {"num": 1}),
        ("zrangestore", ("d", "z", 0, 1), {"byscore": True, "bylex": True}),
        ("zrangestore", ("d", "z", 0, 1), {"byscore": True, "offset": 1}),
        ("zrangestore", ("d", "z", 0, -1), {}),
        ("zremrangebyrank", ("z", 0, 0), {}),
        ("zlexcount", ("z", "-", "+"), {}),
        ("zmpop", (1, ["z"]), {}),
        ("zmpop", (1, ["z"]), {"min": True, "max": True}),
        ("zmpop", (2, ["nokey", "z"]), {"max": True, "count": 2}),
        ("zscan", ("z",), {}),
        ("zscan", ("z", 0), {"score_cast_func": int}),
        ("zscan", ("nokey",), {}),
        ("zrandmember", ("nokey",), {}),
        ("zrandmember", ("nokey", 2), {"withscores": True}),
        ("zpopmax", ("z",), {}),
        ("zpopmin", ("z", 5), {}),
        ("zpopmin", ("z", 5), {}),
    ]
    for method, args, kwargs in calls:
        got = outcome(getattr(e, method), *args, **kwargs)
        want = outcome(getattr(real, method), *args, **kwargs)
        assert_same_outcome(got, want, f"{method}{args!r} {kwargs!r}")
        if got[0] == "ok":
            assert type(got[1]) is type(want[1]), (method, got, want)
            if isinstance(want[1], list) and want[1] and isinstance(want[1][0], tuple):
                assert [type(x) for p in got[1] for x in p] == [type(x) for p in want[1] for x in p], (method, got, want)
    d = embedis.Broker(decode_responses=True)
    d.zadd("z", {"a": 1})
    assert d.zrange("z", 0, -1, withscores=True) == [("a", 1.0)]


def test_range_commands_publish_redis_events(real) -> None:  # type: ignore[no-untyped-def]
    """Keyspace events (with keymiss) of the range, store, pop and scan commands, in Redis's
    order."""

    def run(c):  # type: ignore[no-untyped-def]
        c.config_set("notify-keyspace-events", "KEAm")
        ps = c.pubsub()
        ps.psubscribe("__keyevent@0__:*")
        ps.get_message(timeout=1.0)
        c.zadd("z", {"a": 1, "b": 2, "c": 3})
        c.zrangestore("d", "z", 0, 1)
        c.zrangestore("d", "z", 9, 9)
        c.zremrangebyscore("z", 1, 1)
        c.zremrangebylex("z", "-", "[b")
        c.zremrangebyrank("z", 0, -1)
        c.zlexcount("nokey", "-", "+")
        c.zrandmember("nokey")
        c.zscan("nokey")
        c.zadd("q", {"x": 1})
        c.zmpop(1, ["q"], min=True)
        c.zrangebylex("nokey", "-", "+")
        c.set("end", "1")
        out = []
        while not out or out[-1] != ("set", b"end"):
            m = ps.get_message(timeout=5.0)
            assert m is not None, out
            if m["type"] == "pmessage":
                out.append((m["channel"].decode().split(":", 1)[1], m["data"]))
        ps.close()
        c.config_set("notify-keyspace-events", "")
        return out

    want = run(real)
    assert run(embedis.Broker()) == want
