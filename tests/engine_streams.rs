//! Streams on the keyspace: IDs, trimming, PEL bookkeeping, claiming, the effects each
//! command records (and that replaying them rebuilds the same stream), and blocked
//! XREAD/XREADGROUP readers. Expected behaviour is Redis 7.0's (checked against 7.0.15).

use std::sync::Arc;
use std::time::Instant;

use embedis::command::{dispatch, Context};
use embedis::engine::blocking::Attempt;
use embedis::engine::db::Key;
use embedis::engine::effects::{Effect, EffectSink, Unit};
use embedis::engine::stream::{ClaimOptions, EntryBatch, GroupStart, IdSpec, ReadId, StreamId, Trim};
use embedis::engine::streams::{StreamEntry, TrimSpec};
use embedis::engine::waiters::{BlockOp, Served, Wake};
use embedis::engine::{Engine, Error};
use parking_lot::{Condvar, Mutex};

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn key(s: &str) -> Key {
    s.as_bytes().into()
}

fn add(e: &Engine, k: &str, spec: IdSpec, field: &str, value: &str) -> StreamId {
    e.execute(|ks| ks.xadd(0, k.as_bytes(), spec, &[(field.as_bytes(), value.as_bytes())], false, None))
        .expect("xadd")
        .expect("added")
}

fn add_at(e: &Engine, k: &str, ms: u64, value: &str) -> StreamId {
    add(e, k, IdSpec::Explicit(id(ms, 0)), "f", value)
}

fn create_group(e: &Engine, k: &str, g: &str, start: GroupStart) {
    e.execute(|ks| ks.xgroup_create(0, k.as_bytes(), g.as_bytes(), start, true, None)).expect("group");
}

fn read_group(e: &Engine, k: &str, g: &str, c: &str, from: ReadId, count: Option<usize>) -> Vec<StreamEntry> {
    let streams = vec![(key(k), Ok(from))];
    let mut out = e
        .execute(|ks| ks.xreadgroup(0, g.as_bytes(), c.as_bytes(), &streams, count, false))
        .expect("xreadgroup");
    out.pop().map(|(_, entries)| entries.to_vec()).unwrap_or_default()
}

fn ids(entries: &[StreamEntry]) -> Vec<StreamId> {
    entries.iter().map(|(i, _)| *i).collect()
}

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

impl Recorder {
    fn words(&self) -> Vec<String> {
        self.0
            .lock()
            .iter()
            .flatten()
            .map(|e| e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
            .collect()
    }

    fn clear(&self) {
        self.0.lock().clear();
    }

    /// Replays every recorded effect into a new engine through the command layer, as AOF
    /// loading does.
    fn replay(&self) -> Engine {
        let e = Engine::new();
        let mut ctx = Context::default();
        for effect in self.0.lock().iter().flatten() {
            ctx.db = effect.db;
            let argv: Vec<&[u8]> = effect.argv.iter().map(Vec::as_slice).collect();
            dispatch(&e, &mut ctx, &argv).unwrap_or_else(|err| panic!("replaying {:?}: {err}", effect.argv));
        }
        e
    }
}

fn recorded() -> (Engine, Arc<Recorder>) {
    let e = Engine::new();
    let rec = Arc::new(Recorder::default());
    e.set_sink(Some(rec.clone()), |_| ());
    (e, rec)
}

/// Everything XINFO STREAM FULL shows, except consumers' seen times (a replay runs later).
fn state(e: &Engine, k: &str) -> String {
    let mut full = e.execute(|ks| ks.xinfo_stream_full(0, k.as_bytes(), 0)).expect("stream");
    for g in &mut full.groups {
        for c in &mut g.consumers {
            c.seen_time = 0;
            c.active_time = None;
        }
    }
    format!("{full:?}")
}

// ---- IDs --------------------------------------------------------------------------------

#[test]
fn auto_ids_never_go_backwards() {
    let e = Engine::new();
    // An explicit ID far in the future: `*` must continue after it, not from the clock.
    let future = add(&e, "s", IdSpec::Explicit(id(u64::MAX - 1, 5)), "f", "v");
    let next = add(&e, "s", IdSpec::Auto, "f", "v");
    assert_eq!(next, id(u64::MAX - 1, 6));
    assert!(next > future);
    let mut last = StreamId::MIN;
    let e = Engine::new();
    for _ in 0..1000 {
        let got = add(&e, "t", IdSpec::Auto, "f", "v");
        assert!(got > last);
        last = got;
    }
}

#[test]
fn zero_id_is_refused_before_the_key_is_created() {
    let e = Engine::new();
    let err = e.execute(|ks| ks.xadd(0, b"s", IdSpec::Explicit(StreamId::MIN), &[(b"f", b"v")], false, None));
    assert_eq!(err, Err(Error::StreamIdZero));
    assert_eq!(e.execute(|ks| ks.type_of(0, b"s")), "none");
    // 0-* on a new stream is 0-1.
    assert_eq!(add(&e, "s", IdSpec::AutoSeq(0), "f", "v"), id(0, 1));
}

#[test]
fn explicit_ids_must_grow_and_sequence_can_be_exhausted() {
    let e = Engine::new();
    add_at(&e, "s", 5, "a");
    let small = e.execute(|ks| ks.xadd(0, b"s", IdSpec::Explicit(id(5, 0)), &[(b"f", b"v")], false, None));
    assert_eq!(small, Err(Error::StreamIdTooSmall));
    add(&e, "s", IdSpec::Explicit(id(7, u64::MAX)), "f", "v");
    // 7-* has no sequence left.
    let err = e.execute(|ks| ks.xadd(0, b"s", IdSpec::AutoSeq(7), &[(b"f", b"v")], false, None));
    assert_eq!(err, Err(Error::StreamIdTooSmall));
    assert!(add(&e, "s", IdSpec::Auto, "f", "v") > id(7, u64::MAX));
}

#[test]
fn nomkstream_does_not_create_the_key() {
    let e = Engine::new();
    let got = e.execute(|ks| ks.xadd(0, b"s", IdSpec::Auto, &[(b"f", b"v")], true, None));
    assert_eq!(got, Ok(None));
    assert_eq!(e.execute(|ks| ks.type_of(0, b"s")), "none");
}

#[test]
fn an_empty_stream_stays_a_stream() {
    let e = Engine::new();
    let a = add_at(&e, "s", 1, "a");
    assert_eq!(e.execute(|ks| ks.xdel(0, b"s", &[a])), Ok(1));
    assert_eq!(e.execute(|ks| ks.type_of(0, b"s")), "stream");
    assert_eq!(e.execute(|ks| ks.xlen(0, b"s")), Ok(0));
    // Its last ID lives on: an ID at or below it is still refused.
    let err = e.execute(|ks| ks.xadd(0, b"s", IdSpec::Explicit(id(1, 0)), &[(b"f", b"v")], false, None));
    assert_eq!(err, Err(Error::StreamIdTooSmall));
}

// ---- trimming ---------------------------------------------------------------------------

#[test]
fn exact_and_approximate_trims() {
    let e = Engine::new();
    for ms in 1..=250 {
        add_at(&e, "s", ms, "v");
    }
    let approx = TrimSpec { strategy: Trim::MaxLen(10), approx: true, limit: None };
    // Only whole nodes of 100 entries go: 200 of 250.
    assert_eq!(e.execute(|ks| ks.xtrim(0, b"s", approx)), Ok(200));
    let exact = TrimSpec { strategy: Trim::MaxLen(10), approx: false, limit: None };
    assert_eq!(e.execute(|ks| ks.xtrim(0, b"s", exact)), Ok(40));
    assert_eq!(e.execute(|ks| ks.xlen(0, b"s")), Ok(10));
    let minid = TrimSpec { strategy: Trim::MinId(id(245, 0)), approx: false, limit: None };
    assert_eq!(e.execute(|ks| ks.xtrim(0, b"s", minid)), Ok(4));
    let first = e.execute(|ks| ks.xrange(0, b"s", StreamId::MIN, StreamId::MAX, Some(1), false)).unwrap();
    assert_eq!(first[0].0, id(245, 0));
}

#[test]
fn approximate_trims_are_logged_as_the_exact_trim_they_amounted_to() {
    let (e, rec) = recorded();
    for ms in 1..=250 {
        add_at(&e, "s", ms, "v");
    }
    rec.clear();
    let nothing = TrimSpec { strategy: Trim::MaxLen(1000), approx: true, limit: None };
    assert_eq!(e.execute(|ks| ks.xtrim(0, b"s", nothing)), Ok(0));
    assert!(rec.words().is_empty(), "a trim that removed nothing is not logged");
    let approx = TrimSpec { strategy: Trim::MaxLen(10), approx: true, limit: Some(150) };
    assert_eq!(e.execute(|ks| ks.xtrim(0, b"s", approx)), Ok(100));
    let minid = TrimSpec { strategy: Trim::MinId(id(240, 0)), approx: true, limit: None };
    assert_eq!(e.execute(|ks| ks.xtrim(0, b"s", minid)), Ok(100));
    assert_eq!(rec.words(), vec!["XTRIM s MAXLEN = 150", "XTRIM s MINID = 201-0"]);
    let trim = TrimSpec { strategy: Trim::MaxLen(1), approx: true, limit: None };
    e.execute(|ks| ks.xadd(0, b"s", IdSpec::Explicit(id(300, 0)), &[(b"f", b"v")], false, Some(trim)))
        .unwrap();
    assert_eq!(rec.words()[2], "XADD s MAXLEN = 51 300-0 f v");
}

// ---- groups, PEL, claims ------------------------------------------------------------------

#[test]
fn group_reads_fill_the_pel_and_acks_empty_it() {
    let e = Engine::new();
    for ms in 1..=5 {
        add_at(&e, "s", ms, "v");
    }
    create_group(&e, "s", "g", GroupStart::Id(StreamId::MIN));
    assert_eq!(ids(&read_group(&e, "s", "g", "alice", ReadId::New, Some(2))), vec![id(1, 0), id(2, 0)]);
    assert_eq!(ids(&read_group(&e, "s", "g", "bob", ReadId::New, None)), vec![id(3, 0), id(4, 0), id(5, 0)]);
    let sum = e.execute(|ks| ks.xpending(0, b"s", b"g")).unwrap();
    assert_eq!(sum.count, 5);
    assert_eq!(sum.consumers, vec![(b"alice".to_vec(), 2), (b"bob".to_vec(), 3)]);
    // History: only alice's own pending entries, with their delivery count bumped.
    assert_eq!(ids(&read_group(&e, "s", "g", "alice", ReadId::After(StreamId::MIN), None)), vec![id(1, 0), id(2, 0)]);
    let rows = e.execute(|ks| ks.xpending_range(0, b"s", b"g", StreamId::MIN, StreamId::MAX, 10, Some(b"alice"), 0)).unwrap();
    assert_eq!(rows.iter().map(|r| r.delivery_count).collect::<Vec<_>>(), vec![2, 2]);
    assert_eq!(e.execute(|ks| ks.xack(0, b"s", b"g", &[id(1, 0), id(1, 0), id(9, 0)])), Ok(1));
    assert_eq!(e.execute(|ks| ks.xgroup_delconsumer(0, b"s", b"g", b"bob")), Ok(3));
    assert_eq!(e.execute(|ks| ks.xpending(0, b"s", b"g")).unwrap().count, 1);
}

#[test]
fn a_group_read_with_nothing_new_creates_no_consumer() {
    // Redis 7.0 looks the consumer up only when it serves it.
    let e = Engine::new();
    add_at(&e, "s", 1, "v");
    create_group(&e, "s", "g", GroupStart::Last);
    assert!(read_group(&e, "s", "g", "ghost", ReadId::New, None).is_empty());
    assert!(e.execute(|ks| ks.xinfo_consumers(0, b"s", b"g")).unwrap().is_empty());
    // A history read creates it.
    assert!(read_group(&e, "s", "g", "ghost", ReadId::After(StreamId::MIN), None).is_empty());
    assert_eq!(e.execute(|ks| ks.xinfo_consumers(0, b"s", b"g")).unwrap().len(), 1);
}

#[test]
fn claims_drop_deleted_entries_and_create_the_consumer_only_when_they_claim() {
    let e = Engine::new();
    for ms in 1..=3 {
        add_at(&e, "s", ms, "v");
    }
    create_group(&e, "s", "g", GroupStart::Id(StreamId::MIN));
    read_group(&e, "s", "g", "dead", ReadId::New, None);
    e.execute(|ks| ks.xdel(0, b"s", &[id(2, 0)])).unwrap();
    // Not idle enough: nothing claimed, the deleted one dropped, no consumer made.
    let got = e
        .execute(|ks| ks.xclaim(0, b"s", b"g", b"new", 60_000, &[id(1, 0), id(2, 0)], &ClaimOptions::default()))
        .unwrap();
    assert!(got.entries.is_empty());
    assert_eq!(got.deleted, vec![id(2, 0)]);
    let names: Vec<Vec<u8>> = e.execute(|ks| ks.xinfo_consumers(0, b"s", b"g")).unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, vec![b"dead".to_vec()]);
    let auto = e.execute(|ks| ks.xautoclaim(0, b"s", b"g", b"rescuer", 0, StreamId::MIN, 10, false)).unwrap();
    assert_eq!(auto.entries.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![id(1, 0), id(3, 0)]);
    assert_eq!(auto.next, StreamId::MIN);
    let rows = e.execute(|ks| ks.xpending_range(0, b"s", b"g", StreamId::MIN, StreamId::MAX, 10, None, 0)).unwrap();
    assert!(rows.iter().all(|r| r.consumer == b"rescuer" && r.delivery_count == 2));
}

#[test]
fn nogroup_errors_use_each_commands_wording() {
    let e = Engine::new();
    add_at(&e, "s", 1, "v");
    let read = vec![(key("s"), Ok(ReadId::New))];
    let err = e.execute(|ks| ks.xreadgroup(0, b"nog", b"c", &read, None, false)).unwrap_err();
    assert_eq!(err.to_string(), "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option");
    let err = e.execute(|ks| ks.xpending(0, b"s", b"nog")).unwrap_err();
    assert_eq!(err.to_string(), "NOGROUP No such key 's' or consumer group 'nog'");
    let err = e.execute(|ks| ks.xinfo_consumers(0, b"s", b"nog")).unwrap_err();
    assert_eq!(err.to_string(), "NOGROUP No such consumer group 'nog' for key name 's'");
    let err = e.execute(|ks| ks.xgroup_create(0, b"missing", b"g", GroupStart::Last, false, None)).unwrap_err();
    assert_eq!(err, Error::XgroupNeedsKey);
    create_group(&e, "s", "g", GroupStart::Last);
    assert_eq!(e.execute(|ks| ks.xgroup_create(0, b"s", b"g", GroupStart::Last, false, None)), Err(Error::BusyGroup));
}

// ---- effects ----------------------------------------------------------------------------

#[test]
fn xadd_star_is_logged_with_the_id_it_got() {
    let (e, rec) = recorded();
    let got = add(&e, "s", IdSpec::Auto, "f", "v");
    assert_eq!(rec.words(), vec![format!("XADD s {got} f v")]);
}

#[test]
fn group_reads_are_logged_as_pending_entry_changes() {
    let (e, rec) = recorded();
    add_at(&e, "s", 1, "a");
    add_at(&e, "s", 2, "b");
    create_group(&e, "s", "g", GroupStart::Id(StreamId::MIN));
    rec.clear();
    read_group(&e, "s", "g", "c", ReadId::New, None);
    let words = rec.words();
    assert_eq!(words.len(), 3, "{words:?}");
    assert!(words[0].starts_with("XCLAIM s g c 0 1-0 TIME "), "{words:?}");
    assert!(words[0].ends_with(" RETRYCOUNT 1 FORCE JUSTID LASTID 2-0"), "{words:?}");
    assert_eq!(words[2], "XGROUP SETID s g 2-0 ENTRIESREAD 2");
    // NOACK: the consumer's creation and the group's position, no pending entries.
    add_at(&e, "s", 3, "c");
    rec.clear();
    let streams = vec![(key("s"), Ok(ReadId::New))];
    e.execute(|ks| ks.xreadgroup(0, b"g", b"quiet", &streams, None, true)).unwrap();
    assert_eq!(rec.words(), vec!["XGROUP CREATECONSUMER s g quiet", "XGROUP SETID s g 3-0 ENTRIESREAD 3"]);
}

#[test]
fn replaying_the_effects_rebuilds_the_same_stream() {
    let (e, rec) = recorded();
    for ms in 1..=30 {
        add_at(&e, "s", ms, "v");
    }
    add(&e, "s", IdSpec::Auto, "f", "auto");
    create_group(&e, "s", "g", GroupStart::Id(StreamId::MIN));
    create_group(&e, "s", "h", GroupStart::Last);
    e.execute(|ks| ks.xgroup_create(0, b"other", b"x", GroupStart::Last, true, Some(0))).unwrap();
    read_group(&e, "s", "g", "a", ReadId::New, Some(10));
    read_group(&e, "s", "g", "b", ReadId::New, Some(5));
    read_group(&e, "s", "g", "a", ReadId::After(StreamId::MIN), Some(3));
    let streams = vec![(key("s"), Ok(ReadId::New))];
    e.execute(|ks| ks.xreadgroup(0, b"g", b"n", &streams, Some(4), true)).unwrap();
    e.execute(|ks| ks.xack(0, b"s", b"g", &[id(2, 0), id(3, 0)])).unwrap();
    e.execute(|ks| ks.xdel(0, b"s", &[id(5, 0), id(12, 0)])).unwrap();
    e.execute(|ks| ks.xclaim(0, b"s", b"g", b"c", 0, &[id(4, 0), id(5, 0), id(11, 0)], &ClaimOptions::default()))
        .unwrap();
    let opts = ClaimOptions { lastid: Some(id(25, 0)), justid: true, ..ClaimOptions::default() };
    e.execute(|ks| ks.xclaim(0, b"s", b"g", b"d", 0, &[id(6, 0)], &opts)).unwrap();
    e.execute(|ks| ks.xautoclaim(0, b"s", b"g", b"z", 0, StreamId::MIN, 3, false)).unwrap();
    e.execute(|ks| ks.xgroup_createconsumer(0, b"s", b"h", b"idle")).unwrap();
    e.execute(|ks| ks.xgroup_delconsumer(0, b"s", b"g", b"b")).unwrap();
    e.execute(|ks| ks.xgroup_setid(0, b"s", b"h", GroupStart::Id(id(20, 0)), Some(20))).unwrap();
    let approx = TrimSpec { strategy: Trim::MaxLen(3), approx: true, limit: None };
    e.execute(|ks| ks.xtrim(0, b"s", approx)).unwrap();
    e.execute(|ks| ks.xsetid(0, b"other", id(99, 0), Some(7), Some(id(50, 0)))).unwrap();
    let replayed = rec.replay();
    assert_eq!(state(&replayed, "s"), state(&e, "s"));
    assert_eq!(state(&replayed, "other"), state(&e, "other"));
}

// ---- blocking ---------------------------------------------------------------------------

fn block(e: &Engine, keys: &[&str], op: BlockOp) -> Result<(u64, Arc<Condvar>), Served> {
    let cv = Arc::new(Condvar::new());
    match e.block(0, keys.iter().map(|k| key(k)).collect(), op, Wake::Thread(cv.clone())).expect("block") {
        Attempt::Waiting(id) => Ok((id, cv)),
        Attempt::Ready(s) => Err(s),
    }
}

fn xread_op(k: &str, from: ReadId) -> BlockOp {
    BlockOp::XRead { streams: vec![(key(k), Ok(from))], count: None }
}

fn group_op(k: &str, g: &str, c: &str) -> BlockOp {
    BlockOp::XReadGroup {
        group: g.as_bytes().to_vec(),
        consumer: c.as_bytes().to_vec(),
        streams: vec![(key(k), Ok(ReadId::New))],
        count: None,
        noack: false,
    }
}

fn served_ids(s: Served) -> Vec<StreamId> {
    match s {
        Served::Streams { mut streams } => ids(&streams.pop().expect("one stream").1.to_vec()),
        other => panic!("not a stream read: {other:?}"),
    }
}

fn now(e: &Engine, w: &(u64, Arc<Condvar>)) -> Option<Served> {
    e.wait_until(w.0, &w.1, Instant::now())
}

#[test]
fn every_plain_reader_sees_a_new_entry() {
    let e = Engine::new();
    add_at(&e, "s", 1, "old");
    let readers: Vec<_> = (0..5).map(|_| block(&e, &["s"], xread_op("s", ReadId::Last)).expect("waits")).collect();
    add_at(&e, "s", 2, "new");
    for r in &readers {
        assert_eq!(served_ids(now(&e, r).expect("served")), vec![id(2, 0)]);
    }
}

#[test]
fn dollar_is_the_last_id_when_the_call_blocks() {
    let e = Engine::new();
    add_at(&e, "s", 1, "a");
    let w = block(&e, &["s"], xread_op("s", ReadId::Last)).expect("waits");
    add_at(&e, "s", 2, "b");
    add_at(&e, "s", 3, "c");
    // One unit served it: 2-0 only (3-0 came in a later unit).
    assert_eq!(served_ids(now(&e, &w).expect("served")), vec![id(2, 0)]);
    // On a missing key `$` is 0-0: the first entry is served.
    let w = block(&e, &["new"], xread_op("new", ReadId::Last)).expect("waits");
    add_at(&e, "new", 7, "x");
    assert_eq!(served_ids(now(&e, &w).expect("served")), vec![id(7, 0)]);
}

#[test]
fn group_readers_are_served_oldest_first_one_entry_each() {
    let e = Engine::new();
    create_group(&e, "s", "g", GroupStart::Last);
    create_group(&e, "s", "h", GroupStart::Last);
    let g1 = block(&e, &["s"], group_op("s", "g", "c1")).expect("waits");
    let g2 = block(&e, &["s"], group_op("s", "g", "c2")).expect("waits");
    let h1 = block(&e, &["s"], group_op("s", "h", "d1")).expect("waits");
    let plain = block(&e, &["s"], xread_op("s", ReadId::Last)).expect("waits");
    add_at(&e, "s", 1, "first");
    assert_eq!(served_ids(now(&e, &g1).expect("oldest of g")), vec![id(1, 0)]);
    assert!(now(&e, &g2).is_none(), "the entry went to c1 only");
    assert_eq!(served_ids(now(&e, &h1).expect("group h too")), vec![id(1, 0)]);
    assert_eq!(served_ids(now(&e, &plain).expect("plain reader")), vec![id(1, 0)]);
    add_at(&e, "s", 2, "second");
    assert_eq!(served_ids(now(&e, &g2).expect("then c2")), vec![id(2, 0)]);
    let p = e.execute(|ks| ks.xpending(0, b"s", b"g")).unwrap();
    assert_eq!(p.consumers, vec![(b"c1".to_vec(), 1), (b"c2".to_vec(), 1)]);
}

#[test]
fn an_abandoned_group_reader_keeps_its_entries_pending() {
    let e = Engine::new();
    create_group(&e, "s", "g", GroupStart::Last);
    let w = block(&e, &["s"], group_op("s", "g", "gone")).expect("waits");
    add_at(&e, "s", 1, "x");
    // Served, then its caller vanished (Ctrl-C, cancelled task): nothing is given back.
    e.abandon(w.0);
    let p = e.execute(|ks| ks.xpending(0, b"s", b"g")).unwrap();
    assert_eq!((p.count, p.consumers), (1, vec![(b"gone".to_vec(), 1)]));
    let got = e.execute(|ks| ks.xautoclaim(0, b"s", b"g", b"rescuer", 0, StreamId::MIN, 10, false)).unwrap();
    assert_eq!(got.entries.len(), 1);
}

#[test]
fn deleting_the_stream_or_group_wakes_group_readers_as_redis_7_0() {
    let e = Engine::new();
    create_group(&e, "a", "g", GroupStart::Last);
    create_group(&e, "b", "g", GroupStart::Last);
    create_group(&e, "c", "g", GroupStart::Last);
    let on_a = block(&e, &["a"], group_op("a", "g", "c")).expect("waits");
    let on_b = block(&e, &["b"], group_op("b", "g", "c")).expect("waits");
    let on_c = block(&e, &["c"], group_op("c", "g", "c")).expect("waits");
    let plain = block(&e, &["a"], xread_op("a", ReadId::Last)).expect("waits");
    e.execute(|ks| ks.del(0, &[b"a"]));
    e.execute(|ks| ks.xgroup_destroy(0, b"b", b"g")).unwrap();
    e.execute(|ks| ks.set(0, b"c", b"now a string", Default::default())).unwrap();
    assert_eq!(now(&e, &on_a), Some(Served::Failed(Error::StreamKeyDeleted)));
    assert_eq!(now(&e, &on_b), Some(Served::Failed(Error::NoGroupBlocked)));
    assert_eq!(now(&e, &on_c), Some(Served::Failed(Error::StreamKeyDeleted)));
    // A plain reader keeps waiting, and is served when the stream comes back.
    assert!(now(&e, &plain).is_none());
    add_at(&e, "a", 5, "again");
    assert_eq!(served_ids(now(&e, &plain).expect("served")), vec![id(5, 0)]);
}

#[test]
fn a_blocked_reader_without_count_gets_at_most_1000_entries() {
    let e = Engine::new();
    let w = block(&e, &["s"], xread_op("s", ReadId::After(StreamId::MIN))).expect("waits");
    let fields: Vec<(&[u8], &[u8])> = vec![(b"f", b"v")];
    e.execute(|ks| {
        for ms in 1..=1500 {
            ks.xadd(0, b"s", IdSpec::Explicit(id(ms, 0)), &fields, false, None).unwrap();
        }
    });
    assert_eq!(served_ids(now(&e, &w).expect("served")).len(), 1000);
}

#[test]
fn a_served_blocked_group_read_is_logged_in_the_producers_unit() {
    let (e, rec) = recorded();
    create_group(&e, "s", "g", GroupStart::Last);
    let w = block(&e, &["s"], group_op("s", "g", "c")).expect("waits");
    rec.clear();
    add_at(&e, "s", 1, "x");
    assert!(now(&e, &w).is_some());
    let units = rec.0.lock();
    assert_eq!(units.len(), 1, "XADD and the hand-over are one unit");
    let words: Vec<String> = units[0].iter().map(|e| String::from_utf8_lossy(&e.argv[0]).into_owned()).collect();
    assert_eq!(words, vec!["XADD", "XCLAIM", "XGROUP"]);
}

#[test]
fn history_reads_and_existing_data_answer_without_blocking() {
    let e = Engine::new();
    add_at(&e, "s", 1, "x");
    create_group(&e, "s", "g", GroupStart::Id(StreamId::MIN));
    // `>` with an undelivered entry: served at once.
    let s = block(&e, &["s"], group_op("s", "g", "c")).expect_err("ready");
    assert_eq!(served_ids(s), vec![id(1, 0)]);
    // A history ID never blocks, even with nothing pending.
    let op = BlockOp::XReadGroup {
        group: b"g".to_vec(),
        consumer: b"other".to_vec(),
        streams: vec![(key("s"), Ok(ReadId::After(StreamId::MIN)))],
        count: None,
        noack: false,
    };
    assert_eq!(block(&e, &["s"], op).expect_err("ready"), Served::Streams { streams: vec![(key("s"), EntryBatch::default())] });
}
