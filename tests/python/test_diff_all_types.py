"""Differential test across every type at once: random sequences of string, list, hash,
set and key commands on the same few keys, in databases 0 and 1, against the pinned real
redis-server. Each call's outcome (value, or error class and message) must match, and so
must both whole keyspaces after every step. The keys are shared between the types, so the
WRONGTYPE paths run as often as the right ones, and COPY, MOVE and SWAPDB carry values of
every type between the databases.

The per-family files (test_diff_hashes.py, test_diff_sets.py, …) go deeper into each
family's options; this one is about the families meeting. Commands whose reply is random
(SPOP, SRANDMEMBER, HRANDFIELD, RANDOMKEY) are left to those files."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import embedis

from conftest import assert_same_outcome, dump_keyspace, outcome

KEYS = st.sampled_from(["a", "b", "c", "n"])
FIELDS = st.sampled_from(["f", "g", "1", "2"])
VALUES = st.sampled_from(["x", "yy", "1", "10", "-3", "2.5", ""])
INTS = st.integers(-3, 3)
DB = st.sampled_from([0, 1])


def _cmd(method: str, *args: st.SearchStrategy, **kwargs: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(st.just(method), st.tuples(*args), st.fixed_dictionaries(kwargs))


def _varargs(method: str, head: st.SearchStrategy, item: st.SearchStrategy, lo: int = 1, hi: int = 3) -> st.SearchStrategy:
    return st.builds(lambda h, xs: (method, (h, *xs), {}), head, st.lists(item, min_size=lo, max_size=hi))


def _keys(method: str, lo: int = 1, hi: int = 3) -> st.SearchStrategy:
    return st.builds(lambda ks: (method, tuple(ks), {}), st.lists(KEYS, min_size=lo, max_size=hi))


STRINGS = [
    _cmd("set", KEYS, VALUES),
    _cmd("get", KEYS),
    _cmd("append", KEYS, VALUES),
    _cmd("strlen", KEYS),
    _cmd("getrange", KEYS, INTS, INTS),
    _cmd("setrange", KEYS, st.integers(0, 4), VALUES),
    _cmd("getset", KEYS, VALUES),
    _cmd("incrby", KEYS, INTS),
    _cmd("incrbyfloat", KEYS, st.sampled_from([0.5, -1, 3])),
    _cmd("setbit", KEYS, st.integers(0, 20), st.sampled_from([0, 1])),
    _cmd("getbit", KEYS, st.integers(0, 20)),
    _cmd("bitcount", KEYS),
    _cmd("setex", KEYS, st.sampled_from([100, 1000]), VALUES),
]

LISTS = [
    _varargs("lpush", KEYS, VALUES),
    _varargs("rpush", KEYS, VALUES),
    _cmd("lpop", KEYS),
    _cmd("lrange", KEYS, INTS, INTS),
    _cmd("lmove", KEYS, KEYS, st.sampled_from(["LEFT", "RIGHT"]), st.sampled_from(["LEFT", "RIGHT"])),
    _cmd("llen", KEYS),
]

HASHES = [
    _cmd("hset", KEYS, FIELDS, VALUES),
    st.builds(lambda k, m: ("hset", (k,), {"mapping": m}), KEYS, st.dictionaries(FIELDS, VALUES, min_size=1, max_size=3)),
    _cmd("hsetnx", KEYS, FIELDS, VALUES),
    _cmd("hget", KEYS, FIELDS),
    st.builds(lambda k, fs: ("hmget", (k, fs), {}), KEYS, st.lists(FIELDS, min_size=1, max_size=3)),
    _cmd("hgetall", KEYS),
    _varargs("hdel", KEYS, FIELDS),
    _cmd("hexists", KEYS, FIELDS),
    _cmd("hlen", KEYS),
    _cmd("hstrlen", KEYS, FIELDS),
    _cmd("hincrby", KEYS, FIELDS, INTS),
    _cmd("hincrbyfloat", KEYS, FIELDS, st.sampled_from([0.5, -2, 1e3])),
]

SETS = [
    _varargs("sadd", KEYS, VALUES),
    _varargs("srem", KEYS, VALUES),
    _cmd("smembers", KEYS),
    _cmd("sismember", KEYS, VALUES),
    st.builds(lambda k, vs: ("smismember", (k, vs), {}), KEYS, st.lists(VALUES, min_size=1, max_size=3)),
    _cmd("scard", KEYS),
    _cmd("smove", KEYS, KEYS, VALUES),
    st.builds(lambda ks: ("sinter", (ks,), {}), st.lists(KEYS, min_size=1, max_size=3)),
    st.builds(lambda ks: ("sunion", (ks,), {}), st.lists(KEYS, min_size=1, max_size=3)),
    st.builds(lambda ks: ("sdiff", (ks,), {}), st.lists(KEYS, min_size=1, max_size=3)),
    st.builds(lambda d, ks: ("sinterstore", (d, ks), {}), KEYS, st.lists(KEYS, min_size=1, max_size=3)),
    st.builds(lambda d, ks: ("sunionstore", (d, ks), {}), KEYS, st.lists(KEYS, min_size=1, max_size=3)),
    st.builds(lambda d, ks: ("sdiffstore", (d, ks), {}), KEYS, st.lists(KEYS, min_size=1, max_size=3)),
]

KEYSPACE = [
    _keys("delete"),
    _keys("exists"),
    _cmd("type", KEYS),
    _cmd("rename", KEYS, KEYS),
    _cmd("renamenx", KEYS, KEYS),
    _cmd("copy", KEYS, KEYS),
    _cmd("copy", KEYS, KEYS, replace=st.booleans()),
    _cmd("copy", KEYS, KEYS, destination_db=DB, replace=st.booleans()),
    _cmd("move", KEYS, DB),
    _cmd("swapdb", st.just(0), st.just(1)),
    _cmd("expire", KEYS, st.sampled_from([100, 1000])),
    _cmd("persist", KEYS),
    _keys("touch"),
    _cmd("sort", KEYS, alpha=st.just(True)),
    _cmd("sort", KEYS, store=KEYS, alpha=st.just(True)),
    _cmd("dbsize"),
]

COMMANDS = st.one_of(*STRINGS, *LISTS, *HASHES, *SETS, *KEYSPACE)


def _normalize(method: str, value: object) -> object:
    # A hash's field order is the table's once it outgrew the compact encoding: compare as
    # a set of pairs (a dict already compares so).
    if method in ("hkeys", "hvals") and isinstance(value, list):
        return sorted(value)
    return value


class AllTypesAsRedis(RuleBasedStateMachine):
    """Random sequences over every type behave as on redis-server, both databases compared."""

    real = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.e = embedis.Broker()
        self.r = type(self).real
        self.r.flushall()

    @rule(cmd=COMMANDS)
    def call(self, cmd) -> None:  # type: ignore[no-untyped-def]
        method, args, kwargs = cmd
        got = outcome(getattr(self.e, method), *args, **kwargs)
        want = outcome(getattr(self.r, method), *args, **kwargs)
        if got[0] == want[0] == "ok":
            got, want = ("ok", _normalize(method, got[1])), ("ok", _normalize(method, want[1]))
        assert_same_outcome(got, want, f"{method}{args!r} {kwargs!r}")

    @invariant()
    def same_keyspaces(self) -> None:
        assert dump_keyspace(self.e, dbs=(0, 1)) == dump_keyspace(self.r, dbs=(0, 1))


def test_every_type_together_behaves_as_redis(real):  # type: ignore[no-untyped-def]
    AllTypesAsRedis.real = real
    try:
        run_state_machine_as_test(
            AllTypesAsRedis,
            settings=settings(
                max_examples=120,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            ),
        )
    finally:
        AllTypesAsRedis.real = None
