"""List commands of ``embedis.Broker``: redis-py's names, arguments, return shapes and
errors (values checked against redis-py 8.1 on redis-server 7.0)."""

from __future__ import annotations

import pytest
import redis

import embedis
from embedis.exceptions import DataError, ResponseError

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def refused(typename: str) -> str:
    return f"Invalid input of type: '{typename}'. Convert to a bytes, string, int or float first."


# ---- pushes ---------------------------------------------------------------------------


def test_lpush_returns_new_length_and_pushes_each_value_to_the_head(broker):
    assert broker.lpush("q", "a") == 1
    assert broker.lpush("q", "b", "c") == 3
    assert broker.lrange("q", 0, -1) == [b"c", b"b", b"a"]


def test_rpush_returns_new_length_and_appends_in_order(broker):
    assert broker.rpush("q", "a", "b") == 2
    assert broker.rpush("q", "c") == 3
    assert broker.lrange("q", 0, -1) == [b"a", b"b", b"c"]


def test_pushx_only_pushes_onto_an_existing_list(broker):
    assert broker.lpushx("q", "a") == 0
    assert broker.rpushx("q", "a") == 0
    assert broker.exists("q") == 0
    broker.rpush("q", "m")
    assert broker.lpushx("q", "l1", "l2") == 3
    assert broker.rpushx("q", "r") == 4
    assert broker.lrange("q", 0, -1) == [b"l2", b"l1", b"m", b"r"]


@pytest.mark.parametrize("method", ["lpush", "rpush", "lpushx", "rpushx"])
def test_push_without_values_is_an_arity_error(broker, method):
    with pytest.raises(ResponseError) as e:
        getattr(broker, method)("q")
    assert str(e.value) == f"wrong number of arguments for '{method}' command"


# ---- pops -----------------------------------------------------------------------------


def test_lpop_and_rpop_without_count_return_one_element_or_none(broker):
    broker.rpush("q", "a", "b", "c")
    assert broker.lpop("q") == b"a"
    assert broker.rpop("q") == b"c"
    assert broker.lpop("q") == b"b"
    assert broker.lpop("q") is None
    assert broker.rpop("missing") is None


def test_pop_with_count_returns_a_list_in_pop_order(broker):
    broker.rpush("q", "a", "b", "c", "d", "e")
    assert broker.lpop("q", 2) == [b"a", b"b"]
    assert broker.rpop("q", 2) == [b"e", b"d"]
    assert broker.rpop("q", 10) == [b"c"]
    assert broker.exists("q") == 0


def test_pop_with_count_on_a_missing_key_is_none_not_empty_list(broker):
    assert broker.lpop("missing", 2) is None
    assert broker.rpop("missing", 1) is None
    assert broker.lpop("missing", 0) is None


def test_pop_with_count_zero_on_a_list_is_an_empty_list(broker):
    broker.rpush("q", "a")
    assert broker.lpop("q", 0) == []
    assert broker.rpop("q", 0) == []
    assert broker.llen("q") == 1


def test_pop_with_negative_count_is_refused(broker):
    broker.rpush("q", "a")
    for method in (broker.lpop, broker.rpop):
        with pytest.raises(ResponseError) as e:
            method("q", -1)
        assert str(e.value) == "value is out of range, must be positive"


def test_popping_the_last_element_deletes_the_key(broker):
    broker.rpush("q", "a")
    assert broker.lpop("q") == b"a"
    assert broker.exists("q") == 0
    assert broker.type("q") == b"none"
    assert broker.keys() == []
    assert broker.dbsize() == 0


# ---- reads ----------------------------------------------------------------------------


def test_llen(broker):
    assert broker.llen("missing") == 0
    broker.rpush("q", "a", "b")
    assert broker.llen("q") == 2


def test_lrange_is_inclusive_and_clamps_out_of_range_indexes(broker):
    broker.rpush("q", *"abcdef")
    assert broker.lrange("q", 0, -1) == [b"a", b"b", b"c", b"d", b"e", b"f"]
    assert broker.lrange("q", 1, 2) == [b"b", b"c"]
    assert broker.lrange("q", -100, 100) == [b"a", b"b", b"c", b"d", b"e", b"f"]
    assert broker.lrange("q", 3, 1) == []
    assert broker.lrange("q", -2, -1) == [b"e", b"f"]
    assert broker.lrange("q", 6, 10) == []
    assert broker.lrange("missing", 0, -1) == []


def test_lindex(broker):
    broker.rpush("q", *"abcdef")
    assert [broker.lindex("q", i) for i in (0, -1, 2, 6, -7)] == [b"a", b"f", b"c", None, None]
    assert broker.lindex("missing", 0) is None


# ---- in-place edits -------------------------------------------------------------------


def test_lset_replaces_by_index_and_returns_true(broker):
    broker.rpush("q", "a", "b", "c")
    assert broker.lset("q", 0, "A") is True
    assert broker.lset("q", -1, "C") is True
    assert broker.lrange("q", 0, -1) == [b"A", b"b", b"C"]


def test_lset_errors(broker):
    with pytest.raises(ResponseError) as e:
        broker.lset("missing", 0, "x")
    assert str(e.value) == "no such key"
    broker.rpush("q", "a")
    with pytest.raises(ResponseError) as e:
        broker.lset("q", 1, "x")
    assert str(e.value) == "index out of range"
    with pytest.raises(ResponseError) as e:
        broker.lset("q", -2, "x")
    assert str(e.value) == "index out of range"


def test_linsert_before_and_after_the_first_match(broker):
    broker.rpush("q", "a", "b", "a")
    assert broker.linsert("q", "AFTER", "a", "x") == 4
    assert broker.linsert("q", "before", "b", "y") == 5
    assert broker.lrange("q", 0, -1) == [b"a", b"x", b"y", b"b", b"a"]


def test_linsert_missing_pivot_missing_key_and_bad_where(broker):
    assert broker.linsert("missing", "BEFORE", "a", "b") == 0
    assert broker.exists("missing") == 0
    broker.rpush("q", "a")
    assert broker.linsert("q", "BEFORE", "zz", "b") == -1
    with pytest.raises(ResponseError) as e:
        broker.linsert("q", "MIDDLE", "a", "b")
    assert str(e.value) == "syntax error"
    assert broker.lrange("q", 0, -1) == [b"a"]


def test_lrem_by_direction_and_count(broker):
    broker.rpush("q", *"abacada")
    assert broker.lrem("q", 2, "a") == 2
    assert broker.lrange("q", 0, -1) == [b"b", b"c", b"a", b"d", b"a"]
    assert broker.lrem("q", -1, "a") == 1
    assert broker.lrange("q", 0, -1) == [b"b", b"c", b"a", b"d"]
    assert broker.lrem("q", 0, "a") == 1
    assert broker.lrange("q", 0, -1) == [b"b", b"c", b"d"]
    assert broker.lrem("q", 0, "zz") == 0
    assert broker.lrem("missing", 0, "a") == 0


def test_lrem_removing_everything_deletes_the_key(broker):
    broker.rpush("q", "x", "x")
    assert broker.lrem("q", 0, "x") == 2
    assert broker.exists("q") == 0


def test_ltrim_keeps_a_range_returns_true_and_may_delete_the_key(broker):
    broker.rpush("q", *"abcd")
    assert broker.ltrim("q", 1, -2) is True
    assert broker.lrange("q", 0, -1) == [b"b", b"c"]
    assert broker.ltrim("q", 5, 10) is True
    assert broker.exists("q") == 0
    assert broker.ltrim("missing", 0, 1) is True


# ---- lpos -----------------------------------------------------------------------------


def test_lpos_first_match_rank_count_and_maxlen(broker):
    broker.rpush("q", "a", "b", "a", "c", "a")
    assert broker.lpos("q", "a") == 0
    assert broker.lpos("q", "c") == 3
    assert broker.lpos("q", "a", rank=2) == 2
    assert broker.lpos("q", "a", rank=-1) == 4
    assert broker.lpos("q", "a", rank=-2) == 2
    assert broker.lpos("q", "a", count=0) == [0, 2, 4]
    assert broker.lpos("q", "a", count=2) == [0, 2]
    assert broker.lpos("q", "a", count=2, rank=2) == [2, 4]
    assert broker.lpos("q", "a", count=0, rank=-1) == [4, 2, 0]
    assert broker.lpos("q", "c", maxlen=2) is None
    assert broker.lpos("q", "c", maxlen=4) == 3
    assert broker.lpos("q", "a", count=0, maxlen=3) == [0, 2]
    assert broker.lpos("q", "a", rank=-1, maxlen=1) == 4


def test_lpos_not_found(broker):
    broker.rpush("q", "a")
    assert broker.lpos("q", "zz") is None
    assert broker.lpos("q", "zz", count=1) == []
    assert broker.lpos("missing", "a") is None
    assert broker.lpos("missing", "a", count=0) == []


def test_lpos_argument_errors(broker):
    broker.rpush("q", "a")
    cases = [
        (
            {"rank": 0},
            "RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list",
        ),
        ({"count": -1}, "COUNT can't be negative"),
        ({"maxlen": -1}, "MAXLEN can't be negative"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ResponseError) as e:
            broker.lpos("q", "a", **kwargs)
        assert str(e.value) == message


# ---- moves ----------------------------------------------------------------------------


def test_lmove_defaults_left_to_right(broker):
    broker.rpush("src", "a", "b")
    assert broker.lmove("src", "dst") == b"a"
    assert broker.lmove("src", "dst", "RIGHT", "LEFT") == b"b"
    assert broker.lrange("dst", 0, -1) == [b"b", b"a"]
    assert broker.exists("src") == 0
    assert broker.lmove("src", "dst") is None


def test_lmove_directions_are_case_insensitive_and_validated(broker):
    broker.rpush("src", "a", "b")
    assert broker.lmove("src", "dst", "left", "right") == b"a"
    with pytest.raises(ResponseError) as e:
        broker.lmove("src", "dst", "UP", "LEFT")
    assert str(e.value) == "syntax error"
    assert broker.lrange("src", 0, -1) == [b"b"]


def test_lmove_onto_itself_rotates(broker):
    broker.rpush("rot", "1", "2", "3")
    assert broker.lmove("rot", "rot", "LEFT", "RIGHT") == b"1"
    assert broker.lrange("rot", 0, -1) == [b"2", b"3", b"1"]


def test_lmove_to_a_non_list_is_wrongtype_and_moves_nothing(broker):
    broker.rpush("src", "a")
    broker.set("s", "v")
    with pytest.raises(ResponseError) as e:
        broker.lmove("src", "s")
    assert str(e.value) == WRONGTYPE
    assert broker.lrange("src", 0, -1) == [b"a"]
    # An empty source answers None before the destination is looked at (as Redis).
    assert broker.lmove("missing", "s") is None


def test_rpoplpush(broker):
    broker.rpush("src", "1", "2")
    assert broker.rpoplpush("src", "dst") == b"2"
    assert broker.rpoplpush("src", "dst") == b"1"
    assert broker.rpoplpush("src", "dst") is None
    assert broker.lrange("dst", 0, -1) == [b"1", b"2"]


# ---- lmpop ----------------------------------------------------------------------------


def test_lmpop_pops_from_the_first_non_empty_key(broker):
    broker.rpush("b", "1", "2", "3")
    assert broker.lmpop(2, "a", "b", direction="LEFT") == [b"b", [b"1"]]
    assert broker.lmpop(2, "a", "b", direction="RIGHT", count=5) == [b"b", [b"3", b"2"]]
    assert broker.exists("b") == 0
    assert broker.lmpop(2, "a", "b", direction="LEFT") is None


def test_lmpop_errors(broker):
    broker.rpush("l", "a")
    cases = [
        (lambda: broker.lmpop(1, "l", direction="UP"), "syntax error"),
        (lambda: broker.lmpop(0, "l", direction="LEFT"), "numkeys should be greater than 0"),
        (lambda: broker.lmpop(1, "l", "x", direction="LEFT"), "syntax error"),
        (lambda: broker.lmpop(1, "l", direction="LEFT", count=0), "count should be greater than 0"),
        (lambda: broker.lmpop(1, "l", direction="LEFT", count=-1), "count should be greater than 0"),
    ]
    for call, message in cases:
        with pytest.raises(ResponseError) as e:
            call()
        assert str(e.value) == message
    assert broker.lrange("l", 0, -1) == [b"a"]


def test_lmpop_numkeys_larger_than_keys_given_is_a_syntax_error(broker):
    # redis 7.0: `LMPOP 3 l LEFT` -> "ERR syntax error" (the direction would be past the end).
    broker.rpush("l", "a")
    with pytest.raises(ResponseError) as e:
        broker.lmpop(3, "l", direction="LEFT")
    assert str(e.value) == "syntax error"


def test_lmpop_direction_is_keyword_only_and_required(broker):
    with pytest.raises(TypeError):
        broker.lmpop(1, "l")  # type: ignore[call-arg]


# ---- WRONGTYPE ------------------------------------------------------------------------

LIST_CALLS = [
    ("lpush", ("s", "a"), {}),
    ("rpush", ("s", "a"), {}),
    ("lpushx", ("s", "a"), {}),
    ("rpushx", ("s", "a"), {}),
    ("lpop", ("s",), {}),
    ("rpop", ("s",), {}),
    ("lpop", ("s", 2), {}),
    ("llen", ("s",), {}),
    ("lrange", ("s", 0, -1), {}),
    ("lindex", ("s", 0), {}),
    ("lset", ("s", 0, "x"), {}),
    ("linsert", ("s", "BEFORE", "a", "b"), {}),
    ("lrem", ("s", 0, "a"), {}),
    ("ltrim", ("s", 0, 1), {}),
    ("lpos", ("s", "a"), {}),
    ("lmove", ("s", "d"), {}),
    ("rpoplpush", ("s", "d"), {}),
    ("lmpop", (1, "s"), {"direction": "LEFT"}),
    ("blpop", ("s",), {"timeout": 0.01}),
    ("brpop", ("s",), {"timeout": 0.01}),
    ("blmove", ("s", "d", 0.01), {}),
    ("brpoplpush", ("s", "d", 0.01), {}),
    ("blmpop", (0.01, 1, "s"), {"direction": "LEFT"}),
]


@pytest.mark.parametrize(("method", "args", "kwargs"), LIST_CALLS, ids=[c[0] for c in LIST_CALLS])
def test_list_command_on_a_string_is_wrongtype_with_redis_text(broker, method, args, kwargs):
    broker.set("s", "v")
    with pytest.raises(ResponseError) as e:
        getattr(broker, method)(*args, **kwargs)
    assert str(e.value) == WRONGTYPE
    assert broker.get("s") == b"v"
    assert broker.exists("d") == 0


def test_string_command_on_a_list_is_wrongtype(broker):
    broker.rpush("l", "a")
    for call in (lambda: broker.get("l"), lambda: broker.incr("l"), lambda: broker.getdel("l")):
        with pytest.raises(ResponseError) as e:
            call()
        assert str(e.value) == WRONGTYPE
    assert broker.lrange("l", 0, -1) == [b"a"]


# ---- argument encoding ----------------------------------------------------------------


def test_int_and_float_values_are_stored_as_their_repr(broker):
    assert broker.rpush("q", 1, 2.5, -3, 1e100, 0.1) == 5
    assert broker.lrange("q", 0, -1) == [b"1", b"2.5", b"-3", b"1e+100", b"0.1"]


def test_str_bytes_bytearray_memoryview_values(broker):
    broker.rpush("q", "é", b"\x00\xff", bytearray(b"ba"), memoryview(b"mv"))
    assert broker.lrange("q", 0, -1) == ["é".encode(), b"\x00\xff", b"ba", b"mv"]


def test_int_keys_are_encoded_too(broker):
    broker.rpush(7, "a")
    assert broker.lrange("7", 0, -1) == [b"a"]
    assert broker.lrange(b"7", 0, -1) == [b"a"]


@pytest.mark.parametrize(
    ("value", "typename"),
    [(True, "bool"), (False, "bool"), (None, "NoneType"), ({}, "dict"), ([1], "list"), (object(), "object")],
)
def test_values_redis_py_refuses_raise_dataerror_with_its_text(broker, value, typename):
    broker.rpush("q", "keep")
    with pytest.raises(DataError) as e:
        broker.rpush("q", "ok", value)
    assert str(e.value) == refused(typename)
    # Refused before the command ran: nothing was pushed.
    assert broker.lrange("q", 0, -1) == [b"keep"]


@pytest.mark.parametrize(("value", "typename"), [(True, "bool"), (None, "NoneType"), ({}, "dict")])
def test_refused_keys_raise_dataerror(broker, value, typename):
    with pytest.raises(DataError) as e:
        broker.lpush(value, "a")
    assert str(e.value) == refused(typename)


def test_dataerror_is_redis_py_dataerror_too(broker):
    with pytest.raises(redis.exceptions.DataError):
        broker.rpush("q", True)
    with pytest.raises(embedis.DataError):
        broker.lpush("q", None)


# ---- decode_responses -----------------------------------------------------------------


def test_decode_responses_returns_str():
    b = embedis.Broker(decode_responses=True)
    assert b.rpush("q", "a", "é", 3) == 3
    assert b.lrange("q", 0, -1) == ["a", "é", "3"]
    assert b.lindex("q", 0) == "a"
    assert b.lpop("q") == "a"
    assert b.rpop("q", 1) == ["3"]
    assert b.lmove("q", "r") == "é"
    assert b.lmpop(1, "r", direction="LEFT") == ["r", ["é"]]
    b.rpush("q", "x")
    assert b.blpop("q", timeout=1) == ("q", "x")
    assert b.type("missing") == "none"
    assert b.keys() == []


def test_decode_responses_shares_data_with_a_bytes_handle():
    raw = embedis.Broker()
    text = embedis.Broker(broker=raw, decode_responses=True)
    raw.rpush("q", "é")
    assert text.lrange("q", 0, -1) == ["é"]
    assert raw.lrange("q", 0, -1) == ["é".encode()]


# ---- exceptions -----------------------------------------------------------------------


def test_embedis_response_error_is_caught_as_redis_response_error(broker):
    broker.set("s", "v")
    try:
        broker.lpush("s", "a")
    except redis.exceptions.ResponseError as e:
        assert isinstance(e, embedis.exceptions.ResponseError)
        assert isinstance(e, redis.exceptions.RedisError)
        assert str(e) == WRONGTYPE
    else:  # pragma: no cover
        pytest.fail("no error raised")


def test_exception_hierarchy_mirrors_redis_py():
    for name in ("ResponseError", "DataError", "RedisError", "ConnectionError", "TimeoutError",
                 "PubSubError", "WatchError"):
        ours = getattr(embedis.exceptions, name)
        theirs = getattr(redis.exceptions, name)
        assert issubclass(ours, theirs), name
        assert issubclass(ours, embedis.exceptions.RedisError), name
    assert embedis.ResponseError is embedis.exceptions.ResponseError
    assert embedis.DataError is embedis.exceptions.DataError


# ---- binary safety and size -----------------------------------------------------------


def test_keys_and_values_are_binary_safe(broker):
    key = b"k\x00\xff\r\n"
    values = [b"", b"\x00", b"\r\n", bytes(range(256)), b"x" * 1_000_000]
    assert broker.rpush(key, *values) == 5
    assert broker.lrange(key, 0, -1) == values
    assert broker.keys() == [key]
    assert broker.lpos(key, b"\x00") == 1
    assert broker.lrem(key, 0, b"") == 1
    assert broker.rpop(key) == b"x" * 1_000_000


def test_a_long_list_keeps_order_from_both_ends(broker):
    n = 100_000
    for start in range(0, n, 1000):
        broker.rpush("q", *range(start, start + 1000))
    assert broker.llen("q") == n
    assert broker.lindex("q", n // 2) == str(n // 2).encode()
    assert broker.lrange("q", -3, -1) == [b"99997", b"99998", b"99999"]
    got_left = broker.lpop("q", n // 2)
    got_right = broker.rpop("q", n)
    assert got_left == [str(i).encode() for i in range(n // 2)]
    assert got_right == [str(i).encode() for i in range(n - 1, n // 2 - 1, -1)]
    assert broker.exists("q") == 0
