"""Streams and consumer groups from Python: every command's redis-py shape and errors
(shapes as redis-py 8's default legacy RESP2 mode returns them against Redis 7.0),
redis-py's client-side DataError checks, blocking XREAD/XREADGROUP from threads (several
groups and consumers on one stream, the GIL, Ctrl-C), and the asyncio twins, including
cancellation at random moments: an entry handed to a cancelled consumer stays in its
pending list and can be claimed, so nothing is lost."""

from __future__ import annotations

import asyncio
import collections
import random
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import embedis
import embedis.asyncio
from embedis.exceptions import DataError, ResponseError

from conftest import Waiter, interrupt_child, served_while_blocked, wait_blocked

pytestmark = pytest.mark.timeout(120)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def is_id(x: object) -> bool:
    return isinstance(x, bytes) and b"-" in x and all(p.isdigit() for p in x.split(b"-"))


@pytest.fixture
def s(broker):
    """A stream ``s``: 1-1 {a: 1, b: 2}, 1-2 {a: 3}, 2-0 {c: 4}; group ``g`` from 0."""
    broker.xadd("s", {"a": 1, "b": 2}, id="1-1")
    broker.xadd("s", {"a": 3}, id="1-2")
    broker.xadd("s", {"c": 4}, id="2-0")
    broker.xgroup_create("s", "g", 0)
    return broker


# ---- entries ----------------------------------------------------------------------------


def test_xadd_returns_the_id_and_ids_grow(broker):
    first = broker.xadd("s", {"f": "v"})
    second = broker.xadd("s", {"f": "v"})
    assert is_id(first) and is_id(second)
    ms1, seq1 = map(int, first.split(b"-"))
    ms2, seq2 = map(int, second.split(b"-"))
    assert (ms2, seq2) > (ms1, seq1)
    assert broker.xadd("t", {"f": 1}, id="5-*") == b"5-0"
    assert broker.xadd("t", {"f": 1}, id="5-*") == b"5-1"
    assert broker.xadd("t", {"f": 1}, id=6) == b"6-0"
    assert broker.type("s") == b"stream"


def test_xadd_nomkstream_and_trimming(broker):
    assert broker.xadd("none", {"f": 1}, nomkstream=True) is None
    assert broker.exists("none") == 0
    for i in range(10):
        broker.xadd("s", {"i": i}, id=f"1-{i + 1}")
    assert broker.xadd("s", {"i": 10}, id="2-0", maxlen=3, approximate=False) == b"2-0"
    assert [e[0] for e in broker.xrange("s")] == [b"1-9", b"1-10", b"2-0"]
    broker.xadd("s", {"i": 11}, id="3-0", minid="2-0", approximate=False)
    assert broker.xlen("s") == 2
    # approximate (the default) keeps whole nodes: nothing goes from a small stream.
    broker.xadd("s", {"i": 12}, id="4-0", maxlen=1)
    assert broker.xlen("s") == 3
    broker.xadd("s", {"i": 13}, id="5-0", maxlen=1, limit=10)


def test_xadd_errors(broker):
    broker.xadd("s", {"f": 1}, id="5-0")
    with pytest.raises(ResponseError, match="^The ID specified in XADD is equal or smaller than the target stream top item$"):
        broker.xadd("s", {"f": 1}, id="5-0")
    with pytest.raises(ResponseError, match=r"^The ID specified in XADD must be greater than 0-0$"):
        broker.xadd("t", {"f": 1}, id="0-0")
    assert broker.exists("t") == 0
    with pytest.raises(ResponseError, match="^Invalid stream ID specified as stream command argument$"):
        broker.xadd("s", {"f": 1}, id="nope")
    with pytest.raises(ResponseError, match="LIMIT cannot be used without the special ~ option"):
        broker.xadd("s", {"f": 1}, maxlen=5, approximate=False, limit=10)
    broker.set("str", "x")
    with pytest.raises(ResponseError) as e:
        broker.xadd("str", {"f": 1})
    assert str(e.value) == WRONGTYPE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": {}}, "XADD fields must be a non-empty dict"),
        ({"fields": [("a", 1)]}, "XADD fields must be a non-empty dict"),
        ({"maxlen": 1, "minid": 0}, "Only one of ```maxlen``` or ```minid``` may be specified"),
        ({"maxlen": -1}, "XADD maxlen must be non-negative integer"),
        ({"maxlen": "3"}, "XADD maxlen must be non-negative integer"),
        ({"ref_policy": "NOPE"}, "XADD ref_policy must be one of: KEEPREF, DELREF, ACKED"),
        ({"idmpauto": "p", "id": "1-1"}, "IDMPAUTO and IDMP can only be used with id='*'"),
        ({"idmpauto": "p", "idmp": ("p", b"1")}, "Only one of ```idmpauto``` or ```idmp``` may be specified"),
        ({"fields": {"f": None}}, "Invalid input of type: 'NoneType'. Convert to a bytes, string, int or float first."),
        ({"fields": {"f": True}}, "Invalid input of type: 'bool'. Convert to a bytes, string, int or float first."),
    ],
)
def test_xadd_client_side_checks_raise_data_error(broker, kwargs, message):
    kwargs = {"fields": {"f": 1}, **kwargs}
    with pytest.raises(DataError) as e:
        broker.xadd("s", **kwargs)
    assert str(e.value) == message
    assert broker.exists("s") == 0


def test_xrange_xrevrange_shapes(s):
    assert s.xrange("s") == [(b"1-1", {b"a": b"1", b"b": b"2"}), (b"1-2", {b"a": b"3"}), (b"2-0", {b"c": b"4"})]
    assert s.xrange("s", "(1-1", "+", count=1) == [(b"1-2", {b"a": b"3"})]
    assert s.xrange("s", 1, 1) == [(b"1-1", {b"a": b"1", b"b": b"2"}), (b"1-2", {b"a": b"3"})]
    assert s.xrevrange("s", count=2) == [(b"2-0", {b"c": b"4"}), (b"1-2", {b"a": b"3"})]
    assert s.xrevrange("s", "(2-0", "-") == [(b"1-2", {b"a": b"3"}), (b"1-1", {b"a": b"1", b"b": b"2"})]
    assert s.xrange("missing") == []
    for bad in (0, -1, "2", 1.0):
        with pytest.raises(DataError, match="^XRANGE count must be a positive integer$"):
            s.xrange("s", count=bad)
        with pytest.raises(DataError, match="^XREVRANGE count must be a positive integer$"):
            s.xrevrange("s", count=bad)
    with pytest.raises(ResponseError, match="^invalid start ID for the interval$"):
        s.xrange("s", "(18446744073709551615-18446744073709551615")


def test_xlen_xdel_xtrim_xsetid(s):
    assert s.xlen("s") == 3
    assert s.xlen("missing") == 0
    assert s.xdel("s", "1-2", "9-9") == 1
    assert s.xdel("missing", "1-1") == 0
    assert s.xtrim("s", maxlen=1, approximate=False) == 1
    assert s.xtrim("s", minid="3-0", approximate=False) == 1
    assert s.xlen("s") == 0
    assert s.xinfo_stream("s")["max-deleted-entry-id"] == b"1-2"
    assert s.execute_command("XSETID", "s", "9-9") == b"OK"
    assert s.xinfo_stream("s")["last-generated-id"] == b"9-9"
    with pytest.raises(ResponseError, match="^The ID specified in XSETID is smaller than the provided max_deleted_entry_id$"):
        s.execute_command("XSETID", "s", "1-1", "MAXDELETEDID", "5-5")
    with pytest.raises(DataError, match="^Only one of ``maxlen`` or ``minid`` may be specified$"):
        s.xtrim("s", maxlen=1, minid=0)
    with pytest.raises(DataError, match="^One of ``maxlen`` or ``minid`` must be specified$"):
        s.xtrim("s")


# ---- groups -----------------------------------------------------------------------------


def test_xgroup_subcommands(s):
    assert s.xgroup_create("s", "g2") is True
    with pytest.raises(ResponseError) as e:
        s.xgroup_create("s", "g2")
    assert str(e.value) == "BUSYGROUP Consumer Group name already exists"
    with pytest.raises(ResponseError, match="requires the key to exist"):
        s.xgroup_create("missing", "g")
    assert s.xgroup_create("missing", "g", mkstream=True) is True
    assert s.xlen("missing") == 0
    assert s.xgroup_create("s", "g3", id="$", entries_read=3) is True
    assert s.xgroup_setid("s", "g3", 0, entries_read=0) is True
    assert s.xgroup_createconsumer("s", "g", "c1") == 1
    assert s.xgroup_createconsumer("s", "g", "c1") == 0
    s.xreadgroup("g", "c1", {"s": ">"})
    assert s.xgroup_delconsumer("s", "g", "c1") == 3
    assert s.xgroup_destroy("s", "g3") is True
    assert s.xgroup_destroy("s", "g3") is False
    with pytest.raises(ResponseError) as e:
        s.xgroup_setid("s", "nog", 0)
    assert str(e.value) == "NOGROUP No such consumer group 'nog' for key name 's'"
    with pytest.raises(ResponseError, match="^value for ENTRIESREAD must be positive or -1$"):
        s.xgroup_create("s", "g4", entries_read=-2)


@pytest.mark.parametrize("decode", [False, True])
def test_reads_give_every_entry_its_own_fields_across_nodes_and_shapes(decode):
    """XREAD and XREADGROUP replies are built from packed batches in which entries sharing
    their node's field names store values only: every entry must still come back with its
    own fields, as XRANGE (another path) gives them, across node boundaries (100 entries a
    node), field sets that change, repeat, duplicate or are empty-named, and XDEL holes."""
    b = embedis.Broker(decode_responses=decode)
    shapes = [
        {"a": 1, "b": 2},
        {"a": 3, "b": 4},
        {"b": 5, "a": 6},
        {"a": 7},
        {"": "empty name", "a": 8},
        {"a": 9, "b": 10},
        {"ü": "é", "a": 11},
    ]
    rng = random.Random(7)
    n = 0
    for _ in range(450):
        shape = shapes[0] if rng.random() < 0.6 else rng.choice(shapes)
        n += 1
        b.xadd("s", {k: f"{v}-{n}" for k, v in shape.items()}, id=f"{n}-0")
    b.execute_command("XADD", "s", f"{n + 1}-0", "d", "1", "d", "2")  # a duplicate field: the last value wins
    b.xdel("s", *[f"{i}-0" for i in range(5, 450, 7)])
    want = b.xrange("s")
    assert len(want) == 451 - len(range(5, 450, 7))
    b.xgroup_create("s", "g", 0)
    got_group, got_read = [], []
    while r := b.xreadgroup("g", "c", {"s": ">"}, count=37):
        got_group.extend(r[0][1])
    last = "0"
    while r := b.xread({"s": last}, count=64):
        got_read.extend(r[0][1])
        last = r[0][1][-1][0]
    assert got_group == want
    assert got_read == want
    # History reads of the pending entries, one of them deleted since: [id, {}] for it.
    b.xdel("s", want[3][0])
    history = b.xreadgroup("g", "c", {"s": "0"}, count=10)[0][1]
    assert [e[0] for e in history] == [e[0] for e in want[:10]]
    assert history[3][1] == {}
    assert [e[1] for i, e in enumerate(history) if i != 3] == [e[1] for i, e in enumerate(want[:10]) if i != 3]


def test_xreadgroup_xack_xpending(s):
    got = s.xreadgroup("g", "alice", {"s": ">"}, count=2)
    assert got == [[b"s", [(b"1-1", {b"a": b"1", b"b": b"2"}), (b"1-2", {b"a": b"3"})]]]
    assert s.xreadgroup("g", "bob", {"s": ">"}) == [[b"s", [(b"2-0", {b"c": b"4"})]]]
    assert s.xreadgroup("g", "bob", {"s": ">"}) == []
    # History: this consumer's own pending entries.
    assert s.xreadgroup("g", "alice", {"s": 0}) == got
    assert s.xreadgroup("g", "carol", {"s": "0"}) == [[b"s", []]]
    assert s.xpending("s", "g") == {
        "pending": 3,
        "min": b"1-1",
        "max": b"2-0",
        "consumers": [{"name": b"alice", "pending": 2}, {"name": b"bob", "pending": 1}],
    }
    rows = s.xpending_range("s", "g", "-", "+", 10)
    assert [r["message_id"] for r in rows] == [b"1-1", b"1-2", b"2-0"]
    assert [r["consumer"] for r in rows] == [b"alice", b"alice", b"bob"]
    assert [r["times_delivered"] for r in rows] == [2, 2, 1]
    assert all(isinstance(r["time_since_delivered"], int) for r in rows)
    assert s.xpending_range("s", "g", "-", "+", 10, consumername="bob")[0]["message_id"] == b"2-0"
    assert s.xpending_range("s", "g", "-", "+", 10, idle=60_000) == []
    assert s.xack("s", "g", "1-1", "1-2", "9-9") == 2
    assert s.xack("s", "nog", "1-1") == 0
    assert s.xpending("s", "g")["pending"] == 1
    s.xack("s", "g", "2-0")
    assert s.xpending("s", "g") == {"pending": 0, "min": None, "max": None, "consumers": []}
    with pytest.raises(ResponseError) as e:
        s.xreadgroup("nog", "c", {"s": ">"})
    assert str(e.value) == "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"


def test_deleted_pending_entries_read_back_as_empty_dicts(s):
    s.xreadgroup("g", "c", {"s": ">"})
    s.xdel("s", "1-2")
    assert s.xreadgroup("g", "c", {"s": 0}) == [
        [b"s", [(b"1-1", {b"a": b"1", b"b": b"2"}), (b"1-2", {}), (b"2-0", {b"c": b"4"})]]
    ]


def test_xpending_range_client_checks(s):
    assert s.xpending_range("s", "g", None, None, None) == s.xpending("s", "g")
    with pytest.raises(DataError, match="must be provided with min, max and count parameters"):
        s.xpending_range("s", "g", None, None, None, consumername="c")
    with pytest.raises(DataError, match=r"^XPENDING must be provided with min, max and count parameters, or none of them\.$"):
        s.xpending_range("s", "g", "-", None, 1)
    with pytest.raises(DataError, match="^XPENDING idle must be a integer >= 0$"):
        s.xpending_range("s", "g", "-", "+", 1, idle=-1)
    with pytest.raises(DataError, match="^XPENDING count must be a integer >= 0$"):
        s.xpending_range("s", "g", "-", "+", -1)


def test_xclaim_and_xautoclaim(s):
    s.xreadgroup("g", "dead", {"s": ">"})
    assert s.xclaim("s", "g", "new", 60_000, ["1-1"]) == []
    assert s.xclaim("s", "g", "new", 0, ["1-1"]) == [(b"1-1", {b"a": b"1", b"b": b"2"})]
    assert s.xclaim("s", "g", "new", 0, ("1-2",), justid=True) == [b"1-2"]
    assert s.xclaim("s", "g", "new", 0, ["2-0"], idle=5000, retrycount=7, justid=True) == [b"2-0"]
    row = s.xpending_range("s", "g", "2-0", "2-0", 1)[0]
    assert row["times_delivered"] == 7 and row["time_since_delivered"] >= 5000
    s.xdel("s", "1-2")
    next_id, claimed, deleted = s.xautoclaim("s", "g", "rescuer", 0, count=10)
    assert next_id == b"0-0"
    assert [c[0] for c in claimed] == [b"1-1", b"2-0"]
    assert deleted == [b"1-2"]
    assert s.xautoclaim("s", "g", "other", 0, start_id="(1-1", justid=True) == [b"2-0"]
    with pytest.raises(ResponseError) as e:
        s.xautoclaim("s", "nog", "c", 0)
    assert str(e.value) == "NOGROUP No such key 's' or consumer group 'nog'"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b: b.xclaim("s", "g", "c", -1, ["1-1"]), "XCLAIM min_idle_time must be a non negative integer"),
        (lambda b: b.xclaim("s", "g", "c", "0", ["1-1"]), "XCLAIM min_idle_time must be a non negative integer"),
        (lambda b: b.xclaim("s", "g", "c", 0, []), "XCLAIM message_ids must be a non empty list or tuple of message IDs to claim"),
        (lambda b: b.xclaim("s", "g", "c", 0, "1-1"), "XCLAIM message_ids must be a non empty list or tuple of message IDs to claim"),
        (lambda b: b.xclaim("s", "g", "c", 0, ["1-1"], idle="1"), "XCLAIM idle must be an integer"),
        (lambda b: b.xclaim("s", "g", "c", 0, ["1-1"], time=1.5), "XCLAIM time must be an integer"),
        (lambda b: b.xclaim("s", "g", "c", 0, ["1-1"], retrycount="x"), "XCLAIM retrycount must be an integer"),
        (lambda b: b.xclaim("s", "g", "c", 0, ["1-1"], force=1), "XCLAIM force must be a boolean"),
        (lambda b: b.xclaim("s", "g", "c", 0, ["1-1"], justid="yes"), "XCLAIM justid must be a boolean"),
        (lambda b: b.xautoclaim("s", "g", "c", -5), "XAUTOCLAIM min_idle_time must be a nonnegative integer"),
        (lambda b: b.xautoclaim("s", "g", "c", 0, count=-1), "XAUTOCLAIM count must be a integer >= 0"),
        (lambda b: b.xread({}), "XREAD streams must be a non empty dict"),
        (lambda b: b.xread({"s": 0}, count=0), "XREAD count must be a positive integer"),
        (lambda b: b.xread({"s": 0}, block=-1), "XREAD block must be a non-negative integer"),
        (lambda b: b.xread({"s": 0}, block=1.5), "XREAD block must be a non-negative integer"),
        (lambda b: b.xread({"s": 0}, max_count=0), "XREAD max_count must be a positive integer"),
        (lambda b: b.xread({"s": 0}, count=5, max_count=2), "XREAD max_count must be greater than or equal to count"),
        (lambda b: b.xreadgroup("g", "c", []), "XREADGROUP streams must be a non empty dict"),
        (lambda b: b.xreadgroup("g", "c", {"s": ">"}, count=0), "XREADGROUP count must be a positive integer"),
        (lambda b: b.xreadgroup("g", "c", {"s": ">"}, block="1"), "XREADGROUP block must be a non-negative integer"),
        (lambda b: b.xreadgroup("g", "c", {"s": ">"}, claim_min_idle_time=-1), "XREADGROUP claim_min_idle_time must be a non-negative integer"),
    ],
)
def test_client_side_checks(s, call, message):
    with pytest.raises(DataError) as e:
        call(s)
    assert str(e.value) == message


def test_redis_8_options_are_refused_as_redis_7_0_refuses_them(s):
    with pytest.raises(ResponseError, match="^syntax error$"):
        s.xread({"s": 0}, max_count=5)
    with pytest.raises(ResponseError, match="^syntax error$"):
        s.xreadgroup("g", "c", {"s": ">"}, claim_min_idle_time=5)
    with pytest.raises(ResponseError, match="^Invalid stream ID specified as stream command argument$"):
        s.xadd("s", {"f": 1}, ref_policy="KEEPREF")


# ---- XINFO ------------------------------------------------------------------------------


def test_xinfo_stream(s):
    info = s.xinfo_stream("s")
    assert info == {
        "length": 3,
        "radix-tree-keys": 1,
        "radix-tree-nodes": 2,
        "last-generated-id": b"2-0",
        "max-deleted-entry-id": b"0-0",
        "entries-added": 3,
        "recorded-first-entry-id": b"1-1",
        "groups": 1,
        "first-entry": (b"1-1", {b"a": b"1", b"b": b"2"}),
        "last-entry": (b"2-0", {b"c": b"4"}),
    }
    s.xadd("empty", {"f": 1}, id="1-1")
    s.xdel("empty", "1-1")
    empty = s.xinfo_stream("empty")
    assert empty["first-entry"] is None and empty["last-entry"] is None
    with pytest.raises(ResponseError, match="^no such key$"):
        s.xinfo_stream("missing")


def test_xinfo_stream_full_groups_consumers(s):
    s.xreadgroup("g", "c", {"s": ">"}, count=1)
    full = s.xinfo_stream("s", full=True)
    assert full["entries"] == {b"1-1": {b"a": b"1", b"b": b"2"}, b"1-2": {b"a": b"3"}, b"2-0": {b"c": b"4"}}
    (group,) = full["groups"]
    assert {k: group[k] for k in ("name", "last-delivered-id", "entries-read", "lag", "pel-count")} == {
        "name": b"g",
        "last-delivered-id": b"1-1",
        "entries-read": 1,
        "lag": 2,
        "pel-count": 1,
    }
    (pending,) = group["pending"]
    assert pending[:2] == [b"1-1", b"c"] and pending[3] == 1
    (consumer,) = group["consumers"]
    assert consumer["name"] == b"c" and consumer["pel-count"] == 1
    assert set(consumer) == {"name", "seen-time", "pel-count", "pending"}
    assert s.xinfo_groups("s") == [
        {"name": b"g", "consumers": 1, "pending": 1, "last-delivered-id": b"1-1", "entries-read": 1, "lag": 2}
    ]
    (c,) = s.xinfo_consumers("s", "g")
    assert c["name"] == b"c" and c["pending"] == 1 and isinstance(c["idle"], int)
    with pytest.raises(ResponseError) as e:
        s.xinfo_consumers("s", "nog")
    assert str(e.value) == "NOGROUP No such consumer group 'nog' for key name 's'"


def test_decode_responses_gives_str_and_keeps_callback_keys_str():
    b = embedis.Broker(decode_responses=True)
    b.xadd("s", {"f": "v"}, id="1-1")
    b.xgroup_create("s", "g", 0)
    assert b.xrange("s") == [("1-1", {"f": "v"})]
    assert b.xreadgroup("g", "c", {"s": ">"}) == [["s", [("1-1", {"f": "v"})]]]
    assert b.xpending("s", "g") == {"pending": 1, "min": "1-1", "max": "1-1", "consumers": [{"name": "c", "pending": 1}]}
    assert b.xinfo_stream("s")["first-entry"] == ("1-1", {"f": "v"})
    assert b.xinfo_stream("s", full=True)["groups"][0]["consumers"][0]["name"] == "c"


def test_execute_command_applies_redis_py_callbacks(s):
    assert s.execute_command("XGROUP CREATE", "s", "g2", "$") is True
    assert s.execute_command("XGROUP", "CREATE", "s", "g3", "$") == b"OK"
    assert s.execute_command("XGROUP DESTROY", "s", "g3") is True
    assert s.execute_command("XRANGE", "s", "-", "+", "COUNT", 1) == [(b"1-1", {b"a": b"1", b"b": b"2"})]
    assert s.execute_command("XREAD", "STREAMS", "s", "1-2") == [[b"s", [(b"2-0", {b"c": b"4"})]]]
    assert s.execute_command("XREAD", "STREAMS", "s", "$") == []
    assert s.execute_command("XINFO GROUPS", "s")[0]["name"] == b"g"
    s.xreadgroup("g", "c", {"s": ">"})
    assert s.execute_command("XCLAIM", "s", "g", "d", 0, "1-1", "JUSTID", parse_justid=True) == [b"1-1"]
    assert s.execute_command("XPENDING", "s", "g", "-", "+", 1, parse_detail=True)[0]["consumer"] == b"d"


# ---- blocking from threads ----------------------------------------------------------------


def test_xread_block_times_out_with_an_empty_list(s):
    t0 = time.monotonic()
    assert s.xread({"s": "$"}, block=100) == []
    assert time.monotonic() - t0 >= 0.09
    assert s.xreadgroup("g", "c", {"s": ">"}, count=10, block=None) != []
    assert s.xreadgroup("g", "c", {"s": ">"}, block=50) == []
    assert s.execute_command("XREAD", "BLOCK", 50, "STREAMS", "s", "$") == []


def test_xread_block_zero_waits_until_an_entry_arrives(broker):
    w = Waiter(broker.xread, {"s": "$"}, block=0)
    w.start()
    wait_blocked(broker, 1)
    broker.xadd("s", {"f": "v"}, id="1-1")
    assert w.outcome() == [[b"s", [(b"1-1", {b"f": b"v"})]]]


def test_every_plain_xread_reader_sees_the_entry(broker):
    broker.xadd("s", {"f": "old"}, id="1-1")
    readers = [Waiter(broker.xread, {"s": "$"}, block=5000) for _ in range(5)]
    for r in readers:
        r.start()
    wait_blocked(broker, 5)
    broker.xadd("s", {"f": "new"}, id="2-2")
    for r in readers:
        assert r.outcome() == [[b"s", [(b"2-2", {b"f": b"new"})]]]


def test_several_groups_and_consumers_on_one_stream_each_entry_once_per_group(broker):
    broker.xgroup_create("s", "g1", "$", mkstream=True)
    broker.xgroup_create("s", "g2", "$")
    n = 200
    got: dict[str, list[bytes]] = collections.defaultdict(list)
    lock = threading.Lock()
    stop = threading.Event()

    def consume(group, consumer):
        while not stop.is_set():
            r = broker.xreadgroup(group, consumer, {"s": ">"}, count=5, block=50)
            for _stream, entries in r:
                ids = [e[0] for e in entries]
                broker.xack("s", group, *ids)
                with lock:
                    got[group].extend(ids)

    threads = [threading.Thread(target=consume, args=(g, f"{g}-c{i}")) for g in ("g1", "g2") for i in range(3)]
    for t in threads:
        t.start()
    added = [broker.xadd("s", {"n": i}) for i in range(n)]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and min(len(got["g1"]), len(got["g2"])) < n:
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join()
    for g in ("g1", "g2"):
        assert sorted(got[g]) == sorted(added), g
        assert len(set(got[g])) == n
        assert broker.xpending("s", g)["pending"] == 0
    consumers = broker.xinfo_consumers("s", "g1")
    assert len(consumers) >= 2, "the work was spread over the group's consumers"


def test_blocked_group_readers_are_served_in_arrival_order(broker):
    broker.xgroup_create("s", "g", "$", mkstream=True)
    waiters = []
    for i in range(3):
        w = Waiter(broker.xreadgroup, "g", f"c{i}", {"s": ">"}, block=5000)
        w.start()
        wait_blocked(broker, i + 1)
        waiters.append(w)
    for i in range(3):
        broker.xadd("s", {"n": i}, id=f"{i + 1}-0")
    assert [w.outcome()[0][1][0][0] for w in waiters] == [b"1-0", b"2-0", b"3-0"]


def test_deleting_the_stream_or_group_wakes_blocked_group_readers(broker):
    broker.xgroup_create("a", "g", "$", mkstream=True)
    broker.xgroup_create("b", "g", "$", mkstream=True)
    on_a = Waiter(broker.xreadgroup, "g", "c", {"a": ">"}, block=0)
    on_b = Waiter(broker.xreadgroup, "g", "c", {"b": ">"}, block=0)
    on_a.start()
    on_b.start()
    wait_blocked(broker, 2)
    broker.delete("a")
    broker.xgroup_destroy("b", "g")
    with pytest.raises(ResponseError) as e:
        on_a.outcome()
    assert str(e.value) == "UNBLOCKED the stream key no longer exists"
    with pytest.raises(ResponseError) as e:
        on_b.outcome()
    assert str(e.value) == "NOGROUP the consumer group this client was blocked on no longer exists"


def test_the_gil_is_released_while_blocked(broker):
    broker.xgroup_create("s", "g", "$", mkstream=True)
    # Only a Python thread can end each wait, and it needs the GIL to run at all.
    group = served_while_blocked(
        broker, lambda: broker.xreadgroup("g", "c", {"s": ">"}, block=60_000), lambda: broker.xadd("s", {"f": "1"}, id="1-1")
    )
    assert group == [[b"s", [(b"1-1", {b"f": b"1"})]]]
    plain = served_while_blocked(broker, lambda: broker.xread({"s": "$"}, block=60_000), lambda: broker.xadd("s", {"f": "2"}, id="2-1"))
    assert plain == [[b"s", [(b"2-1", {b"f": b"2"})]]]


CTRL_C_CHILD = textwrap.dedent(
    """
    import _thread, sys, threading, time
    import embedis
    b = embedis.Broker()
    b.xgroup_create("s", "g", "$", mkstream=True)
    def announce():  # "ready" once the call below is blocked (INFO counts it)
        while b.info("clients")["blocked_clients"] < 1:
            time.sleep(0.002)
        print("ready", flush=True)
    threading.Thread(target=announce, daemon=True).start()
    try:
        b.xreadgroup("g", "c", {"s": ">"}, block=0)
    except KeyboardInterrupt:
        t = time.monotonic()
        # The interrupted reader is gone: a new entry goes to the next reader.
        b.xadd("s", {"f": "after"}, id="1-1")
        got = b.xreadgroup("g", "d", {"s": ">"})
        print("interrupted", t, got[0][1][0][0].decode(), flush=True)
        sys.exit(0)
    print("returned", flush=True)
    sys.exit(1)
    """
)


def test_ctrl_c_interrupts_a_blocked_xreadgroup():
    # The read blocks forever: only the signal can end it.
    words, _ = interrupt_child(CTRL_C_CHILD, settle=0)
    assert words[2] == "1-1"


INTERRUPTED_READER_CHILD = textwrap.dedent(
    """
    import _thread, json, random, threading, time
    import embedis

    broker = embedis.Broker()
    broker.xgroup_create("s", "g", "$", mkstream=True)
    added, received = [], []
    for i in range(40):
        delay = random.uniform(0, 0.004)

        def produce(i=i, delay=delay):
            time.sleep(delay)
            added.append(broker.xadd("s", {"i": i}).decode())
            time.sleep(delay / 2)
            _thread.interrupt_main()

        t = threading.Thread(target=produce)
        try:
            t.start()
            while True:
                r = broker.xreadgroup("g", "reader", {"s": ">"}, block=1000)
                if r:
                    received.extend(e[0].decode() for e in r[0][1])
                    while True:  # the interrupt is coming: let it fire inside the try
                        time.sleep(0.001)
        except KeyboardInterrupt:
            pass
        t.join()
    if received:
        broker.xack("s", "g", *received)
    _next, rescued, deleted = broker.xautoclaim("s", "g", "rescuer", 0, count=1000)
    # An interrupt that fires before the reader is inside xreadgroup leaves that round's
    # entry undelivered (not lost): a last read collects such entries.
    late = broker.xreadgroup("g", "late", {"s": ">"})
    print(json.dumps({"added": added, "received": received,
                      "rescued": [e[0].decode() for e in rescued], "deleted": deleted,
                      "late": [e[0].decode() for e in late[0][1]] if late else []}))
    """
)


def test_entries_handed_to_an_interrupted_reader_stay_pending_and_can_be_claimed():
    """Redis's semantics: delivery creates the pending entry; an interrupted reader does not
    give it back, but XAUTOCLAIM finds it. Checked over rounds of random timings, in a
    child process so that no stray interrupt can reach the test runner."""
    import json
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_READER_CHILD], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["deleted"] == []
    got = [out["received"], out["rescued"], out["late"]]
    missing = set(out["added"]) - set().union(*got)
    extra = set().union(*got) - set(out["added"])
    assert not missing and not extra, f"lost {sorted(missing)}, unexpected {sorted(extra)}"
    # Each entry reached exactly one of them, once.
    assert sum(len(g) for g in got) == len(out["added"])
    # Most rounds deliver to the reader; the late read only mops up rare early interrupts.
    assert len(out["late"]) <= len(out["added"]) // 4


# ---- asyncio ------------------------------------------------------------------------------


def test_async_stream_methods_mirror_the_sync_ones(abroker):
    async def main():
        assert await abroker.xadd("s", {"f": 1}, id="1-1") == b"1-1"
        assert await abroker.xlen("s") == 1
        assert await abroker.xrange("s") == [(b"1-1", {b"f": b"1"})]
        assert await abroker.xgroup_create("s", "g", 0) is True
        assert await abroker.xreadgroup("g", "c", {"s": ">"}) == [[b"s", [(b"1-1", {b"f": b"1"})]]]
        assert await abroker.xread({"s": 0}) == [[b"s", [(b"1-1", {b"f": b"1"})]]]
        assert (await abroker.xpending("s", "g"))["pending"] == 1
        assert await abroker.xack("s", "g", "1-1") == 1
        assert (await abroker.xinfo_stream("s"))["length"] == 1
        assert await abroker.xread({"s": "$"}, block=30) == []
        assert await abroker.xreadgroup("g", "c", {"s": ">"}, block=30) == []
        assert await abroker.execute_command("XREAD", "BLOCK", 30, "STREAMS", "s", "$") == []

    asyncio.run(main())


def test_awaiting_readers_hold_no_thread_and_are_served(abroker):
    async def main():
        await abroker.xgroup_create("s", "g", "$", mkstream=True)
        before = threading.active_count()
        plain = [asyncio.create_task(abroker.xread({"s": "$"}, block=0)) for _ in range(50)]
        group = [asyncio.create_task(abroker.xreadgroup("g", f"c{i}", {"s": ">"}, block=0)) for i in range(3)]
        await asyncio.sleep(0.05)
        assert threading.active_count() == before
        await abroker.xadd("s", {"f": "v"}, id="1-1")
        for t in plain:
            assert await t == [[b"s", [(b"1-1", {b"f": b"v"})]]]
        await asyncio.sleep(0.01)
        done = [t for t in group if t.done()]
        assert len(done) == 1 and done[0].result()[0][1][0][0] == b"1-1"
        for t in group:
            t.cancel()

    asyncio.run(main())


def test_threads_and_tasks_consume_one_group_together():
    sync = embedis.Broker()
    ab = embedis.asyncio.Broker(broker=sync)
    sync.xgroup_create("s", "g", "$", mkstream=True)
    n = 300
    got = []
    lock = threading.Lock()
    stop = threading.Event()

    def thread_consumer():
        while not stop.is_set():
            for _s, entries in sync.xreadgroup("g", "thread", {"s": ">"}, count=7, block=20):
                with lock:
                    got.extend(e[0] for e in entries)

    async def main():
        t = threading.Thread(target=thread_consumer)
        t.start()

        async def task_consumer(name):
            while not stop.is_set():
                for _s, entries in await ab.xreadgroup("g", name, {"s": ">"}, count=3, block=20):
                    with lock:
                        got.extend(e[0] for e in entries)

        tasks = [asyncio.create_task(task_consumer(f"task{i}")) for i in range(3)]
        added = []
        for i in range(n):
            added.append(await ab.xadd("s", {"i": i}))
            if i % 50 == 0:
                await asyncio.sleep(0)
        deadline = time.monotonic() + 10
        while len(got) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.gather(*tasks)
        t.join()
        return added

    added = asyncio.run(main())
    assert sorted(got) == sorted(added)


def test_cancelled_group_readers_at_random_moments_lose_nothing():
    """Thousands of awaits cancelled at random moments while entries are added: every entry
    is either returned to a reader or pending (claimable) for one that was cancelled; none
    is returned twice."""
    b = embedis.asyncio.Broker()

    async def main():
        await b.xgroup_create("s", "g", "$", mkstream=True)
        received: list[bytes] = []
        added: list[bytes] = []
        rng = random.Random(4)

        async def reader(i):
            try:
                r = await b.xreadgroup("g", f"c{i % 17}", {"s": ">"}, count=rng.randint(1, 3), block=0)
            except asyncio.CancelledError:
                return
            for _s, entries in r:
                received.extend(e[0] for e in entries)

        async def producer(n):
            for i in range(n):
                added.append(await b.xadd("s", {"i": i}))
                if rng.random() < 0.5:
                    await asyncio.sleep(0)

        tasks = []
        prod = asyncio.create_task(producer(3000))
        for i in range(3000):
            t = asyncio.create_task(reader(i))
            tasks.append(t)
            if rng.random() < 0.5:
                await asyncio.sleep(0)
            victim = rng.choice(tasks)
            if not victim.done():
                victim.cancel()
        await prod
        for t in tasks:
            if not t.done():
                t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert len(received) == len(set(received)), "no entry handed to two readers"
        await b.xack("s", "g", *received)
        _next, rescued, deleted = await b.xautoclaim("s", "g", "rescuer", 0, count=len(added) + 10)
        rescued_ids = [e[0] for e in rescued]
        assert deleted == []
        assert not set(rescued_ids) & set(received)
        # Entries never delivered to anyone are still there for the next reader.
        rest = await b.xreadgroup("g", "last", {"s": ">"})
        rest_ids = [e[0] for e in rest[0][1]] if rest else []
        assert sorted(received + rescued_ids + rest_ids) == sorted(added)

    asyncio.run(main())
