//! String commands through `command::dispatch`: SET's options and their Redis 7.0
//! validation, the INCR family's overflow errors, MSET's pairs. Errors checked against
//! redis-server 7.0.15.

use embedis::command::Reply;

mod command_common;
use command_common::Conn;

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const BAD_EXPIRE: &str = "ERR invalid expire time in 'set' command";

#[test]
fn set_and_get_round_trip() {
    let mut c = Conn::new();
    assert_eq!(c.ok("GET k"), Reply::Nil);
    assert_eq!(c.ok("SET k v"), Reply::Ok);
    assert_eq!(c.ok("GET k"), bulk("v"));
    c.ok("RPUSH l a");
    assert_eq!(c.err("GET l"), WRONGTYPE);
    assert_eq!(c.ok("SET l v"), Reply::Ok, "SET overwrites any type");
    assert_eq!(c.ok("GET l"), bulk("v"));
}

#[test]
fn set_nx_and_xx_answer_nil_when_refused() {
    let mut c = Conn::new();
    assert_eq!(c.ok("SET k v XX"), Reply::Nil);
    assert_eq!(c.ok("SET k v nx"), Reply::Ok);
    assert_eq!(c.ok("SET k w NX"), Reply::Nil);
    assert_eq!(c.ok("SET k w XX"), Reply::Ok);
    assert_eq!(c.ok("GET k"), bulk("w"));
}

#[test]
fn set_get_answers_the_old_value_whether_or_not_it_wrote() {
    let mut c = Conn::new();
    assert_eq!(c.ok("SET k v GET"), Reply::Nil);
    assert_eq!(c.ok("SET k v2 GET"), bulk("v"));
    // NX with GET is allowed in Redis 7.0; refused, it still answers the old value.
    assert_eq!(c.ok("SET k v3 NX GET"), bulk("v2"));
    assert_eq!(c.ok("SET k v4 GET GET"), bulk("v2"));
    assert_eq!(c.ok("GET k"), bulk("v4"));
    c.ok("RPUSH l a");
    assert_eq!(c.err("SET l v GET"), WRONGTYPE);
    assert_eq!(c.ok("LLEN l"), Reply::Int(1), "nothing written");
}

#[test]
fn set_expiry_options_set_a_ttl_and_keepttl_keeps_it() {
    let mut c = Conn::new();
    c.ok("SET k v EX 100");
    assert_eq!(c.int("TTL k"), 100);
    c.ok("SET k v KEEPTTL");
    assert_eq!(c.int("TTL k"), 100);
    c.ok("SET k v");
    assert_eq!(c.int("TTL k"), -1, "a plain SET drops the expiry");
    c.ok("SET k v px 5000");
    let pttl = c.int("PTTL k");
    assert!((4900..=5000).contains(&pttl), "{pttl}");
    // The same option twice is allowed; the last counts.
    c.ok("SET k v EX 10 EX 20");
    assert_eq!(c.int("TTL k"), 20);
}

#[test]
fn set_with_a_past_absolute_time_leaves_no_key() {
    let mut c = Conn::new();
    assert_eq!(c.ok("SET k v EXAT 1"), Reply::Ok);
    assert_eq!(c.ok("GET k"), Reply::Nil);
    assert_eq!(c.ok("SET k v PXAT 1 GET"), Reply::Nil);
    // Far but representable absolute times are accepted.
    assert_eq!(c.ok("SET k v EXAT 9223372036854775"), Reply::Ok);
    assert_eq!(c.ok("SET k v PXAT 9223372036854775807"), Reply::Ok);
}

#[test]
fn set_refuses_bad_expire_times_with_redis_text() {
    let mut c = Conn::new();
    for line in [
        "SET k v EX 0",
        "SET k v EX -1",
        "SET k v PX 0",
        "SET k v EXAT 0",
        "SET k v PXAT -5",
        "SET k v EX 9223372036854775807",
        "SET k v EX 9223372036854774",
        "SET k v PX 9223372036854775807",
    ] {
        assert_eq!(c.err(line), BAD_EXPIRE, "{line}");
    }
    assert_eq!(c.err("SET k v EX abc"), NOT_INT);
    assert_eq!(c.err("SET k v EX 1.5"), NOT_INT);
    // EX takes the next word as its value, whatever it is.
    assert_eq!(c.err("SET k v EX NX"), NOT_INT);
    assert_eq!(c.ok("EXISTS k"), Reply::Int(0));
}

#[test]
fn set_refuses_conflicting_or_unknown_options_as_syntax_errors() {
    let mut c = Conn::new();
    for line in [
        "SET k v NX XX",
        "SET k v XX NX",
        "SET k v EX 10 PX 10",
        "SET k v PX 10 EX 10",
        "SET k v EX 10 KEEPTTL",
        "SET k v KEEPTTL EX 10",
        "SET k v EXAT 10 PXAT 10",
        "SET k v foo",
        "SET k v EX",
    ] {
        assert_eq!(c.err(line), SYNTAX, "{line}");
    }
    // Syntax is checked before the expire time.
    assert_eq!(c.err("SET k v EX 0 NX XX"), SYNTAX);
    assert_eq!(c.err("SET k v NX NX EX 0"), BAD_EXPIRE);
}

#[test]
fn setnx_answers_whether_it_wrote() {
    let mut c = Conn::new();
    assert_eq!(c.ok("SETNX k 1"), Reply::Int(1));
    assert_eq!(c.ok("SETNX k 2"), Reply::Int(0));
    assert_eq!(c.ok("GET k"), bulk("1"));
}

#[test]
fn getdel_returns_and_deletes_strings_only() {
    let mut c = Conn::new();
    c.ok("SET k v");
    assert_eq!(c.ok("GETDEL k"), bulk("v"));
    assert_eq!(c.ok("GETDEL k"), Reply::Nil);
    c.ok("RPUSH l a");
    assert_eq!(c.err("GETDEL l"), WRONGTYPE);
}

#[test]
fn mget_reads_other_types_as_nil() {
    let mut c = Conn::new();
    c.ok("SET a 1");
    c.ok("RPUSH l x");
    assert_eq!(c.ok("MGET a l nokey"), Reply::Array(vec![bulk("1"), Reply::Nil, Reply::Nil]));
}

#[test]
fn mset_needs_pairs_and_msetnx_is_all_or_nothing() {
    let mut c = Conn::new();
    assert_eq!(c.err("MSET a"), "ERR wrong number of arguments for 'mset' command");
    assert_eq!(c.err("MSET a 1 b"), "ERR wrong number of arguments for 'mset' command");
    assert_eq!(c.err("MSETNX a 1 b"), "ERR wrong number of arguments for 'msetnx' command");
    assert_eq!(c.ok("MSET a 1 b 2"), Reply::Ok);
    assert_eq!(c.ok("MSETNX a 9 c 3"), Reply::Int(0));
    assert_eq!(c.ok("EXISTS c"), Reply::Int(0));
    assert_eq!(c.ok("MSETNX c 3 d 4"), Reply::Int(1));
    assert_eq!(c.ok("MGET a b c d"), Reply::Array(vec![bulk("1"), bulk("2"), bulk("3"), bulk("4")]));
}

#[test]
fn incr_family_counts_from_zero() {
    let mut c = Conn::new();
    assert_eq!(c.ok("INCR n"), Reply::Int(1));
    assert_eq!(c.ok("INCRBY n 10"), Reply::Int(11));
    assert_eq!(c.ok("DECR n"), Reply::Int(10));
    assert_eq!(c.ok("DECRBY n -5"), Reply::Int(15));
    assert_eq!(c.ok("GET n"), bulk("15"));
}

#[test]
fn incr_family_errors_are_redis_texts() {
    let mut c = Conn::new();
    assert_eq!(c.err("INCRBY n abc"), NOT_INT);
    assert_eq!(c.err("INCRBY n +1"), NOT_INT, "string2ll refuses a plus sign");
    assert_eq!(c.err("DECRBY n -9223372036854775808"), "ERR decrement would overflow");
    assert_eq!(c.ok("EXISTS n"), Reply::Int(0));
    c.ok("SET n 9223372036854775807");
    assert_eq!(c.err("INCR n"), "ERR increment or decrement would overflow");
    c.ok("SET s abc");
    assert_eq!(c.err("INCR s"), NOT_INT);
    c.ok("RPUSH l a");
    assert_eq!(c.err("DECR l"), WRONGTYPE);
}

#[test]
fn append_strlen_and_getrange() {
    let mut c = Conn::new();
    assert_eq!(c.int("APPEND k foo"), 3);
    assert_eq!(c.int("APPEND k bar"), 6);
    assert_eq!(c.int("STRLEN k"), 6);
    assert_eq!(c.int("STRLEN missing"), 0);
    assert_eq!(c.ok("GETRANGE k 0 2"), bulk("foo"));
    assert_eq!(c.ok("GETRANGE k -3 -1"), bulk("bar"));
    assert_eq!(c.ok("GETRANGE k -1 -3"), bulk(""));
    assert_eq!(c.ok("GETRANGE k -100 100"), bulk("foobar"));
    assert_eq!(c.ok("SUBSTR k 1 2"), bulk("oo"));
    assert_eq!(c.ok("GETRANGE missing 0 -1"), bulk(""));
    assert_eq!(c.err("GETRANGE missing x 1"), NOT_INT, "indexes are parsed before the lookup");
    c.ok("RPUSH l a");
    assert_eq!(c.err("APPEND l x"), WRONGTYPE);
    assert_eq!(c.err("STRLEN l"), WRONGTYPE);
    assert_eq!(c.err("GETRANGE l 0 1"), WRONGTYPE);
    c.ok("SET n 10");
    assert_eq!(c.int("APPEND n 5"), 3);
    assert_eq!(c.int("INCR n"), 106);
}

#[test]
fn append_keeps_the_ttl() {
    let mut c = Conn::new();
    c.ok("SET k v EX 100");
    c.ok("APPEND k w");
    assert_eq!(c.int("TTL k"), 100);
}

#[test]
fn setrange_pads_with_zeros_and_checks_the_size() {
    let mut c = Conn::new();
    assert_eq!(c.int("SETRANGE k 3 ab"), 5);
    assert_eq!(c.ok("GET k"), Reply::Bulk(b"\0\0\0ab".to_vec()));
    assert_eq!(c.int("SETRANGE k 1 XYZW"), 5);
    assert_eq!(c.ok("GET k"), Reply::Bulk(b"\0XYZW".to_vec()));
    assert_eq!(c.err("SETRANGE k -1 x"), "ERR offset is out of range");
    assert_eq!(c.err("SETRANGE k x x"), NOT_INT);
    assert_eq!(c.err("SETRANGE big 536870912 a"), "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    assert_eq!(c.int("EXISTS big"), 0);
    c.ok("RPUSH l a");
    assert_eq!(c.err("SETRANGE l 0 x"), WRONGTYPE);
}

#[test]
fn getset_answers_the_old_value_and_drops_the_ttl() {
    let mut c = Conn::new();
    assert_eq!(c.ok("GETSET k v"), Reply::Nil);
    c.ok("SET k v EX 100");
    assert_eq!(c.ok("GETSET k w"), bulk("v"));
    assert_eq!(c.int("TTL k"), -1);
    c.ok("RPUSH l a");
    assert_eq!(c.err("GETSET l v"), WRONGTYPE);
}

#[test]
fn getex_changes_the_expiry_after_reading() {
    let mut c = Conn::new();
    c.ok("SET k v");
    assert_eq!(c.ok("GETEX k EX 100"), bulk("v"));
    assert_eq!(c.int("TTL k"), 100);
    assert_eq!(c.ok("GETEX k PERSIST"), bulk("v"));
    assert_eq!(c.int("TTL k"), -1);
    assert_eq!(c.err("GETEX k EX 0"), "ERR invalid expire time in 'getex' command");
    assert_eq!(c.err("GETEX k EX 1 PERSIST"), SYNTAX);
    assert_eq!(c.err("GETEX k PERSIST PX 1"), SYNTAX);
    assert_eq!(c.err("GETEX k EX 1 PX 1"), SYNTAX);
    assert_eq!(c.err("GETEX k KEEPTTL"), SYNTAX);
    assert_eq!(c.ok("GETEX missing EX 0"), Reply::Nil, "the time is checked after the key");
    assert_eq!(c.ok("GETEX k EXAT 1"), bulk("v"));
    assert_eq!(c.int("EXISTS k"), 0, "a past time deletes the key");
}

#[test]
fn setex_and_psetex() {
    let mut c = Conn::new();
    assert_eq!(c.ok("SETEX k 100 v"), Reply::Ok);
    assert_eq!(c.int("TTL k"), 100);
    assert_eq!(c.ok("PSETEX k 100000 w"), Reply::Ok);
    assert_eq!(c.ok("GET k"), bulk("w"));
    assert_eq!(c.err("SETEX k 0 v"), "ERR invalid expire time in 'setex' command");
    assert_eq!(c.err("PSETEX k -1 v"), "ERR invalid expire time in 'psetex' command");
    assert_eq!(c.err("SETEX k 9223372036854775807 v"), "ERR invalid expire time in 'setex' command");
    assert_eq!(c.err("SETEX k x v"), NOT_INT);
}

#[test]
fn incrbyfloat_uses_redis_long_double_formatting() {
    let mut c = Conn::new();
    assert_eq!(c.ok("INCRBYFLOAT f 0.1"), bulk("0.1"));
    assert_eq!(c.ok("INCRBYFLOAT f 0.2"), bulk("0.3"));
    assert_eq!(c.ok("INCRBYFLOAT g 1e20"), bulk("100000000000000000000"));
    assert_eq!(c.ok("INCRBYFLOAT h -0"), bulk("0"));
    assert_eq!(c.err("INCRBYFLOAT h inf"), "ERR increment would produce NaN or Infinity");
    assert_eq!(c.err("INCRBYFLOAT h abc"), "ERR value is not a valid float");
    c.ok("SET s foo EX 100");
    assert_eq!(c.err("INCRBYFLOAT s 1"), "ERR value is not a valid float");
    c.ok("SET s 1.5 EX 100");
    assert_eq!(c.ok("INCRBYFLOAT s 1"), bulk("2.5"));
    assert_eq!(c.int("TTL s"), 100, "the TTL is kept");
}

#[test]
fn lcs_answers_string_length_or_ranges() {
    let mut c = Conn::new();
    c.ok("SET a ohmytext");
    c.ok("SET b mynewtext");
    assert_eq!(c.ok("LCS a b"), bulk("mytext"));
    assert_eq!(c.int("LCS a b LEN"), 6);
    let range = |s: i64, e: i64| Reply::Array(vec![Reply::Int(s), Reply::Int(e)]);
    assert_eq!(
        c.ok("LCS a b IDX MINMATCHLEN 3 WITHMATCHLEN"),
        Reply::Map(vec![
            (bulk("matches"), Reply::Array(vec![Reply::Array(vec![range(4, 7), range(5, 8), Reply::Int(4)])])),
            (bulk("len"), Reply::Int(6)),
        ])
    );
    assert_eq!(c.err("LCS a b LEN IDX"), "ERR If you want both the length and indexes, please just use IDX.");
    assert_eq!(c.err("LCS a b MINMATCHLEN"), SYNTAX);
    c.ok("RPUSH l x");
    assert_eq!(c.err("LCS a l FOO"), "ERR The specified keys must contain string values");
    assert_eq!(c.ok("LCS a missing"), bulk(""));
}
