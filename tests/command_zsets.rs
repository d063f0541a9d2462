//! Sorted-set commands through `command::dispatch`: reply shapes, score formatting,
//! ranges, encodings and Redis 7.0's exact errors (each checked against redis-server
//! 7.0.15).

use embedis::command::{config, Reply};

mod command_common;
use command_common::{Conn, Recorder};

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn dbl(d: f64) -> Reply {
    Reply::Double(d)
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

fn config_set(c: &Conn, pairs: &[&[u8]]) {
    c.engine.execute(|ks| config::set(ks, &config::NoHost, pairs)).expect("config set");
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "ERR value is not a valid float";

#[test]
fn zadd_flags_and_replies() {
    let mut c = Conn::new();
    assert_eq!(c.ok("ZADD z 1.1 a 2 b 1e300 c"), Reply::Int(3));
    assert_eq!(c.ok("ZSCORE z a"), dbl(1.1));
    assert_eq!(c.ok("ZSCORE z c"), dbl(1e300));
    assert_eq!(c.ok("ZADD z NX 5 a 3 d"), Reply::Int(1));
    assert_eq!(c.ok("ZSCORE z a"), dbl(1.1));
    assert_eq!(c.ok("ZADD z XX CH 5 a 3 e"), Reply::Int(1));
    assert_eq!(c.ok("ZCARD z"), Reply::Int(4));
    assert_eq!(c.ok("ZADD z GT CH 4 a 6 b"), Reply::Int(1));
    assert_eq!(c.ok("ZADD z LT CH 4 a 9 b"), Reply::Int(1));
    assert_eq!(c.ok("ZMSCORE z a b nosuch"), Reply::Array(vec![dbl(4.0), dbl(6.0), Reply::Nil]));
    assert_eq!(c.ok("ZADD z INCR 2.5 a"), dbl(6.5));
    assert_eq!(c.ok("ZADD z INCR GT -1 a"), Reply::Nil);
    assert_eq!(c.ok("ZADD z INCR XX 1 nosuch"), Reply::Nil);
    assert_eq!(c.ok("ZADD nokey XX 1 a"), Reply::Int(0));
    assert_eq!(c.ok("EXISTS nokey"), Reply::Int(0));
    assert_eq!(c.ok("ZINCRBY z inf a"), dbl(f64::INFINITY));
    assert_eq!(c.err("ZINCRBY z -inf a"), "ERR resulting score is not a number (NaN)");
    assert_eq!(c.ok("ZSCORE z a"), dbl(f64::INFINITY));
    assert_eq!(c.ok("ZINCRBY z 1 new"), dbl(1.0));
}

#[test]
fn zadd_errors_in_redis_order() {
    let mut c = Conn::new();
    c.ok("SET s x");
    assert_eq!(c.err("ZADD z XX NX 1 a"), "ERR XX and NX options at the same time are not compatible");
    assert_eq!(c.err("ZADD z GT LT 1 a"), "ERR GT, LT, and/or NX options at the same time are not compatible");
    assert_eq!(c.err("ZADD z GT NX 1 a"), "ERR GT, LT, and/or NX options at the same time are not compatible");
    assert_eq!(c.err("ZADD z INCR 1 a 2 b"), "ERR INCR option supports a single increment-element pair");
    assert_eq!(c.err("ZADD z 1 a 2"), SYNTAX);
    assert_eq!(c.err("ZADD z NX XX 1"), SYNTAX);
    assert_eq!(c.err("ZADD z nan a"), NOT_FLOAT);
    assert_eq!(c.err("ZADD z abc a"), NOT_FLOAT);
    assert_eq!(c.err("ZADD s abc a"), NOT_FLOAT);
    assert_eq!(c.err("ZADD s 1 a"), WRONGTYPE);
    assert_eq!(c.err("ZADD z 1"), "ERR wrong number of arguments for 'zadd' command");
    assert_eq!(c.err("ZSCORE s a"), WRONGTYPE);
    assert_eq!(c.err("ZINCRBY z x a"), NOT_FLOAT);
}

#[test]
fn equal_scores_order_by_member_and_ranks() {
    let mut c = Conn::new();
    c.ok("ZADD z 1 b 1 a 1 c 0 z 2 A");
    assert_eq!(c.ok("ZRANGE z 0 -1"), bulks(&["z", "a", "b", "c", "A"]));
    assert_eq!(c.ok("ZREVRANGE z 0 1 WITHSCORES"), Reply::Array(vec![bulk("A"), dbl(2.0), bulk("c"), dbl(1.0)]));
    assert_eq!(c.ok("ZRANK z b"), Reply::Int(2));
    assert_eq!(c.ok("ZREVRANK z b"), Reply::Int(2));
    assert_eq!(c.ok("ZRANK z nosuch"), Reply::Nil);
    assert_eq!(c.ok("ZRANK nokey a"), Reply::Nil);
    assert_eq!(c.ok("ZRANGE z -2 100"), bulks(&["c", "A"]));
    assert_eq!(c.ok("ZRANGE z 3 1"), bulks(&[]));
}

#[test]
fn score_ranges_limits_and_lex() {
    let mut c = Conn::new();
    c.ok("ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(c.ok("ZCOUNT z (1 3"), Reply::Int(2));
    assert_eq!(c.ok("ZCOUNT z -inf +inf"), Reply::Int(5));
    assert_eq!(c.ok("ZCOUNT z 1e999 2"), Reply::Int(0));
    assert_eq!(c.err("ZCOUNT z a 2"), "ERR min or max is not a float");
    assert_eq!(c.err("ZCOUNT z nan 2"), "ERR min or max is not a float");
    assert_eq!(c.ok("ZRANGEBYSCORE z (2 +inf LIMIT 1 2"), bulks(&["d", "e"]));
    assert_eq!(c.ok("ZREVRANGEBYSCORE z 4 (1 WITHSCORES LIMIT 0 2"), Reply::Array(vec![bulk("d"), dbl(4.0), bulk("c"), dbl(3.0)]));
    assert_eq!(c.ok("ZRANGE z 4 2 BYSCORE REV"), bulks(&["d", "c", "b"]));
    assert_eq!(c.ok("ZRANGE z 2 4 BYSCORE LIMIT -1 2"), bulks(&[]));
    assert_eq!(c.ok("ZRANGE z 2 4 BYSCORE LIMIT 1 -5"), bulks(&["c", "d"]));
    assert_eq!(c.ok("ZRANGE z 0 -1 LIMIT 0 -1"), bulks(&["a", "b", "c", "d", "e"]));
    assert_eq!(c.err("ZRANGE z 0 -1 LIMIT 0 1"), "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    assert_eq!(c.err("ZRANGE z - + BYLEX WITHSCORES"), "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    assert_eq!(c.err("ZRANGE z 0 1 BYSCORE BYSCORE"), SYNTAX);
    assert_eq!(c.err("ZRANGEBYSCORE z 0 1 BYSCORE"), SYNTAX);
    assert_eq!(c.err("ZRANGE z a 1"), NOT_INT);
    assert_eq!(c.err("ZRANGE z 0 1 BYSCORE LIMIT x 1"), NOT_INT);
    assert_eq!(c.err("ZRANGE z x 1 BYLEX"), "ERR min or max not valid string range item");
    c.ok("ZADD l 0 a 0 b 0 c 0 d");
    assert_eq!(c.ok("ZRANGE l [b (d BYLEX"), bulks(&["b", "c"]));
    assert_eq!(c.ok("ZRANGE l + - BYLEX REV LIMIT 1 2"), bulks(&["c", "b"]));
    assert_eq!(c.ok("ZRANGE l - + BYLEX"), bulks(&["a", "b", "c", "d"]));
}

#[test]
fn zrem_and_pops_delete_emptied_keys() {
    let mut c = Conn::new();
    c.ok("ZADD z 1 a 2 b 3 c");
    assert_eq!(c.ok("ZPOPMIN z"), Reply::Array(vec![bulk("a"), dbl(1.0)]));
    assert_eq!(c.ok("ZPOPMAX z 5"), Reply::Array(vec![bulk("c"), dbl(3.0), bulk("b"), dbl(2.0)]));
    assert_eq!(c.ok("EXISTS z"), Reply::Int(0));
    assert_eq!(c.ok("ZPOPMIN z"), bulks(&[]));
    assert_eq!(c.err("ZPOPMIN z -1"), "ERR value is out of range, must be positive");
    assert_eq!(c.err("ZPOPMIN z 1 2"), SYNTAX);
    c.ok("ZADD z 1 a 2 b");
    assert_eq!(c.ok("ZPOPMIN z 0"), bulks(&[]));
    assert_eq!(c.ok("ZREM z a nosuch"), Reply::Int(1));
    assert_eq!(c.ok("ZREM z b"), Reply::Int(1));
    assert_eq!(c.ok("EXISTS z"), Reply::Int(0));
    assert_eq!(c.ok("ZCARD z"), Reply::Int(0));
}

#[test]
fn encodings_follow_the_config() {
    let mut c = Conn::new();
    c.ok("ZADD z 1 a");
    assert_eq!(c.ok("TYPE z"), Reply::Simple(b"zset".to_vec()));
    assert_eq!(c.ok("OBJECT ENCODING z"), bulk("listpack"));
    config_set(&c, &[b"zset-max-listpack-entries", b"2"]);
    c.ok("ZADD z 2 b");
    assert_eq!(c.ok("OBJECT ENCODING z"), bulk("listpack"));
    c.ok("ZADD z 3 c");
    assert_eq!(c.ok("OBJECT ENCODING z"), bulk("skiplist"));
    config_set(&c, &[b"zset-max-ziplist-value", b"3"]);
    c.ok("ZADD y 1 abcd");
    assert_eq!(c.ok("OBJECT ENCODING y"), bulk("skiplist"));
    c.ok("COPY z z2");
    assert_eq!(c.ok("ZRANGE z2 0 -1 WITHSCORES"), Reply::Array(vec![bulk("a"), dbl(1.0), bulk("b"), dbl(2.0), bulk("c"), dbl(3.0)]));
    assert_eq!(c.ok("SORT z2 BY nosort"), bulks(&["a", "b", "c"]));
}

#[test]
fn effects_are_what_redis_propagates() {
    let mut c = Conn::new();
    let rec = std::sync::Arc::new(Recorder::default());
    c.engine.set_sink(Some(rec.clone()), |_| ());
    c.ok("ZADD z 1 a 2 b");
    c.ok("ZADD z NX 5 a");
    c.ok("ZADD z XX 1 nosuch");
    c.ok("ZADD nokey XX 1 a");
    c.ok("ZADD z GT CH 3 a");
    c.ok("ZINCRBY z 0.5 b");
    c.ok("ZADD z INCR inf a");
    c.err("ZADD z INCR -inf a");
    c.ok("ZREM z nosuch");
    c.ok("ZREM z b nosuch");
    c.ok("ZRANGE z 0 -1");
    c.ok("ZPOPMIN nokey 3");
    c.ok("ZADD q 1 x 2 y 3 z");
    c.ok("ZPOPMAX q 2");
    c.ok("ZPOPMIN q 5");
    assert_eq!(
        *rec.0.lock(),
        vec![
            "ZADD z 1 a 2 b",
            "ZADD z GT CH 3 a",
            "ZINCRBY z 0.5 b",
            "ZADD z INCR inf a",
            "ZREM z b nosuch",
            "ZADD q 1 x 2 y 3 z",
            "ZPOPMAX q 2",
            "ZPOPMIN q 1",
        ]
    );
}

#[test]
fn a_zadd_that_changes_nothing_does_not_touch_a_watch() {
    let mut c = Conn::new();
    c.ok("ZADD z 1 a");
    let v = c.engine.execute(|ks| ks.db(0).watch(b"z"));
    c.ok("ZADD z NX 5 a");
    c.ok("ZADD z XX 1 b");
    c.ok("ZADD z 1 a");
    assert_eq!(c.ok("ZADD z INCR 0 a"), Reply::Double(1.0));
    assert_eq!(c.ok("ZADD z INCR GT -1 a"), Reply::Nil);
    c.ok("ZREM z nosuch");
    assert!(!c.engine.execute(|ks| ks.db(0).watch_touched(b"z", v)));
    c.ok("ZADD z GT 2 a");
    assert!(c.engine.execute(|ks| ks.db(0).watch_touched(b"z", v)));
}

#[test]
fn range_removals_and_zrangestore_effects_and_replies() {
    let mut c = Conn::new();
    let rec = std::sync::Arc::new(Recorder::default());
    c.engine.set_sink(Some(rec.clone()), |_| ());
    c.ok("ZADD l 0 a 0 b 0 c 0 d");
    assert_eq!(c.ok("ZLEXCOUNT l [b (d"), Reply::Int(2));
    assert_eq!(c.err("ZLEXCOUNT l b +"), "ERR min or max not valid string range item");
    assert_eq!(c.ok("ZRANGEBYLEX l - + LIMIT 1 2"), bulks(&["b", "c"]));
    assert_eq!(c.ok("ZREVRANGEBYLEX l (c -"), bulks(&["b", "a"]));
    assert_eq!(c.ok("ZRANGESTORE d l 1 -1"), Reply::Int(3));
    assert_eq!(c.ok("ZRANGE d 0 -1"), bulks(&["b", "c", "d"]));
    assert_eq!(c.err("ZRANGESTORE d l 0 -1 WITHSCORES"), SYNTAX);
    assert_eq!(c.ok("ZRANGESTORE d l 5 6"), Reply::Int(0));
    assert_eq!(c.ok("EXISTS d"), Reply::Int(0));
    assert_eq!(c.ok("ZRANGESTORE d l 5 6"), Reply::Int(0));
    assert_eq!(c.ok("ZREMRANGEBYLEX l [x +"), Reply::Int(0));
    assert_eq!(c.ok("ZREMRANGEBYLEX l - [a"), Reply::Int(1));
    assert_eq!(c.err("ZREMRANGEBYSCORE l x 1"), "ERR min or max is not a float");
    assert_eq!(c.ok("ZREMRANGEBYSCORE l (0 1"), Reply::Int(0));
    assert_eq!(c.err("ZREMRANGEBYRANK l x 1"), NOT_INT);
    assert_eq!(c.ok("ZREMRANGEBYRANK l -1 -1"), Reply::Int(1));
    assert_eq!(c.ok("ZREMRANGEBYSCORE l -inf +inf"), Reply::Int(2));
    assert_eq!(c.ok("EXISTS l"), Reply::Int(0));
    c.ok("SET s v");
    assert_eq!(c.err("ZREMRANGEBYRANK s 0 1"), WRONGTYPE);
    assert_eq!(
        *rec.0.lock(),
        vec![
            "ZADD l 0 a 0 b 0 c 0 d",
            "ZRANGESTORE d l 1 -1",
            "ZRANGESTORE d l 5 6",
            "ZREMRANGEBYLEX l - [a",
            "ZREMRANGEBYRANK l -1 -1",
            "ZREMRANGEBYSCORE l -inf +inf",
            "SET s v",
        ]
    );
}

#[test]
fn zmpop_zrandmember_zscan() {
    let mut c = Conn::new();
    let rec = std::sync::Arc::new(Recorder::default());
    c.engine.set_sink(Some(rec.clone()), |_| ());
    c.ok("ZADD q 1 x 2 y 3 z");
    c.ok("SET s v");
    assert_eq!(c.err("ZMPOP 0 q MIN"), "ERR numkeys should be greater than 0");
    assert_eq!(c.err("ZMPOP 2 q MIN"), SYNTAX);
    assert_eq!(c.err("ZMPOP 1 q MIN COUNT 0"), "ERR count should be greater than 0");
    assert_eq!(c.err("ZMPOP 2 s q MIN"), WRONGTYPE);
    assert_eq!(c.ok("ZMPOP 2 nokey nokey2 MAX"), Reply::NilArray);
    assert_eq!(
        c.ok("ZMPOP 2 nokey q MIN COUNT 10"),
        Reply::Array(vec![
            bulk("q"),
            Reply::Array(vec![
                Reply::Array(vec![bulk("x"), dbl(1.0)]),
                Reply::Array(vec![bulk("y"), dbl(2.0)]),
                Reply::Array(vec![bulk("z"), dbl(3.0)]),
            ])
        ])
    );
    assert_eq!(c.ok("EXISTS q"), Reply::Int(0));
    c.ok("ZADD r 1 a 2 b");
    assert_eq!(c.ok("ZRANDMEMBER r 5"), bulks(&["b", "a"]));
    assert_eq!(c.err("ZRANDMEMBER r -99999999999"), "ERR value is out of range");
    assert_eq!(c.err("ZRANDMEMBER r 1 2"), SYNTAX);
    assert_eq!(c.ok("ZRANDMEMBER nokey"), Reply::Nil);
    assert_eq!(c.ok("ZSCAN r 0"), Reply::Array(vec![bulk("0"), bulks(&["a", "1", "b", "2"])]));
    assert_eq!(*rec.0.lock(), vec!["ZADD q 1 x 2 y 3 z", "SET s v", "ZPOPMIN q 3", "ZADD r 1 a 2 b"]);
}
