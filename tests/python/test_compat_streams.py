"""Differential tests for streams and consumer groups: random sequences of stream commands
on ``embedis.Broker`` and on redis-py (``protocol=2``, the legacy RESP2 shapes embedis
returns) talking to a real redis-server 7.0 must give the same values, or errors of the
same class with the same message, and leave the same streams, groups, consumers and
pending entries behind.

Only two things are normalized: IDs generated from the clock (XADD ``*``; each side's are
replaced by tokens in the order they were made, and a stream's ``radix-tree-nodes``,
which depends on the ID bits, is left out for streams that hold such IDs) and times that
depend on when a command ran (idle times, delivery and seen times). Idle-time arguments
are 0 or an hour, so that what they select does not depend on timing."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import embedis

from conftest import assert_same_outcome, outcome

HOUR = 3_600_000


@pytest.fixture
def real2(redis_server) -> Any:
    """redis-py on the session's server with ``protocol=2`` (legacy RESP2 shapes)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port, socket_timeout=10, protocol=2)
    client.flushall()
    yield client
    client.close()


# ---- normalization ------------------------------------------------------------------------


class Side:
    """One of the two brokers, with the IDs its clock generated (in order)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.auto: list[bytes] = []

    def arg(self, a: Any) -> Any:
        """Translates ("auto", k) to this side's k-th generated ID."""
        if isinstance(a, tuple) and len(a) == 2 and a[0] == "auto":
            return self.auto[a[1]] if a[1] < len(self.auto) else "0-1"
        if isinstance(a, dict):
            return {self.arg(k): self.arg(v) for k, v in a.items()}
        if isinstance(a, list):
            return [self.arg(x) for x in a]
        return a

    def norm(self, v: Any) -> Any:
        """Replaces this side's generated IDs by tokens, everywhere in a reply."""
        if isinstance(v, bytes) and v in self.auto:
            return f"<auto-{self.auto.index(v)}>"
        if isinstance(v, list):
            return [self.norm(x) for x in v]
        if isinstance(v, tuple):
            return tuple(self.norm(x) for x in v)
        if isinstance(v, dict):
            return {self.norm(k): self.norm(x) for k, x in v.items()}
        return v


TIME_KEYS = {"idle", "seen-time", "time_since_delivered"}


def untime(method: str, v: Any) -> Any:
    """Drops the values that depend on when a command ran."""
    if isinstance(v, dict):
        out = {k: (None if k in TIME_KEYS else untime(method, x)) for k, x in v.items()}
        if method == "xinfo_stream" and "groups" in out and isinstance(out["groups"], list):
            for g in out["groups"]:
                if isinstance(g, dict):
                    g["pending"] = [[p[0], p[1], None, p[3]] for p in g.get("pending", [])]
                    for c in g.get("consumers", []):
                        if isinstance(c, dict):
                            c["pending"] = [[p[0], None, p[2]] for p in c.get("pending", [])]
        return out
    if isinstance(v, list):
        return [untime(method, x) for x in v]
    return v


# ---- strategies ---------------------------------------------------------------------------

KEYS = st.sampled_from(["s", "s", "t", "str", "missing"])
STREAM_KEYS = st.sampled_from(["s", "t"])
GROUPS = st.sampled_from(["g1", "g1", "g2"])
CONSUMERS = st.sampled_from(["c1", "c2", "c3"])
AUTO = st.tuples(st.just("auto"), st.integers(0, 5))
IDS = st.one_of(
    st.sampled_from(["1-1", "1-2", "1-3", "2-0", "2-5", "3", "5-0", "0-1", "0-0", "9-9"]),
    AUTO,
)
ADD_IDS = st.sampled_from(["1-1", "1-2", "1-3", "2-0", "2-5", "3", "5-0", "0-1", "0-0", "1-*", "2-*", "6-*", "bad"])
RANGE_IDS = st.one_of(st.sampled_from(["-", "+", "0", "1-2", "(1-1", "(2-0", "2", "(0-0", "bad"]), AUTO)
READ_IDS = st.one_of(st.sampled_from(["0", "0-0", "1-1", "2-0", "$", ">", ">", "bad"]), AUTO)
GROUP_START = st.sampled_from(["$", "0", "1-1", "2-0", "-", "+", "bad"])
FIELDS = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["1", "x", "", 7]), min_size=1, max_size=2)
SMALL = st.integers(0, 5)
OPT_SMALL = st.one_of(st.none(), st.integers(1, 4))
IDLE = st.sampled_from([0, HOUR])


def _cmd(method: str, *args: st.SearchStrategy, **kwargs: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(st.just(method), st.tuples(*args), st.fixed_dictionaries(kwargs))


def _opt(required: dict | None = None, **kwargs: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries(required or {}, optional=kwargs)


def _call(method: str, args: st.SearchStrategy, kwargs: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(st.just(method), args, kwargs)


COMMANDS = st.one_of(
    _call(
        "xadd",
        st.tuples(KEYS, FIELDS),
        _opt(
            {"id": ADD_IDS},
            maxlen=st.integers(0, 6),
            approximate=st.booleans(),
            nomkstream=st.booleans(),
            limit=st.integers(0, 3),
        ),
    ),
    _call("xadd", st.tuples(KEYS, FIELDS), _opt({"id": ADD_IDS, "minid": IDS}, approximate=st.booleans())),
    # Clock-made IDs on one stream only: two streams may get the same one on one side and
    # not on the other, which no renaming could reconcile.
    _call("xadd", st.tuples(st.just("s"), FIELDS), _opt(maxlen=st.integers(0, 6), approximate=st.booleans())).map(
        lambda c: (c[0], c[1], {**c[2], "id": "*"})
    ),
    _cmd("xlen", KEYS),
    _call("xrange", st.tuples(KEYS, RANGE_IDS, RANGE_IDS), _opt(count=st.integers(1, 4))),
    _call("xrevrange", st.tuples(KEYS, RANGE_IDS, RANGE_IDS), _opt(count=st.integers(1, 4))),
    _call("xdel", st.tuples(KEYS).flatmap(lambda k: st.lists(IDS, min_size=1, max_size=3).map(lambda ids: (*k, *ids))), st.just({})),
    _call("xtrim", st.tuples(KEYS), _opt(approximate=st.booleans(), limit=st.integers(0, 3)).map(lambda d: {"maxlen": 2, **d})),
    _call("xtrim", st.tuples(KEYS), st.fixed_dictionaries({"minid": IDS, "approximate": st.booleans()})),
    _call(
        "xgroup_create",
        st.tuples(KEYS, GROUPS),
        _opt(id=GROUP_START, mkstream=st.booleans(), entries_read=st.integers(-2, 3)),
    ),
    _call("xgroup_setid", st.tuples(KEYS, GROUPS, GROUP_START), _opt(entries_read=st.integers(-2, 3))),
    _cmd("xgroup_destroy", KEYS, GROUPS),
    _cmd("xgroup_createconsumer", KEYS, GROUPS, CONSUMERS),
    _cmd("xgroup_delconsumer", KEYS, GROUPS, CONSUMERS),
    _call(
        "xreadgroup",
        st.tuples(GROUPS, CONSUMERS, st.dictionaries(KEYS, READ_IDS, min_size=1, max_size=2)),
        _opt(count=st.integers(1, 3), noack=st.booleans()),
    ),
    _call("xread", st.tuples(st.dictionaries(KEYS, READ_IDS, min_size=1, max_size=2)), _opt(count=st.integers(1, 3))),
    _call("xack", st.tuples(KEYS, GROUPS).flatmap(lambda kg: st.lists(IDS, min_size=1, max_size=3).map(lambda ids: (*kg, *ids))), st.just({})),
    _cmd("xpending", KEYS, GROUPS),
    _call(
        "xpending_range",
        st.tuples(KEYS, GROUPS, RANGE_IDS, RANGE_IDS, st.integers(0, 4)),
        _opt(consumername=CONSUMERS, idle=IDLE),
    ),
    _call(
        "xclaim",
        st.tuples(KEYS, GROUPS, CONSUMERS, IDLE, st.lists(IDS, min_size=1, max_size=3)),
        _opt(
            idle=st.sampled_from([0, 2 * HOUR]),
            retrycount=st.integers(-1, 3),
            force=st.booleans(),
            justid=st.booleans(),
            time=st.sampled_from([0, 4_102_444_800_000]),
        ),
    ),
    _call(
        "xautoclaim",
        st.tuples(KEYS, GROUPS, CONSUMERS, IDLE),
        _opt(start_id=RANGE_IDS, count=st.integers(1, 3), justid=st.booleans()),
    ),
    _call("xinfo_stream", st.tuples(KEYS), _opt(full=st.booleans())),
    _cmd("xinfo_groups", KEYS),
    _cmd("xinfo_consumers", KEYS, GROUPS),
    _call(
        "execute_command",
        st.tuples(
            st.just("XSETID"),
            KEYS,
            st.sampled_from(["9-9", "5-0", "1-1", "0-0", "bad"]),
        ),
        st.just({}),
    ),
    _call(
        "execute_command",
        st.tuples(
            st.just("XSETID"),
            KEYS,
            st.sampled_from(["9-9", "20-0"]),
            st.just("ENTRIESADDED"),
            st.integers(-1, 30),
            st.just("MAXDELETEDID"),
            st.sampled_from(["0-0", "2-0", "30-0"]),
        ),
        st.just({}),
    ),
)


# ---- the state machine --------------------------------------------------------------------


class SameStreamsAsRedis(RuleBasedStateMachine):
    """Random stream command sequences give the same replies and leave the same state."""

    real = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.e = Side(embedis.Broker())
        self.r = Side(type(self).real)
        self.r.client.flushall()
        # Streams holding clock-made IDs: their radix-tree-nodes count depends on the bits.
        self.clocked: set[str] = set()

    @initialize()
    def start(self) -> None:
        for side in (self.e, self.r):
            side.client.set("str", "a string")

    @rule(cmd=COMMANDS)
    def call(self, cmd) -> None:
        method, args, kwargs = cmd
        results = []
        for side in (self.e, self.r):
            a, k = side.arg(list(args)), side.arg(dict(kwargs))
            res = outcome(getattr(side.client, method), *a, **k)
            if method == "xadd" and k.get("id", "*") == "*" and res[0] == "ok" and res[1] is not None:
                side.auto.append(res[1])
                self.clocked.add(args[0])
            if res[0] == "ok":
                res = ("ok", untime(method, side.norm(res[1])))
                if method == "xinfo_stream" and args[0] in self.clocked and isinstance(res[1], dict):
                    res[1].pop("radix-tree-nodes", None)
            results.append(res)
        got, want = results
        assert_same_outcome(got, want, f"{method}{args!r} {kwargs!r}")

    @invariant()
    def same_streams(self) -> None:
        for key in ("s", "t"):
            views = []
            for side in (self.e, self.r):
                c = side.client
                kind = c.type(key)
                if kind != b"stream":
                    views.append(kind)
                    continue
                info = untime("xinfo_stream", side.norm(c.xinfo_stream(key, full=True)))
                if key in self.clocked:
                    info.pop("radix-tree-nodes", None)
                groups = side.norm(c.xinfo_groups(key))
                consumers = [untime("", side.norm(c.xinfo_consumers(key, g["name"]))) for g in groups]
                views.append((info, groups, consumers))
            assert views[0] == views[1], key


def test_random_stream_command_sequences_behave_as_redis(real2):
    SameStreamsAsRedis.real = real2
    try:
        run_state_machine_as_test(
            SameStreamsAsRedis,
            settings=settings(
                max_examples=int(os.environ.get("EMBEDIS_STREAM_EXAMPLES", "200")),
                stateful_step_count=40,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            ),
        )
    finally:
        SameStreamsAsRedis.real = None


# ---- fixed scenarios --------------------------------------------------------------------


def _both(e: Any, r: Any, method: str, *args: Any, **kwargs: Any) -> None:
    assert_same_outcome(outcome(getattr(e, method), *args, **kwargs), outcome(getattr(r, method), *args, **kwargs), f"{method}{args}")


def test_a_consumer_group_workflow_behaves_as_redis(real2):
    e = embedis.Broker()
    for c in (e, real2):
        for i in range(1, 251):
            c.xadd("s", {"n": i, "pad": "x" * (i % 7)}, id=f"{i}-0")
    calls = [
        ("xgroup_create", ("s", "g", "0"), {}),
        ("xgroup_create", ("s", "late", "$"), {}),
        ("xreadgroup", ("g", "a", {"s": ">"}), {"count": 120}),
        ("xreadgroup", ("g", "b", {"s": ">"}), {"count": 50}),
        ("xack", ("s", "g", *[f"{i}-0" for i in range(1, 100, 3)]), {}),
        ("xdel", ("s", "2-0", "5-0", "150-0"), {}),
        ("xpending", ("s", "g"), {}),
        ("xpending_range", ("s", "g", "-", "+", 20), {"consumername": "a"}),
        ("xautoclaim", ("s", "g", "c", 0), {"count": 10}),
        ("xautoclaim", ("s", "g", "c", 0), {"start_id": "(50-0", "count": 5, "justid": True}),
        ("xclaim", ("s", "g", "d", 0, ["130-0", "140-0", "150-0", "999-0"]), {"force": True}),
        ("xtrim", ("s",), {"maxlen": 120}),
        ("xtrim", ("s",), {"minid": "200-0", "approximate": False}),
        ("xinfo_groups", ("s",), {}),
        ("xgroup_setid", ("s", "late", "100-0"), {"entries_read": 100}),
        ("xinfo_groups", ("s",), {}),
        ("xreadgroup", ("late", "x", {"s": ">"}), {"count": 3, "noack": True}),
        ("xinfo_groups", ("s",), {}),
        ("xgroup_delconsumer", ("s", "g", "a"), {}),
    ]
    for method, args, kwargs in calls:
        got = outcome(getattr(e, method), *args, **kwargs)
        want = outcome(getattr(real2, method), *args, **kwargs)
        if got[0] == want[0] == "ok":
            got, want = ("ok", untime(method, got[1])), ("ok", untime(method, want[1]))
        assert_same_outcome(got, want, f"{method}{args!r}")
    assert untime("xinfo_stream", e.xinfo_stream("s", full=True)) == untime("xinfo_stream", real2.xinfo_stream("s", full=True))


def test_decoded_replies_behave_as_redis(redis_server):
    import redis

    r = redis.Redis(host="127.0.0.1", port=redis_server.port, protocol=2, decode_responses=True)
    r.flushall()
    e = embedis.Broker(decode_responses=True)
    for c in (e, r):
        c.xadd("s", {"f": "v", "g": "w"}, id="1-1")
        c.xgroup_create("s", "g", 0)
    for method, args, kwargs in [
        ("xrange", ("s",), {}),
        ("xreadgroup", ("g", "c", {"s": ">"}), {}),
        ("xpending", ("s", "g"), {}),
        ("xinfo_stream", ("s",), {}),
        ("xautoclaim", ("s", "g", "d", 0), {}),
        ("xclaim", ("s", "g", "e", 0, ["1-1"]), {"justid": True}),
    ]:
        got, want = outcome(getattr(e, method), *args, **kwargs), outcome(getattr(r, method), *args, **kwargs)
        assert_same_outcome(got, want, method)
    assert untime("xinfo_stream", e.xinfo_stream("s", full=True)) == untime("xinfo_stream", r.xinfo_stream("s", full=True))
    r.close()


def test_xack_arguments_behave_as_redis(real2):
    """XACK runs straight on the engine from the binding: its argument checks must still be
    Redis's (no ID: arity; a missing key or group answers 0 before the IDs are parsed; one
    bad ID refuses the whole call; int, bytes and str IDs; a key of another type)."""
    e = embedis.Broker()
    for c in (e, real2):
        for i in range(1, 6):
            c.xadd("s", {"n": i}, id=f"{i}-0")
        c.xgroup_create("s", "g", 0)
        c.xreadgroup("g", "a", {"s": ">"}, count=3)
        c.set("str", "v")
    for args in [
        ("s", "g"),
        ("s", "g", "bad"),
        ("s", "g", "1-0", "bad", "2-0"),
        ("s", "nog", "bad"),
        ("missing", "g", "bad"),
        ("str", "g", "1-0"),
        ("str", "g", "bad"),
        ("s", "g", 1, b"2-0", "2-0", "9-0", "4-0"),
        ("s", "g", "3-0", "3-0"),
        ("s", "g", "1-0"),
        ("s", "g", "-", "+"),
        ("s", "g", " 1-0"),
        ("s", "g", "18446744073709551616-0"),
        ("s", "g", 3.0),
    ]:
        _both(e, real2, "xack", *args)
    _both(e, real2, "xpending", "s", "g")


def test_xadd_argument_checks_behave_as_redis_py(real2):
    """redis-py checks xadd's arguments before it encodes any (its encoder runs last), and
    sends an explicit ``id=None`` on, which its encoder refuses: the same errors, in the same
    order, whatever the mix of bad arguments."""
    e = embedis.Broker()
    cases = [
        (("s", {"a": 1}), {"id": None}),
        (("s", {}), {"id": None}),
        (("s", {"a": 1}), {"id": None, "idmpauto": "p"}),
        (("s", {"a": 1}), {"id": None, "idmp": ("p", b"1")}),
        (("s", {"a": 1}), {"id": b"*", "idmp": ("p", b"1")}),
        ((None, {"a": 1}), {"maxlen": -1}),
        ((None, {}), {}),
        ((None, {"a": 1}), {"idmp": ("p", "i", "x")}),
        (("s", {"a": 1}), {"id": None, "maxlen": "3"}),
        ((None, {"a": 1}), {"id": None}),
        (("s", {"a": None}), {"id": "1-1"}),
        (("s", {"a": 1}), {"id": True}),
        (("s", {"a": 1}), {"id": 5}),
        (("s", {"a": 1}), {"id": "*"}),
        (("s", {"a": 1}), {"id": "5-*"}),
        (("s", {"a": 1}), {"maxlen": 1, "minid": None, "id": None}),
        (("s", {"a": 1}), {"minid": None, "limit": None}),
    ]
    for args, kwargs in cases:
        got = outcome(e.xadd, *args, **kwargs)
        want = outcome(real2.xadd, *args, **kwargs)
        if kwargs.get("id") in ("*", None) and got[0] == want[0] == "ok":
            got, want = ("ok", "<auto>"), ("ok", "<auto>")
        assert_same_outcome(got, want, f"xadd{args!r} {kwargs!r}")
    _both(e, real2, "xlen", "s")


def test_xautoclaim_count_limits_behave_as_redis(real2):
    """COUNT outside 1..LONG_MAX/16 (or not an integer) is "COUNT must be > 0", checked with
    the other arguments before the key; a COUNT whose up-front buffer of 16-byte IDs Redis
    cannot allocate is "COUNT too high", after the key and group. (Redis's exact threshold
    depends on the machine, so values near it are checked on embedis alone below.)"""
    e = embedis.Broker()
    for c in (e, real2):
        for i in range(1, 6):
            c.xadd("s", {"n": i}, id=f"{i}-0")
        c.xgroup_create("s", "g", 0)
        c.xreadgroup("g", "a", {"s": ">"})
        c.set("str", "v")
    too_high = 576460752303423487  # LONG_MAX / 16: accepted by the range check, never allocatable
    for args, kwargs in [
        (("s", "g", "c", 0), {"count": 0}),
        (("s", "g", "c", 0), {"count": 1}),
        (("s", "g", "c", 0), {"count": -1}),
        (("s", "g", "c", 0), {"count": 1.5}),
        (("s", "g", "c", 0), {"count": "abc"}),
        (("s", "g", "c", 0), {"count": 10**12}),
        (("s", "g", "c", 0), {"count": 10**13}),
        (("s", "g", "c", 0), {"count": too_high}),
        (("s", "g", "c", 0), {"count": too_high, "justid": True}),
        (("s", "g", "c", 0), {"count": too_high + 1}),
        (("s", "g", "c", 0), {"count": 2**63 - 1}),
        (("s", "g", "c", 0), {"count": 2**63}),
        (("s", "nog", "c", 0), {"count": too_high}),
        (("missing", "g", "c", 0), {"count": too_high}),
        (("str", "g", "c", 0), {"count": too_high}),
        (("str", "g", "c", 0), {"count": 0}),
        (("s", "g", "c", 0), {"start_id": "bad", "count": too_high}),
    ]:
        _both(e, real2, "xautoclaim", *args, **kwargs)
    for args in [
        ("XAUTOCLAIM", "s", "g", "c", 0, 0, "COUNT", too_high, "BAD"),
        ("XAUTOCLAIM", "s", "g", "c", "bad", 0, "COUNT", too_high),
        ("XAUTOCLAIM", "s", "g", "c", 0, 0, "COUNT", " 5"),
        ("XAUTOCLAIM", "s", "g", "c", 0, 0, "COUNT", "05"),
        ("XAUTOCLAIM", "s", "g", "c", 0, 0, "COUNT"),
    ]:
        _both(e, real2, "execute_command", *args)
    _both(e, real2, "xpending", "s", "g")
    # embedis's fixed threshold: 2**42 IDs (64 TiB of buffer) is served, one more is not.
    assert e.xautoclaim("s", "g", "c", 0, count=2**42, justid=True) == [b"1-0", b"2-0", b"3-0", b"4-0", b"5-0"]
    with pytest.raises(embedis.ResponseError, match="^Insufficient memory, failed allocating transient memory, COUNT too high.$"):
        e.xautoclaim("s", "g", "c", 0, count=2**42 + 1)
