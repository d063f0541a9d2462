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
