//! Hash commands through `command::dispatch`: reply shapes, encodings, effects and Redis
//! 7.0's exact errors (each checked against redis-server 7.0.15).

use embedis::command::{config, Reply};

mod command_common;
use command_common::{Conn, Recorder};

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

/// CONFIG SET, as every door runs it (CONFIG is not in the command table: its host is).
fn config_set(c: &Conn, pairs: &[&[u8]]) {
    c.engine.execute(|ks| config::set(ks, &config::NoHost, pairs)).expect("config set");
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";

#[test]
fn hset_counts_new_fields_and_hgetall_keeps_listpack_order() {
    let mut c = Conn::new();
    assert_eq!(c.ok("HSET h a 1 b 2 c 3"), Reply::Int(3));
    assert_eq!(c.ok("HSET h b 20 d 4 a 10"), Reply::Int(1));
    assert_eq!(c.ok("HMSET h e 5"), Reply::Ok);
    assert_eq!(c.ok("HDEL h c nosuch"), Reply::Int(1));
    let Reply::Map(pairs) = c.ok("HGETALL h") else { panic!("HGETALL is a map") };
    let flat: Vec<Reply> = pairs.into_iter().flat_map(|(f, v)| [f, v]).collect();
    assert_eq!(Reply::Array(flat), bulks(&["a", "10", "b", "20", "d", "4", "e", "5"]));
    assert_eq!(c.ok("HKEYS h"), bulks(&["a", "b", "d", "e"]));
    assert_eq!(c.ok("HVALS h"), bulks(&["10", "20", "4", "5"]));
    assert_eq!(c.ok("HLEN h"), Reply::Int(4));
    assert_eq!(c.ok("HSTRLEN h a"), Reply::Int(2));
    assert_eq!(c.ok("HSTRLEN h zz"), Reply::Int(0));
    assert_eq!(c.ok("HEXISTS h a"), Reply::Int(1));
    assert_eq!(c.ok("HEXISTS h zz"), Reply::Int(0));
    assert_eq!(c.ok("HGET h zz"), Reply::Nil);
    assert_eq!(c.ok("HMGET h a zz e"), Reply::Array(vec![bulk("10"), Reply::Nil, bulk("5")]));
    assert_eq!(c.ok("HMGET nokey a"), Reply::Array(vec![Reply::Nil]));
    assert_eq!(c.ok("TYPE h"), Reply::Simple(b"hash".to_vec()));
}

#[test]
fn hsetnx_sets_only_new_fields() {
    let mut c = Conn::new();
    assert_eq!(c.ok("HSETNX h f v"), Reply::Int(1));
    assert_eq!(c.ok("HSETNX h f w"), Reply::Int(0));
    assert_eq!(c.ok("HGET h f"), bulk("v"));
}

#[test]
fn deleting_the_last_field_deletes_the_key() {
    let mut c = Conn::new();
    c.ok("HSET h a 1 b 2");
    assert_eq!(c.ok("HDEL h a b c"), Reply::Int(2));
    assert_eq!(c.ok("EXISTS h"), Reply::Int(0));
    assert_eq!(c.ok("HDEL h a"), Reply::Int(0));
    assert_eq!(c.ok("HGETALL h"), Reply::Map(vec![]));
}

#[test]
fn arity_and_type_errors_are_redis_words() {
    let mut c = Conn::new();
    c.ok("SET s v");
    for line in [
        "HSET s f v", "HSETNX s f v", "HGET s f", "HMGET s f", "HGETALL s", "HDEL s f", "HEXISTS s f", "HLEN s",
        "HSTRLEN s f", "HKEYS s", "HVALS s", "HINCRBY s f 1", "HINCRBYFLOAT s f 1", "HRANDFIELD s", "HRANDFIELD s 2",
        "HSCAN s 0", "HMSET s f v",
    ] {
        assert_eq!(c.err(line), WRONGTYPE, "{line}");
    }
    assert_eq!(c.err("HSET h a"), "ERR wrong number of arguments for 'hset' command");
    assert_eq!(c.err("HSET h a 1 b"), "ERR wrong number of arguments for 'hset' command");
    assert_eq!(c.err("HMSET h a"), "ERR wrong number of arguments for 'hmset' command");
    assert_eq!(c.err("HGET h"), "ERR wrong number of arguments for 'hget' command");
    assert_eq!(c.err("HSCAN h"), "ERR wrong number of arguments for 'hscan' command");
}

#[test]
fn hincrby_and_hincrbyfloat_errors_in_redis_order() {
    let mut c = Conn::new();
    c.ok("SET s v");
    c.ok("HSET h word abc big 9223372036854775807 f 1.5");
    assert_eq!(c.err("HINCRBY s f x"), NOT_INT, "the increment is parsed before the key");
    assert_eq!(c.err("HINCRBY h word 1"), "ERR hash value is not an integer");
    assert_eq!(c.err("HINCRBY h big 1"), "ERR increment or decrement would overflow");
    assert_eq!(c.ok("HINCRBY h n -5"), Reply::Int(-5));
    assert_eq!(c.err("HINCRBYFLOAT s f x"), "ERR value is not a valid float");
    assert_eq!(c.err("HINCRBYFLOAT s f inf"), "ERR value is NaN or Infinity");
    assert_eq!(c.err("HINCRBYFLOAT h word 1"), "ERR hash value is not a float");
    assert_eq!(c.err("HINCRBYFLOAT h f 1e5000"), "ERR value is not a valid float");
    c.ok("HSET h i inf");
    assert_eq!(c.err("HINCRBYFLOAT h i 1"), "ERR increment would produce NaN or Infinity");
    assert_eq!(c.ok("HINCRBYFLOAT h x 0.1"), bulk("0.1"));
    assert_eq!(c.ok("HINCRBYFLOAT h x 0.2"), bulk("0.3"));
    assert_eq!(c.ok("HINCRBYFLOAT h f 1.0e2"), bulk("101.5"));
}

#[test]
fn hrandfield_shapes_and_errors() {
    let mut c = Conn::new();
    assert_eq!(c.ok("HRANDFIELD nokey"), Reply::Nil);
    assert_eq!(c.ok("HRANDFIELD nokey 3"), Reply::Array(vec![]));
    assert_eq!(c.err("HRANDFIELD nokey 1 withvalues x"), SYNTAX);
    assert_eq!(c.err("HRANDFIELD nokey x"), NOT_INT);
    assert_eq!(c.err("HRANDFIELD nokey 1 withvalue"), SYNTAX);
    assert_eq!(c.err("HRANDFIELD nokey -9223372036854775807 withvalues"), "ERR value is out of range");
    assert_eq!(
        c.err("HRANDFIELD nokey -9223372036854775808"),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    c.ok("HSET h a 1 b 2 c 3");
    assert_eq!(c.ok("HRANDFIELD h 10"), bulks(&["a", "b", "c"]));
    assert_eq!(c.ok("HRANDFIELD h 0"), Reply::Array(vec![]));
    let Reply::Array(two) = c.ok("HRANDFIELD h 2") else { panic!() };
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1], "a positive count gives distinct fields");
    let Reply::Array(many) = c.ok("HRANDFIELD h -7 WITHVALUES") else { panic!() };
    assert_eq!(many.len(), 14);
    for pair in many.chunks(2) {
        let (Reply::Bulk(f), Reply::Bulk(v)) = (&pair[0], &pair[1]) else { panic!() };
        assert_eq!(c.ok(&format!("HGET h {}", String::from_utf8_lossy(f))), Reply::Bulk(v.clone()));
    }
    c.ctx.resp = 3;
    let Reply::Array(pairs) = c.ok("HRANDFIELD h 2 WITHVALUES") else { panic!() };
    assert!(pairs.iter().all(|p| matches!(p, Reply::Array(kv) if kv.len() == 2)), "RESP3 answers pairs");
}

#[test]
fn hscan_listpack_in_one_call_table_by_cursor() {
    let mut c = Conn::new();
    assert_eq!(c.ok("HSCAN nokey 0 bogus"), Reply::Array(vec![bulk("0"), Reply::Array(vec![])]));
    assert_eq!(c.err("HSCAN nokey x"), "ERR invalid cursor");
    c.ok("HSET h a 1 b 2 ab 3");
    assert_eq!(c.err("HSCAN h 0 bogus"), SYNTAX);
    assert_eq!(c.err("HSCAN h 0 COUNT 0"), SYNTAX);
    assert_eq!(c.err("HSCAN h 0 TYPE hash"), SYNTAX);
    assert_eq!(c.err("HSCAN h 0 COUNT x"), NOT_INT);
    assert_eq!(c.ok("HSCAN h 0 COUNT 1 MATCH a*"), Reply::Array(vec![bulk("0"), bulks(&["a", "1", "ab", "3"])]));
    // A table: every field exactly once over a full iteration.
    config_set(&c, &[b"hash-max-listpack-entries", b"4"]);
    for i in 0..100 {
        c.ok(&format!("HSET t f{i} v{i}"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_owned();
    loop {
        let Reply::Array(r) = c.ok(&format!("HSCAN t {cursor} COUNT 7")) else { panic!() };
        let (Reply::Bulk(next), Reply::Array(items)) = (&r[0], &r[1]) else { panic!() };
        for pair in items.chunks(2) {
            let Reply::Bulk(f) = &pair[0] else { panic!() };
            assert!(seen.insert(f.clone()), "returned twice");
        }
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 100);
}

#[test]
fn encodings_follow_the_config_and_never_go_back() {
    let mut c = Conn::new();
    let got = c.engine.execute(|ks| config::get(ks, &config::NoHost, &[b"hash-max-ziplist-entries"]));
    assert_eq!(got, vec![(bulk("hash-max-ziplist-entries"), bulk("512"))]);
    config_set(&c, &[b"hash-max-listpack-entries", b"2", b"hash-max-listpack-value", b"8"]);
    c.ok("HSET h a 1 b 2");
    c.ok("HSET long f 123456789");
    c.ok("HINCRBY longfield 123456789 1");
    let enc = |c: &mut Conn, k: &str| {
        c.engine.execute(|ks| match ks.db(0).get(k.as_bytes()) {
            Some(embedis::engine::value::Value::Hash(h)) => h.encoding_name(),
            _ => "missing",
        })
    };
    assert_eq!(enc(&mut c, "h"), "listpack");
    assert_eq!(enc(&mut c, "long"), "hashtable");
    assert_eq!(enc(&mut c, "longfield"), "hashtable");
    c.ok("HSET h c 3");
    assert_eq!(enc(&mut c, "h"), "hashtable");
    c.ok("HDEL h a b");
    assert_eq!(enc(&mut c, "h"), "hashtable");
}

#[test]
fn used_memory_follows_every_hash_change() {
    let mut c = Conn::new();
    config_set(&c, &[b"hash-max-listpack-entries", b"8"]);
    let counted = |c: &Conn| {
        c.engine.execute(|ks| {
            let d = ks.db(0);
            let running = d.used();
            d.recount_used();
            (running, d.used())
        })
    };
    for i in 0..40 {
        c.ok(&format!("HSET h f{i} v{}", "v".repeat(i)));
        c.ok(&format!("HINCRBY n f{} 1", i % 5));
        c.ok(&format!("HINCRBYFLOAT x f{} 0.5", i % 3));
        if i % 3 == 0 {
            c.ok(&format!("HDEL h f{}", i / 2));
        }
        let (running, walked) = counted(&c);
        assert_eq!(running, walked, "after step {i}");
    }
    c.ok("DEL h n x");
    assert_eq!(counted(&c), (0, 0));
}

#[test]
fn effects_are_what_redis_propagates() {
    let mut c = Conn::new();
    let rec = std::sync::Arc::new(Recorder::default());
    c.engine.set_sink(Some(rec.clone()), |_| ());
    c.ok("HSET h a 1 b 2");
    c.ok("HMSET h c 3");
    c.ok("HSETNX h a x");
    c.ok("HSETNX h d 4");
    c.ok("HDEL h zz");
    c.ok("HDEL h a zz");
    c.ok("HINCRBY h n 5");
    c.ok("HINCRBYFLOAT h f 0.1");
    c.ok("HINCRBYFLOAT h f 0.2");
    c.ok("HGETALL h");
    c.ok("HRANDFIELD h 2");
    c.ok("HSCAN h 0");
    assert_eq!(
        *rec.0.lock(),
        vec![
            "HSET h a 1 b 2", "HSET h c 3", "HSET h d 4", "HDEL h a zz", "HINCRBY h n 5", "HSET h f 0.1", "HSET h f 0.3",
        ]
    );
}
