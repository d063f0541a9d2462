//! maxmemory: the accounting behind `used_memory`, the OOM refusal of DENYOOM commands
//! (noeviction), and the seven evicting policies, with a fixed random seed and a frozen
//! clock so that every run picks the same victims.

mod command_common;

use std::collections::HashSet;
use std::sync::Arc;

use command_common::Conn;
use embedis::command::Reply;
use embedis::engine::effects::{Effect, EffectSink, Unit};
use embedis::engine::memory::{MemoryConfig, Policy};
use embedis::engine::{Keyspace, DATABASES};
use parking_lot::Mutex;
use proptest::prelude::*;

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// `used_memory` as kept incrementally, and as a walk over every key recounts it.
fn kept_and_counted(ks: &mut Keyspace) -> (usize, usize) {
    let kept = ks.used_memory();
    // The keyspace's running total is the sum of the databases' own counts.
    let per_db: usize = (0..DATABASES).map(|db| ks.db(db).used()).sum();
    assert_eq!(kept - Keyspace::default().used_memory(), per_db, "total and databases disagree");
    for db in 0..DATABASES {
        ks.db(db).recount_used();
    }
    (kept, ks.used_memory())
}

fn assert_accounted(c: &Conn) {
    let (kept, counted) = c.engine.execute(kept_and_counted);
    assert_eq!(kept, counted, "kept used_memory drifted from a recount");
}

fn used(c: &Conn) -> usize {
    c.engine.execute(Keyspace::used_memory)
}

fn set_memory(c: &Conn, f: impl FnOnce(&mut MemoryConfig)) {
    c.engine.execute(|ks| {
        let mut cfg = ks.memory_config();
        f(&mut cfg);
        ks.set_memory_config(cfg);
    });
}

fn keys_of(c: &mut Conn) -> HashSet<String> {
    // Straight from the keyspace: a command (KEYS) would evict first if over the limit.
    let db = c.ctx.db;
    c.engine.execute(|ks| ks.keys(db, b"*")).into_iter().map(|k| String::from_utf8(k.to_vec()).unwrap()).collect()
}

#[test]
fn used_memory_follows_the_data_and_returns_when_it_goes() {
    let mut c = Conn::new();
    let empty = used(&c);
    for i in 0..10_000 {
        c.ok(&format!("RPUSH q {i:0100}"));
    }
    let full = used(&c);
    // 10,000 elements of 100 bytes: at least their bytes, and not twice that.
    assert!(full - empty >= 1_000_000, "grew by {}", full - empty);
    assert!(full - empty < 1_300_000, "grew by {}", full - empty);
    assert_accounted(&c);
    for _ in 0..10_000 {
        c.ok("LPOP q");
    }
    assert_eq!(used(&c), empty);
    for i in 0..1000 {
        c.ok(&format!("XADD s * f {i:0100}"));
    }
    assert!(used(&c) - empty > 100_000);
    assert_accounted(&c);
    c.ok("DEL s");
    assert_eq!(used(&c), empty);
}

#[derive(Debug, Clone)]
enum Op {
    Line(String),
}

fn op() -> impl Strategy<Value = Op> {
    let key = prop::sample::select(vec!["a", "b", "c", "s"]);
    let val = "[a-z]{0,40}";
    prop_oneof![
        (key.clone(), val).prop_map(|(k, v)| Op::Line(format!("RPUSH {k} x{v}"))),
        (key.clone(), val).prop_map(|(k, v)| Op::Line(format!("LPUSH {k} y{v}"))),
        key.clone().prop_map(|k| Op::Line(format!("LPOP {k}"))),
        key.clone().prop_map(|k| Op::Line(format!("RPOP {k} 3"))),
        (key.clone(), val).prop_map(|(k, v)| Op::Line(format!("LSET {k} 0 z{v}"))),
        (key.clone(), val).prop_map(|(k, v)| Op::Line(format!("LINSERT {k} BEFORE x w{v}"))),
        key.clone().prop_map(|k| Op::Line(format!("LREM {k} 0 x"))),
        key.clone().prop_map(|k| Op::Line(format!("LTRIM {k} 1 -2"))),
        (key.clone(), key.clone()).prop_map(|(a, b)| Op::Line(format!("LMOVE {a} {b} LEFT RIGHT"))),
        (key.clone(), val).prop_map(|(k, v)| Op::Line(format!("SET {k} v{v}"))),
        (key.clone(), val).prop_map(|(k, v)| Op::Line(format!("SET {k} v{v} KEEPTTL"))),
        key.clone().prop_map(|k| Op::Line(format!("INCR {k}"))),
        key.clone().prop_map(|k| Op::Line(format!("EXPIRE {k} 100"))),
        key.clone().prop_map(|k| Op::Line(format!("PERSIST {k}"))),
        (key.clone(), key.clone()).prop_map(|(a, b)| Op::Line(format!("RENAME {a} {b}"))),
        key.clone().prop_map(|k| Op::Line(format!("DEL {k}"))),
        (key.clone(), val).prop_map(|(k, v)| Op::Line(format!("XADD {k} * f {v}x"))),
        key.clone().prop_map(|k| Op::Line(format!("XADD {k} MAXLEN 3 * f v"))),
        key.clone().prop_map(|k| Op::Line(format!("XTRIM {k} MAXLEN 2"))),
        key.clone().prop_map(|k| Op::Line(format!("XGROUP CREATE {k} g 0 MKSTREAM"))),
        key.clone().prop_map(|k| Op::Line(format!("XREADGROUP GROUP g c{} COUNT 2 STREAMS {k} >", k.len()))),
        key.clone().prop_map(|k| Op::Line(format!("XACK {k} g 0-1"))),
        Just(Op::Line("FLUSHDB".into())),
        Just(Op::Line("SNAPSHOT".into())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the commands, the kept count equals a recount (no drift in any path:
    /// mutation through a borrowed value, overwrite, expiry entries, snapshot sharing).
    #[test]
    fn kept_count_never_drifts(ops in prop::collection::vec(op(), 1..60)) {
        let mut c = Conn::new();
        for Op::Line(line) in &ops {
            if line == "SNAPSHOT" {
                let snap = c.engine.execute(embedis::persist::snapshot::Snapshot::capture);
                drop(snap);
            } else {
                let _ = c.run(line);
            }
            let (kept, counted) = c.engine.execute(kept_and_counted);
            prop_assert_eq!(kept, counted, "after {}", line);
        }
    }
}

#[test]
fn noeviction_refuses_denyoom_commands_and_lets_consumers_drain() {
    let mut c = Conn::new();
    for i in 0..100 {
        c.ok(&format!("RPUSH q {i:050}"));
    }
    c.ok("SET s v");
    c.ok("XADD st 1-1 f v");
    c.ok("XGROUP CREATE st g 0");
    set_memory(&c, |m| m.maxmemory = 1);
    // Every DENYOOM command is refused, with Redis's text…
    for line in [
        "RPUSH q x", "LPUSH q x", "RPUSHX q x", "LPUSHX q x", "SET k v", "SETNX k v", "MSET k v", "MSETNX k v",
        "INCR n", "INCRBY n 1", "DECR n", "DECRBY n 1", "LSET q 0 x", "LINSERT q BEFORE x y",
        "LMOVE q q LEFT RIGHT", "RPOPLPUSH q q", "XADD st * f v", "XSETID st 9-9",
        "XGROUP CREATE st g2 0", "XGROUP CREATECONSUMER st g c",
    ] {
        assert_eq!(c.err(line), OOM, "{line}");
    }
    // …and nothing changed.
    assert_eq!(c.int("LLEN q"), 100);
    assert_eq!(c.ok("EXISTS k n"), Reply::Int(0));
    // Reads, pops, deletes, acks and the rest go on.
    c.ok("LRANGE q 0 -1");
    c.ok("GET s");
    c.ok("LPOP q");
    c.ok("RPOP q 2");
    c.ok("LTRIM q 0 50");
    c.ok("XREADGROUP GROUP g c STREAMS st >");
    assert_eq!(c.int("XACK st g 1-1"), 1);
    c.ok("XGROUP DESTROY st g");
    c.ok("EXPIRE s 100");
    assert_eq!(c.int("DEL s"), 1);
    c.ok("PUBLISH ch m");
    // Room again: writes go on.
    set_memory(&c, |m| m.maxmemory = 0);
    c.ok("RPUSH q x");
    assert_eq!(c.engine.execute(|ks| ks.evicted_keys()), 0);
}

#[test]
fn producer_resumes_once_a_consumer_frees_room_and_nothing_acknowledged_is_lost() {
    let mut c = Conn::new();
    let base = used(&c);
    set_memory(&c, |m| m.maxmemory = (base + 200_000) as u64);
    let (mut next, mut popped) = (0u64, Vec::new());
    let mut refusals = 0;
    for round in 0..6 {
        // The producer pushes until refused.
        loop {
            match c.run(&format!("RPUSH q {next:0200}")) {
                Ok(_) => next += 1,
                Err(e) => {
                    assert_eq!(e, OOM);
                    refusals += 1;
                    break;
                }
            }
        }
        // The consumer drains half of it (every other round, all of it).
        let n = c.int("LLEN q");
        let take = if round % 2 == 0 { n / 2 } else { n };
        for _ in 0..take {
            match c.ok("LPOP q") {
                Reply::Bulk(b) => popped.push(String::from_utf8(b).unwrap().parse::<u64>().unwrap()),
                other => panic!("{other:?}"),
            }
        }
    }
    while let Reply::Bulk(b) = c.ok("LPOP q") {
        popped.push(String::from_utf8(b).unwrap().parse::<u64>().unwrap());
    }
    assert_eq!(refusals, 6);
    // Every acknowledged push popped once, in order.
    assert_eq!(popped, (0..next).collect::<Vec<_>>());
    assert!(next > 1000);
}

/// A broker with `n` string keys of about 1 KB in database 0, its clock frozen at `clock`.
fn filled(n: usize, policy: Policy, seed: u64) -> Conn {
    let mut c = Conn::new();
    set_memory(&c, |m| {
        m.policy = policy;
        m.samples = 10;
    });
    c.engine.execute(|ks| {
        ks.seed_eviction(seed);
        ks.freeze_access_clock(Some((1000, 100)));
    });
    for i in 0..n {
        c.ok(&format!("SET k{i} {}", "x".repeat(1000)));
    }
    c
}

/// Lowers the limit so that about `fraction` of the data must go, and runs one write.
fn squeeze(c: &mut Conn, fraction: f64) -> Result<Reply, String> {
    let now = used(c);
    set_memory(c, |m| m.maxmemory = (now as f64 * (1.0 - fraction)) as u64);
    let r = c.run("SET trigger 1");
    assert_accounted(c);
    r
}

#[test]
fn allkeys_lru_evicts_the_least_recently_used() {
    let mut c = filled(200, Policy::AllKeysLru, 1);
    // The first half is then left alone for 100 seconds while the second half is read.
    c.engine.execute(|ks| ks.freeze_access_clock(Some((1100, 101))));
    for i in 100..200 {
        c.ok(&format!("GET k{i}"));
    }
    squeeze(&mut c, 0.3).unwrap();
    let left = keys_of(&mut c);
    let evicted: Vec<usize> = (0..200).filter(|i| !left.contains(&format!("k{i}"))).collect();
    assert!(evicted.len() >= 55, "evicted {}", evicted.len());
    let recent = evicted.iter().filter(|&&i| i >= 100).count();
    // Sampled, so approximate: with 10 samples and the pool, hardly any recent key goes.
    assert!(recent * 20 <= evicted.len(), "{recent} of {} evicted were recently used", evicted.len());
    assert_eq!(c.engine.execute(|ks| ks.evicted_keys()), evicted.len() as u64);
}

#[test]
fn allkeys_lfu_evicts_the_least_frequently_used() {
    let mut c = filled(200, Policy::AllKeysLfu, 2);
    for _ in 0..30 {
        for i in 100..200 {
            c.ok(&format!("GET k{i}"));
        }
    }
    squeeze(&mut c, 0.3).unwrap();
    let left = keys_of(&mut c);
    let evicted: Vec<usize> = (0..200).filter(|i| !left.contains(&format!("k{i}"))).collect();
    assert!(evicted.len() >= 55);
    let hot = evicted.iter().filter(|&&i| i >= 100).count();
    assert!(hot * 20 <= evicted.len(), "{hot} of {} evicted were hot", evicted.len());
}

#[test]
fn allkeys_random_evicts_until_under_the_limit() {
    let mut c = filled(200, Policy::AllKeysRandom, 3);
    squeeze(&mut c, 0.5).unwrap();
    let left = keys_of(&mut c);
    let evicted = 201 - left.len();
    assert!((95..=110).contains(&evicted), "evicted {evicted}");
    // Both halves lose keys: no preference.
    let first = (0..100).filter(|i| !left.contains(&format!("k{i}"))).count();
    assert!(first > 20 && first < evicted - 20, "{first} of {evicted} from the first half");
    // The same seed picks the same victims.
    let mut again = filled(200, Policy::AllKeysRandom, 3);
    squeeze(&mut again, 0.5).unwrap();
    assert_eq!(keys_of(&mut again), left);
}

/// 200 keys, the odd ones with an expiry `1000 + i` seconds away.
fn volatile_filled(policy: Policy, seed: u64) -> Conn {
    let mut c = filled(200, policy, seed);
    for i in (1..200).step_by(2) {
        c.ok(&format!("EXPIRE k{i} {}", 1000 + i));
    }
    c
}

fn evicted_of(c: &mut Conn) -> Vec<usize> {
    let left = keys_of(c);
    (0..200).filter(|i| !left.contains(&format!("k{i}"))).collect()
}

#[test]
fn volatile_policies_evict_only_keys_with_an_expiry() {
    for (policy, seed) in [(Policy::VolatileLru, 4), (Policy::VolatileLfu, 5), (Policy::VolatileRandom, 6), (Policy::VolatileTtl, 7)] {
        let mut c = volatile_filled(policy, seed);
        squeeze(&mut c, 0.25).unwrap();
        let evicted = evicted_of(&mut c);
        assert!(evicted.len() >= 45, "{policy:?}: {}", evicted.len());
        assert!(evicted.iter().all(|i| i % 2 == 1), "{policy:?} evicted a key without expiry");
        // More than the volatile keys hold: they all go, then the write is refused.
        let r = squeeze(&mut c, 0.9);
        assert_eq!(r.unwrap_err(), OOM, "{policy:?}");
        let evicted = evicted_of(&mut c);
        assert_eq!(evicted.len(), 100, "{policy:?}");
        assert!(evicted.iter().all(|i| i % 2 == 1));
    }
}

#[test]
fn volatile_ttl_evicts_the_soonest_to_expire() {
    let mut c = volatile_filled(Policy::VolatileTtl, 8);
    squeeze(&mut c, 0.2).unwrap();
    let evicted = evicted_of(&mut c);
    assert!(evicted.len() >= 35);
    // Expiries grow with i: victims are mostly from the low end of the odd keys.
    let low = evicted.iter().filter(|&&i| i < 100).count();
    assert!(low * 10 >= evicted.len() * 9, "{low} of {} from the soonest half", evicted.len());
}

#[test]
fn volatile_policy_without_volatile_keys_answers_oom() {
    for policy in [Policy::VolatileLru, Policy::VolatileLfu, Policy::VolatileRandom, Policy::VolatileTtl] {
        let mut c = filled(20, policy, 9);
        assert_eq!(squeeze(&mut c, 0.5).unwrap_err(), OOM);
        assert_eq!(keys_of(&mut c).len(), 20);
        c.ok("GET k1");
        c.ok("DEL k1");
    }
}

#[test]
fn evictions_span_databases() {
    let mut c = Conn::new();
    set_memory(&c, |m| m.policy = Policy::AllKeysRandom);
    for db in 0..4 {
        c.ok(&format!("SELECT {db}"));
        for i in 0..50 {
            c.ok(&format!("SET k{i} {}", "y".repeat(500)));
        }
    }
    let now = used(&c);
    set_memory(&c, |m| m.maxmemory = (now / 2) as u64);
    // Evictions run before any command (a read here, which adds nothing afterwards).
    c.ok("GET trigger");
    let sizes: Vec<usize> = c.engine.execute(|ks| (0..4).map(|d| ks.dbsize(d)).collect());
    assert!(sizes.iter().all(|&n| n < 50), "{sizes:?}");
    assert!(used(&c) <= now / 2);
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

#[test]
fn evictions_reach_the_aof_as_del_before_the_command() {
    let mut c = filled(50, Policy::AllKeysLru, 10);
    let rec = Arc::new(Recorder::default());
    c.engine.set_sink(Some(rec.clone()), |_| ());
    squeeze(&mut c, 0.3).unwrap();
    let words: Vec<String> = rec
        .0
        .lock()
        .iter()
        .flatten()
        .map(|e| e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
        .collect();
    let evicted = 51 - keys_of(&mut c).len();
    assert_eq!(words.len(), evicted + 1, "{words:?}");
    assert!(words[..evicted].iter().all(|w| w.starts_with("DEL k")));
    assert_eq!(words[evicted], "SET trigger 1");
}

#[test]
fn replay_is_never_refused() {
    let mut c = Conn::new();
    set_memory(&c, |m| m.maxmemory = 1);
    let r = c.engine.execute(|ks| {
        let mut ctx = embedis::command::Context::default();
        embedis::command::dispatch_in(ks, &mut ctx, &[b"RPUSH", b"q", b"a"])
    });
    assert_eq!(r.unwrap(), Reply::Int(1));
    assert_eq!(c.err("RPUSH q b"), OOM);
}

#[test]
fn per_key_metadata_costs_eight_bytes() {
    use embedis::engine::db::Slot;
    use embedis::engine::value::Value;
    // The u32 of LRU/LFU metadata and its padding: what each key pays for eviction.
    assert_eq!(std::mem::size_of::<Slot>(), std::mem::size_of::<Value>() + 8, "Value is {} bytes", std::mem::size_of::<Value>());
    assert!(std::mem::size_of::<Value>() <= 48, "Value is {} bytes", std::mem::size_of::<Value>());
}
