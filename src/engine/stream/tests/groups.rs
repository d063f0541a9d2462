//! XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO GROUPS/CONSUMERS.

use super::*;

/// IDs of a group read, with whether each came with fields.
fn read_ids(read: &[(StreamId, Option<Fields>)]) -> Vec<StreamId> {
    read.iter().map(|(i, _)| *i).collect()
}

fn read(
    s: &mut Stream,
    consumer: &str,
    start: ReadId,
    count: Option<usize>,
    now: u64,
) -> Vec<(StreamId, Option<Fields>)> {
    s.read_group(b"g", consumer.as_bytes(), start, count, false, now)
        .expect("group exists")
        .to_vec()
}

fn group_info(s: &Stream) -> (Option<u64>, Option<i64>) {
    let g = &s.info_groups()[0];
    (g.entries_read, g.lag)
}

fn pending_of(s: &Stream, consumer: &str) -> Vec<StreamId> {
    s.group(b"g")
        .and_then(|g| g.consumer(consumer.as_bytes()))
        .map(|c| c.pending_ids().collect())
        .unwrap_or_default()
}

#[test]
fn create_group_at_dollar_delivers_only_later_entries() {
    let mut s = stream_with(&[1, 2]);
    s.create_group(b"g", GroupStart::Last, None)
        .expect("create");
    assert_eq!(s.group(b"g").map(Group::last_id), Some(id(2, 0)));
    assert!(read(&mut s, "c", ReadId::New, None, 10).is_empty());
    s.xadd(IdSpec::Explicit(id(3, 0)), &[(b"f", b"v3")], 0)
        .expect("xadd");
    assert_eq!(
        read(&mut s, "c", ReadId::New, None, 10),
        vec![(id(3, 0), Some(f1("f", "v3")))]
    );
}

#[test]
fn create_group_at_zero_delivers_the_whole_stream() {
    let mut s = stream_with(&[1, 2, 3]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    assert_eq!(
        read_ids(&read(&mut s, "c", ReadId::New, None, 10)),
        vec![id(1, 0), id(2, 0), id(3, 0)]
    );
}

#[test]
fn create_group_twice_is_busygroup_and_destroy_reports_existence() {
    let mut s = Stream::new();
    assert_eq!(s.create_group(b"g", GroupStart::Last, None), Ok(()));
    assert_eq!(
        s.create_group(b"g", GroupStart::Id(id(5, 0)), None),
        Err(Error::BusyGroup)
    );
    assert!(s.destroy_group(b"g"));
    assert!(!s.destroy_group(b"g"));
}

#[test]
fn groups_are_listed_in_byte_order_of_their_names() {
    let mut s = Stream::new();
    for name in [&b"b"[..], b"a", b"ab", b"\xff", b"B"] {
        s.create_group(name, GroupStart::Last, None)
            .expect("create");
    }
    let names: Vec<Vec<u8>> = s.info_groups().into_iter().map(|g| g.name).collect();
    assert_eq!(
        names,
        vec![
            b"B".to_vec(),
            b"a".to_vec(),
            b"ab".to_vec(),
            b"b".to_vec(),
            b"\xff".to_vec()
        ]
    );
}

#[test]
fn missing_group_is_reported_for_the_caller_to_word() {
    let mut s = stream_with(&[1]);
    assert_eq!(
        s.read_group(b"nope", b"c", ReadId::New, None, false, 0),
        Err(GroupNotFound)
    );
    assert_eq!(s.pending_summary(b"nope"), Err(GroupNotFound));
    assert_eq!(s.create_consumer(b"nope", b"c", 0), Err(GroupNotFound));
    assert_eq!(
        s.set_group_id(b"nope", GroupStart::Last, None),
        Err(GroupNotFound)
    );
    assert_eq!(s.ack(b"nope", &[id(1, 0)]), 0);
    let err = GroupNotFound.into_error(NoGroupWording::XReadGroup, b"k", b"g\xff");
    assert_eq!(
        err.to_string(),
        "NOGROUP No such key 'k' or consumer group 'g\u{fffd}' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        NoGroupWording::KeyOrGroup.error(b"k", b"g").to_string(),
        "NOGROUP No such key 'k' or consumer group 'g'"
    );
    assert_eq!(
        NoGroupWording::Group.error(b"k", b"g").to_string(),
        "NOGROUP No such consumer group 'g' for key name 'k'"
    );
}

#[test]
fn read_group_new_delivers_each_entry_once_across_consumers() {
    let mut s = stream_with(&[1, 2, 3, 4, 5]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    assert_eq!(
        read_ids(&read(&mut s, "alice", ReadId::New, Some(2), 10)),
        vec![id(1, 0), id(2, 0)]
    );
    assert_eq!(
        read_ids(&read(&mut s, "bob", ReadId::New, Some(2), 11)),
        vec![id(3, 0), id(4, 0)]
    );
    assert_eq!(
        read_ids(&read(&mut s, "alice", ReadId::New, None, 12)),
        vec![id(5, 0)]
    );
    assert!(read(&mut s, "bob", ReadId::New, None, 13).is_empty());
    assert_eq!(pending_of(&s, "alice"), vec![id(1, 0), id(2, 0), id(5, 0)]);
    assert_eq!(pending_of(&s, "bob"), vec![id(3, 0), id(4, 0)]);
    let g = s.group(b"g").expect("group");
    assert_eq!(g.last_id(), id(5, 0));
    assert_eq!(g.pending_count(), 5);
    let nack = g.nack(id(3, 0)).expect("pending");
    assert_eq!(
        (nack.consumer(), nack.delivery_time(), nack.delivery_count()),
        (&b"bob"[..], 11, 1)
    );
}

#[test]
fn read_group_new_skips_deleted_entries() {
    let mut s = stream_with(&[1, 2, 3]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    s.xdel(&[id(2, 0)]);
    assert_eq!(
        read_ids(&read(&mut s, "c", ReadId::New, None, 1)),
        vec![id(1, 0), id(3, 0)]
    );
}

#[test]
fn history_read_returns_only_the_consumers_own_pending_entries() {
    let mut s = stream_with(&[1, 2, 3, 4]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "alice", ReadId::New, Some(2), 10);
    read(&mut s, "bob", ReadId::New, Some(2), 10);
    let history = read(&mut s, "alice", ReadId::After(StreamId::MIN), None, 50);
    assert_eq!(
        history,
        vec![
            (id(1, 0), Some(f1("f", "v1"))),
            (id(2, 0), Some(f1("f", "v2")))
        ]
    );
    assert_eq!(
        read_ids(&read(&mut s, "alice", ReadId::After(id(1, 0)), None, 60)),
        vec![id(2, 0)]
    );
    assert_eq!(
        read_ids(&read(
            &mut s,
            "bob",
            ReadId::After(StreamId::MIN),
            Some(1),
            60
        )),
        vec![id(3, 0)]
    );
    // Each history read is a delivery: count and time move.
    let g = s.group(b"g").expect("group");
    let n = g.nack(id(2, 0)).expect("pending");
    assert_eq!((n.delivery_count(), n.delivery_time()), (3, 60));
    let n = g.nack(id(1, 0)).expect("pending");
    assert_eq!((n.delivery_count(), n.delivery_time()), (2, 50));
    // History reads do not move the group.
    assert_eq!(g.last_id(), id(4, 0));
}

#[test]
fn history_read_of_a_deleted_entry_gives_its_id_without_fields() {
    let mut s = stream_with(&[1, 2]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "c", ReadId::New, None, 10);
    s.xdel(&[id(1, 0)]);
    let history = read(&mut s, "c", ReadId::After(StreamId::MIN), None, 20);
    assert_eq!(
        history,
        vec![(id(1, 0), None), (id(2, 0), Some(f1("f", "v2")))]
    );
    let n = s
        .group(b"g")
        .and_then(|g| g.nack(id(1, 0)))
        .expect("still pending");
    assert_eq!((n.delivery_count(), n.delivery_time()), (1, 10));
}

#[test]
fn an_explicit_max_id_reads_as_new_entries_as_in_redis() {
    let mut s = stream_with(&[1]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    assert_eq!(
        read_ids(&read(&mut s, "c", ReadId::After(StreamId::MAX), None, 1)),
        vec![id(1, 0)]
    );
}

#[test]
fn noack_read_moves_the_group_without_pending_entries() {
    let mut s = stream_with(&[1, 2]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    let got = s
        .read_group(b"g", b"c", ReadId::New, None, true, 5)
        .expect("read");
    assert_eq!(read_ids(&got.to_vec()), vec![id(1, 0), id(2, 0)]);
    let g = s.group(b"g").expect("group");
    assert_eq!(
        (g.last_id(), g.pending_count(), g.entries_read()),
        (id(2, 0), 0, Some(2))
    );
    let c = g.consumer(b"c").expect("consumer created");
    assert_eq!((c.seen_time(), c.active_time()), (5, None));
}

#[test]
fn rereading_after_setid_reassigns_pending_entries_with_one_delivery() {
    let mut s = stream_with(&[1, 2]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "alice", ReadId::New, None, 10);
    read(&mut s, "alice", ReadId::After(StreamId::MIN), None, 11);
    s.set_group_id(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("setid");
    assert_eq!(
        read_ids(&read(&mut s, "bob", ReadId::New, Some(1), 20)),
        vec![id(1, 0)]
    );
    assert_eq!(pending_of(&s, "alice"), vec![id(2, 0)]);
    assert_eq!(pending_of(&s, "bob"), vec![id(1, 0)]);
    let n = s
        .group(b"g")
        .and_then(|g| g.nack(id(1, 0)))
        .expect("pending");
    assert_eq!(
        (n.consumer(), n.delivery_count(), n.delivery_time()),
        (&b"bob"[..], 1, 20)
    );
}

#[test]
fn ack_removes_pending_entries_and_counts_them() {
    let mut s = stream_with(&[1, 2, 3]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "c", ReadId::New, None, 1);
    assert_eq!(s.ack(b"g", &[id(1, 0), id(3, 0), id(9, 0), id(1, 0)]), 2);
    assert_eq!(pending_of(&s, "c"), vec![id(2, 0)]);
    assert_eq!(s.group(b"g").map(Group::pending_count), Some(1));
    assert!(read(&mut s, "c", ReadId::After(StreamId::MIN), None, 2)
        .iter()
        .all(|(i, _)| *i == id(2, 0)));
}

#[test]
fn pending_summary_counts_per_consumer_in_name_order() {
    let mut s = stream_with(&[1, 2, 3, 4]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    assert_eq!(
        s.pending_summary(b"g"),
        Ok(PendingSummary {
            count: 0,
            min: None,
            max: None,
            consumers: vec![]
        })
    );
    read(&mut s, "zed", ReadId::New, Some(1), 1);
    read(&mut s, "amy", ReadId::New, Some(2), 1);
    s.create_consumer(b"g", b"idle", 1).expect("group");
    assert_eq!(
        s.pending_summary(b"g"),
        Ok(PendingSummary {
            count: 3,
            min: Some(id(1, 0)),
            max: Some(id(3, 0)),
            consumers: vec![(b"amy".to_vec(), 2), (b"zed".to_vec(), 1)],
        })
    );
}

#[test]
fn pending_range_filters_by_bounds_count_consumer_and_idle_time() {
    let mut s = stream_with(&[1, 2, 3, 4]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "amy", ReadId::New, Some(2), 100);
    read(&mut s, "bob", ReadId::New, Some(2), 150);
    let rows = s
        .pending_range(b"g", StreamId::MIN, StreamId::MAX, 10, None, 0, 200)
        .expect("group");
    assert_eq!(
        rows[0],
        PendingEntry {
            id: id(1, 0),
            consumer: b"amy".to_vec(),
            idle_ms: 100,
            delivery_count: 1
        }
    );
    assert_eq!(rows.len(), 4);
    let ids = |rows: Vec<PendingEntry>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s
            .pending_range(b"g", id(2, 0), id(3, 0), 10, None, 0, 200)
            .expect("g")),
        vec![id(2, 0), id(3, 0)]
    );
    assert_eq!(
        ids(s
            .pending_range(b"g", StreamId::MIN, StreamId::MAX, 3, None, 0, 200)
            .expect("g"))
        .len(),
        3
    );
    assert_eq!(
        ids(s
            .pending_range(b"g", StreamId::MIN, StreamId::MAX, 10, Some(b"bob"), 0, 200)
            .expect("g")),
        vec![id(3, 0), id(4, 0)]
    );
    assert!(s
        .pending_range(
            b"g",
            StreamId::MIN,
            StreamId::MAX,
            10,
            Some(b"nobody"),
            0,
            200
        )
        .expect("g")
        .is_empty());
    // IDLE 60 at t=200: amy's (idle 100) qualify, bob's (idle 50) do not.
    assert_eq!(
        ids(s
            .pending_range(b"g", StreamId::MIN, StreamId::MAX, 10, None, 60, 200)
            .expect("g")),
        vec![id(1, 0), id(2, 0)]
    );
    // The idle filter applies before COUNT.
    assert_eq!(
        ids(s
            .pending_range(b"g", id(2, 0), StreamId::MAX, 1, None, 60, 200)
            .expect("g")),
        vec![id(2, 0)]
    );
    assert!(s
        .pending_range(b"g", StreamId::MIN, StreamId::MAX, 0, None, 0, 200)
        .expect("g")
        .is_empty());
    // A clock that went back reads as idle 0.
    assert_eq!(
        s.pending_range(b"g", StreamId::MIN, StreamId::MAX, 1, None, 0, 50)
            .expect("g")[0]
            .idle_ms,
        0
    );
}

fn claim_setup() -> Stream {
    let mut s = stream_with(&[1, 2, 3]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "alice", ReadId::New, Some(2), 1000);
    s
}

#[test]
fn claim_moves_entries_idle_long_enough() {
    let mut s = claim_setup();
    let opts = ClaimOptions::default();
    let none = s
        .claim(b"g", b"bob", 500, &[id(1, 0)], &opts, 1200)
        .expect("group");
    assert!(none.entries.is_empty());
    let got = s
        .claim(b"g", b"bob", 500, &[id(1, 0), id(3, 0)], &opts, 1600)
        .expect("group");
    // 3-0 is not pending and FORCE was not given.
    assert_eq!(got.entries, vec![(id(1, 0), Some(f1("f", "v1")))]);
    assert_eq!(pending_of(&s, "alice"), vec![id(2, 0)]);
    assert_eq!(pending_of(&s, "bob"), vec![id(1, 0)]);
    let n = s
        .group(b"g")
        .and_then(|g| g.nack(id(1, 0)))
        .expect("pending");
    assert_eq!((n.delivery_count(), n.delivery_time()), (2, 1600));
    let bob = s
        .group(b"g")
        .and_then(|g| g.consumer(b"bob"))
        .expect("created");
    assert_eq!((bob.seen_time(), bob.active_time()), (1600, Some(1600)));
}

#[test]
fn claim_with_zero_min_idle_takes_regardless_of_idle_time() {
    let mut s = claim_setup();
    let got = s
        .claim(b"g", b"bob", 0, &[id(2, 0)], &ClaimOptions::default(), 1000)
        .expect("group");
    assert_eq!(got.entries.len(), 1);
}

#[test]
fn claim_force_creates_pending_entries_for_existing_entries_only() {
    let mut s = claim_setup();
    let opts = ClaimOptions {
        force: true,
        ..ClaimOptions::default()
    };
    let got = s
        .claim(b"g", b"bob", 0, &[id(3, 0), id(7, 0)], &opts, 2000)
        .expect("group");
    assert_eq!(got.entries, vec![(id(3, 0), Some(f1("f", "v3")))]);
    // Checked against redis-server 7.0.15: a forced claim counts as a second delivery...
    let n = s
        .group(b"g")
        .and_then(|g| g.nack(id(3, 0)))
        .expect("created");
    assert_eq!((n.consumer(), n.delivery_count()), (&b"bob"[..], 2));
    // ...unless JUSTID, which leaves it at 1.
    s.ack(b"g", &[id(3, 0)]);
    let opts = ClaimOptions {
        force: true,
        justid: true,
        ..ClaimOptions::default()
    };
    let got = s
        .claim(b"g", b"bob", 0, &[id(3, 0)], &opts, 2000)
        .expect("group");
    assert_eq!(got.entries, vec![(id(3, 0), None)]);
    assert_eq!(
        s.group(b"g")
            .and_then(|g| g.nack(id(3, 0)))
            .map(Nack::delivery_count),
        Some(1)
    );
    assert!(s.group(b"g").and_then(|g| g.nack(id(7, 0))).is_none());
}

#[test]
fn claim_retrycount_sets_and_justid_keeps_the_delivery_count() {
    let mut s = claim_setup();
    let opts = ClaimOptions {
        retrycount: Some(7),
        ..ClaimOptions::default()
    };
    s.claim(b"g", b"bob", 0, &[id(1, 0)], &opts, 1000)
        .expect("group");
    let opts = ClaimOptions {
        justid: true,
        ..ClaimOptions::default()
    };
    let got = s
        .claim(b"g", b"carl", 0, &[id(1, 0), id(2, 0)], &opts, 1000)
        .expect("group");
    assert_eq!(got.entries, vec![(id(1, 0), None), (id(2, 0), None)]);
    let g = s.group(b"g").expect("group");
    assert_eq!(g.nack(id(1, 0)).map(Nack::delivery_count), Some(7));
    assert_eq!(g.nack(id(2, 0)).map(Nack::delivery_count), Some(1));
    assert_eq!(pending_of(&s, "carl"), vec![id(1, 0), id(2, 0)]);
}

#[test]
fn claim_idle_and_time_set_the_delivery_time_within_now() {
    let mut s = claim_setup();
    let claim = |s: &mut Stream, delivery| {
        let opts = ClaimOptions {
            delivery: Some(delivery),
            ..ClaimOptions::default()
        };
        s.claim(b"g", b"bob", 0, &[id(1, 0)], &opts, 5000)
            .expect("group");
        s.group(b"g")
            .and_then(|g| g.nack(id(1, 0)))
            .map(Nack::delivery_time)
    };
    assert_eq!(claim(&mut s, ClaimDelivery::Idle(1500)), Some(3500));
    assert_eq!(claim(&mut s, ClaimDelivery::Time(4000)), Some(4000));
    // Bogus times are taken as now rather than refused.
    assert_eq!(claim(&mut s, ClaimDelivery::Time(9000)), Some(5000));
    assert_eq!(claim(&mut s, ClaimDelivery::Idle(-5)), Some(5000));
    assert_eq!(claim(&mut s, ClaimDelivery::Idle(6000)), Some(5000));
    assert_eq!(claim(&mut s, ClaimDelivery::Time(-1)), Some(5000));
}

#[test]
fn claim_of_a_deleted_entry_drops_it_from_the_pel() {
    let mut s = claim_setup();
    s.xdel(&[id(1, 0)]);
    let got = s
        .claim(
            b"g",
            b"bob",
            0,
            &[id(1, 0), id(2, 0)],
            &ClaimOptions::default(),
            1000,
        )
        .expect("group");
    assert_eq!(got.entries, vec![(id(2, 0), Some(f1("f", "v2")))]);
    assert_eq!(got.deleted, vec![id(1, 0)]);
    assert!(pending_of(&s, "alice").is_empty());
    assert_eq!(s.group(b"g").map(Group::pending_count), Some(1));
}

#[test]
fn claim_lastid_only_raises_the_group_last_id() {
    let mut s = claim_setup();
    let opts = ClaimOptions {
        lastid: Some(id(9, 0)),
        ..ClaimOptions::default()
    };
    s.claim(b"g", b"bob", 0, &[], &opts, 1000).expect("group");
    assert_eq!(s.group(b"g").map(Group::last_id), Some(id(9, 0)));
    let opts = ClaimOptions {
        lastid: Some(id(4, 0)),
        ..ClaimOptions::default()
    };
    s.claim(b"g", b"bob", 0, &[], &opts, 1000).expect("group");
    assert_eq!(s.group(b"g").map(Group::last_id), Some(id(9, 0)));
    // Nothing claimed: Redis 7.0 does not create the consumer (checked against 7.0.15).
    assert!(s.group(b"g").and_then(|g| g.consumer(b"bob")).is_none());
}

#[test]
fn autoclaim_walks_the_pel_with_a_cursor() {
    let mut s = stream_with(&[1, 2, 3, 4, 5]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "alice", ReadId::New, None, 1000);
    let first = s
        .autoclaim(b"g", b"bob", 100, StreamId::MIN, 2, false, 2000)
        .expect("group");
    assert_eq!(read_ids(&first.entries), vec![id(1, 0), id(2, 0)]);
    assert_eq!(first.entries[0].1, Some(f1("f", "v1")));
    assert_eq!(first.next, id(3, 0));
    let second = s
        .autoclaim(b"g", b"bob", 100, first.next, 2, true, 2000)
        .expect("group");
    assert_eq!(second.entries, vec![(id(3, 0), None), (id(4, 0), None)]);
    assert_eq!(second.next, id(5, 0));
    let third = s
        .autoclaim(b"g", b"bob", 100, second.next, 2, false, 2000)
        .expect("group");
    assert_eq!(read_ids(&third.entries), vec![id(5, 0)]);
    assert_eq!(third.next, StreamId::MIN);
    let g = s.group(b"g").expect("group");
    assert_eq!(g.nack(id(1, 0)).map(Nack::delivery_count), Some(2));
    assert_eq!(g.nack(id(3, 0)).map(Nack::delivery_count), Some(1));
    assert_eq!(pending_of(&s, "bob").len(), 5);
    // Now nothing is idle enough: nothing claimed, scan completes.
    let none = s
        .autoclaim(b"g", b"carl", 100, StreamId::MIN, 10, false, 2050)
        .expect("group");
    assert!(none.entries.is_empty());
    assert_eq!(none.next, StreamId::MIN);
}

#[test]
fn autoclaim_reports_and_drops_deleted_entries_counting_them_toward_count() {
    let mut s = stream_with(&[1, 2, 3, 4]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "alice", ReadId::New, None, 0);
    s.xdel(&[id(1, 0), id(3, 0)]);
    let got = s
        .autoclaim(b"g", b"bob", 0, StreamId::MIN, 3, false, 10)
        .expect("group");
    assert_eq!(read_ids(&got.entries), vec![id(2, 0)]);
    assert_eq!(got.deleted, vec![id(1, 0), id(3, 0)]);
    assert_eq!(got.next, id(4, 0));
    assert_eq!(s.group(b"g").map(Group::pending_count), Some(2));
}

#[test]
fn autoclaim_scans_at_most_ten_pel_entries_per_count() {
    let ms: Vec<u64> = (1..=30).collect();
    let mut s = stream_with(&ms);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "alice", ReadId::New, Some(25), 0);
    read(&mut s, "alice", ReadId::New, None, 1000);
    // Entries 1..=25 are idle 1000, 26..=30 idle 0: with COUNT 2 only 20 are examined.
    let got = s
        .autoclaim(b"g", b"bob", 500, id(6, 0), 2, false, 1000)
        .expect("group");
    assert_eq!(read_ids(&got.entries), vec![id(6, 0), id(7, 0)]);
    let got = s
        .autoclaim(b"g", b"bob", 1, id(26, 0), 1, false, 1000)
        .expect("group");
    assert!(got.entries.is_empty());
    assert_eq!(got.next, StreamId::MIN);
    let got = s
        .autoclaim(b"g", b"bob", 1, id(20, 0), 1, false, 1000)
        .expect("group");
    assert_eq!(read_ids(&got.entries), vec![id(20, 0)]);
    assert_eq!(got.next, id(21, 0));
}

#[test]
fn autoclaim_attempt_limit_resumes_after_the_last_examined_entry() {
    let ms: Vec<u64> = (1..=30).collect();
    let mut s = stream_with(&ms);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "alice", ReadId::New, None, 1000);
    // Nothing is idle enough: COUNT 1 examines 10 entries (1..=10) and resumes at 11.
    let got = s
        .autoclaim(b"g", b"bob", 500, StreamId::MIN, 1, false, 1000)
        .expect("group");
    assert!(got.entries.is_empty());
    assert_eq!(got.next, id(11, 0));
}

#[test]
fn create_consumer_reports_whether_it_was_new() {
    let mut s = stream_with(&[1]);
    s.create_group(b"g", GroupStart::Last, None)
        .expect("create");
    assert_eq!(s.create_consumer(b"g", b"c", 5), Ok(true));
    assert_eq!(s.create_consumer(b"g", b"c", 9), Ok(false));
    let c = s
        .group(b"g")
        .and_then(|g| g.consumer(b"c"))
        .expect("consumer");
    assert_eq!(
        (c.seen_time(), c.active_time(), c.pending_count()),
        (5, None, 0)
    );
}

#[test]
fn delconsumer_returns_its_pending_count_and_drops_its_entries() {
    let mut s = stream_with(&[1, 2, 3]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "alice", ReadId::New, Some(2), 1);
    read(&mut s, "bob", ReadId::New, None, 1);
    assert_eq!(s.delete_consumer(b"g", b"alice"), Ok(2));
    assert_eq!(s.delete_consumer(b"g", b"alice"), Ok(0));
    let g = s.group(b"g").expect("group");
    assert_eq!(g.pending_count(), 1);
    assert!(g.nack(id(1, 0)).is_none());
    assert_eq!(g.consumers().count(), 1);
}

#[test]
fn info_consumers_reports_pending_idle_and_inactive() {
    let mut s = stream_with(&[1, 2]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    s.create_consumer(b"g", b"new", 100).expect("group");
    read(&mut s, "reader", ReadId::New, None, 200);
    // Nothing new: Redis 7.0 does not look the consumer up, so its seen time stays 200.
    read(&mut s, "reader", ReadId::New, None, 300);
    let rows = s.info_consumers(b"g", 1000).expect("group");
    assert_eq!(
        rows,
        vec![
            ConsumerInfo {
                name: b"new".to_vec(),
                pending: 0,
                idle: 900,
                inactive: None
            },
            ConsumerInfo {
                name: b"reader".to_vec(),
                pending: 2,
                idle: 800,
                inactive: Some(800)
            },
        ]
    );
    assert_eq!(s.info_consumers(b"missing", 0), Err(GroupNotFound));
}

#[test]
fn lag_and_entries_read_follow_reads_and_deletions_as_redis_7_0() {
    // Values from redis-server 7.0.15 XINFO GROUPS after the same commands.
    let mut s = stream_with(&[1, 2, 3, 4, 5]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    assert_eq!(group_info(&s), (None, Some(5)));
    read(&mut s, "c", ReadId::New, Some(2), 0);
    assert_eq!(group_info(&s), (Some(2), Some(3)));
    s.xdel(&[id(4, 0)]);
    assert_eq!(group_info(&s), (Some(2), None));
    assert_eq!(
        read_ids(&read(&mut s, "c", ReadId::New, None, 0)),
        vec![id(3, 0), id(5, 0)]
    );
    assert_eq!(group_info(&s), (Some(5), Some(0)));
    s.xadd(IdSpec::Explicit(id(6, 0)), &[(b"f", b"v6")], 0)
        .expect("xadd");
    assert_eq!(group_info(&s), (Some(5), Some(1)));
}

#[test]
fn lag_after_trimming_and_deleting_everything_as_redis_7_0() {
    let mut s = stream_with(&[1, 2, 3, 4, 5]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    s.create_group(b"g2", GroupStart::Last, None)
        .expect("create");
    s.trim(Trim::MaxLen(3), false, None);
    let lags = |s: &Stream| {
        s.info_groups()
            .into_iter()
            .map(|g| (g.entries_read, g.lag))
            .collect::<Vec<_>>()
    };
    assert_eq!(lags(&s), vec![(None, Some(3)), (None, Some(0))]);
    read(&mut s, "c", ReadId::New, Some(1), 0);
    assert_eq!(lags(&s), vec![(Some(3), Some(2)), (None, Some(0))]);
    s.xdel(&[id(3, 0)]);
    assert_eq!(lags(&s), vec![(Some(3), Some(2)), (None, Some(0))]);
    // Redis 7.0 still answers lag 2 for a now-empty stream (later versions say 0).
    s.xdel(&[id(4, 0), id(5, 0)]);
    assert_eq!(lags(&s), vec![(Some(3), Some(2)), (None, Some(0))]);
}

#[test]
fn lag_after_deleting_the_first_entry_and_setid_as_redis_7_0() {
    let mut s = stream_with(&[1, 2, 3, 4, 5]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    s.xdel(&[id(1, 0)]);
    assert_eq!(group_info(&s), (None, Some(4)));
    assert_eq!(
        read_ids(&read(&mut s, "c", ReadId::New, Some(1), 0)),
        vec![id(2, 0)]
    );
    assert_eq!(group_info(&s), (Some(2), Some(3)));
    s.set_group_id(b"g", GroupStart::Id(id(3, 0)), None)
        .expect("setid");
    assert_eq!(group_info(&s), (None, None));
    s.set_group_id(b"g", GroupStart::Id(id(3, 0)), Some(3))
        .expect("setid");
    assert_eq!(group_info(&s), (Some(3), Some(2)));
}

#[test]
fn lag_is_zero_on_a_stream_never_written_and_can_go_negative() {
    let mut s = Stream::new();
    s.create_group(b"g", GroupStart::Last, None)
        .expect("create");
    assert_eq!(group_info(&s), (None, Some(0)));
    let mut s = stream_with(&[1, 2, 3]);
    s.create_group(b"g", GroupStart::Last, Some(1000))
        .expect("create");
    // redis-server 7.0.15 replies -997 here.
    assert_eq!(group_info(&s), (Some(1000), Some(-997)));
}

#[test]
fn info_stream_full_lists_groups_pending_and_consumers() {
    let mut s = stream_with(&[1, 2, 3]);
    s.create_group(b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("create");
    read(&mut s, "c", ReadId::New, None, 77);
    let full = s.info_stream_full(2);
    let g = &full.groups[0];
    assert_eq!(
        (
            g.name.as_slice(),
            g.last_delivered_id,
            g.entries_read,
            g.lag,
            g.pel_count
        ),
        (&b"g"[..], id(3, 0), Some(3), Some(0), 3)
    );
    assert_eq!(
        g.pending,
        vec![
            (id(1, 0), b"c".to_vec(), 77, 1),
            (id(2, 0), b"c".to_vec(), 77, 1)
        ]
    );
    let c = &g.consumers[0];
    assert_eq!((c.seen_time, c.active_time, c.pel_count), (77, Some(77), 3));
    assert_eq!(c.pending, vec![(id(1, 0), 77, 1), (id(2, 0), 77, 1)]);
}
