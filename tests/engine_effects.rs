//! Effects are what the AOF logs: the change as Redis command words, in lock order.

use std::sync::Arc;
use std::time::Instant;

use embedis::engine::blocking::Attempt;
use embedis::engine::db::Key;
use embedis::engine::effects::{Effect, EffectSink, Unit};
use embedis::engine::keyspace::ExpireCondition;
use embedis::engine::strings::SetOptions;
use embedis::engine::waiters::{BlockOp, Wake};
use embedis::engine::{End, Engine};
use parking_lot::{Condvar, Mutex};

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Vec<Effect>>>);

impl EffectSink for Recorder {
    fn record(&self, unit: Unit<'_>) -> u64 {
        let effects = unit.to_effects();
        let mut units = self.0.lock();
        units.push(effects);
        units.len() as u64
    }
    fn wait_durable(&self, _seq: u64) {}
}

fn words(units: &[Vec<Effect>]) -> Vec<String> {
    units
        .iter()
        .flatten()
        .map(|e| e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
        .collect()
}

fn engine_with_recorder() -> (Engine, Arc<Recorder>) {
    let e = Engine::new();
    let rec = Arc::new(Recorder::default());
    e.set_sink(Some(rec.clone()), |_| ());
    (e, rec)
}

#[test]
fn served_blocking_pop_is_logged_as_the_pop_it_became() {
    let (e, rec) = engine_with_recorder();
    let cv = Arc::new(Condvar::new());
    let Attempt::Waiting(id) = e.block(0, vec![Key::from(&b"q"[..])], BlockOp::Pop { end: End::Right }, Wake::Thread(cv.clone())).unwrap() else {
        panic!("should wait")
    };
    e.execute(|ks| ks.push(0, b"q", &[b"a"], End::Left, false)).unwrap();
    assert!(e.wait_until(id, &cv, Instant::now()).is_some());
    assert_eq!(words(&rec.0.lock()), vec!["LPUSH q a", "RPOP q"]);
    // Push and hand-over were one unit: replay can never see "a" stay in the list.
    assert_eq!(rec.0.lock().len(), 1);
}

#[test]
fn relative_expiry_is_logged_as_absolute_pexpireat() {
    let (e, rec) = engine_with_recorder();
    e.execute(|ks| ks.set(0, b"k", b"v", SetOptions::default())).unwrap();
    let at = embedis::engine::clock::unix_ms() + 60_000;
    assert!(e.execute(|ks| ks.expire_at(0, b"k", at, ExpireCondition::Always)));
    assert_eq!(words(&rec.0.lock()), vec!["SET k v".to_string(), format!("PEXPIREAT k {at}")]);
}

#[test]
fn key_expired_on_access_is_logged_as_del_before_the_write() {
    let (e, rec) = engine_with_recorder();
    let past = embedis::engine::clock::unix_ms() + 20;
    let opts = SetOptions { expire_at_ms: Some(past), ..SetOptions::default() };
    e.execute(|ks| ks.set(0, b"k", b"old", opts)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(40));
    e.execute(|ks| ks.push(0, b"k", &[b"x"], End::Right, false)).unwrap();
    let w = words(&rec.0.lock());
    assert_eq!(w[1..], ["DEL k".to_string(), "RPUSH k x".to_string()]);
}

#[test]
fn reads_and_failed_writes_log_nothing() {
    let (e, rec) = engine_with_recorder();
    e.execute(|ks| ks.lrange(0, b"q", 0, -1)).unwrap();
    assert_eq!(e.execute(|ks| ks.pop(0, b"q", End::Left)).unwrap(), None);
    e.execute(|ks| ks.set(0, b"s", b"v", SetOptions::default())).unwrap();
    assert!(e.execute(|ks| ks.push(0, b"s", &[b"x"], End::Left, false)).is_err());
    assert_eq!(words(&rec.0.lock()), vec!["SET s v"]);
}

#[test]
fn nothing_is_recorded_without_a_sink() {
    let e = Engine::new();
    e.execute(|ks| ks.push(0, b"q", &[b"a"], End::Left, false)).unwrap();
    assert!(e.execute(|ks| ks.effects.is_empty()));
}

#[test]
fn a_blmove_waiter_refused_for_its_destination_type_logs_nothing() {
    // Redis 7.0.15's AOF after the same scenario: the push, then only the LMOVE that was
    // served; the refused waiter (destination "s" a string) leaves no trace.
    let (e, rec) = engine_with_recorder();
    e.execute(|ks| ks.set(0, b"s", b"v", SetOptions::default())).unwrap();
    let mut waiters = Vec::new();
    for dest in [&b"s"[..], b"d"] {
        let cv = Arc::new(Condvar::new());
        let op = BlockOp::Move { from: End::Left, dest: Key::from(dest), to: End::Right };
        let Attempt::Waiting(id) = e.block(0, vec![Key::from(&b"src"[..])], op, Wake::Thread(cv.clone())).unwrap() else {
            panic!("should wait")
        };
        waiters.push((id, cv));
    }
    e.execute(|ks| ks.push(0, b"src", &[b"a", b"b"], End::Right, false)).unwrap();
    for (id, cv) in &waiters {
        assert!(e.wait_until(*id, cv, Instant::now()).is_some());
    }
    assert_eq!(words(&rec.0.lock()), vec!["SET s v", "RPUSH src a b", "LMOVE src d LEFT RIGHT"]);
}

#[test]
fn string_and_bitmap_writes_are_logged_as_their_effects() {
    use embedis::engine::bitmap::{BitOp, FieldOp, FieldType, Overflow};
    use embedis::engine::strings::GetExChange;
    let (e, rec) = engine_with_recorder();
    let at = embedis::engine::clock::unix_ms() + 60_000;
    e.execute(|ks| {
        ks.set(0, b"f", b"1.5", SetOptions::default())?;
        ks.incr_by_float(0, b"f", b"0.25")?;
        ks.getex(0, b"f", || Ok(GetExChange::Expire(at)))?;
        ks.getex(0, b"f", || Ok(GetExChange::Persist))?;
        ks.getex(0, b"f", || Ok(GetExChange::Persist))?;
        ks.getex(0, b"f", || Ok(GetExChange::Expire(1)))?;
        ks.getset(0, b"g", b"v")?;
        ks.append(0, b"g", b"w")?;
        ks.setrange(0, b"g", 4, b"x")?;
        ks.setrange(0, b"g", 9, b"")?;
        ks.setbit(0, b"b", 9, true)?;
        ks.setbit(0, b"b", 9, true)?;
        ks.bitop(0, BitOp::Not, b"nb", &[b"b"])?;
        ks.bitop(0, BitOp::And, b"nb", &[b"missing"])?;
        let u8t = FieldType { signed: false, bits: 8 };
        ks.bitfield(0, b"bf", &[FieldOp::Get { ty: u8t, offset: 0 }, FieldOp::IncrBy { ty: u8t, offset: 8, incr: 300, overflow: Overflow::Fail }])?;
        ks.bitfield(0, b"bf", &[FieldOp::Get { ty: u8t, offset: 0 }])?;
        Ok::<_, embedis::engine::Error>(())
    })
    .unwrap();
    let mut want: Vec<String> = [
        "SET f 1.5",
        "SET f 1.75 KEEPTTL",
        &format!("PEXPIREAT f {at}"),
        "PERSIST f",
        "DEL f",
        "SET g v",
        "APPEND g w",
        "SETRANGE g 4 x",
        "SETBIT b 9 1",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    want.push(format!("SET nb {}", String::from_utf8_lossy(&[0xff, 0xbf])));
    want.push("DEL nb".into());
    want.push("BITFIELD bf OVERFLOW FAIL INCRBY u8 8 300".into());
    assert_eq!(words(&rec.0.lock()), want, "reads, no-op PERSIST/SETBIT and empty SETRANGE log nothing");
}

/// The (database, words) of each effect.
fn placed(units: &[Vec<Effect>]) -> Vec<(usize, String)> {
    units
        .iter()
        .flatten()
        .map(|e| (e.db, e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")))
        .collect()
}

#[test]
fn copy_move_swapdb_are_logged_as_themselves_and_sort_store_as_its_result() {
    let (e, rec) = engine_with_recorder();
    e.execute(|ks| ks.push(0, b"l", &[b"2", b"1"], End::Right, false)).unwrap();
    e.execute(|ks| ks.copy(0, b"l", 3, b"c", true)).unwrap();
    e.execute(|ks| ks.copy(0, b"l", 0, b"c", false)).unwrap();
    assert!(!e.execute(|ks| ks.copy(0, b"nokey", 0, b"x", false)).unwrap(), "nothing copied, nothing logged");
    e.execute(|ks| ks.move_key(0, b"c", 2)).unwrap();
    e.execute(|ks| ks.swapdb(2, 5));
    let spec = embedis::engine::sort::SortSpec { store: Some(&b"s"[..]), desc: true, ..Default::default() };
    e.execute(|ks| ks.sort(1, b"nokey", &spec)).unwrap();
    e.execute(|ks| ks.sort(0, b"l", &spec)).unwrap();
    assert_eq!(
        placed(&rec.0.lock()),
        vec![
            (0, "RPUSH l 2 1".to_string()),
            (0, "COPY l c DB 3 REPLACE".to_string()),
            (0, "COPY l c".to_string()),
            (0, "MOVE c 2".to_string()),
            (2, "SWAPDB 2 5".to_string()),
            (0, "DEL s".to_string()),
            (0, "RPUSH s 2 1".to_string()),
        ],
        "an empty SORT STORE onto a missing key changes nothing"
    );
}
