//! The ordered collection of nodes that holds a stream's entries (redis's radix tree of
//! listpacks): lookup, ordered scans in both directions, append, delete-in-place and
//! trimming, and the snapshot's copy-on-write copy ([`Stream::clone_shared`]). Private to
//! `stream`; knows nothing of groups.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use super::batch::EntryBatch;
use super::id::StreamId;
use super::node::{EntryRef, Fields, Node};
use super::{Stream, StreamConfig, Trim};

impl Stream {
    /// A copy of the stream that shares every entry node with it, copying no entry: the
    /// snapshot's copy, taken under the keyspace lock (`Snapshot::capture` in
    /// `persist/snapshot.rs`). O(nodes) for the entries (a refcount per node, one small
    /// allocation per node not yet shared); consumer groups and their PELs are copied.
    /// Needs `&mut self` because sharing a node's buffer moves it into an `Arc`; nothing
    /// observable changes. Either stream copies a shared node the first time it writes
    /// into it (XADD to the tail node, XDEL, XTRIM inside a node) while the other still
    /// holds it; dropping whole nodes copies nothing.
    #[must_use]
    pub fn clone_shared(&mut self) -> Stream {
        Stream {
            entries: self.entries.clone_shared(),
            meta: self.meta,
            groups: self.groups.clone(),
            config: self.config,
        }
    }
}

/// A stream's entries, in nodes keyed by master ID.
///
/// Invariants: nodes are keyed by the ID of the first entry appended to them (kept even if
/// that entry is deleted); IDs grow across nodes in key order. A node normally holds a live
/// entry, but exact trimming by MINID may leave one whose entries are all flagged deleted
/// (a tombstone at or above the MINID kept it), as Redis's `streamTrim` does: XADD may
/// append to it, so node boundaries stay where Redis's are.
#[derive(Debug, Default)]
pub(super) struct Entries {
    /// Nodes by master ID; the last one is the tail that XADD appends to.
    nodes: BTreeMap<StreamId, Node>,
    /// Sum of the nodes' `heap_bytes`, kept up to date by every change so that the
    /// keyspace's `used_memory` reads it in O(1) on each XADD.
    buffers: usize,
}

impl Clone for Entries {
    /// Copies the nodes; the byte count is recounted, as a copied buffer has a capacity
    /// of its own.
    fn clone(&self) -> Entries {
        let nodes = self.nodes.clone();
        let buffers = nodes.values().map(Node::heap_bytes).sum();
        Entries { nodes, buffers }
    }
}

impl Entries {
    /// Calls `f` on each live entry with `start <= id <= end`, ascending or (`rev`)
    /// descending, until `f` breaks.
    pub(super) fn scan(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut f: impl FnMut(&EntryRef<'_>) -> ControlFlow<()>,
    ) {
        if start > end {
            return;
        }
        if rev {
            let mut buffer = Vec::new();
            for (&master, node) in self.nodes.range(..=end).rev() {
                buffer.clear();
                buffer.extend(node.iter(master));
                for entry in buffer.iter().rev() {
                    if entry.id > end || entry.is_deleted() {
                        continue;
                    }
                    if entry.id < start || f(entry).is_break() {
                        return;
                    }
                }
            }
        } else {
            // The node holding `start`, if any, begins at the last master ID <= start.
            let from = self
                .nodes
                .range(..=start)
                .next_back()
                .map_or(StreamId::MIN, |(&k, _)| k);
            for (&master, node) in self.nodes.range(from..) {
                for entry in node.iter(master) {
                    if entry.id < start || entry.is_deleted() {
                        continue;
                    }
                    if entry.id > end || f(&entry).is_break() {
                        return;
                    }
                }
            }
        }
    }

    /// Live entries in `[start, end]`, at most `count` of them (`None`: all).
    pub(super) fn range(
        &self,
        start: StreamId,
        end: StreamId,
        count: Option<usize>,
        rev: bool,
    ) -> Vec<(StreamId, Fields)> {
        // Sized up front for the usual COUNT (no regrowth while copying entries out).
        let mut out = Vec::with_capacity(count.unwrap_or(0).min(1024));
        if count == Some(0) {
            return out;
        }
        self.scan(start, end, rev, |e| {
            out.push((e.id, e.fields()));
            if Some(out.len()) == count {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        out
    }

    /// Appends the live entries in `[start, end]` to `out`, at most `count` of them
    /// (`None`: all): [`Entries::range`] without an allocation per entry.
    pub(super) fn range_into(
        &self,
        start: StreamId,
        end: StreamId,
        count: Option<usize>,
        rev: bool,
        out: &mut EntryBatch,
    ) {
        if count == Some(0) {
            return;
        }
        let mut n = 0;
        // The node names of the entry appended last, if it had them: an entry with the same
        // ones stores its values only.
        let mut last_names = None;
        self.scan(start, end, rev, |e| {
            let names = e.master_names_key();
            if names.is_none() || names != last_names || !out.push_with_previous_names(e.id, e.values()) {
                out.push(e.id, e.pairs());
            }
            last_names = names;
            n += 1;
            if n == 1 {
                if let Some(c) = count {
                    out.reserve_like_so_far(c.min(1024) - 1);
                }
            }
            if Some(n) == count {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
    }

    /// Appends the live entry `id` to `out`; false (nothing appended) if there is none.
    pub(super) fn get_into(&self, id: StreamId, out: &mut EntryBatch) -> bool {
        let mut found = false;
        self.scan(id, id, false, |e| {
            out.push(e.id, e.pairs());
            found = true;
            ControlFlow::Break(())
        });
        found
    }

    /// The fields of the live entry `id`.
    pub(super) fn get(&self, id: StreamId) -> Option<Fields> {
        let mut found = None;
        self.scan(id, id, false, |e| {
            found = Some(e.fields());
            ControlFlow::Break(())
        });
        found
    }

    /// True if `id` is a live entry (`streamEntryExists`).
    pub(super) fn contains(&self, id: StreamId) -> bool {
        let mut found = false;
        self.scan(id, id, false, |_| {
            found = true;
            ControlFlow::Break(())
        });
        found
    }

    /// The first (or last, `first == false`) entry ID, skipping deleted entries or not
    /// (`streamGetEdgeID`). `None` when there is none.
    pub(super) fn edge_id(&self, first: bool, skip_tombstones: bool) -> Option<StreamId> {
        // The edge node has the answer unless every entry of it is deleted (see the
        // invariants), then the next one has.
        let pick = |(&master, node): (&StreamId, &Node)| {
            let mut kept = node
                .iter(master)
                .filter(|e| !skip_tombstones || !e.is_deleted());
            if first {
                kept.next().map(|e| e.id)
            } else {
                kept.last().map(|e| e.id)
            }
        };
        if first {
            self.nodes.iter().find_map(pick)
        } else {
            self.nodes.iter().rev().find_map(pick)
        }
    }

    /// True if a live entry has an ID above `id` (`streamLastValidID > id`), looking into
    /// the last node only when its master ID is not above `id`: a last node with a live
    /// entry that starts above `id` answers at once.
    pub(super) fn has_live_after(&self, id: StreamId) -> bool {
        for (&master, node) in self.nodes.iter().rev() {
            if node.live() > 0 {
                return master > id || node.iter(master).any(|e| e.id > id && !e.is_deleted());
            }
            if master <= id {
                return false;
            }
        }
        false
    }

    /// Appends an entry whose ID is above every stored one, opening a new node when the
    /// tail is full by `config`.
    pub(super) fn append(&mut self, id: StreamId, fields: &[(&[u8], &[u8])], config: StreamConfig) {
        let incoming: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        let max_bytes = config.effective_node_max_bytes();
        if let Some(mut tail) = self.nodes.last_entry() {
            let master = *tail.key();
            let node = tail.get_mut();
            let before = node.heap_bytes();
            if !node.is_full(max_bytes, config.node_max_entries, incoming) {
                node.append(master, id, fields);
                self.buffers = self.buffers - before + node.heap_bytes();
                return;
            }
            node.seal();
            self.buffers = self.buffers - before + node.heap_bytes();
        }
        let node = Node::new(id, fields);
        self.buffers += node.heap_bytes();
        self.nodes.insert(id, node);
    }

    /// Deletes the live entry `id` in place, dropping its node if it was the node's last
    /// live entry (`streamIteratorRemoveEntry`). Returns false if there was no such entry.
    pub(super) fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(flags_pos) = node
            .iter(master)
            .find(|e| e.id >= id)
            .filter(|e| e.id == id && !e.is_deleted())
            .map(|e| e.flags_pos)
        else {
            return false;
        };
        let before = node.heap_bytes();
        if node.live() == 1 {
            self.nodes.remove(&master);
            self.buffers -= before;
        } else {
            node.mark_deleted(flags_pos);
            self.buffers = self.buffers - before + node.heap_bytes();
        }
        true
    }

    /// `streamTrim`: removes entries from the head, whole nodes first, and at most one node
    /// in part unless `approx`. `limit == 0` means no limit on removed entries. `length` is
    /// the stream's live count, kept up to date. Returns the number removed.
    pub(super) fn trim(
        &mut self,
        strategy: Trim,
        approx: bool,
        limit: u64,
        length: &mut u64,
    ) -> u64 {
        let mut removed: u64 = 0;
        while let Some(mut first) = self.nodes.first_entry() {
            if let Trim::MaxLen(maxlen) = strategy {
                if *length <= maxlen {
                    break;
                }
            }
            let master = *first.key();
            let node = first.get_mut();
            let live = u64::from(node.live());
            if limit != 0 && removed + live > limit {
                break;
            }
            let remove_node = match strategy {
                Trim::MaxLen(maxlen) => *length - live >= maxlen,
                Trim::MinId(min) => node.last_entry_id(master) < min,
            };
            if remove_node {
                self.buffers -= first.remove().heap_bytes();
                *length -= live;
                removed += live;
                continue;
            }
            if approx {
                break;
            }
            // Mark entries from the head of this node until the target is met.
            let mut marks = Vec::new();
            let mut left = *length;
            for entry in node.iter(master) {
                let stop = match strategy {
                    Trim::MaxLen(maxlen) => left <= maxlen,
                    Trim::MinId(min) => entry.id >= min,
                };
                if stop {
                    break;
                }
                if !entry.is_deleted() {
                    marks.push(entry.flags_pos);
                    left -= 1;
                }
            }
            let before = node.heap_bytes();
            for pos in marks {
                if node.mark_deleted(pos) {
                    *length -= 1;
                    removed += 1;
                }
            }
            self.buffers = self.buffers - before + node.heap_bytes();
            // A node whose entries are now all flagged stays, as in Redis: the next XADD
            // may append to it, and XINFO counts it.
            break;
        }
        removed
    }

    /// A copy sharing every node's buffer (see [`Stream::clone_shared`]).
    fn clone_shared(&mut self) -> Entries {
        let nodes: BTreeMap<StreamId, Node> = self
            .nodes
            .iter_mut()
            .map(|(&master, node)| (master, node.clone_shared()))
            .collect();
        // Sharing wrapped each owned buffer in an `Arc`: both sides now count its header.
        self.buffers = self.counted_buffers();
        Entries { nodes, buffers: self.buffers }
    }

    /// The kept count of the node buffers' bytes.
    #[cfg(test)]
    pub(super) fn buffers_kept(&self) -> usize {
        self.buffers
    }

    /// The node buffers' bytes recounted by a walk: what `buffers` must always equal.
    pub(super) fn counted_buffers(&self) -> usize {
        self.nodes.values().map(Node::heap_bytes).sum()
    }

    /// Number of nodes (XINFO's `radix-tree-keys`).
    pub(super) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Heap bytes: node buffers plus an estimate of the ordered map's own nodes.
    pub(super) fn heap_bytes(&self) -> usize {
        self.buffers + btree_overhead::<StreamId, Node>(self.nodes.len())
    }

    /// How many nodes a Redis radix tree holding these keys would have (XINFO's
    /// `radix-tree-nodes`): one per compressed run of bytes, per branching point and per
    /// key, for the 16-byte big-endian keys; 1 for an empty tree.
    pub(super) fn radix_tree_nodes(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|id| encode_key(*id)).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_subtree_nodes(&keys, 0)
    }
}

/// The ID as Redis's radix-tree key: 128-bit big endian.
fn encode_key(id: StreamId) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&id.ms.to_be_bytes());
    key[8..].copy_from_slice(&id.seq.to_be_bytes());
    key
}

/// Radix-tree nodes below depth `depth` for sorted, distinct, same-length `keys`.
fn rax_subtree_nodes(keys: &[[u8; 16]], depth: usize) -> u64 {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
        return 0;
    };
    let mut shared = depth;
    while shared < 16 && first[shared] == last[shared] {
        shared += 1;
    }
    // A run of bytes common to every key below here is one compressed node.
    let run = u64::from(shared > depth);
    if shared == 16 {
        return run + 1;
    }
    let mut total = run + 1;
    let mut start = 0;
    while start < keys.len() {
        let byte = keys[start][shared];
        let len = keys[start..]
            .iter()
            .take_while(|k| k[shared] == byte)
            .count();
        total += rax_subtree_nodes(&keys[start..start + len], shared + 1);
        start += len;
    }
    total
}

/// Estimated heap bytes of a `BTreeMap<K, V>` with `len` entries: leaves of 11 slots, taken
/// as two-thirds full on average, plus the internal nodes above them.
pub(super) fn btree_overhead<K, V>(len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    const CAPACITY: usize = 11;
    let slot = std::mem::size_of::<K>() + std::mem::size_of::<V>();
    let leaf = 16 + CAPACITY * slot;
    let leaves = (len * 3).div_ceil(CAPACITY * 2);
    let internal = leaves.div_ceil(7);
    leaves * leaf + internal * (leaf + (CAPACITY + 1) * 8)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{Entry, IdSpec};
    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// XADD `ms_step` ms after the previous one, with fields of shape `shape`.
        Add { ms_step: u64, shape: u8, value: u16 },
        /// XDEL of the live entry at this position (mod length).
        Del { pick: usize },
        /// XTRIM MAXLEN.
        TrimLen { maxlen: u64, approx: bool },
        /// XTRIM MINID at the live entry at this position (mod length).
        TrimId { pick: usize, approx: bool },
        /// Another snapshot of the live stream.
        Snapshot,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (0u64..3, 0u8..3, any::<u16>())
                .prop_map(|(ms_step, shape, value)| Op::Add { ms_step, shape, value }),
            3 => any::<usize>().prop_map(|pick| Op::Del { pick }),
            1 => (0u64..40, any::<bool>()).prop_map(|(maxlen, approx)| Op::TrimLen { maxlen, approx }),
            1 => (any::<usize>(), any::<bool>()).prop_map(|(pick, approx)| Op::TrimId { pick, approx }),
            1 => Just(Op::Snapshot),
        ]
    }

    fn all(s: &Stream) -> Vec<Entry> {
        s.range(StreamId::MIN, StreamId::MAX, None, false)
    }

    fn pick(s: &Stream, i: usize) -> Option<StreamId> {
        let ids = all(s);
        (!ids.is_empty()).then(|| ids[i % ids.len()].0)
    }

    fn apply(s: &mut Stream, op: &Op, now: &mut u64) {
        match *op {
            Op::Add {
                ms_step,
                shape,
                value,
            } => {
                *now += ms_step;
                let v = value.to_string().into_bytes();
                let fields: Vec<(&[u8], &[u8])> = match shape {
                    0 => vec![(b"a", &v), (b"b", &v)],
                    1 => vec![(b"a", &v)],
                    _ => vec![(b"long-field-name", &v), (b"a", b"")],
                };
                s.xadd(IdSpec::Auto, &fields, *now).expect("xadd");
            }
            Op::Del { pick: p } => {
                if let Some(id) = pick(s, p) {
                    assert_eq!(s.xdel(&[id]), 1);
                }
            }
            Op::TrimLen { maxlen, approx } => {
                s.trim(Trim::MaxLen(maxlen), approx, None);
            }
            Op::TrimId { pick: p, approx } => {
                if let Some(min) = pick(s, p) {
                    s.trim(Trim::MinId(min), approx, None);
                }
            }
            Op::Snapshot => {}
        }
    }

    fn same(a: &Stream, b: &Stream) -> Result<(), TestCaseError> {
        prop_assert_eq!(all(a), all(b));
        prop_assert_eq!(a.len(), b.len());
        prop_assert_eq!(a.first_id(), b.first_id());
        prop_assert_eq!(a.last_id(), b.last_id());
        prop_assert_eq!(a.max_deleted_entry_id(), b.max_deleted_entry_id());
        prop_assert_eq!(a.entries_added(), b.entries_added());
        prop_assert_eq!(a.entries.node_count(), b.entries.node_count());
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Snapshots (`clone_shared`) and the live stream go on separately: each stays
        /// equal to a deep copy that had the same operations applied and shares nothing.
        #[test]
        fn snapshots_never_see_each_others_writes(
            node_max_entries in 1usize..6,
            before in prop::collection::vec(op(), 0..60),
            after in prop::collection::vec((0usize..4, op()), 1..100),
        ) {
            let config = StreamConfig { node_max_bytes: 0, node_max_entries };
            let mut live = Stream::with_config(config);
            let mut now = 1;
            for op in &before {
                apply(&mut live, op, &mut now);
            }
            // Deep copies first, while no node is shared yet.
            let mut live_ref = live.clone();
            let mut copies = vec![(live_ref.clone(), live.clone_shared())];
            let mut nows = vec![now];
            for (target, op) in &after {
                if let Op::Snapshot = op {
                    copies.push((live_ref.clone(), live.clone_shared()));
                    nows.push(now);
                } else if target % (copies.len() + 1) == 0 {
                    let mut t = now;
                    apply(&mut live, op, &mut now);
                    apply(&mut live_ref, op, &mut t);
                } else {
                    let i = target % (copies.len() + 1) - 1;
                    let (reference, copy) = &mut copies[i];
                    let mut t = nows[i];
                    apply(copy, op, &mut nows[i]);
                    apply(reference, op, &mut t);
                }
                same(&live, &live_ref)?;
                for (reference, copy) in &copies {
                    same(copy, reference)?;
                }
            }
        }
    }

    #[test]
    fn clone_shared_copies_no_node() {
        let mut s = Stream::new();
        for i in 0..100_000u64 {
            s.xadd(IdSpec::Auto, &[(b"f", b"some value")], 1 + i / 10)
                .expect("xadd");
        }
        let bytes = s.allocated_bytes();
        let copy = s.clone_shared();
        same(&copy, &s).expect("equal");
        // Sharing costs one small header per node, on both sides.
        let per_node = (s.allocated_bytes() - bytes) / s.entries.node_count();
        assert!(per_node <= 48, "{per_node}");
        drop(copy);
        // With the snapshot gone, an append takes the tail node back without a copy.
        s.xadd(IdSpec::Auto, &[(b"f", b"v")], u64::MAX / 2)
            .expect("xadd");
        assert!(s.allocated_bytes() < bytes + 48 * s.entries.node_count() + 4096);
    }
}
