//! The ordered collection of nodes that holds a stream's entries (redis's radix tree of
//! listpacks): lookup, ordered scans in both directions, append, delete-in-place and
//! trimming. Private to `stream`; knows nothing of groups.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use super::id::StreamId;
use super::node::{EntryRef, Fields, Node};
use super::{StreamConfig, Trim};

/// A stream's entries, in nodes keyed by master ID.
///
/// Invariants: nodes are keyed by the ID of the first entry appended to them (kept even if
/// that entry is deleted); every node holds at least one live entry, so an empty stream has
/// no node; IDs grow across nodes in key order.
#[derive(Debug, Clone, Default)]
pub(super) struct Entries {
    /// Nodes by master ID; the last one is the tail that XADD appends to.
    nodes: BTreeMap<StreamId, Node>,
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
        // Every node holds a live entry, so the edge node always has the answer.
        let (&master, node) = if first {
            self.nodes.first_key_value()?
        } else {
            self.nodes.last_key_value()?
        };
        let mut live = node
            .iter(master)
            .filter(|e| !skip_tombstones || !e.is_deleted());
        if first {
            live.next().map(|e| e.id)
        } else {
            live.last().map(|e| e.id)
        }
    }

    /// Appends an entry whose ID is above every stored one, opening a new node when the
    /// tail is full by `config`.
    pub(super) fn append(&mut self, id: StreamId, fields: &[(&[u8], &[u8])], config: StreamConfig) {
        let incoming: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        let max_bytes = config.effective_node_max_bytes();
        if let Some(mut tail) = self.nodes.last_entry() {
            let master = *tail.key();
            let node = tail.get_mut();
            if !node.is_full(max_bytes, config.node_max_entries, incoming) {
                node.append(master, id, fields);
                return;
            }
            node.seal();
        }
        self.nodes.insert(id, Node::new(id, fields));
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
        if node.live() == 1 {
            self.nodes.remove(&master);
        } else {
            node.mark_deleted(flags_pos);
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
                first.remove();
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
            for pos in marks {
                if node.mark_deleted(pos) {
                    *length -= 1;
                    removed += 1;
                }
            }
            // Redis keeps a node whose entries are all flagged; we drop it, which keeps the
            // "every node has a live entry" invariant and changes no reply.
            if node.live() == 0 {
                first.remove();
            }
            break;
        }
        removed
    }

    /// Number of nodes (XINFO's `radix-tree-keys`).
    pub(super) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Heap bytes: node buffers plus an estimate of the ordered map's own nodes.
    pub(super) fn heap_bytes(&self) -> usize {
        let buffers: usize = self.nodes.values().map(Node::heap_bytes).sum();
        buffers + btree_overhead::<StreamId, Node>(self.nodes.len())
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
