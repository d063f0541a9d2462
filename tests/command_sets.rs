//! Set commands through `command::dispatch`: reply shapes, Redis 7.0's exact errors (each
//! checked against redis-server 7.0.15), and the effects the AOF gets.

use std::sync::Arc;

use embedis::command::{dispatch, Context, Reply};
use embedis::engine::effects::{Effect, EffectSink, Unit};
use embedis::engine::Engine;
use parking_lot::Mutex;

mod command_common;
use command_common::Conn;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";

/// The bulk strings of an array reply, sorted (set order means nothing).
fn sorted(r: Reply) -> Vec<String> {
    let (Reply::Array(items) | Reply::Set(items)) = r else { panic!("not an array: {r:?}") };
    let mut out: Vec<String> = items
        .into_iter()
        .map(|i| match i {
            Reply::Bulk(b) => String::from_utf8(b).expect("utf8"),
            other => panic!("not a bulk: {other:?}"),
        })
        .collect();
    out.sort();
    out
}

fn strs(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| (*s).to_string()).collect();
    v.sort();
    v
}

#[test]
fn sadd_srem_and_reads() {
    let mut c = Conn::new();
    assert_eq!(c.int("SADD s a b c a"), 3);
    assert_eq!(c.int("SADD s c d"), 1);
    assert_eq!(c.int("SCARD s"), 4);
    assert_eq!(sorted(c.ok("SMEMBERS s")), strs(&["a", "b", "c", "d"]));
    assert_eq!(c.int("SISMEMBER s a"), 1);
    assert_eq!(c.int("SISMEMBER s z"), 0);
    assert_eq!(c.ok("SMISMEMBER s a z d"), Reply::Array(vec![Reply::Int(1), Reply::Int(0), Reply::Int(1)]));
    assert_eq!(c.ok("SMISMEMBER nokey a b"), Reply::Array(vec![Reply::Int(0), Reply::Int(0)]));
    assert_eq!(c.int("SREM s a z"), 1);
    assert_eq!(c.int("SREM s b c d"), 3);
    assert_eq!(c.int("EXISTS s"), 0, "an emptied set is deleted");
    assert_eq!(c.int("SREM s a"), 0);
    assert_eq!(c.int("SCARD s"), 0);
    assert_eq!(c.ok("SMEMBERS s"), Reply::Set(vec![]));
    assert_eq!(c.int("EXISTS s"), 0, "reads never create");
}

#[test]
fn integer_sets_read_back_sorted_while_intsets() {
    let mut c = Conn::new();
    c.ok("SADD n 5 -1 300 70000 2");
    assert_eq!(c.ok("TYPE n"), Reply::Simple(b"set".to_vec()));
    let Reply::Set(items) = c.ok("SMEMBERS n") else { panic!() };
    let got: Vec<Reply> = items;
    let want: Vec<Reply> = ["-1", "2", "5", "300", "70000"].iter().map(|s| Reply::Bulk(s.as_bytes().to_vec())).collect();
    assert_eq!(got, want);
}

#[test]
fn wrong_types_and_arity() {
    let mut c = Conn::new();
    c.ok("SET str x");
    c.ok("SADD s 1");
    for line in [
        "SADD str a", "SREM str a", "SMEMBERS str", "SISMEMBER str a", "SMISMEMBER str a", "SCARD str",
        "SPOP str", "SPOP str 0", "SRANDMEMBER str", "SRANDMEMBER str 0", "SMOVE str s a", "SMOVE s str 1",
        "SINTER s str", "SINTER nokey str", "SINTERSTORE d nokey str", "SUNION s str", "SDIFF nokey str",
        "SINTERCARD 2 nokey str", "SSCAN str 0",
    ] {
        assert_eq!(c.err(line), WRONGTYPE, "{line}");
    }
    assert_eq!(c.int("SMOVE nokey str 1"), 0, "a missing source answers 0 first");
    assert_eq!(c.err("SMISMEMBER s"), "ERR wrong number of arguments for 'smismember' command");
    assert_eq!(c.err("SADD s"), "ERR wrong number of arguments for 'sadd' command");
    assert_eq!(c.err("SPOP s 1 2"), SYNTAX);
    assert_eq!(c.err("SRANDMEMBER s 1 2"), SYNTAX);
}

#[test]
fn spop_and_srandmember_counts() {
    let mut c = Conn::new();
    assert_eq!(c.err("SPOP s -1"), "ERR value is out of range, must be positive");
    assert_eq!(c.err("SPOP s abc"), "ERR value is out of range, must be positive");
    assert_eq!(c.ok("SPOP s 3"), Reply::Set(vec![]), "a set in RESP3, as Redis's addReplySetLen");
    assert_eq!(c.ok("SPOP s"), Reply::Nil);
    assert_eq!(c.ok("SRANDMEMBER s"), Reply::Nil);
    assert_eq!(c.ok("SRANDMEMBER s -3"), Reply::Array(vec![]));
    assert_eq!(c.err("SRANDMEMBER s abc"), "ERR value is not an integer or out of range");
    assert_eq!(
        c.err("SRANDMEMBER s -9223372036854775808"),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    c.ok("SADD s a b c d e f g h i j");
    assert_eq!(sorted(c.ok("SRANDMEMBER s 100")).len(), 10);
    let three = sorted(c.ok("SRANDMEMBER s 3"));
    assert_eq!(three.len(), 3);
    assert!(three.windows(2).all(|w| w[0] != w[1]), "distinct");
    assert_eq!(sorted(c.ok("SRANDMEMBER s -30")).len(), 30);
    assert_eq!(c.ok("SRANDMEMBER s 0"), Reply::Array(vec![]));
    assert_eq!(c.ok("SPOP s 0"), Reply::Set(vec![]));
    let popped = sorted(c.ok("SPOP s 3"));
    assert_eq!(popped.len(), 3);
    assert_eq!(c.int("SCARD s"), 7);
    // Case 3 of Redis: most of the set goes.
    assert_eq!(sorted(c.ok("SPOP s 6")).len(), 6);
    assert_eq!(c.int("SCARD s"), 1);
    let Reply::Bulk(_) = c.ok("SPOP s") else { panic!("a member") };
    assert_eq!(c.int("EXISTS s"), 0);
    c.ok("SADD t 1 2 3");
    assert_eq!(sorted(c.ok("SPOP t 5")), strs(&["1", "2", "3"]));
    assert_eq!(c.int("EXISTS t"), 0);
}

#[test]
fn smove_moves_and_creates() {
    let mut c = Conn::new();
    c.ok("SADD a x y");
    assert_eq!(c.int("SMOVE a b x"), 1);
    assert_eq!(c.int("SMOVE a b z"), 0);
    assert_eq!(c.int("SMOVE a a y"), 1, "same key: whether it is there");
    assert_eq!(c.int("SMOVE a a q"), 0);
    assert_eq!(c.int("SMOVE a b y"), 1);
    assert_eq!(c.int("EXISTS a"), 0);
    assert_eq!(sorted(c.ok("SMEMBERS b")), strs(&["x", "y"]));
}

#[test]
fn algebra_and_stores() {
    let mut c = Conn::new();
    c.ok("SADD a 1 2 3 x");
    c.ok("SADD b 2 3 4 x y");
    c.ok("SADD c 3 x z");
    assert_eq!(sorted(c.ok("SINTER a b c")), strs(&["3", "x"]));
    assert_eq!(sorted(c.ok("SINTER a nokey")), Vec::<String>::new());
    assert_eq!(sorted(c.ok("SUNION a nokey c")), strs(&["1", "2", "3", "x", "z"]));
    assert_eq!(sorted(c.ok("SDIFF a b")), strs(&["1"]));
    assert_eq!(sorted(c.ok("SDIFF a a")), Vec::<String>::new());
    assert_eq!(sorted(c.ok("SDIFF nokey a")), Vec::<String>::new());
    assert_eq!(c.int("SINTERCARD 3 a b c"), 2);
    assert_eq!(c.int("SINTERCARD 2 a b LIMIT 1"), 1);
    assert_eq!(c.int("SINTERCARD 2 a b limit 0"), 3);
    assert_eq!(c.int("SINTERCARD 2 a nokey"), 0);
    c.ok("SET d string");
    c.ok("EXPIRE d 100");
    assert_eq!(c.int("SINTERSTORE d a b"), 3);
    assert_eq!(c.int("TTL d"), -1, "the destination is overwritten, TTL and all");
    assert_eq!(sorted(c.ok("SMEMBERS d")), strs(&["2", "3", "x"]));
    assert_eq!(c.int("SUNIONSTORE d a c"), 5);
    assert_eq!(c.int("SDIFFSTORE d a b c"), 1);
    assert_eq!(c.int("SDIFFSTORE d a a"), 0);
    assert_eq!(c.int("EXISTS d"), 0, "an empty result deletes the destination");
    c.ok("SADD d q");
    assert_eq!(c.int("SINTERSTORE d a nokey"), 0);
    assert_eq!(c.int("EXISTS d"), 0);
    assert_eq!(c.int("SUNIONSTORE a a b"), 6, "a source may be the destination");
}

#[test]
fn sintercard_errors() {
    let mut c = Conn::new();
    c.ok("SADD s 1");
    assert_eq!(c.err("SINTERCARD 0 s"), "ERR numkeys should be greater than 0");
    assert_eq!(c.err("SINTERCARD x s"), "ERR numkeys should be greater than 0");
    assert_eq!(c.err("SINTERCARD 3 s"), "ERR Number of keys can't be greater than number of args");
    assert_eq!(c.err("SINTERCARD 1 s LIMIT -1"), "ERR LIMIT can't be negative");
    assert_eq!(c.err("SINTERCARD 1 s LIMIT 1.5"), "ERR LIMIT can't be negative");
    assert_eq!(c.err("SINTERCARD 1 s foo"), SYNTAX);
    assert_eq!(c.err("SINTERCARD 1 s LIMIT"), SYNTAX);
    assert_eq!(c.int("SINTERCARD 1 s LIMIT 1 LIMIT 2"), 1);
}

#[test]
fn sscan_intset_whole_and_hashtable_by_cursor() {
    let mut c = Conn::new();
    c.ok("SADD i 1 2 3 10 20");
    assert_eq!(c.err("SSCAN i x"), "ERR invalid cursor");
    assert_eq!(c.err("SSCAN i 0 COUNT 0"), SYNTAX);
    assert_eq!(c.err("SSCAN i 0 COUNT abc"), "ERR value is not an integer or out of range");
    assert_eq!(c.err("SSCAN i 0 MATCH"), SYNTAX);
    assert_eq!(c.err("SSCAN i 0 TYPE set"), SYNTAX);
    assert_eq!(c.ok("SSCAN nokey 0 COUNT 0"), Reply::Array(vec![Reply::Bulk(b"0".to_vec()), Reply::Array(vec![])]));
    let Reply::Array(parts) = c.ok("SSCAN i 7 COUNT 1 MATCH 1*") else { panic!() };
    assert_eq!(parts[0], Reply::Bulk(b"0".to_vec()));
    assert_eq!(sorted(parts[1].clone()), strs(&["1", "10"]));
    for i in 0..500 {
        c.ok(&format!("SADD h m{i}"));
    }
    let mut seen = Vec::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let Reply::Array(parts) = c.ok(&format!("SSCAN h {cursor} COUNT 7")) else { panic!() };
        let Reply::Bulk(next) = &parts[0] else { panic!() };
        seen.extend(sorted(parts[1].clone()));
        calls += 1;
        cursor = String::from_utf8(next.clone()).expect("cursor");
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 50, "{calls} calls");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 500);
}

#[test]
fn intset_limit_follows_config() {
    let mut c = Conn::new();
    c.engine.execute(|ks| ks.config.set_max_intset_entries = 3);
    c.ok("SADD s 1 2 3 4");
    assert_eq!(sorted(c.ok("SMEMBERS s")), strs(&["1", "2", "3", "4"]));
    assert_eq!(c.int("SISMEMBER s 4"), 1);
    assert_eq!(c.int("SISMEMBER s 04"), 0);
}

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Vec<Effect>>>);

impl EffectSink for Recorder {
    fn record(&self, unit: Unit<'_>) -> u64 {
        let mut units = self.0.lock();
        units.push(unit.to_effects());
        units.len() as u64
    }
    fn wait_durable(&self, _seq: u64) {}
}

fn logged(e: &Engine, rec: &Recorder, line: &str) -> Vec<String> {
    rec.0.lock().clear();
    let argv: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
    let _ = dispatch(e, &mut Context::default(), &argv);
    rec.0
        .lock()
        .iter()
        .flatten()
        .map(|e| e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn effects_are_what_redis_propagates() {
    let e = Engine::new();
    let rec = Arc::new(Recorder::default());
    e.set_sink(Some(rec.clone()), |_| ());
    assert_eq!(logged(&e, &rec, "SADD s a b a"), ["SADD s a b a"]);
    assert!(logged(&e, &rec, "SADD s a").is_empty(), "nothing added, nothing logged");
    assert!(logged(&e, &rec, "SREM s z").is_empty());
    assert!(logged(&e, &rec, "SRANDMEMBER s -5").is_empty());
    let pop = logged(&e, &rec, "SPOP s");
    assert_eq!(pop.len(), 1);
    assert!(pop[0] == "SREM s a" || pop[0] == "SREM s b", "{pop:?}");
    assert_eq!(logged(&e, &rec, "SPOP s 5"), ["DEL s"]);
    logged(&e, &rec, "SADD s a b c d e f g h i j");
    let pops = logged(&e, &rec, "SPOP s 2");
    assert_eq!(pops.len(), 1);
    assert!(pops[0].starts_with("SREM s ") && pops[0].split(' ').count() == 4, "{pops:?}");
    assert!(logged(&e, &rec, "SPOP s 0").is_empty());
    assert!(logged(&e, &rec, "SMOVE s t zzz").is_empty(), "nothing moved, nothing logged");
    logged(&e, &rec, "SADD u x");
    assert_eq!(logged(&e, &rec, "SMOVE u t x"), ["SMOVE u t x"]);
    assert_eq!(logged(&e, &rec, "SINTERSTORE d s t"), ["SINTERSTORE d s t"]);
    assert!(logged(&e, &rec, "SINTERSTORE d nokey t").is_empty(), "no source, no destination: nothing");
    logged(&e, &rec, "SADD d 1");
    assert_eq!(logged(&e, &rec, "SINTERSTORE d nokey t"), ["SINTERSTORE d nokey t"]);
    assert_eq!(logged(&e, &rec, "SUNIONSTORE d s t"), ["SUNIONSTORE d s t"]);
    assert_eq!(logged(&e, &rec, "SDIFFSTORE d s t"), ["SDIFFSTORE d s t"]);
}
