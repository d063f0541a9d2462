//! Property test: random XADD/XDEL/XTRIM sequences against a plain `BTreeMap` model, with
//! XRANGE/XREVRANGE compared after every step.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
enum Op {
    /// XADD with an ID `ms_step` ms after the last (0: same ms), field set `shape`.
    Add { ms_step: u64, shape: u8, value: u16 },
    /// XDEL of the live entry at this position (mod length), or of a missing ID.
    Del { pick: usize, missing: bool },
    /// XTRIM MAXLEN.
    TrimLen {
        maxlen: u64,
        approx: bool,
        limit: Option<u64>,
    },
    /// XTRIM MINID at the live entry at this position (mod length).
    TrimId {
        pick: usize,
        approx: bool,
        limit: Option<u64>,
    },
    /// XRANGE/XREVRANGE between two picked IDs, with COUNT.
    Range {
        a: usize,
        b: usize,
        count: Option<usize>,
        rev: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u64..3, 0u8..4, any::<u16>()).prop_map(|(ms_step, shape, value)| Op::Add { ms_step, shape, value }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, missing)| Op::Del { pick, missing }),
        1 => (0u64..40, any::<bool>(), prop::option::of(0u64..30))
            .prop_map(|(maxlen, approx, limit)| Op::TrimLen { maxlen, approx, limit }),
        1 => (any::<usize>(), any::<bool>(), prop::option::of(0u64..30))
            .prop_map(|(pick, approx, limit)| Op::TrimId { pick, approx, limit }),
        2 => (any::<usize>(), any::<usize>(), prop::option::of(0usize..6), any::<bool>())
            .prop_map(|(a, b, count, rev)| Op::Range { a, b, count, rev }),
    ]
}

/// Field lists of a few shapes, so nodes mix same-as-master and own-field entries.
fn fields_for(shape: u8, value: u16) -> Vec<(Vec<u8>, Vec<u8>)> {
    let v = value.to_string().into_bytes();
    match shape {
        0 | 1 => vec![(b"a".to_vec(), v.clone()), (b"b".to_vec(), v)],
        2 => vec![(b"a".to_vec(), v)],
        _ => vec![
            (b"long-field-name".to_vec(), v.repeat(3)),
            (b"a".to_vec(), vec![]),
        ],
    }
}

fn pick(model: &BTreeMap<StreamId, Fields>, i: usize) -> Option<StreamId> {
    if model.is_empty() {
        None
    } else {
        model.keys().nth(i % model.len()).copied()
    }
}

/// Candidate range bounds: live IDs, their neighbours, and the extremes.
fn bound(model: &BTreeMap<StreamId, Fields>, i: usize) -> StreamId {
    let k = model.len();
    if k == 0 || i % 5 == 0 {
        return if i % 2 == 0 {
            StreamId::MIN
        } else {
            StreamId::MAX
        };
    }
    let base = pick(model, i / 3).unwrap_or(StreamId::MIN);
    match i % 3 {
        0 => base,
        1 => base.incr().unwrap_or(base),
        _ => base.decr().unwrap_or(base),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn stream_matches_a_btreemap_model(
        node_max_entries in 1usize..8,
        node_max_bytes in prop_oneof![Just(0usize), 40usize..200],
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut s = Stream::with_config(StreamConfig { node_max_bytes, node_max_entries });
        let mut model: BTreeMap<StreamId, Fields> = BTreeMap::new();
        let mut last = StreamId::MIN;
        let mut max_deleted = StreamId::MIN;
        let mut now = 1u64;
        for op in ops {
            match op {
                Op::Add { ms_step, shape, value } => {
                    now += ms_step;
                    let fields = fields_for(shape, value);
                    let refs: Vec<(&[u8], &[u8])> = fields.iter().map(|(f, v)| (&f[..], &v[..])).collect();
                    let got = s.xadd(IdSpec::Auto, &refs, now).expect("xadd");
                    prop_assert!(got > last);
                    last = got;
                    model.insert(got, fields);
                }
                Op::Del { pick: p, missing } => {
                    let target = if missing { last.incr().unwrap_or(last) } else { pick(&model, p).unwrap_or(last) };
                    let expected = u64::from(model.remove(&target).is_some());
                    prop_assert_eq!(s.xdel(&[target]), expected);
                    if expected == 1 && target > max_deleted {
                        max_deleted = target;
                    }
                }
                Op::TrimLen { maxlen, approx, limit } => {
                    let before = model.len() as u64;
                    let removed = s.trim(Trim::MaxLen(maxlen), approx, if approx { limit } else { None });
                    for _ in 0..removed {
                        model.pop_first();
                    }
                    if approx {
                        prop_assert!(removed == 0 || model.len() as u64 >= maxlen);
                        if let Some(l) = limit.filter(|&l| l > 0) {
                            prop_assert!(removed <= l);
                        }
                    } else {
                        prop_assert_eq!(model.len() as u64, before.min(maxlen));
                    }
                }
                Op::TrimId { pick: p, approx, limit } => {
                    let Some(min) = pick(&model, p) else { continue };
                    let below = model.range(..min).count() as u64;
                    let removed = s.trim(Trim::MinId(min), approx, if approx { limit } else { None });
                    prop_assert!(removed <= below);
                    if !approx {
                        prop_assert_eq!(removed, below);
                    }
                    for _ in 0..removed {
                        model.pop_first();
                    }
                }
                Op::Range { a, b, count, rev } => {
                    let (start, end) = (bound(&model, a), bound(&model, b));
                    let got = s.range(start, end, count, rev);
                    let mut want: Vec<Entry> = if start <= end {
                        model.range(start..=end).map(|(k, v)| (*k, v.clone())).collect()
                    } else {
                        Vec::new()
                    };
                    if rev {
                        want.reverse();
                    }
                    if let Some(c) = count {
                        want.truncate(c);
                    }
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(s.len(), model.len() as u64);
            prop_assert_eq!(s.last_id(), last);
            prop_assert_eq!(s.max_deleted_entry_id(), max_deleted);
            prop_assert_eq!(s.first_id(), model.keys().next().copied().unwrap_or(StreamId::MIN));
            // "Anything after this ID?" as the model answers it, around every live ID.
            for &k in model.keys().chain([StreamId::MIN, last, max_deleted].iter()) {
                for probe in [k, k.incr().unwrap_or(k), StreamId::new(k.ms.saturating_sub(1), u64::MAX)] {
                    prop_assert_eq!(s.has_entries_after(probe), model.range(probe..).any(|(&i, _)| i > probe), "after {}", probe);
                }
            }
            let all: Vec<Entry> = model.iter().map(|(k, v)| (*k, v.clone())).collect();
            prop_assert_eq!(s.range(StreamId::MIN, StreamId::MAX, None, false), all.clone());
            // The packed read (entries sharing their node's names store values only).
            let packed: Vec<(StreamId, Option<Fields>)> = all.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
            prop_assert_eq!(s.read_after_batch(StreamId::MIN, None).to_vec(), packed);
            let mut rev_all = all;
            rev_all.reverse();
            prop_assert_eq!(s.range(StreamId::MIN, StreamId::MAX, None, true), rev_all);
        }
    }
}

#[derive(Debug, Clone)]
enum GroupOp {
    Add,
    Del {
        pick: usize,
    },
    ReadNew {
        consumer: u8,
        count: Option<usize>,
        noack: bool,
    },
    ReadHistory {
        consumer: u8,
    },
    Ack {
        pick: usize,
    },
    Claim {
        consumer: u8,
        pick: usize,
        force: bool,
        justid: bool,
    },
    AutoClaim {
        consumer: u8,
        count: usize,
    },
    DelConsumer {
        consumer: u8,
    },
    SetId {
        pick: usize,
    },
    Tick,
}

fn group_op() -> impl Strategy<Value = GroupOp> {
    prop_oneof![
        4 => Just(GroupOp::Add),
        1 => any::<usize>().prop_map(|pick| GroupOp::Del { pick }),
        3 => (0u8..3, prop::option::of(0usize..4), any::<bool>())
            .prop_map(|(consumer, count, noack)| GroupOp::ReadNew { consumer, count, noack }),
        1 => (0u8..3).prop_map(|consumer| GroupOp::ReadHistory { consumer }),
        1 => any::<usize>().prop_map(|pick| GroupOp::Ack { pick }),
        2 => (0u8..3, any::<usize>(), any::<bool>(), any::<bool>())
            .prop_map(|(consumer, pick, force, justid)| GroupOp::Claim { consumer, pick, force, justid }),
        1 => (0u8..3, 1usize..4).prop_map(|(consumer, count)| GroupOp::AutoClaim { consumer, count }),
        1 => (0u8..3).prop_map(|consumer| GroupOp::DelConsumer { consumer }),
        1 => any::<usize>().prop_map(|pick| GroupOp::SetId { pick }),
        2 => Just(GroupOp::Tick),
    ]
}

/// The PEL invariant: group and consumer PELs agree entry for entry.
fn check_pel(s: &Stream) -> std::result::Result<(), TestCaseError> {
    prop_assert_eq!(s.entries.buffers_kept(), s.entries.counted_buffers(), "kept node bytes drifted");
    let g = s
        .group(b"g")
        .ok_or_else(|| TestCaseError::fail("group gone"))?;
    let mut from_consumers = BTreeMap::new();
    for (name, c) in g.consumers() {
        for id in c.pending_ids() {
            prop_assert!(
                from_consumers.insert(id, name.to_vec()).is_none(),
                "{} owned twice",
                id
            );
        }
    }
    let from_group: BTreeMap<StreamId, Vec<u8>> = g
        .pending()
        .map(|(id, n)| (id, n.consumer().to_vec()))
        .collect();
    prop_assert_eq!(from_group, from_consumers);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn group_pel_stays_consistent_and_new_reads_deliver_each_entry_once(
        ops in prop::collection::vec(group_op(), 1..80),
    ) {
        let mut s = Stream::with_config(StreamConfig { node_max_bytes: 4096, node_max_entries: 3 });
        s.create_group(b"g", GroupStart::Id(StreamId::MIN), None).expect("create");
        let names = [&b"c0"[..], b"c1", b"c2"];
        let mut now = 1000u64;
        let mut delivered: Vec<StreamId> = Vec::new();
        for op in ops {
            match op {
                GroupOp::Add => {
                    now += 1;
                    s.xadd(IdSpec::Auto, &[(b"f", b"v")], now).expect("xadd");
                }
                GroupOp::Del { pick } => {
                    let ids = all_ids(&s);
                    if !ids.is_empty() {
                        s.xdel(&[ids[pick % ids.len()]]);
                    }
                }
                GroupOp::ReadNew { consumer, count, noack } => {
                    let last = s.group(b"g").map(Group::last_id).unwrap_or(StreamId::MIN);
                    let want_entries = s.read_after(last, count);
                    let want = ids_of(&want_entries);
                    let got = s.read_group(b"g", names[consumer as usize], ReadId::New, count, noack, now).expect("group");
                    // The packed batch holds exactly the entries and fields a plain read copies out.
                    let want_read: Vec<(StreamId, Option<Fields>)> = want_entries.into_iter().map(|(i, f)| (i, Some(f))).collect();
                    prop_assert_eq!(got.to_vec(), want_read);
                    delivered.extend(want);
                }
                GroupOp::ReadHistory { consumer } => {
                    let name = names[consumer as usize];
                    let pending: Vec<StreamId> = s.group(b"g").and_then(|g| g.consumer(name)).map(|c| c.pending_ids().collect()).unwrap_or_default();
                    let got = s.read_group(b"g", name, ReadId::After(StreamId::MIN), None, false, now).expect("group");
                    prop_assert_eq!(read_ids_of(&got.to_vec()), pending);
                    for (id, fields) in got.to_vec() {
                        prop_assert_eq!(fields, s.get(id));
                    }
                }
                GroupOp::Ack { pick } => {
                    let pending: Vec<StreamId> = s.group(b"g").map(|g| g.pending().map(|(id, _)| id).collect()).unwrap_or_default();
                    if !pending.is_empty() {
                        prop_assert_eq!(s.ack(b"g", &[pending[pick % pending.len()]]), 1);
                    }
                }
                GroupOp::Claim { consumer, pick, force, justid } => {
                    let ids = all_ids(&s);
                    if ids.is_empty() { continue; }
                    let target = ids[pick % ids.len()];
                    let was_pending = s.group(b"g").is_some_and(|g| g.nack(target).is_some());
                    let opts = ClaimOptions { force, justid, ..ClaimOptions::default() };
                    let got = s.claim(b"g", names[consumer as usize], 0, &[target], &opts, now).expect("group");
                    prop_assert_eq!(got.entries.len(), usize::from(was_pending || force));
                    if !got.entries.is_empty() {
                        let owner = s.group(b"g").and_then(|g| g.nack(target)).map(|n| n.consumer().to_vec());
                        prop_assert_eq!(owner, Some(names[consumer as usize].to_vec()));
                    }
                }
                GroupOp::AutoClaim { consumer, count } => {
                    let got = s.autoclaim(b"g", names[consumer as usize], 0, StreamId::MIN, count, false, now).expect("group");
                    prop_assert!(got.entries.len() + got.deleted.len() <= count);
                    for id in &got.deleted {
                        prop_assert!(!s.contains(*id));
                    }
                }
                GroupOp::DelConsumer { consumer } => {
                    let name = names[consumer as usize];
                    let had = s.group(b"g").and_then(|g| g.consumer(name)).map_or(0, Consumer::pending_count);
                    prop_assert_eq!(s.delete_consumer(b"g", name), Ok(had));
                }
                GroupOp::SetId { pick } => {
                    let ids = all_ids(&s);
                    let to = if ids.is_empty() { StreamId::MIN } else { ids[pick % ids.len()] };
                    s.set_group_id(b"g", GroupStart::Id(to), None).expect("group");
                    delivered.retain(|&d| d <= to);
                }
                GroupOp::Tick => now += 50,
            }
            check_pel(&s)?;
            let mut sorted = delivered.clone();
            sorted.dedup();
            prop_assert_eq!(&sorted, &delivered, "an entry was delivered twice by '>' reads");
        }
    }
}

fn read_ids_of(read: &[(StreamId, Option<Fields>)]) -> Vec<StreamId> {
    read.iter().map(|(i, _)| *i).collect()
}
