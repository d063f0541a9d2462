//! XADD, XRANGE/XREVRANGE, XDEL, XTRIM, XSETID, XLEN and XINFO STREAM.

use super::*;

fn small_nodes(entries: usize) -> Stream {
    Stream::with_config(StreamConfig {
        node_max_bytes: 4096,
        node_max_entries: entries,
    })
}

fn add_range(s: &mut Stream, ms: std::ops::RangeInclusive<u64>) {
    for m in ms {
        let value = format!("v{m}");
        s.xadd(IdSpec::Explicit(id(m, 0)), &[(b"f", value.as_bytes())], 0)
            .expect("xadd");
    }
}

#[test]
fn xadd_auto_uses_the_clock_when_it_is_ahead() {
    let mut s = Stream::new();
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"a", b"1")], 1000), Ok(id(1000, 0)));
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"a", b"2")], 1000), Ok(id(1000, 1)));
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"a", b"3")], 1005), Ok(id(1005, 0)));
    assert_eq!(s.len(), 3);
    assert_eq!(s.last_id(), id(1005, 0));
    assert_eq!(s.entries_added(), 3);
}

#[test]
fn xadd_auto_stays_monotonic_when_the_clock_goes_back() {
    let mut s = Stream::new();
    s.xadd(IdSpec::Auto, &[(b"a", b"1")], 5000).expect("xadd");
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"a", b"2")], 4000), Ok(id(5000, 1)));
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"a", b"3")], 1), Ok(id(5000, 2)));
    s.xadd(IdSpec::Explicit(id(9000, 7)), &[(b"a", b"4")], 1)
        .expect("xadd");
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"a", b"5")], 8000), Ok(id(9000, 8)));
}

#[test]
fn xadd_auto_rolls_sequence_overflow_into_the_next_millisecond() {
    let mut s = Stream::new();
    s.xadd(IdSpec::Explicit(id(7, u64::MAX)), &[(b"a", b"1")], 0)
        .expect("xadd");
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"a", b"2")], 3), Ok(id(8, 0)));
}

#[test]
fn xadd_at_the_largest_id_exhausts_the_stream() {
    let mut s = Stream::new();
    s.xadd(
        IdSpec::Explicit(id(u64::MAX, u64::MAX - 1)),
        &[(b"a", b"1")],
        0,
    )
    .expect("xadd");
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"a", b"2")], 0), Ok(StreamId::MAX));
    for spec in [
        IdSpec::Auto,
        IdSpec::AutoSeq(u64::MAX),
        IdSpec::Explicit(StreamId::MAX),
        IdSpec::AutoSeq(1),
    ] {
        assert_eq!(
            s.xadd(spec, &[(b"a", b"3")], 0),
            Err(Error::StreamExhausted)
        );
    }
    assert_eq!(s.len(), 2);
}

#[test]
fn xadd_refuses_zero_id_even_on_an_empty_stream() {
    let mut s = Stream::new();
    assert_eq!(
        s.xadd(IdSpec::Explicit(id(0, 0)), &[(b"a", b"1")], 0),
        Err(Error::StreamIdZero)
    );
    assert!(s.is_empty());
    assert_eq!(s.entries_added(), 0);
}

#[test]
fn xadd_explicit_id_must_be_above_the_last_one() {
    let mut s = stream_with(&[5]);
    assert_eq!(
        s.xadd(IdSpec::Explicit(id(5, 0)), &[(b"a", b"1")], 0),
        Err(Error::StreamIdTooSmall)
    );
    assert_eq!(
        s.xadd(IdSpec::Explicit(id(4, 9)), &[(b"a", b"1")], 0),
        Err(Error::StreamIdTooSmall)
    );
    assert_eq!(
        s.xadd(IdSpec::Explicit(id(5, 1)), &[(b"a", b"1")], 0),
        Ok(id(5, 1))
    );
    // Deleting the top entry does not lower the bar: last_id stays.
    s.xdel(&[id(5, 1)]);
    assert_eq!(
        s.xadd(IdSpec::Explicit(id(5, 1)), &[(b"a", b"1")], 0),
        Err(Error::StreamIdTooSmall)
    );
}

#[test]
fn xadd_ms_star_takes_the_next_sequence_of_that_millisecond() {
    let mut s = Stream::new();
    // Checked against redis-server 7.0.15: "0-*" on an empty stream gives 0-1.
    assert_eq!(s.xadd(IdSpec::AutoSeq(0), &[(b"a", b"1")], 0), Ok(id(0, 1)));
    assert_eq!(s.xadd(IdSpec::AutoSeq(0), &[(b"a", b"1")], 0), Ok(id(0, 2)));
    assert_eq!(
        s.xadd(IdSpec::AutoSeq(12), &[(b"a", b"1")], 0),
        Ok(id(12, 0))
    );
    assert_eq!(
        s.xadd(IdSpec::AutoSeq(12), &[(b"a", b"1")], 0),
        Ok(id(12, 1))
    );
    assert_eq!(
        s.xadd(IdSpec::AutoSeq(11), &[(b"a", b"1")], 0),
        Err(Error::StreamIdTooSmall)
    );
}

#[test]
fn xadd_ms_star_with_sequence_used_up_is_refused() {
    let mut s = Stream::new();
    s.xadd(IdSpec::Explicit(id(5, u64::MAX)), &[(b"a", b"1")], 0)
        .expect("xadd");
    assert_eq!(
        s.xadd(IdSpec::AutoSeq(5), &[(b"a", b"1")], 0),
        Err(Error::StreamIdTooSmall)
    );
    assert_eq!(s.xadd(IdSpec::AutoSeq(6), &[(b"a", b"1")], 0), Ok(id(6, 0)));
}

#[test]
fn entries_keep_their_own_fields_and_order() {
    let mut s = Stream::new();
    s.xadd(IdSpec::Auto, &[(b"a", b"1"), (b"b", b"2")], 1)
        .expect("xadd");
    s.xadd(IdSpec::Auto, &[(b"b", b"2"), (b"a", b"1")], 2)
        .expect("xadd");
    s.xadd(IdSpec::Auto, &[(b"a", b""), (b"", b"x"), (b"a", b"dup")], 3)
        .expect("xadd");
    let all = s.range(StreamId::MIN, StreamId::MAX, None, false);
    let pairs = |v: &[(&str, &str)]| -> Fields {
        v.iter()
            .map(|(f, x)| (f.as_bytes().to_vec(), x.as_bytes().to_vec()))
            .collect()
    };
    assert_eq!(all[0].1, pairs(&[("a", "1"), ("b", "2")]));
    assert_eq!(all[1].1, pairs(&[("b", "2"), ("a", "1")]));
    assert_eq!(all[2].1, pairs(&[("a", ""), ("", "x"), ("a", "dup")]));
    assert_eq!(s.get(id(2, 0)), Some(pairs(&[("b", "2"), ("a", "1")])));
    assert_eq!(s.get(id(2, 1)), None);
}

#[test]
fn range_is_inclusive_and_rev_range_runs_backwards() {
    let s = stream_with(&[1, 2, 3, 4, 5]);
    let fwd = s.range(id(2, 0), id(4, 0), None, false);
    assert_eq!(ids_of(&fwd), vec![id(2, 0), id(3, 0), id(4, 0)]);
    assert_eq!(fwd[0].1, f1("f", "v2"));
    let rev = s.range(id(2, 0), id(4, 0), None, true);
    assert_eq!(ids_of(&rev), vec![id(4, 0), id(3, 0), id(2, 0)]);
    assert!(s.range(id(4, 0), id(2, 0), None, false).is_empty());
    assert!(s.range(id(6, 0), StreamId::MAX, None, true).is_empty());
}

#[test]
fn range_count_limits_from_the_start_of_the_direction() {
    let s = stream_with(&[1, 2, 3, 4, 5]);
    assert_eq!(
        ids_of(&s.range(StreamId::MIN, StreamId::MAX, Some(2), false)),
        vec![id(1, 0), id(2, 0)]
    );
    assert_eq!(
        ids_of(&s.range(StreamId::MIN, StreamId::MAX, Some(2), true)),
        vec![id(5, 0), id(4, 0)]
    );
    assert!(s
        .range(StreamId::MIN, StreamId::MAX, Some(0), false)
        .is_empty());
}

#[test]
fn range_with_exclusive_bounds_skips_the_bound_ids() {
    let mut s = Stream::new();
    for seq in 0..4 {
        s.xadd(IdSpec::Explicit(id(1, seq)), &[(b"f", b"v")], 0)
            .expect("xadd");
    }
    s.xadd(IdSpec::Explicit(id(2, 0)), &[(b"f", b"v")], 0)
        .expect("xadd");
    let start = StreamId::parse_range_start(b"(1-1").expect("start");
    let end = StreamId::parse_range_end(b"(2-0").expect("end");
    assert_eq!(
        ids_of(&s.range(start, end, None, false)),
        vec![id(1, 2), id(1, 3)]
    );
    assert_eq!(ids_of(&s.range(start, end, Some(1), true)), vec![id(1, 3)]);
    // An incomplete end takes the whole millisecond; "(1" as start skips 1-0 only.
    let end = StreamId::parse_range_end(b"1").expect("end");
    let start = StreamId::parse_range_start(b"(1").expect("start");
    assert_eq!(
        ids_of(&s.range(start, end, None, false)),
        vec![id(1, 1), id(1, 2), id(1, 3)]
    );
}

#[test]
fn ranges_cross_node_boundaries_in_both_directions() {
    let mut s = small_nodes(3);
    add_range(&mut s, 1..=10);
    assert_eq!(s.info_stream().summary.radix_tree_keys, 4);
    assert_eq!(
        ids_of(&s.range(id(3, 0), id(8, 0), None, false)),
        (3..=8).map(|m| id(m, 0)).collect::<Vec<_>>()
    );
    assert_eq!(
        ids_of(&s.range(id(3, 0), id(8, 0), None, true)),
        (3..=8).rev().map(|m| id(m, 0)).collect::<Vec<_>>()
    );
    assert_eq!(
        ids_of(&s.range(id(3, 5), id(7, 0), Some(2), true)),
        vec![id(7, 0), id(6, 0)]
    );
}

#[test]
fn read_after_serves_entries_above_the_id() {
    let s = stream_with(&[1, 2, 3]);
    assert_eq!(
        ids_of(&s.read_after(id(1, 0), None)),
        vec![id(2, 0), id(3, 0)]
    );
    assert_eq!(
        ids_of(&s.read_after(StreamId::MIN, Some(1))),
        vec![id(1, 0)]
    );
    assert_eq!(
        ids_of(&s.read_after(id(1, 0), Some(0))),
        vec![id(2, 0), id(3, 0)]
    );
    assert!(s.read_after(StreamId::MAX, None).is_empty());
    assert!(s.read_after(id(3, 0), None).is_empty());
}

#[test]
fn xdel_then_range_skips_deleted_entries_in_both_directions() {
    let mut s = stream_with(&[1, 2, 3, 4, 5]);
    assert_eq!(s.xdel(&[id(2, 0), id(4, 0), id(9, 0), id(2, 0)]), 2);
    assert_eq!(s.len(), 3);
    assert_eq!(all_ids(&s), vec![id(1, 0), id(3, 0), id(5, 0)]);
    assert_eq!(
        ids_of(&s.range(StreamId::MIN, StreamId::MAX, Some(2), true)),
        vec![id(5, 0), id(3, 0)]
    );
    assert_eq!(s.max_deleted_entry_id(), id(4, 0));
    assert_eq!(s.first_id(), id(1, 0));
    assert!(!s.contains(id(2, 0)));
    assert_eq!(s.xdel(&[id(2, 0)]), 0);
}

#[test]
fn xdel_of_the_first_entry_moves_the_recorded_first_id() {
    let mut s = stream_with(&[1, 2, 3]);
    s.xdel(&[id(1, 0)]);
    assert_eq!(s.first_id(), id(2, 0));
    s.xdel(&[id(2, 0), id(3, 0)]);
    assert_eq!(s.first_id(), StreamId::MIN);
    assert!(s.is_empty());
    assert_eq!(s.last_id(), id(3, 0));
    assert_eq!(s.max_deleted_entry_id(), id(3, 0));
    assert_eq!(s.info_stream().summary.radix_tree_keys, 0);
}

#[test]
fn xdel_of_every_entry_of_a_node_drops_the_node() {
    let mut s = small_nodes(3);
    add_range(&mut s, 1..=7);
    assert_eq!(s.info_stream().summary.radix_tree_keys, 3);
    s.xdel(&[id(4, 0), id(5, 0)]);
    assert_eq!(s.info_stream().summary.radix_tree_keys, 3);
    s.xdel(&[id(6, 0)]);
    assert_eq!(s.info_stream().summary.radix_tree_keys, 2);
    assert_eq!(all_ids(&s), vec![id(1, 0), id(2, 0), id(3, 0), id(7, 0)]);
}

#[test]
fn nodes_split_by_entry_count_including_deleted_entries() {
    let mut s = small_nodes(3);
    add_range(&mut s, 1..=2);
    s.xdel(&[id(2, 0)]);
    add_range(&mut s, 3..=4);
    // 1, (2 deleted), 3 fill the first node; 4 opens the second.
    assert_eq!(s.info_stream().summary.radix_tree_keys, 2);
}

#[test]
fn nodes_split_by_bytes() {
    // Redis's listpack sizes: a new node with one field and its first entry of a 40-byte
    // value takes 68 bytes (header 7, master entry 11, entry 50); each further entry 50.
    // A node takes the next entry only while bytes + 41 stay under the limit.
    for (max_bytes, nodes) in [(100, 5), (109, 5), (110, 3), (130, 3), (159, 3), (160, 2)] {
        let mut s = Stream::with_config(StreamConfig {
            node_max_bytes: max_bytes,
            node_max_entries: 0,
        });
        let value = [b'x'; 40];
        for m in 1..=5 {
            s.xadd(IdSpec::Explicit(id(m, 0)), &[(b"f", &value)], 0)
                .expect("xadd");
        }
        assert_eq!(s.info_stream().summary.radix_tree_keys, nodes, "max bytes {max_bytes}");
        assert_eq!(all_ids(&s).len(), 5);
    }
}

#[test]
fn trim_maxlen_exact_removes_the_oldest_entries() {
    let mut s = small_nodes(10);
    add_range(&mut s, 1..=35);
    assert_eq!(s.trim(Trim::MaxLen(21), false, None), 14);
    assert_eq!(s.len(), 21);
    assert_eq!(s.first_id(), id(15, 0));
    assert_eq!(all_ids(&s)[0], id(15, 0));
    assert_eq!(s.trim(Trim::MaxLen(40), false, None), 0);
    assert_eq!(s.trim(Trim::MaxLen(0), false, None), 21);
    assert!(s.is_empty());
    assert_eq!(s.first_id(), StreamId::MIN);
    // Trimming is not deleting: max-deleted-entry-id stays.
    assert_eq!(s.max_deleted_entry_id(), StreamId::MIN);
}

#[test]
fn trim_approx_removes_whole_nodes_only() {
    // Same numbers as redis-server 7.0.15 with stream-node-max-entries 10.
    let mut s = small_nodes(10);
    add_range(&mut s, 1..=35);
    assert_eq!(s.trim(Trim::MaxLen(25), true, None), 10);
    assert_eq!(s.trim(Trim::MaxLen(21), true, None), 0);
    assert_eq!(s.trim(Trim::MaxLen(21), false, None), 4);
    assert_eq!(
        s.range(StreamId::MIN, StreamId::MAX, Some(1), false)[0].0,
        id(15, 0)
    );
    assert_eq!(s.info_stream().summary.radix_tree_keys, 3);
    assert_eq!(s.trim(Trim::MinId(id(25, 0)), true, None), 6);
    assert_eq!(s.trim(Trim::MinId(id(31, 0)), true, None), 10);
    assert_eq!(s.first_id(), id(31, 0));
    assert_eq!(s.trim(Trim::MinId(id(33, 0)), false, None), 2);
    assert_eq!(s.first_id(), id(33, 0));
    assert_eq!(s.len(), 3);
}

#[test]
fn trim_minid_exact_removes_ids_below_the_bound() {
    let mut s = small_nodes(4);
    add_range(&mut s, 1..=10);
    assert_eq!(s.trim(Trim::MinId(id(6, 0)), false, None), 5);
    assert_eq!(all_ids(&s), (6..=10).map(|m| id(m, 0)).collect::<Vec<_>>());
    assert_eq!(s.trim(Trim::MinId(id(6, 0)), false, None), 0);
    assert_eq!(s.trim(Trim::MinId(StreamId::MAX), false, None), 5);
    assert!(s.is_empty());
}

#[test]
fn trim_minid_exact_with_a_deleted_node_tail_flags_the_rest() {
    let mut s = small_nodes(10);
    add_range(&mut s, 1..=15);
    s.xdel(&[id(10, 0)]);
    assert_eq!(s.trim(Trim::MinId(id(10, 0)), false, None), 9);
    assert_eq!(s.len(), 5);
    assert_eq!(s.first_id(), id(11, 0));
    assert_eq!(
        s.xadd(IdSpec::Explicit(id(16, 0)), &[(b"f", b"v")], 0),
        Ok(id(16, 0))
    );
    assert_eq!(all_ids(&s), (11..=16).map(|m| id(m, 0)).collect::<Vec<_>>());
}

#[test]
fn trim_limit_caps_entries_removed_per_call() {
    let mut s = small_nodes(10);
    add_range(&mut s, 1..=35);
    assert_eq!(s.trim(Trim::MaxLen(0), true, Some(15)), 10);
    assert_eq!(s.trim(Trim::MaxLen(0), true, Some(20)), 20);
    assert_eq!(s.len(), 5);
    assert_eq!(s.trim(Trim::MaxLen(0), true, Some(0)), 5);
    assert!(s.is_empty());
}

#[test]
fn trim_approx_default_limit_is_a_hundred_nodes() {
    let mut s = small_nodes(1);
    add_range(&mut s, 1..=250);
    assert_eq!(s.trim(Trim::MaxLen(0), true, None), 100);
    assert_eq!(s.len(), 150);
    // Exact trimming has no default limit.
    assert_eq!(s.trim(Trim::MaxLen(0), false, None), 150);
}

#[test]
fn setid_moves_last_id_and_counters() {
    let mut s = stream_with(&[1, 2, 3]);
    assert_eq!(s.setid(id(2, 0), None, None), Err(Error::XsetidTooSmall));
    assert_eq!(
        s.setid(id(9, 0), Some(2), None),
        Err(Error::XsetidEntriesAddedTooSmall)
    );
    assert_eq!(
        s.setid(id(9, 0), None, Some(id(10, 0))),
        Err(Error::XsetidSmallerThanProvidedMaxDeleted)
    );
    assert_eq!(s.setid(id(3, 0), None, None), Ok(()));
    assert_eq!(s.setid(id(9, 0), Some(100), Some(id(8, 0))), Ok(()));
    assert_eq!(
        (s.last_id(), s.entries_added(), s.max_deleted_entry_id()),
        (id(9, 0), 100, id(8, 0))
    );
    assert_eq!(
        s.xadd(IdSpec::Explicit(id(9, 0)), &[(b"f", b"v")], 0),
        Err(Error::StreamIdTooSmall)
    );
    assert_eq!(s.xadd(IdSpec::Auto, &[(b"f", b"v")], 0), Ok(id(9, 1)));
    assert_eq!(s.entries_added(), 101);
}

#[test]
fn setid_on_an_emptied_stream_may_go_below_its_entries_as_redis_7_0() {
    let mut s = stream_with(&[5]);
    s.xdel(&[id(5, 0)]);
    // redis-server 7.0.15 answers OK here (later versions refuse it).
    assert_eq!(s.setid(id(4, 0), Some(0), None), Ok(()));
    assert_eq!(
        s.xadd(IdSpec::Explicit(id(4, 1)), &[(b"f", b"v")], 0),
        Ok(id(4, 1))
    );
}

#[test]
fn setid_compares_with_the_last_live_entry_not_the_last_id() {
    let mut s = stream_with(&[1, 2, 3]);
    s.xdel(&[id(3, 0)]);
    assert_eq!(s.setid(id(2, 5), None, None), Ok(()));
    assert_eq!(s.setid(id(1, 5), None, None), Err(Error::XsetidTooSmall));
}

#[test]
fn info_stream_reports_counters_and_edge_entries() {
    let mut s = stream_with(&[1, 2, 3]);
    s.xdel(&[id(1, 0)]);
    s.create_group(b"g", GroupStart::Last, None).expect("group");
    let info = s.info_stream();
    assert_eq!(info.summary.length, 2);
    assert_eq!(info.summary.radix_tree_keys, 1);
    assert_eq!(info.summary.radix_tree_nodes, 2);
    assert_eq!(info.summary.last_generated_id, id(3, 0));
    assert_eq!(info.summary.max_deleted_entry_id, id(1, 0));
    assert_eq!(info.summary.entries_added, 3);
    assert_eq!(info.summary.recorded_first_entry_id, id(2, 0));
    assert_eq!(info.groups, 1);
    assert_eq!(info.first_entry, Some((id(2, 0), f1("f", "v2"))));
    assert_eq!(info.last_entry, Some((id(3, 0), f1("f", "v3"))));
    let empty = Stream::new().info_stream();
    assert_eq!(
        (
            empty.summary.radix_tree_keys,
            empty.summary.radix_tree_nodes,
            empty.first_entry
        ),
        (0, 1, None)
    );
}

#[test]
fn radix_tree_node_counts_match_redis_for_the_same_ids() {
    // XINFO STREAM from redis-server 7.0.15 after XADD r <(i*7+1000000)>-<i%3> for i in 1..=n.
    for (n, keys, nodes) in [(250u64, 3u64, 8u64), (1000, 10, 22), (5000, 50, 102)] {
        let mut s = Stream::new();
        for i in 1..=n {
            s.xadd(
                IdSpec::Explicit(id(i * 7 + 1_000_000, i % 3)),
                &[(b"f", b"v")],
                0,
            )
            .expect("xadd");
        }
        let info = s.info_stream();
        assert_eq!(
            (info.summary.radix_tree_keys, info.summary.radix_tree_nodes),
            (keys, nodes),
            "n = {n}"
        );
    }
}

#[test]
fn info_stream_full_limits_entries_by_count() {
    let s = stream_with(&[1, 2, 3]);
    assert_eq!(
        ids_of(&s.info_stream_full(2).entries),
        vec![id(1, 0), id(2, 0)]
    );
    assert_eq!(s.info_stream_full(0).entries.len(), 3);
}

#[test]
fn elements_over_a_gigabyte_are_refused_without_storing() {
    // Only the sizes matter: build a slice list whose lengths add up past 1 GiB cheaply.
    let big = vec![0u8; 1 << 20];
    let fields: Vec<(&[u8], &[u8])> = (0..1025).map(|_| (&b""[..], &big[..])).collect();
    let mut s = Stream::new();
    assert_eq!(
        s.xadd(IdSpec::Auto, &fields, 1),
        Err(Error::StreamElementsTooLarge)
    );
    assert!(s.is_empty());
    assert_eq!(s.last_id(), StreamId::MIN);
}
