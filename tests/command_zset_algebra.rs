//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD through `command::dispatch`:
//! replies, NaN rules, encodings, effects and Redis 7.0's exact errors (each checked
//! against redis-server 7.0.15).

use embedis::command::{config, Reply};

mod command_common;
use command_common::{Conn, Recorder};

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn scored(items: &[(&str, f64)]) -> Reply {
    Reply::Array(items.iter().flat_map(|(m, s)| [bulk(m), Reply::Double(*s)]).collect())
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";

#[test]
fn errors_in_redis_order() {
    let mut c = Conn::new();
    c.ok("ZADD a 1 x 2 y");
    c.ok("RPUSH l 1");
    assert_eq!(c.err("ZUNIONSTORE d 0 a"), "ERR at least 1 input key is needed for 'zunionstore' command");
    assert_eq!(c.err("ZINTERCARD -1 a"), "ERR at least 1 input key is needed for 'zintercard' command");
    assert_eq!(c.err("ZDIFF 0 a"), "ERR at least 1 input key is needed for 'zdiff' command");
    assert_eq!(c.err("ZUNION x a"), "ERR value is not an integer or out of range");
    assert_eq!(c.err("ZUNION 3 a"), SYNTAX);
    assert_eq!(c.err("ZINTER 1 a WEIGHTS"), SYNTAX);
    assert_eq!(c.err("ZINTER 1 a WEIGHTS x"), "ERR weight value is not a float");
    assert_eq!(c.err("ZINTER 1 a WEIGHTS nan"), "ERR weight value is not a float");
    assert_eq!(c.err("ZINTER 1 a AGGREGATE foo"), SYNTAX);
    assert_eq!(c.err("ZINTERCARD 1 a LIMIT -1"), "ERR LIMIT can't be negative");
    assert_eq!(c.err("ZINTERCARD 1 a LIMIT x"), "ERR LIMIT can't be negative");
    assert_eq!(c.err("ZINTERCARD 1 a WITHSCORES"), SYNTAX);
    assert_eq!(c.err("ZDIFF 1 a WEIGHTS 1"), SYNTAX);
    assert_eq!(c.err("ZUNIONSTORE d 1 a WITHSCORES"), SYNTAX);
    assert_eq!(c.err("ZUNION 2 nokey l foo"), WRONGTYPE);
    assert_eq!(c.err("ZUNION 2 a"), SYNTAX);
}

#[test]
fn scores_weights_and_nan_rules() {
    let mut c = Conn::new();
    c.ok("ZADD a 1 x 2 y");
    c.ok("SADD s x z");
    assert_eq!(c.ok("ZUNION 2 a s WITHSCORES"), scored(&[("z", 1.0), ("x", 2.0), ("y", 2.0)]));
    assert_eq!(c.ok("ZUNION 2 a s WEIGHTS inf 0 WITHSCORES"), scored(&[("z", 0.0), ("x", f64::INFINITY), ("y", f64::INFINITY)]));
    assert_eq!(c.ok("ZUNION 2 a a WEIGHTS inf -inf WITHSCORES"), scored(&[("x", 0.0), ("y", 0.0)]));
    assert_eq!(c.ok("ZINTER 2 a s AGGREGATE MAX WITHSCORES"), scored(&[("x", 1.0)]));
    assert_eq!(c.ok("ZDIFF 2 a s WITHSCORES"), scored(&[("y", 2.0)]));
    assert_eq!(c.ok("ZINTERCARD 2 a s"), Reply::Int(1));
    assert_eq!(c.ok("ZINTERCARD 2 a a LIMIT 1"), Reply::Int(1));
    assert_eq!(c.ok("ZINTERCARD 2 a nokey"), Reply::Int(0));
}

#[test]
fn stores_overwrite_delete_and_pick_the_encoding() {
    let mut c = Conn::new();
    c.ok("ZADD a 1 x 2 y");
    c.ok("SET d v");
    assert_eq!(c.ok("ZUNIONSTORE d 1 a WEIGHTS 2"), Reply::Int(2));
    assert_eq!(c.ok("OBJECT ENCODING d"), bulk("listpack"));
    assert_eq!(c.ok("ZRANGE d 0 -1 WITHSCORES"), scored(&[("x", 2.0), ("y", 4.0)]));
    assert_eq!(c.ok("ZINTERSTORE d 2 a nokey"), Reply::Int(0));
    assert_eq!(c.ok("EXISTS d"), Reply::Int(0));
    c.engine.execute(|ks| config::set(ks, &config::NoHost, &[b"zset-max-listpack-entries", b"1"])).expect("config");
    assert_eq!(c.ok("ZDIFFSTORE d 1 a"), Reply::Int(2));
    assert_eq!(c.ok("OBJECT ENCODING d"), bulk("skiplist"));
}

#[test]
fn effects_are_what_redis_propagates() {
    let mut c = Conn::new();
    let rec = std::sync::Arc::new(Recorder::default());
    c.engine.set_sink(Some(rec.clone()), |_| ());
    c.ok("ZADD a 1 x");
    c.ok("ZUNIONSTORE d 1 a WEIGHTS 3 AGGREGATE max");
    c.ok("ZINTERSTORE e 2 a nokey");
    c.ok("ZINTERSTORE d 2 a nokey");
    c.ok("ZUNION 1 a");
    assert_eq!(*rec.0.lock(), vec!["ZADD a 1 x", "ZUNIONSTORE d 1 a WEIGHTS 3 AGGREGATE max", "ZINTERSTORE d 2 a nokey"]);
}
