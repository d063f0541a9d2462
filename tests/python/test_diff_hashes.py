"""Differential tests of the hash commands: the same calls on ``embedis.Broker`` and on
redis-py talking to a real redis-server 7.0 give the same values (or errors of the same
class and message), and the same whole keyspace at the end of each sequence. A list key
and a string key share the key names, so the WRONGTYPE paths run; small thresholds and
long values send hashes through the listpack → hashtable conversion."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import embedis

from conftest import assert_same_outcome, dump_keyspace, outcome

KEYS = st.sampled_from(["h1", "h2", "h3", "list", "str"])
FIELDS = st.sampled_from(["a", "b", "c", "d", "e", "f", "n", "x" * 70])
VALUES = st.sampled_from(["1", "-7", "10", "2.5", "0.1", "abc", "", "9223372036854775807", "inf", "y" * 70, 3, 1.5])
INCRS = st.sampled_from([1, -1, 0, 5, 9223372036854775807, -9223372036854775807])
FLOAT_INCRS = st.sampled_from([0.1, 0.2, -2.5, 1e300, -1e300, 3, "1e-4940", "0x10", "abc", "inf", "1e5000"])


def _cmd(method: str, *args: st.SearchStrategy, **kwargs: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(st.just(method), st.tuples(*args), st.fixed_dictionaries(kwargs))


def _hset() -> st.SearchStrategy:
    return st.one_of(
        _cmd("hset", KEYS, FIELDS, VALUES),
        st.builds(lambda k, m: ("hset", (k,), {"mapping": m}), KEYS, st.dictionaries(FIELDS, VALUES, min_size=1, max_size=4)),
        st.builds(
            lambda k, items: ("hset", (k,), {"items": [x for pair in items for x in pair]}),
            KEYS,
            st.lists(st.tuples(FIELDS, VALUES), min_size=1, max_size=3),
        ),
        st.builds(lambda k, m: ("hmset", (k, m), {}), KEYS, st.dictionaries(FIELDS, VALUES, min_size=1, max_size=3)),
    )


COMMANDS = st.one_of(
    _hset(),
    _cmd("hsetnx", KEYS, FIELDS, VALUES),
    _cmd("hget", KEYS, FIELDS),
    st.builds(lambda k, fs: ("hmget", (k, fs), {}), KEYS, st.lists(FIELDS, min_size=1, max_size=4)),
    _cmd("hgetall", KEYS),
    st.builds(lambda k, fs: ("hdel", (k, *fs), {}), KEYS, st.lists(FIELDS, min_size=1, max_size=4)),
    _cmd("hexists", KEYS, FIELDS),
    _cmd("hlen", KEYS),
    _cmd("hstrlen", KEYS, FIELDS),
    _cmd("hkeys", KEYS),
    _cmd("hvals", KEYS),
    _cmd("hincrby", KEYS, FIELDS, INCRS),
    _cmd("hincrbyfloat", KEYS, FIELDS, FLOAT_INCRS),
    _cmd("hrandfield", KEYS),
    _cmd("hrandfield", KEYS, st.sampled_from([0, 1, 2, 3, 20, -1, -5]), withvalues=st.booleans()),
    _cmd("hscan", KEYS, match=st.sampled_from([None, "*", "a*", "[a-c]", "x*"]), count=st.sampled_from([None, 1, 100])),
    _cmd("type", KEYS),
    _cmd("delete", KEYS),
    _cmd("rpush", KEYS, VALUES),
    _cmd("set", KEYS, VALUES),
)


def encoding(r, key):  # type: ignore[no-untyped-def]
    """The real server's encoding of ``key`` (None if missing)."""
    return r.object("encoding", key) if r.exists(key) else None


def scan_all(client, key):  # type: ignore[no-untyped-def]
    """Every pair a full HSCAN iteration returns (as a dict)."""
    return dict(client.hscan_iter(key))


def compare(e, r, method: str, args: tuple, kwargs: dict) -> None:  # type: ignore[no-untyped-def]
    key = args[0]
    enc = encoding(r, key)
    before = r.hgetall(key) if r.type(key) == b"hash" else {}
    got = outcome(getattr(e, method), *args, **kwargs)
    want = outcome(getattr(r, method), *args, **kwargs)
    context = f"{method}{args!r} {kwargs!r} ({enc})"
    if not (got[0] == want[0] == "ok"):
        assert_same_outcome(got, want, context)
        return
    g, w = got[1], want[1]
    table = enc == b"hashtable"
    if method == "hrandfield":
        count = args[1] if len(args) > 1 else None
        withvalues = kwargs.get("withvalues")
        if count is None:
            assert (g is None) == (w is None) and (g is None or g in before), context
            return
        assert len(g) == len(w), context
        fields = g[::2] if withvalues else g
        assert all(f in before for f in fields), context
        if withvalues:
            assert all(before[f] == v for f, v in zip(g[::2], g[1::2])), context
        if count > 0:
            assert len(set(fields)) == len(fields), context
            if count >= len(before) and not table:
                assert g == w, context
        return
    if method == "hscan":
        if table:
            # Cursors differ between two tables; a whole iteration must not.
            assert scan_all(e, key) == scan_all(r, key), context
            return
    if table and method in ("hkeys", "hvals"):
        g, w = sorted(g), sorted(w)
    if method == "hgetall" and not table:
        # Listpack order is Redis's: compare it, not only the dict.
        assert list(g.items()) == list(w.items()), context
    assert_same_outcome(("ok", g), ("ok", w), context)


class HashesSameAsRedis(RuleBasedStateMachine):
    """Random hash command sequences on embedis and on redis give the same replies."""

    real = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.e = embedis.Broker()
        self.r = type(self).real
        self.r.flushall()

    @initialize(entries=st.sampled_from([2, 4, 512]), value=st.sampled_from([8, 64]))
    def start(self, entries: int, value: int) -> None:
        for client in (self.e, self.r):
            client.config_set("hash-max-listpack-entries", entries)
            client.config_set("hash-max-listpack-value", value)
            client.rpush("list", "x")
            client.set("str", "v")

    @rule(cmd=COMMANDS)
    def call(self, cmd) -> None:  # type: ignore[no-untyped-def]
        method, args, kwargs = cmd
        compare(self.e, self.r, method, args, kwargs)

    @invariant()
    def same_keyspace(self) -> None:
        assert dump_keyspace(self.e) == dump_keyspace(self.r)

    def teardown(self) -> None:
        self.r.config_set("hash-max-listpack-entries", 512)
        self.r.config_set("hash-max-listpack-value", 64)


def test_random_hash_sequences_behave_as_redis(real) -> None:  # type: ignore[no-untyped-def]
    HashesSameAsRedis.real = real
    run_state_machine_as_test(
        HashesSameAsRedis,
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
    ["HSET", "h"],
    ["HSET", "h", "f"],
    ["HSET", "h", "f", "v", "g"],
    ["HSET", "h", "f", "v", "g", "w"],
    ["HMSET", "h", "f"],
    ["HMSET", "h", "f", "v2"],
    ["HSETNX", "h", "f", "v"],
    ["HSETNX", "h", "new", "v"],
    ["HSETNX", "h", "new"],
    # While "h" is a listpack: HSCAN answers it whole, whatever the cursor.
    ["HSCAN", "h"],
    ["HSCAN", "h", "x"],
    ["HSCAN", "h", "-1"],
    ["HSCAN", "h", "18446744073709551616"],
    ["HSCAN", "h", "0", "COUNT"],
    ["HSCAN", "h", "0", "COUNT", "0"],
    ["HSCAN", "h", "0", "COUNT", "-1"],
    ["HSCAN", "h", "0", "COUNT", "x"],
    ["HSCAN", "h", "0", "TYPE", "hash"],
    ["HSCAN", "h", "0", "NOVALUES"],
    ["HSCAN", "h", "0", "MATCH", "f*", "COUNT", "1"],
    ["HSCAN", "nokey", "0", "garbage"],
    ["HGET", "h"],
    ["HGET", "h", "f", "g"],
    ["HMGET", "h"],
    ["HMGET", "nokey", "a", "b"],
    ["HGETALL", "h", "x"],
    ["HDEL", "h"],
    ["HDEL", "nokey", "f"],
    ["HLEN", "nokey"],
    ["HSTRLEN", "h", "f"],
    ["HSTRLEN", "nokey", "f"],
    ["HEXISTS", "h"],
    ["HINCRBY", "h", "f", "1"],
    ["HINCRBY", "h", "n", "x"],
    ["HINCRBY", "h", "n", "1.5"],
    ["HINCRBY", "h", "n", "9223372036854775807"],
    ["HINCRBY", "h", "n", "1"],
    ["HINCRBY", "h", "m", "-9223372036854775808"],
    ["HINCRBY", "h", "m", "-1"],
    ["HINCRBYFLOAT", "h", "f", "1"],
    ["HINCRBYFLOAT", "h", "fl", "nan"],
    ["HINCRBYFLOAT", "h", "fl", "-inf"],
    ["HINCRBYFLOAT", "h", "fl", " 1"],
    ["HINCRBYFLOAT", "h", "fl", "1 "],
    ["HINCRBYFLOAT", "h", "fl", "0x1p-2"],
    ["HINCRBYFLOAT", "h", "fl", "1e-3"],
    ["HINCRBYFLOAT", "h", "fl", "123456789.123456789"],
    ["HINCRBYFLOAT", "h", "fl", "-123456789.123456789"],
    ["HINCRBYFLOAT", "h", "fl", "5.0e3"],
    ["HINCRBYFLOAT", "h", "fl", "1.7976931348623157e308"],
    ["HINCRBYFLOAT", "h", "fl", "1e4000"],
    ["HINCRBYFLOAT", "h", "fl", "1e4000"],
    ["HINCRBYFLOAT", "h", "tiny", "1e-300"],
    ["HINCRBYFLOAT", "h", "tiny", "-1e-300"],
    ["HINCRBYFLOAT", "h", "int", "10"],
    ["HINCRBY", "h", "int", "1"],
    ["HINCRBYFLOAT", "h", "big", "1e20"],
    ["HINCRBY", "h", "big", "1"],
    ["HRANDFIELD", "h", "1", "WITHVALUES", "x"],
    ["HRANDFIELD", "h", "x"],
    ["HRANDFIELD", "h", "1", "withvalue"],
    ["HRANDFIELD", "h", "-9223372036854775808"],
    ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
    ["HRANDFIELD", "h", "0"],
    ["HRANDFIELD", "nokey", "5", "WITHVALUES"],
    ["HSCAN", "str", "0"],
    ["HSCAN", "str", "x"],
    ["HGET", "str", "f"],
    ["HSET", "str", "f", "v"],
    ["HINCRBYFLOAT", "str", "f", "x"],
    ["HINCRBYFLOAT", "str", "f", "inf"],
    ["HINCRBYFLOAT", "str", "f", "1"],
    ["HINCRBY", "str", "f", "x"],
    ["HRANDFIELD", "str", "x"],
    ["HRANDFIELD", "str"],
    ["HDEL", "h", "f", "new", "n", "m", "fl", "tiny", "int", "big", "f"],
    ["EXISTS", "h"],
]


def test_raw_words_match_redis(real) -> None:  # type: ignore[no-untyped-def]
    e = embedis.Broker()
    for client in (e, real):
        client.execute_command("SET", "str", "v")
    for words in RAW:
        got = outcome(e.execute_command, *words)
        want = outcome(real.execute_command, *words)
        assert_same_outcome(got, want, repr(words))


@pytest.mark.parametrize("entries", [0, 1, 3])
def test_conversion_thresholds_match_redis(real, entries: int) -> None:  # type: ignore[no-untyped-def]
    """Whatever the thresholds, the same calls convert the same hashes (checked through
    the pair order: a listpack keeps Redis's order, so equal orders mean equal encodings
    as long as the hash is small)."""
    e = embedis.Broker()
    for client in (e, real):
        client.config_set("hash-max-listpack-entries", entries)
        client.config_set("hash-max-listpack-value", 4)
        client.hset("k", mapping={"a": "1", "b": "2"})
        client.hset("k", "c", "3")
        client.hincrby("long", "abcde", 1)
        client.hincrbyfloat("short", "f", "0.1")
    for key in ("k", "long", "short"):
        enc = real.object("encoding", key)
        assert enc in (b"listpack", b"hashtable")
        if enc == b"listpack":
            assert list(e.hgetall(key).items()) == list(real.hgetall(key).items())
        assert e.hgetall(key) == real.hgetall(key)
    real.config_set("hash-max-listpack-entries", 512)
    real.config_set("hash-max-listpack-value", 64)
