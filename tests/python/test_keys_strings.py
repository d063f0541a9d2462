"""Keyspace, expiry, databases, server and string commands of ``embedis.Broker``
(values checked against redis-py 8.1 on redis-server 7.0)."""

from __future__ import annotations

import datetime
import time

import pytest

import embedis
from embedis.exceptions import DataError, ResponseError

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def wait_for(predicate, timeout: float = 2.0, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# ---- delete / unlink / exists / type --------------------------------------------------


def test_delete_counts_existing_keys_of_any_type(broker):
    broker.set("s", "v")
    broker.rpush("l", "a")
    assert broker.delete("s", "l", "missing") == 2
    assert broker.exists("s", "l") == 0
    assert broker.delete("s") == 0


def test_unlink_is_delete(broker):
    broker.set("a", 1)
    broker.rpush("b", 1)
    assert broker.unlink("a", "b", "c") == 2
    assert broker.dbsize() == 0


def test_exists_counts_a_key_named_twice_twice(broker):
    broker.set("a", 1)
    assert broker.exists("a", "a", "missing") == 2
    assert broker.exists("missing") == 0


@pytest.mark.parametrize("method", ["delete", "exists", "unlink"])
def test_key_commands_without_keys_are_arity_errors(broker, method):
    name = {"delete": "del"}.get(method, method)
    with pytest.raises(ResponseError) as e:
        getattr(broker, method)()
    assert str(e.value) == f"wrong number of arguments for '{name}' command"


def test_type_names(broker):
    broker.set("s", "v")
    broker.rpush("l", "a")
    assert broker.type("s") == b"string"
    assert broker.type("l") == b"list"
    assert broker.type("missing") == b"none"


# ---- keys / scan ----------------------------------------------------------------------


def test_keys_glob_patterns(broker):
    broker.mset({k: 1 for k in ("h1llo", "hallo", "hello", "hxllo", "heello", "h*llo")})
    assert sorted(broker.keys()) == sorted(k.encode() for k in ("h1llo", "hallo", "hello", "hxllo", "heello", "h*llo"))
    assert sorted(broker.keys("*")) == sorted(broker.keys())
    assert sorted(broker.keys("h?llo")) == [b"h*llo", b"h1llo", b"hallo", b"hello", b"hxllo"]
    assert sorted(broker.keys("h[ae]llo")) == [b"hallo", b"hello"]
    assert sorted(broker.keys("h[^e]llo")) == [b"h*llo", b"h1llo", b"hallo", b"hxllo"]
    assert sorted(broker.keys("h[a-b]llo")) == [b"hallo"]
    assert sorted(broker.keys("h\\*llo")) == [b"h*llo"]
    assert sorted(broker.keys("he*")) == [b"heello", b"hello"]
    assert broker.keys("nothing*") == []


def test_scan_shape_is_int_cursor_and_list(broker):
    cursor, keys = broker.scan()
    assert (cursor, keys) == (0, [])
    broker.set("a", 1)
    cursor, keys = broker.scan(0)
    assert isinstance(cursor, int)
    assert cursor == 0
    assert keys == [b"a"]


def test_scan_match_and_type_filters(broker):
    broker.mset({"s1": 1, "s2": 2, "x": 3})
    broker.rpush("l1", "a")
    broker.rpush("l2", "a")
    assert sorted(broker.scan_iter(match="s*")) == [b"s1", b"s2"]
    assert sorted(broker.scan_iter(_type="list")) == [b"l1", b"l2"]
    assert sorted(broker.scan_iter(_type="LIST")) == [b"l1", b"l2"]
    assert sorted(broker.scan_iter(_type="string", match="*1")) == [b"s1"]
    assert sorted(broker.scan_iter(_type="stream")) == []
    cursor, keys = broker.scan(0, match="l*", count=1000)
    assert cursor == 0
    assert sorted(keys) == [b"l1", b"l2"]


def test_full_scan_iter_returns_every_key_exactly_once(broker):
    names = [f"key:{i}".encode() for i in range(1000)]
    broker.mset(dict.fromkeys(names, b"v"))
    seen = list(broker.scan_iter(count=7))
    assert len(seen) == len(set(seen)) == 1000
    assert set(seen) == set(names)


def test_scan_with_small_count_walks_in_several_steps(broker):
    broker.mset({f"k{i}": i for i in range(100)})
    cursor, keys = broker.scan(0, count=7)
    assert cursor != 0
    steps, seen = 1, list(keys)
    while cursor != 0:
        cursor, keys = broker.scan(cursor, count=7)
        seen += keys
        steps += 1
        assert steps < 1000
    assert steps > 5
    assert sorted(seen) == sorted(f"k{i}".encode() for i in range(100))


def test_scan_keys_present_throughout_are_returned_despite_writes(broker):
    stable = {f"stable:{i}".encode() for i in range(300)}
    broker.mset(dict.fromkeys(stable, 1))
    seen = []
    cursor = 0
    i = 0
    while True:
        cursor, keys = broker.scan(cursor, count=10)
        seen += keys
        # Churn: add and delete other keys between calls.
        broker.set(f"churn:{i}", 1)
        broker.delete(f"churn:{i - 3}")
        i += 1
        if cursor == 0:
            break
    got_stable = [k for k in seen if k.startswith(b"stable:")]
    assert len(got_stable) == len(set(got_stable)) == 300


def test_scan_and_scan_iter_with_decode_responses():
    b = embedis.Broker(decode_responses=True)
    b.set("a", 1)
    assert list(b.scan_iter()) == ["a"]
    assert b.scan(0) == (0, ["a"])


# ---- dbsize / flush -------------------------------------------------------------------


def test_dbsize_flushdb_flushall(broker):
    other = embedis.Broker(broker=broker, db=1)
    broker.set("a", 1)
    broker.rpush("l", 1)
    other.set("b", 1)
    assert broker.dbsize() == 2
    assert other.dbsize() == 1
    assert broker.flushdb() is True
    assert broker.dbsize() == 0
    assert other.dbsize() == 1
    broker.set("a", 1)
    assert broker.flushall() is True
    assert broker.dbsize() == 0
    assert other.dbsize() == 0
    assert broker.flushdb(asynchronous=True) is True
    assert broker.flushall(asynchronous=True) is True


# ---- rename ---------------------------------------------------------------------------


def test_rename_moves_value_and_overwrites(broker):
    broker.rpush("l", "a")
    broker.set("s", "v")
    assert broker.rename("l", "s") is True
    assert broker.type("s") == b"list"
    assert broker.exists("l") == 0
    assert broker.lrange("s", 0, -1) == [b"a"]


def test_rename_keeps_the_ttl(broker):
    broker.set("a", 1, ex=100)
    broker.rename("a", "b")
    assert 98 <= broker.ttl("b") <= 100


def test_rename_and_renamenx_of_a_missing_key(broker):
    for method in (broker.rename, broker.renamenx):
        with pytest.raises(ResponseError) as e:
            method("missing", "x")
        assert str(e.value) == "no such key"


def test_renamenx(broker):
    broker.set("a", 1)
    broker.set("b", 2)
    assert broker.renamenx("a", "b") is False
    assert broker.get("a") == b"1"
    assert broker.renamenx("a", "c") is True
    assert broker.get("c") == b"1"
    assert broker.exists("a") == 0


def test_rename_onto_itself(broker):
    broker.set("a", 1)
    assert broker.rename("a", "a") is True
    assert broker.renamenx("a", "a") is False
    assert broker.get("a") == b"1"


# ---- expiry ---------------------------------------------------------------------------


def test_ttl_and_pttl_of_missing_and_persistent_keys(broker):
    assert broker.ttl("missing") == -2
    assert broker.pttl("missing") == -2
    broker.set("a", 1)
    assert broker.ttl("a") == -1
    assert broker.pttl("a") == -1


def test_expire_pexpire_ttl_pttl(broker):
    broker.set("a", 1)
    assert broker.expire("a", 100) is True
    assert broker.ttl("a") == 100
    assert 99_000 < broker.pttl("a") <= 100_000
    assert broker.pexpire("a", 5000) is True
    assert broker.ttl("a") == 5
    assert 4000 < broker.pttl("a") <= 5000
    assert broker.expire("missing", 10) is False
    assert broker.pexpire("missing", 10) is False


def test_expire_accepts_timedelta(broker):
    broker.set("a", 1)
    assert broker.expire("a", datetime.timedelta(seconds=30)) is True
    assert broker.ttl("a") == 30
    assert broker.pexpire("a", datetime.timedelta(milliseconds=1500)) is True
    assert 1000 < broker.pttl("a") <= 1500


def test_expireat_and_pexpireat(broker):
    broker.set("a", 1)
    assert broker.expireat("a", int(time.time()) + 50) is True
    assert 48 <= broker.ttl("a") <= 50
    assert broker.pexpireat("a", int(time.time() * 1000) + 20_000) is True
    assert 19 <= broker.ttl("a") <= 20
    at = datetime.datetime.now() + datetime.timedelta(seconds=40)
    assert broker.expireat("a", at) is True
    assert 38 <= broker.ttl("a") <= 40
    assert broker.expireat("missing", int(time.time()) + 50) is False


def test_expire_in_the_past_deletes(broker):
    broker.set("a", 1)
    assert broker.expire("a", -1) is True
    assert broker.exists("a") == 0
    broker.set("b", 1)
    assert broker.expireat("b", 1) is True
    assert broker.exists("b") == 0


def test_expire_conditions(broker):
    broker.set("a", 1)
    assert broker.expire("a", 100, xx=True) is False
    assert broker.expire("a", 100, gt=True) is False
    assert broker.expire("a", 100, nx=True) is True
    assert broker.expire("a", 50, nx=True) is False
    assert broker.expire("a", 50, gt=True) is False
    assert broker.expire("a", 200, gt=True) is True
    assert broker.expire("a", 300, lt=True) is False
    assert broker.expire("a", 10, lt=True) is True
    assert broker.expire("a", 20, xx=True) is True
    assert broker.ttl("a") == 20
    broker.set("b", 1)
    assert broker.expire("b", 10, lt=True) is True


def test_expire_incompatible_conditions_text(broker):
    broker.set("a", 1)
    with pytest.raises(ResponseError) as e:
        broker.expire("a", 100, nx=True, xx=True)
    assert str(e.value) == "NX and XX, GT or LT options at the same time are not compatible"


def test_expire_with_non_integer_time_is_not_an_integer(broker):
    broker.set("a", 1)
    with pytest.raises(ResponseError) as e:
        broker.expire("a", 1.5)
    assert str(e.value) == "value is not an integer or out of range"


def test_expire_overflowing_time(broker):
    broker.set("a", 1)
    with pytest.raises(ResponseError) as e:
        broker.expire("a", 2**62)
    assert str(e.value) == "invalid expire time in 'expire' command"
    with pytest.raises(ResponseError) as e:
        broker.pexpire("a", 2**63 - 1)
    assert str(e.value) == "invalid expire time in 'pexpire' command"


def test_persist(broker):
    broker.set("a", 1, ex=100)
    assert broker.persist("a") is True
    assert broker.ttl("a") == -1
    assert broker.persist("a") is False
    assert broker.persist("missing") is False


def test_set_and_writes_clear_or_keep_the_ttl(broker):
    broker.set("a", 1, ex=100)
    broker.set("a", 2)
    assert broker.ttl("a") == -1
    broker.set("a", 1, ex=100)
    broker.set("a", 3, keepttl=True)
    assert broker.ttl("a") == 100
    broker.incr("a")
    assert broker.ttl("a") == 100
    assert broker.get("a") == b"4"


def test_key_with_px_vanishes_on_access(broker):
    broker.set("a", 1, px=50)
    broker.rpush("l", "x")
    broker.pexpire("l", 50)
    assert broker.exists("a", "l") == 2
    time.sleep(0.1)
    assert broker.get("a") is None
    assert broker.exists("a") == 0
    assert broker.lrange("l", 0, -1) == []
    assert broker.llen("l") == 0
    assert broker.ttl("a") == -2
    assert broker.keys() == []


def test_expired_keys_are_removed_by_the_active_sweep_without_access(broker):
    broker.mset({f"k{i}": i for i in range(20)})
    for i in range(20):
        broker.pexpire(f"k{i}", 50)
    broker.set("stays", 1)
    assert broker.dbsize() == 21
    # DBSIZE does not touch the keys: only the background sweep can bring it down.
    assert wait_for(lambda: broker.dbsize() == 1, timeout=1.5), broker.dbsize()
    assert broker.get("stays") == b"1"


def test_expired_keys_in_other_databases_are_swept(broker):
    other = embedis.Broker(broker=broker, db=5)
    other.set("a", 1, px=50)
    assert wait_for(lambda: other.dbsize() == 0, timeout=1.5), other.dbsize()


def test_expired_key_is_not_counted_by_exists_or_scan(broker):
    broker.set("a", 1, px=30)
    broker.set("b", 1)
    time.sleep(0.06)
    assert broker.exists("a") == 0
    assert list(broker.scan_iter()) == [b"b"]
    assert broker.keys() == [b"b"]


def test_push_onto_an_expired_list_starts_a_new_one_without_ttl(broker):
    broker.rpush("l", "old")
    broker.pexpire("l", 30)
    time.sleep(0.06)
    assert broker.rpush("l", "new") == 1
    assert broker.lrange("l", 0, -1) == [b"new"]
    assert broker.ttl("l") == -1


# ---- databases ------------------------------------------------------------------------


def test_sixteen_databases_are_isolated():
    base = embedis.Broker()
    handles = [embedis.Broker(broker=base, db=i) for i in range(16)]
    for i, h in enumerate(handles):
        h.set("k", i)
        h.rpush("l", i)
    for i, h in enumerate(handles):
        assert h.get("k") == str(i).encode()
        assert h.lrange("l", 0, -1) == [str(i).encode()]
        assert h.dbsize() == 2


def test_broker_db_3_does_not_see_db_0():
    b0 = embedis.Broker()
    b3 = embedis.Broker(broker=b0, db=3)
    b0.set("a", 0)
    assert b3.get("a") is None
    assert b3.exists("a") == 0
    b3.set("a", 3)
    assert b0.get("a") == b"0"
    assert embedis.Broker(db=3).dbsize() == 0  # a new broker is empty whatever its db


def test_db_out_of_range_is_refused():
    for db in (16, -1):
        with pytest.raises((ValueError, ResponseError)) as e:
            embedis.Broker(db=db)
        assert "DB index is out of range" in str(e.value)


def test_select_through_execute_command_switches_database(broker):
    broker.set("k", "zero")
    assert broker.execute_command("SELECT", 2) is True
    assert broker.get("k") is None
    broker.set("k", "two")
    assert broker.execute_command("SELECT", "0") is True
    assert broker.get("k") == b"zero"
    assert embedis.Broker(broker=broker, db=2).get("k") == b"two"


def test_select_out_of_range(broker):
    with pytest.raises(ResponseError) as e:
        broker.execute_command("SELECT", 16)
    assert str(e.value) == "DB index is out of range"
    with pytest.raises(ResponseError) as e:
        broker.execute_command("SELECT", "x")
    assert str(e.value) == "value is not an integer or out of range"


# ---- ping / echo ----------------------------------------------------------------------


def test_ping_and_echo(broker):
    assert broker.ping() is True
    assert broker.echo("hi") == b"hi"
    assert broker.echo(5) == b"5"
    assert embedis.Broker(decode_responses=True).echo("hé") == "hé"


# ---- get / set ------------------------------------------------------------------------


def test_get_and_set(broker):
    assert broker.get("a") is None
    assert broker.set("a", "v") is True
    assert broker.get("a") == b"v"
    assert broker.set("n", 12) is True
    assert broker.get("n") == b"12"
    assert broker.set("f", 1.5) is True
    assert broker.get("f") == b"1.5"


def test_set_nx_xx(broker):
    assert broker.set("a", 1, xx=True) is None
    assert broker.exists("a") == 0
    assert broker.set("a", 1, nx=True) is True
    assert broker.set("a", 2, nx=True) is None
    assert broker.get("a") == b"1"
    assert broker.set("a", 3, xx=True) is True
    assert broker.get("a") == b"3"


def test_set_get_returns_the_old_value(broker):
    assert broker.set("a", 1, get=True) is None
    assert broker.set("a", 2, get=True) == b"1"
    assert broker.set("a", 3, nx=True, get=True) == b"2"
    assert broker.get("a") == b"2"
    broker.rpush("l", "x")
    with pytest.raises(ResponseError) as e:
        broker.set("l", "v", get=True)
    assert str(e.value) == WRONGTYPE
    assert broker.type("l") == b"list"


def test_set_overwrites_a_list(broker):
    broker.rpush("l", "x")
    assert broker.set("l", "v") is True
    assert broker.type("l") == b"string"


def test_set_expiry_options(broker):
    broker.set("ex", 1, ex=100)
    assert broker.ttl("ex") == 100
    broker.set("px", 1, px=5000)
    assert 4000 < broker.pttl("px") <= 5000
    broker.set("td", 1, ex=datetime.timedelta(seconds=7))
    assert broker.ttl("td") == 7
    broker.set("exat", 1, exat=int(time.time()) + 60)
    assert 58 <= broker.ttl("exat") <= 60
    broker.set("pxat", 1, pxat=int(time.time() * 1000) + 30_000)
    assert 28 <= broker.ttl("pxat") <= 30
    broker.set("past", 1, exat=1)
    assert broker.exists("past") == 0


def test_set_invalid_expire_times(broker):
    for kwargs in ({"ex": 0}, {"px": -1}, {"ex": 2**62}):
        with pytest.raises(ResponseError) as e:
            broker.set("a", 1, **kwargs)
        assert str(e.value) == "invalid expire time in 'set' command"
    assert broker.exists("a") == 0


def test_set_refuses_what_redis_py_refuses(broker):
    # redis-py validates these before sending anything, with DataError.
    with pytest.raises(DataError) as e:
        broker.set("a", 1, ex=1, px=1)
    assert str(e.value) == "``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive."
    with pytest.raises(DataError) as e:
        broker.set("a", 1, nx=True, xx=True)
    assert str(e.value) == "``nx``, ``xx``, ``ifeq``, ``ifne``, ``ifdeq``, ``ifdne`` are mutually exclusive."
    with pytest.raises(DataError) as e:
        broker.set("a", 1, px=1.5)
    assert str(e.value) == "px must be datetime.timedelta, int, or a digit string"
    assert broker.exists("a") == 0


def test_setnx(broker):
    assert broker.setnx("a", 1) is True
    assert broker.setnx("a", 2) is False
    assert broker.get("a") == b"1"


def test_getdel(broker):
    broker.set("a", "v")
    assert broker.getdel("a") == b"v"
    assert broker.exists("a") == 0
    assert broker.getdel("a") is None


def test_mget_mset_msetnx(broker):
    assert broker.mset({"a": 1, "b": "x", b"c": 2.5}) is True
    broker.rpush("l", "x")
    assert broker.mget("a", "b", "c", "l", "missing") == [b"1", b"x", b"2.5", None, None]
    assert broker.mget(["a", "b"]) == [b"1", b"x"]
    assert broker.mget(["a"], "b") == [b"1", b"x"]
    assert broker.msetnx({"a": 9, "new": 1}) is False
    assert broker.get("a") == b"1"
    assert broker.exists("new") == 0
    assert broker.msetnx({"n1": 1, "n2": 2}) is True
    assert broker.mget("n1", "n2") == [b"1", b"2"]


def test_incr_decr_family(broker):
    assert broker.incr("n") == 1
    assert broker.incr("n", 5) == 6
    assert broker.incrby("n", 10) == 16
    assert broker.decr("n") == 15
    assert broker.decr("n", 5) == 10
    assert broker.decrby("n", 20) == -10
    assert broker.get("n") == b"-10"
    assert broker.incrby("n", -5) == -15


def test_incr_on_non_integers(broker):
    for value in ("abc", " 1", "01", "1.5", "", "99999999999999999999"):
        broker.set("s", value)
        with pytest.raises(ResponseError) as e:
            broker.incr("s")
        assert str(e.value) == "value is not an integer or out of range", value
    broker.set("s", "-0")
    with pytest.raises(ResponseError):
        broker.incr("s")


def test_incr_overflow(broker):
    broker.set("n", 2**63 - 1)
    with pytest.raises(ResponseError) as e:
        broker.incr("n")
    assert str(e.value) == "increment or decrement would overflow"
    broker.set("n", -(2**63))
    with pytest.raises(ResponseError) as e:
        broker.decrby("n", 1)
    assert str(e.value) == "increment or decrement would overflow"
    assert broker.get("n") == str(-(2**63)).encode()


def test_incrby_amounts_beyond_64_bits_or_fractional(broker):
    for amount in (2**64, 1.5):
        with pytest.raises(ResponseError) as e:
            broker.incrby("n", amount)
        assert str(e.value) == "value is not an integer or out of range"
    assert broker.exists("n") == 0


def test_decrby_of_the_smallest_integer(broker):
    # redis: DECRBY n -9223372036854775808 -> "decrement would overflow".
    with pytest.raises(ResponseError) as e:
        broker.decrby("n", -(2**63))
    assert str(e.value) == "decrement would overflow"


# ---- execute_command ------------------------------------------------------------------


def test_execute_command_returns_redis_py_shapes(broker):
    assert broker.execute_command("SET", "k", "v") is True
    assert broker.execute_command("GET", "k") == b"v"
    assert broker.execute_command("SET", "k", "w", "NX") is None
    assert broker.execute_command("RPUSH", "l", "a", "b", "c") == 3
    assert broker.execute_command("LRANGE", "l", 0, -1) == [b"a", b"b", b"c"]
    assert broker.execute_command("LPOP", "l") == b"a"
    assert broker.execute_command("LPOP", "l", 5) == [b"b", b"c"]
    assert broker.execute_command("LPOP", "missing") is None
    broker.rpush("l", "a", "b")
    assert broker.execute_command("LSET", "l", 0, "x") is True
    assert broker.execute_command("LTRIM", "l", 0, 0) is True
    assert broker.execute_command("BLPOP", "l", 0) == (b"l", b"x")
    assert broker.execute_command("BLPOP", "l", "0.01") is None
    assert broker.execute_command("PING") is True
    assert broker.execute_command("ECHO", "hi") == b"hi"
    assert broker.execute_command("TYPE", "k") == b"string"
    assert broker.execute_command("EXISTS", "k", "k") == 2
    assert broker.execute_command("EXPIRE", "k", 100) is True
    assert broker.execute_command("TTL", "k") == 100
    assert broker.execute_command("PERSIST", "k") is True
    assert broker.execute_command("SETNX", "k", "v") is False
    assert broker.execute_command("MSET", "a", 1, "b", 2) is True
    assert broker.execute_command("MGET", "a", "b", "zz") == [b"1", b"2", None]
    assert broker.execute_command("INCRBY", "a", 10) == 11
    assert broker.execute_command("RENAME", "a", "c") is True
    assert broker.execute_command("RENAMENX", "c", "b") is False
    assert broker.execute_command("SCAN", 0, "MATCH", "c") == (0, [b"c"])
    assert sorted(broker.execute_command("KEYS", "*")) == [b"b", b"c", b"k"]
    assert broker.execute_command("DBSIZE") == 3
    assert broker.execute_command("DEL", "b", "c") == 2
    assert broker.execute_command("FLUSHDB") is True
    assert broker.execute_command("FLUSHALL") is True


def test_execute_command_is_case_insensitive_and_takes_bytes(broker):
    assert broker.execute_command("rpush", "l", "a") == 1
    assert broker.execute_command(b"LLEN", b"l") == 1
    assert broker.execute_command("lRaNgE", "l", "0", "-1") == [b"a"]


def test_execute_command_decodes_with_decode_responses():
    b = embedis.Broker(decode_responses=True)
    b.execute_command("RPUSH", "l", "é")
    assert b.execute_command("LRANGE", "l", 0, -1) == ["é"]
    assert b.execute_command("BLPOP", "l", 1) == ("l", "é")


def test_execute_command_errors(broker):
    cases = [
        (("NOPE", "a", "b"), "unknown command 'NOPE', with args beginning with: 'a' 'b' "),
        (("LPUSH", "a"), "wrong number of arguments for 'lpush' command"),
        (("GET",), "wrong number of arguments for 'get' command"),
        (("INCRBY", "n", "x"), "value is not an integer or out of range"),
        (("LRANGE", "l", "a", 1), "value is not an integer or out of range"),
        (("BLPOP", "l", -1), "timeout is negative"),
        (("BLPOP", "l", "abc"), "timeout is not a float or out of range"),
        (("SET", "k", "v", "EX", 0), "invalid expire time in 'set' command"),
        (("SET", "k", "v", "NX", "XX"), "syntax error"),
    ]
    for args, message in cases:
        with pytest.raises(ResponseError) as e:
            broker.execute_command(*args)
        assert str(e.value) == message, args


@pytest.mark.parametrize("timeout", ["1e20", "inf", "-inf", "-1", "abc", "", " 1", "1e400", "9.3e15", "0x10", "1e-9"])
def test_blocking_method_and_execute_command_agree_on_timeouts(broker, timeout):
    # The same timeout must get the same answer through either door (data is present, so
    # a valid timeout returns at once).
    broker.rpush("l", "a", "b")
    try:
        via_method = ("ok", broker.blpop("l", timeout=timeout))
    except ResponseError as e:
        via_method = ("err", str(e))
    broker.delete("l")
    broker.rpush("l", "a", "b")
    try:
        via_command = ("ok", broker.execute_command("BLPOP", "l", timeout))
    except ResponseError as e:
        via_command = ("err", str(e))
    assert via_method == via_command


def test_execute_command_without_words(broker):
    with pytest.raises(Exception):  # noqa: B017, PT011 - redis-py raises IndexError here
        broker.execute_command()


def test_execute_command_refuses_unencodable_arguments(broker):
    with pytest.raises(DataError):
        broker.execute_command("SET", "k", True)
    with pytest.raises(DataError):
        broker.execute_command("SET", "k", None)
    assert broker.exists("k") == 0
