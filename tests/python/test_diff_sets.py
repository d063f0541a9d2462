"""Differential tests of the set commands: random sequences on ``embedis.Broker`` and on
redis-py talking to a real redis-server 7.0 give the same values (or errors of the same
class and message) and the same whole keyspace. Keys are shared with a list and a string,
so the WRONGTYPE paths run. SPOP and SRANDMEMBER pick at random: their replies are
compared by shape, size and membership, and after an SPOP the real server is brought to
the members embedis kept."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import embedis

from conftest import assert_same_outcome, dump_keyspace, outcome

KEYS = st.sampled_from(["s1", "s2", "s3", "lst", "str"])
MEMBERS = st.sampled_from(["1", "2", "3", "-7", "70000", "9223372036854775807", "07", "a", "b", "", " 1", 5, 2.5])
MEMBER_LISTS = st.lists(MEMBERS, min_size=1, max_size=5)
KEY_LISTS = st.lists(KEYS, min_size=1, max_size=3)


def _cmd(method: str, *args: st.SearchStrategy, **kwargs: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(st.just(method), st.tuples(*args), st.fixed_dictionaries(kwargs))


def _sorted(v):  # type: ignore[no-untyped-def]
    return sorted(v, key=repr)


DETERMINISTIC = st.one_of(
    st.builds(lambda k, ms: ("sadd", (k, *ms), {}), KEYS, MEMBER_LISTS),
    st.builds(lambda k, ms: ("srem", (k, *ms), {}), KEYS, MEMBER_LISTS),
    _cmd("smembers", KEYS),
    _cmd("sismember", KEYS, MEMBERS),
    _cmd("smismember", KEYS, MEMBER_LISTS),
    _cmd("scard", KEYS),
    _cmd("smove", KEYS, KEYS, MEMBERS),
    st.builds(lambda ks: ("sinter", (ks,), {}), KEY_LISTS),
    st.builds(lambda ks: ("sunion", (ks,), {}), KEY_LISTS),
    st.builds(lambda ks: ("sdiff", (ks,), {}), KEY_LISTS),
    st.builds(lambda d, ks: ("sinterstore", (d, ks), {}), KEYS, KEY_LISTS),
    st.builds(lambda d, ks: ("sunionstore", (d, ks), {}), KEYS, KEY_LISTS),
    st.builds(lambda d, ks: ("sdiffstore", (d, ks), {}), KEYS, KEY_LISTS),
    st.builds(
        lambda n, ks, lim: ("sintercard", (n, ks), {"limit": lim}),
        st.integers(-1, 4),
        KEY_LISTS,
        st.sampled_from([0, 1, 2, -1]),
    ),
    _cmd("rpush", KEYS, MEMBERS),
    _cmd("set", KEYS, MEMBERS),
    _cmd("delete", KEYS),
    _cmd("type", KEYS),
    _cmd("expire", KEYS, st.just(1000)),
)


class SetsAsRedis(RuleBasedStateMachine):
    """Random set command sequences on embedis and on redis: same replies, same data."""

    real = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.e = embedis.Broker()
        self.r = type(self).real
        self.r.flushall()

    @initialize()
    def seed(self) -> None:
        for c in (self.e, self.r):
            c.rpush("lst", "a", "1")
            c.set("str", "v")

    @rule(cmd=DETERMINISTIC)
    def call(self, cmd) -> None:  # type: ignore[no-untyped-def]
        method, args, kwargs = cmd
        got = outcome(getattr(self.e, method), *args, **kwargs)
        want = outcome(getattr(self.r, method), *args, **kwargs)
        assert_same_outcome(got, want, f"{method}{args!r} {kwargs!r}")

    @rule(key=KEYS, members=st.integers(0, 3))
    def many(self, key: str, members: int) -> None:
        """Crosses the intset limit (512) and back through the hashtable."""
        values = list(range(members * 200, members * 200 + 530))
        got = outcome(self.e.sadd, key, *values)
        want = outcome(self.r.sadd, key, *values)
        assert_same_outcome(got, want, f"sadd {key} many")

    @rule(key=KEYS, count=st.sampled_from([None, 0, 1, 2, 5, 600, -1]))
    def spop(self, key: str, count) -> None:  # type: ignore[no-untyped-def]
        before = outcome(self.r.smembers, key)
        got = outcome(self.e.spop, key, count)
        want = outcome(self.r.spop, key, count)
        if want[0] == "err" or got[0] == "err":
            assert_same_outcome(got, want, f"spop {key} {count}")
            return
        g, w = got[1], want[1]
        assert type(g) is type(w), (g, w)
        if count is None:
            assert (g is None) == (w is None)
            g, w = ([] if g is None else [g]), ([] if w is None else [w])
        assert len(g) == len(w) == len(set(g))
        assert set(g) <= before[1]
        # Bring the real server to what embedis kept.
        if w:
            self.r.sadd(key, *w)
        if g:
            self.r.srem(key, *g)

    @rule(key=KEYS, count=st.sampled_from([None, 0, 1, 2, 5, 600, -1, -5]))
    def srandmember(self, key: str, count) -> None:  # type: ignore[no-untyped-def]
        got = outcome(self.e.srandmember, key, count)
        want = outcome(self.r.srandmember, key, count)
        if want[0] == "err" or got[0] == "err":
            assert_same_outcome(got, want, f"srandmember {key} {count}")
            return
        g, w = got[1], want[1]
        assert type(g) is type(w), (g, w)
        members = self.r.smembers(key) if self.r.type(key) == b"set" else set()
        if count is None:
            assert (g is None) == (w is None) and (g is None or g in members)
            return
        assert len(g) == len(w)
        assert set(g) <= members
        if count > 0:
            assert len(set(g)) == len(g)

    @rule(key=KEYS, pattern=st.sampled_from([None, "*", "1*", "?", "[ab]"]), count=st.sampled_from([None, 1, 3, 100]))
    def sscan(self, key: str, pattern, count) -> None:  # type: ignore[no-untyped-def]
        got = outcome(lambda: sorted(self.e.sscan_iter(key, match=pattern, count=count)))
        want = outcome(lambda: sorted(self.r.sscan_iter(key, match=pattern, count=count)))
        assert_same_outcome(got, want, f"sscan_iter {key} {pattern} {count}")

    @invariant()
    def same_data(self) -> None:
        assert dump_keyspace(self.e) == dump_keyspace(self.r)


def test_random_set_sequences_behave_as_redis(real) -> None:  # type: ignore[no-untyped-def]
    SetsAsRedis.real = real
    run_state_machine_as_test(
        SetsAsRedis,
        settings=settings(
            max_examples=120,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )


# ---- raw command words: edge cases and error texts ---------------------------------------

EDGE_CASES = [
    ["SADD", "s"],
    ["SADD", "str", "a"],
    ["SREM", "s"],
    ["SMISMEMBER", "s"],
    ["SMISMEMBER", "nokey", "a", "b"],
    ["SISMEMBER", "s", "1"],
    ["SISMEMBER", "s", "01"],
    ["SCARD", "nokey"],
    ["SMEMBERS", "lst"],
    ["SPOP", "s", "-1"],
    ["SPOP", "nokey", "-1"],
    ["SPOP", "s", "abc"],
    ["SPOP", "s", "1.5"],
    ["SPOP", "nokey", "3"],
    ["SPOP", "nokey"],
    ["SPOP", "s", "0"],
    ["SPOP", "s", "1", "2"],
    ["SPOP", "str", "0"],
    ["SRANDMEMBER", "s", "abc"],
    ["SRANDMEMBER", "s", "-9223372036854775808"],
    ["SRANDMEMBER", "nokey", "-3"],
    ["SRANDMEMBER", "s", "0"],
    ["SRANDMEMBER", "s", "1", "2"],
    ["SRANDMEMBER", "str"],
    ["SMOVE", "s", "str", "1"],
    ["SMOVE", "nokey", "str", "1"],
    ["SMOVE", "str", "s", "1"],
    ["SMOVE", "s", "s", "1"],
    ["SINTER", "nokey", "str"],
    ["SINTER", "s", "nokey"],
    ["SINTERSTORE", "d", "nokey", "str"],
    ["SUNION", "s", "lst"],
    ["SDIFF", "nokey", "str"],
    ["SINTERCARD", "0", "s"],
    ["SINTERCARD", "-1", "s"],
    ["SINTERCARD", "x", "s"],
    ["SINTERCARD", "3", "s"],
    ["SINTERCARD", "1", "s", "LIMIT", "-1"],
    ["SINTERCARD", "1", "s", "LIMIT", "x"],
    ["SINTERCARD", "1", "s", "LIMIT"],
    ["SINTERCARD", "1", "s", "foo"],
    ["SINTERCARD", "1", "s", "limit", "1", "LIMIT", "0"],
    ["SINTERCARD", "2", "nokey", "str"],
    ["SINTERCARD", "9999999999999999999999", "s"],
    ["SSCAN", "s", "x"],
    ["SSCAN", "s", "0", "COUNT", "0"],
    ["SSCAN", "s", "0", "COUNT", "abc"],
    ["SSCAN", "s", "0", "MATCH"],
    ["SSCAN", "s", "0", "TYPE", "set"],
    ["SSCAN", "nokey", "0", "COUNT", "0"],
    ["SSCAN", "nokey", "x"],
    ["SSCAN", "str", "0"],
    ["SSCAN", "s", "-1"],
    ["SSCAN", "s", "18446744073709551616"],
    ["SSCAN", "s", "5", "MATCH", "1*"],
    ["SSCAN", "s", "0", "foo", "bar"],
    ["SINTERSTORE", "d", "s", "s2"],
    ["SUNIONSTORE", "lst", "s", "s2"],
    ["SDIFFSTORE", "str", "s", "s"],
    ["SMEMBERS", "d"],
    ["SMEMBERS", "lst"],
    ["TYPE", "str"],
]


def _normalize(v):  # type: ignore[no-untyped-def]
    if isinstance(v, list):
        return sorted(v, key=repr)
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], list):
        return (v[0], sorted(v[1]))
    return v


@pytest.mark.parametrize("decode", [False, True])
def test_edge_cases_as_redis(real, real_decoded, decode: bool) -> None:  # type: ignore[no-untyped-def]
    r = real_decoded if decode else real
    e = embedis.Broker(decode_responses=decode)
    for c in (e, r):
        c.execute_command("SADD", "s", "1", "2", "3", "10")
        c.execute_command("SADD", "s2", "2", "3", "x")
        c.execute_command("RPUSH", "lst", "a")
        c.execute_command("SET", "str", "x")
    for words in EDGE_CASES:
        got = outcome(e.execute_command, *words)
        want = outcome(r.execute_command, *words)
        if got[0] == want[0] == "ok":
            got, want = ("ok", _normalize(got[1])), ("ok", _normalize(want[1]))
        assert_same_outcome(got, want, " ".join(words))
    assert dump_keyspace(e) == dump_keyspace(r)
