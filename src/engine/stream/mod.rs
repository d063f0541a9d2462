//! The Redis stream value: entries in compact delta-encoded nodes (as redis `src/t_stream.c`),
//! its counters, and its consumer groups. This is the type API (XADD, XRANGE, XDEL, XTRIM,
//! XSETID, XLEN here; groups in `group.rs`, XINFO in `info.rs`). Knows nothing of RESP, keys,
//! clocks or Python: callers pass parsed arguments and `now_ms`, and get typed results.

mod batch;
mod entries;
mod group;
pub mod id;
mod info;
mod node;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::engine::error::{Error, Result};

use entries::Entries;
pub use group::{
    AutoClaimed, ClaimDelivery, ClaimOptions, Claimed, Consumer, Group, GroupNotFound, Nack,
    NoGroupWording, PendingEntry, PendingSummary,
};
pub use id::{GroupStart, IdSpec, IdText, ReadId, StreamId};
pub use info::{
    ConsumerInfo, ConsumerInfoFull, GroupInfo, GroupInfoFull, StreamInfo, StreamInfoFull, StreamSummary,
};
pub use batch::{EntryBatch, Pairs};
pub use node::Fields;

/// One entry as returned by reads: its ID and its field/value pairs.
pub type Entry = (StreamId, Fields);

/// Redis refuses an entry whose fields and values exceed what one listpack may hold.
const MAX_ELEMENTS_BYTES: usize = 1 << 30;

/// Node size limits, Redis's `stream-node-max-bytes` / `stream-node-max-entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// A new node starts once the tail node's listpack bytes (as Redis encodes them) plus
    /// the new entry's field and value bytes would reach this; 0 means no limit (capped
    /// at 1 GiB as in Redis).
    pub node_max_bytes: usize,
    /// A new node starts once a node holds this many entries, deleted ones included;
    /// 0 means no limit.
    pub node_max_entries: usize,
}

impl Default for StreamConfig {
    /// Redis's defaults: 4096 bytes, 100 entries.
    fn default() -> StreamConfig {
        StreamConfig {
            node_max_bytes: 4096,
            node_max_entries: 100,
        }
    }
}

impl StreamConfig {
    /// The byte limit actually applied: 0 or anything above 1 GiB means 1 GiB.
    fn effective_node_max_bytes(self) -> usize {
        if self.node_max_bytes == 0 || self.node_max_bytes > MAX_ELEMENTS_BYTES {
            MAX_ELEMENTS_BYTES
        } else {
            self.node_max_bytes
        }
    }

    /// LIMIT used by `~` trimming when none is given: 100 nodes' worth, as Redis.
    fn default_approx_limit(self) -> u64 {
        let limit = 100u64.saturating_mul(self.node_max_entries as u64);
        match limit {
            0 => 10_000,
            l => l.min(1_000_000),
        }
    }
}

/// XTRIM / XADD trimming strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// `MAXLEN n`: keep at most `n` entries.
    MaxLen(u64),
    /// `MINID id`: remove entries below `id`.
    MinId(StreamId),
}

/// The stream's counters, kept beside the entries (redis `stream.h`'s `stream` struct).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Meta {
    /// Live entries (XLEN).
    length: u64,
    /// The last ID ever added or set by XSETID (`last-generated-id`); 0-0 if none.
    last_id: StreamId,
    /// The first live entry's ID (`recorded-first-entry-id`), 0-0 when empty.
    first_id: StreamId,
    /// The largest ID ever removed by XDEL (trimming does not count), 0-0 if none.
    max_deleted_entry_id: StreamId,
    /// Entries ever added (`entries-added`), or as set by XSETID.
    entries_added: u64,
}

impl Meta {
    /// `streamRangeHasTombstones` (Redis 7.0): may an XDEL tombstone lie in `[start, end]`?
    fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            // The latest tombstone is before the first entry.
            return false;
        }
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// `streamEstimateDistanceFromFirstEverEntry` (Redis 7.0): the logical read counter of
    /// `id`, i.e. how many entries were added up to it, when that can be known; `None`
    /// when deletions or an ID inside the stream make it unknowable.
    fn estimate_distance_from_first_ever_entry(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            // No fragmentation ahead.
            if id < self.first_id {
                return Some(self.entries_added.wrapping_sub(self.length));
            }
            if id == self.first_id {
                return Some(self.entries_added.wrapping_sub(self.length).wrapping_add(1));
            }
        }
        None
    }
}

/// A stream: entries, counters and consumer groups.
///
/// Owned by the keyspace and touched only under its lock, one command at a time; every
/// method leaves it consistent (all-or-nothing, as a Redis command).
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// The entries, in nodes.
    entries: Entries,
    /// Length, last/first IDs, max deleted ID and entries-added.
    meta: Meta,
    /// Consumer groups by name, in byte order (as Redis's rax).
    groups: BTreeMap<Vec<u8>, Group>,
    /// Node size limits used when appending and trimming: the keyspace sets them from
    /// `stream-node-max-*` before each XADD and trim ([`Stream::set_config`]), as Redis
    /// reads its globals there.
    config: StreamConfig,
}

impl Stream {
    /// An empty stream with Redis's default node limits.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// An empty stream with the given node limits.
    pub fn with_config(config: StreamConfig) -> Stream {
        Stream {
            config,
            ..Stream::default()
        }
    }

    /// Changes the node limits for entries appended from now on (CONFIG SET): the tail
    /// node takes the next entry only if it is within the new limits; nodes already
    /// closed stay as they are.
    pub fn set_config(&mut self, config: StreamConfig) {
        self.config = config;
    }

    /// The node limits in force.
    pub fn config(&self) -> StreamConfig {
        self.config
    }

    /// XLEN: live entries.
    pub fn len(&self) -> u64 {
        self.meta.length
    }

    /// True when no live entry remains (the key may still exist, with groups or counters).
    pub fn is_empty(&self) -> bool {
        self.meta.length == 0
    }

    /// The last ID generated or set (`last-generated-id`); 0-0 for a new stream.
    pub fn last_id(&self) -> StreamId {
        self.meta.last_id
    }

    /// The first live entry's ID as recorded (`recorded-first-entry-id`); 0-0 when empty.
    pub fn first_id(&self) -> StreamId {
        self.meta.first_id
    }

    /// The largest ID removed by XDEL (`max-deleted-entry-id`).
    pub fn max_deleted_entry_id(&self) -> StreamId {
        self.meta.max_deleted_entry_id
    }

    /// Entries ever added (`entries-added`).
    pub fn entries_added(&self) -> u64 {
        self.meta.entries_added
    }

    /// XADD: appends an entry and returns its ID.
    ///
    /// `Auto` uses `now_ms`, or, if the clock is not ahead of the last ID, the last ID's
    /// successor, so IDs never go backwards. Trimming (MAXLEN/MINID) is a separate
    /// [`Stream::trim`] call after this one, as in `xaddCommand`.
    ///
    /// # Errors
    /// [`Error::StreamIdZero`] for an explicit 0-0; [`Error::StreamExhausted`] when the last
    /// ID is the largest one; [`Error::StreamIdTooSmall`] for an ID not above the last one
    /// (also for `ms-*` when that millisecond's sequence is used up — Redis 7.0 words that
    /// one case "Elements are too large to be stored", a bug fixed later);
    /// [`Error::StreamElementsTooLarge`] past 1 GiB of fields and values.
    pub fn xadd(&mut self, id: IdSpec, fields: &[(&[u8], &[u8])], now_ms: u64) -> Result<StreamId> {
        if id == IdSpec::Explicit(StreamId::MIN) {
            return Err(Error::StreamIdZero);
        }
        let last = self.meta.last_id;
        if last == StreamId::MAX {
            return Err(Error::StreamExhausted);
        }
        let new_id = match id {
            IdSpec::Auto if now_ms > last.ms => StreamId::new(now_ms, 0),
            IdSpec::Auto => last.incr().ok_or(Error::StreamExhausted)?,
            IdSpec::AutoSeq(ms) if ms == last.ms => last
                .incr()
                .filter(|n| n.ms == ms)
                .ok_or(Error::StreamIdTooSmall)?,
            IdSpec::AutoSeq(ms) => StreamId::new(ms, 0),
            IdSpec::Explicit(id) => id,
        };
        if new_id <= last {
            return Err(Error::StreamIdTooSmall);
        }
        let total = fields.iter().fold(0usize, |acc, (f, v)| {
            acc.saturating_add(f.len()).saturating_add(v.len())
        });
        if total > MAX_ELEMENTS_BYTES {
            return Err(Error::StreamElementsTooLarge);
        }
        self.entries.append(new_id, fields, self.config);
        self.meta.length += 1;
        self.meta.entries_added = self.meta.entries_added.wrapping_add(1);
        self.meta.last_id = new_id;
        if self.meta.length == 1 {
            self.meta.first_id = new_id;
        }
        Ok(new_id)
    }

    /// XRANGE (`rev == false`, `start..=end` ascending) and XREVRANGE (descending from `end`).
    /// Bounds are inclusive; exclusive `(` bounds are resolved when parsing
    /// ([`StreamId::parse_range_start`]). `count: None` is no limit; `Some(0)` gives an empty
    /// result (Redis replies a null array for COUNT 0, which is the caller's to shape).
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        count: Option<usize>,
        rev: bool,
    ) -> Vec<Entry> {
        self.entries.range(start, end, count, rev)
    }

    /// XREAD for one stream: entries after `after`, at most `count` (`None` or `Some(0)`:
    /// all, as XREAD's COUNT 0).
    pub fn read_after(&self, after: StreamId, count: Option<usize>) -> Vec<Entry> {
        match after.incr() {
            Some(start) => {
                self.entries
                    .range(start, StreamId::MAX, count.filter(|&c| c > 0), false)
            }
            None => Vec::new(),
        }
    }

    /// [`Stream::read_after`], packed: what XREAD replies.
    pub fn read_after_batch(&self, after: StreamId, count: Option<usize>) -> EntryBatch {
        let mut out = EntryBatch::default();
        if let Some(start) = after.incr() {
            self.entries
                .range_into(start, StreamId::MAX, count.filter(|&c| c > 0), false, &mut out);
        }
        out
    }

    /// The fields of live entry `id`.
    pub fn get(&self, id: StreamId) -> Option<Fields> {
        self.entries.get(id)
    }

    /// True if `id` is a live entry.
    pub fn contains(&self, id: StreamId) -> bool {
        self.entries.contains(id)
    }

    /// The first live entry (XINFO's `first-entry`).
    pub fn first_entry(&self) -> Option<Entry> {
        self.entries
            .range(StreamId::MIN, StreamId::MAX, Some(1), false)
            .pop()
    }

    /// The last live entry (XINFO's `last-entry`).
    pub fn last_entry(&self) -> Option<Entry> {
        self.entries
            .range(StreamId::MIN, StreamId::MAX, Some(1), true)
            .pop()
    }

    /// The last live entry's ID (`streamLastValidID`): what XREAD/XREADGROUP compare with
    /// to decide whether there is anything to serve.
    pub fn last_entry_id(&self) -> Option<StreamId> {
        self.entries.edge_id(false, true)
    }

    /// True if a live entry has an ID above `id`: what XREAD and XREADGROUP `>` check
    /// before serving (`last_entry_id() > id`, without decoding the last node when it is
    /// not needed).
    pub fn has_entries_after(&self, id: StreamId) -> bool {
        self.entries.has_live_after(id)
    }

    /// The first stored entry's ID, deleted or not (`streamGetEdgeID(s, 1, 0)`): what Redis
    /// writes as the MINID of an approximate trim it propagates.
    pub fn first_stored_id(&self) -> Option<StreamId> {
        self.entries.edge_id(true, false)
    }

    /// XDEL: deletes the live entries among `ids`, returns how many. Deleted IDs raise
    /// `max-deleted-entry-id`.
    pub fn xdel(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_deleted = false;
        for &id in ids {
            if self.entries.delete(id) {
                self.meta.length -= 1;
                first_deleted |= id == self.meta.first_id;
                if id > self.meta.max_deleted_entry_id {
                    self.meta.max_deleted_entry_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.meta.length == 0 {
                self.meta.first_id = StreamId::MIN;
            } else if first_deleted {
                self.meta.first_id = self.entries.edge_id(true, true).unwrap_or(StreamId::MIN);
            }
        }
        deleted
    }

    /// XTRIM (and XADD's MAXLEN/MINID): removes entries from the head, returns how many.
    ///
    /// With `approx` (`~`) only whole nodes go, so more may stay than asked. `limit` caps
    /// the entries removed: `None` means Redis's default (100 nodes' worth with `~`, none
    /// without), `Some(0)` no cap. LIMIT without `~` is a syntax error the caller raises
    /// ([`Error::XtrimLimitWithExact`]); AOF replay passes `Some(0)` as Redis does for its
    /// own clients.
    pub fn trim(&mut self, strategy: Trim, approx: bool, limit: Option<u64>) -> u64 {
        let limit = match limit {
            Some(l) => l,
            None if approx => self.config.default_approx_limit(),
            None => 0,
        };
        let removed = self
            .entries
            .trim(strategy, approx, limit, &mut self.meta.length);
        if self.meta.length == 0 {
            self.meta.first_id = StreamId::MIN;
        } else if removed > 0 {
            self.meta.first_id = self.entries.edge_id(true, true).unwrap_or(StreamId::MIN);
        }
        removed
    }

    /// XSETID: sets the last ID, and optionally entries-added and max-deleted-entry-id.
    ///
    /// # Errors
    /// In Redis's order: [`Error::XsetidSmallerThanProvidedMaxDeleted`] if `last_id` is below
    /// `max_deleted`; [`Error::XsetidTooSmall`] if it is below the last live entry;
    /// [`Error::XsetidEntriesAddedTooSmall`] if `entries_added` is below the length. Like
    /// Redis 7.0, an ID below the current max-deleted-entry-id is accepted.
    pub fn setid(
        &mut self,
        last_id: StreamId,
        entries_added: Option<u64>,
        max_deleted: Option<StreamId>,
    ) -> Result<()> {
        if let Some(max) = max_deleted {
            if last_id < max {
                return Err(Error::XsetidSmallerThanProvidedMaxDeleted);
            }
        }
        if self.meta.length > 0 {
            if self.last_entry_id().is_some_and(|top| last_id < top) {
                return Err(Error::XsetidTooSmall);
            }
            if entries_added.is_some_and(|added| self.meta.length > added) {
                return Err(Error::XsetidEntriesAddedTooSmall);
            }
        }
        self.meta.last_id = last_id;
        if let Some(added) = entries_added {
            self.meta.entries_added = added;
        }
        if let Some(max) = max_deleted.filter(|m| !m.is_zero()) {
            self.meta.max_deleted_entry_id = max;
        }
        Ok(())
    }

    /// Heap and inline bytes this stream holds: node buffers, the node map, and groups with
    /// their PELs and consumers (map nodes estimated from their sizes).
    pub fn allocated_bytes(&self) -> usize {
        std::mem::size_of::<Stream>()
            + self.entries.heap_bytes()
            + entries::btree_overhead::<Vec<u8>, Group>(self.groups.len())
            + self
                .groups
                .iter()
                .map(|(name, g)| name.capacity() + g.heap_bytes())
                .sum::<usize>()
    }
}
