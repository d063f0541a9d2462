//! Consumer groups: the group's last delivered ID and read counter, its consumers, and the
//! pending entries list (PEL), with XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM and
//! XAUTOCLAIM semantics from redis `src/t_stream.c` (7.0). Knows nothing of keys: a missing
//! group is [`GroupNotFound`], which the caller words as NOGROUP with the key name.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::engine::error::{Error, Result};

use super::id::{GroupStart, ReadId, StreamId};
use super::batch::EntryBatch;
use super::node::Fields;
use super::{Meta, Stream};

/// XAUTOCLAIM scans at most this many PEL entries per entry it may return.
const AUTOCLAIM_ATTEMPTS_FACTOR: usize = 10;

/// A consumer group.
///
/// Invariants: every ID in `pel` is in the PEL of exactly the consumer its [`Nack`] names,
/// and every ID in a consumer's PEL is in `pel`.
#[derive(Debug, Clone)]
pub struct Group {
    /// Last delivered ID: `>` reads serve entries above it.
    last_id: StreamId,
    /// Logical reads counter (`entries-read`); `None` when unknown (Redis's -1).
    entries_read: Option<u64>,
    /// Pending entries: delivered, not yet acknowledged.
    pel: BTreeMap<StreamId, Nack>,
    /// Consumers by name, in byte order.
    consumers: BTreeMap<Arc<[u8]>, Consumer>,
}

/// A pending entry's delivery record (`streamNACK`).
#[derive(Debug, Clone)]
pub struct Nack {
    /// Unix ms of the last delivery.
    delivery_time: u64,
    /// Times delivered.
    delivery_count: u64,
    /// The consumer it was last delivered to; shares the name with the consumers map.
    consumer: Arc<[u8]>,
}

/// A consumer of a group.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// Unix ms of its last read or claim attempt (XINFO CONSUMERS `idle` counts from it).
    seen_time: u64,
    /// Unix ms of its last successful read or claim; `None` until it has one (Redis 7.2's
    /// `active-time`, -1 when never).
    active_time: Option<u64>,
    /// IDs pending for this consumer.
    pel: BTreeSet<StreamId>,
}

/// The named group does not exist on this stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupNotFound;

/// Which of Redis's three NOGROUP messages a command uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoGroupWording {
    /// XREADGROUP: "No such key 'k' or consumer group 'g' in XREADGROUP with GROUP option".
    XReadGroup,
    /// XPENDING, XCLAIM, XAUTOCLAIM: "No such key 'k' or consumer group 'g'".
    KeyOrGroup,
    /// XGROUP SETID/CREATECONSUMER/DELCONSUMER, XINFO CONSUMERS:
    /// "No such consumer group 'g' for key name 'k'".
    Group,
}

impl NoGroupWording {
    /// The NOGROUP error for `key` and `group` (names shown as lossy UTF-8); also for a
    /// missing key, which the caller finds before any stream exists.
    pub fn error(self, key: &[u8], group: &[u8]) -> Error {
        let key = String::from_utf8_lossy(key).into_owned();
        let group = String::from_utf8_lossy(group).into_owned();
        match self {
            NoGroupWording::XReadGroup => Error::NoGroupRead { key, group },
            NoGroupWording::KeyOrGroup => Error::NoGroup { key, group },
            NoGroupWording::Group => Error::NoSuchGroup { key, group },
        }
    }
}

impl GroupNotFound {
    /// The NOGROUP error this becomes for the command's wording, key and group.
    pub fn into_error(self, wording: NoGroupWording, key: &[u8], group: &[u8]) -> Error {
        wording.error(key, group)
    }
}

/// XPENDING's summary form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSummary {
    /// Pending entries in the group.
    pub count: u64,
    /// Smallest pending ID (`None` when nothing is pending).
    pub min: Option<StreamId>,
    /// Largest pending ID.
    pub max: Option<StreamId>,
    /// Consumers with at least one pending entry, by name, with their counts.
    pub consumers: Vec<(Vec<u8>, u64)>,
}

/// One row of XPENDING's extended form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    /// The entry's ID.
    pub id: StreamId,
    /// Its owner.
    pub consumer: Vec<u8>,
    /// Milliseconds since its last delivery (0 if the clock went back).
    pub idle_ms: u64,
    /// Times delivered.
    pub delivery_count: u64,
}

/// XCLAIM's IDLE / TIME option: the new last-delivery time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimDelivery {
    /// `IDLE ms`: delivered `ms` ago.
    Idle(i64),
    /// `TIME unix-ms`: delivered at that time.
    Time(i64),
}

/// XCLAIM's options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimOptions {
    /// IDLE or TIME (the last one given wins, as in Redis); `None`: now. A time in the
    /// future or before 1970 is taken as now.
    pub delivery: Option<ClaimDelivery>,
    /// RETRYCOUNT: sets the delivery count (a negative argument is as if absent).
    pub retrycount: Option<u64>,
    /// FORCE: create PEL entries for IDs that exist in the stream but are not pending.
    pub force: bool,
    /// JUSTID: return IDs only, and leave delivery counts alone.
    pub justid: bool,
    /// LASTID: raise the group's last delivered ID to this if it is above it.
    pub lastid: Option<StreamId>,
}

/// What XCLAIM did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claimed {
    /// Claimed entries in argument order; fields are `None` with JUSTID.
    pub entries: Vec<(StreamId, Option<Fields>)>,
    /// IDs dropped from the PEL because their entry no longer exists (not replied by
    /// XCLAIM; the AOF needs them).
    pub deleted: Vec<StreamId>,
}

/// What XAUTOCLAIM did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoClaimed {
    /// Cursor for the next call: the next PEL ID to scan, 0-0 when the scan is complete.
    pub next: StreamId,
    /// Claimed entries; fields are `None` with JUSTID.
    pub entries: Vec<(StreamId, Option<Fields>)>,
    /// IDs dropped from the PEL because their entry no longer exists.
    pub deleted: Vec<StreamId>,
}

impl Nack {
    /// Unix ms of the last delivery.
    pub fn delivery_time(&self) -> u64 {
        self.delivery_time
    }

    /// Times delivered.
    pub fn delivery_count(&self) -> u64 {
        self.delivery_count
    }

    /// The owning consumer's name.
    pub fn consumer(&self) -> &[u8] {
        &self.consumer
    }
}

impl Consumer {
    /// Unix ms of the last read or claim attempt.
    pub fn seen_time(&self) -> u64 {
        self.seen_time
    }

    /// Unix ms of the last successful read or claim, if any.
    pub fn active_time(&self) -> Option<u64> {
        self.active_time
    }

    /// Entries pending for this consumer.
    pub fn pending_count(&self) -> u64 {
        self.pel.len() as u64
    }

    /// IDs pending for this consumer, ascending.
    pub fn pending_ids(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.pel.iter().copied()
    }

    fn new(now_ms: u64) -> Consumer {
        Consumer {
            seen_time: now_ms,
            active_time: None,
            pel: BTreeSet::new(),
        }
    }
}

impl Group {
    fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// The last delivered ID (`last-delivered-id`).
    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    /// The logical reads counter (`entries-read`), `None` when unknown.
    pub fn entries_read(&self) -> Option<u64> {
        self.entries_read
    }

    /// Entries pending in the group.
    pub fn pending_count(&self) -> u64 {
        self.pel.len() as u64
    }

    /// The delivery record of pending entry `id`.
    pub fn nack(&self, id: StreamId) -> Option<&Nack> {
        self.pel.get(&id)
    }

    /// Pending entries, ascending by ID.
    pub fn pending(&self) -> impl Iterator<Item = (StreamId, &Nack)> + '_ {
        self.pel.iter().map(|(id, n)| (*id, n))
    }

    /// The consumer named `name`.
    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.consumers.get(name)
    }

    /// Consumers by name, in byte order.
    pub fn consumers(&self) -> impl Iterator<Item = (&[u8], &Consumer)> + '_ {
        self.consumers.iter().map(|(name, c)| (&name[..], c))
    }

    /// Heap bytes (maps estimated from their sizes, names counted).
    pub(super) fn heap_bytes(&self) -> usize {
        use super::entries::btree_overhead;
        btree_overhead::<StreamId, Nack>(self.pel.len())
            + btree_overhead::<Arc<[u8]>, Consumer>(self.consumers.len())
            + self
                .consumers
                .iter()
                .map(|(name, c)| name.len() + 16 + btree_overhead::<StreamId, ()>(c.pel.len()))
                .sum::<usize>()
    }

    /// The consumer `name`, created if missing (`streamCreateConsumer`), with its seen time
    /// set to now, as every read or claim does. Returns the shared name.
    fn touch_consumer(&mut self, name: &[u8], now_ms: u64) -> Arc<[u8]> {
        match self.consumers.get_key_value(name) {
            Some((key, _)) => {
                let key = key.clone();
                if let Some(consumer) = self.consumers.get_mut(name) {
                    consumer.seen_time = now_ms;
                }
                key
            }
            None => {
                let key: Arc<[u8]> = Arc::from(name);
                self.consumers.insert(key.clone(), Consumer::new(now_ms));
                key
            }
        }
    }

    /// Sets the owner of the pending entry `id` to `owner`, moving it between consumer PELs.
    fn set_owner(&mut self, id: StreamId, owner: &Arc<[u8]>) {
        let Some(nack) = self.pel.get_mut(&id) else {
            return;
        };
        if nack.consumer != *owner {
            if let Some(old) = self.consumers.get_mut(&nack.consumer) {
                old.pel.remove(&id);
            }
            nack.consumer = owner.clone();
        }
        if let Some(new) = self.consumers.get_mut(owner) {
            new.pel.insert(id);
        }
    }

    /// Drops pending entry `id` from the group and its owner (XACK).
    fn remove_pending(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(nack) => {
                if let Some(owner) = self.consumers.get_mut(&nack.consumer) {
                    owner.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Records that entry `id` was delivered: the read counter and last delivered ID move on
    /// as in `streamReplyWithRange` (Redis 7.0).
    fn advance(&mut self, meta: &Meta, id: StreamId) {
        if id <= self.last_id {
            return;
        }
        match self.entries_read {
            Some(read) if !meta.range_has_tombstones(id, StreamId::MAX) => {
                self.entries_read = Some(read.wrapping_add(1));
            }
            _ if meta.entries_added != 0 => {
                self.entries_read = meta.estimate_distance_from_first_ever_entry(id);
            }
            _ => {}
        }
        self.last_id = id;
    }
}

/// `streamReplyWithCGLag` (Redis 7.0): entries in the stream not yet delivered to the group,
/// `None` when deletions make it unknowable. Negative if ENTRIESREAD was set past the
/// entries added, as Redis replies.
pub(super) fn group_lag(meta: &Meta, group: &Group) -> Option<i64> {
    if meta.entries_added == 0 {
        return Some(0);
    }
    let read = match group.entries_read {
        Some(read) if !meta.range_has_tombstones(group.last_id, StreamId::MAX) => read,
        _ => meta.estimate_distance_from_first_ever_entry(group.last_id)?,
    };
    Some((meta.entries_added as i64).wrapping_sub(read as i64))
}

impl Stream {
    /// The group named `name`.
    pub fn group(&self, name: &[u8]) -> Option<&Group> {
        self.groups.get(name)
    }

    /// Groups by name, in byte order.
    pub fn groups(&self) -> impl Iterator<Item = (&[u8], &Group)> + '_ {
        self.groups.iter().map(|(name, g)| (&name[..], g))
    }

    /// XGROUP CREATE: a group whose last delivered ID is `start` (`$`: the last ID) and
    /// whose read counter is `entries_read` (`None`: unknown, Redis's default).
    ///
    /// # Errors
    /// [`Error::BusyGroup`] if it exists.
    pub fn create_group(
        &mut self,
        name: &[u8],
        start: GroupStart,
        entries_read: Option<u64>,
    ) -> Result<()> {
        if self.groups.contains_key(name) {
            return Err(Error::BusyGroup);
        }
        let last_id = self.resolve_group_start(start);
        self.groups
            .insert(name.to_vec(), Group::new(last_id, entries_read));
        Ok(())
    }

    /// XGROUP SETID: moves the group's last delivered ID; the read counter becomes
    /// `entries_read`, unknown when not given (as Redis, which resets it to -1).
    ///
    /// # Errors
    /// [`GroupNotFound`].
    pub fn set_group_id(
        &mut self,
        name: &[u8],
        start: GroupStart,
        entries_read: Option<u64>,
    ) -> std::result::Result<(), GroupNotFound> {
        let last_id = self.resolve_group_start(start);
        let group = self.groups.get_mut(name).ok_or(GroupNotFound)?;
        group.last_id = last_id;
        group.entries_read = entries_read;
        Ok(())
    }

    /// XGROUP DESTROY: true if the group existed.
    pub fn destroy_group(&mut self, name: &[u8]) -> bool {
        self.groups.remove(name).is_some()
    }

    /// XGROUP CREATECONSUMER: true if created, false if it existed (left untouched).
    ///
    /// # Errors
    /// [`GroupNotFound`].
    pub fn create_consumer(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        now_ms: u64,
    ) -> std::result::Result<bool, GroupNotFound> {
        let group = self.groups.get_mut(group).ok_or(GroupNotFound)?;
        if group.consumers.contains_key(consumer) {
            return Ok(false);
        }
        group
            .consumers
            .insert(Arc::from(consumer), Consumer::new(now_ms));
        Ok(true)
    }

    /// XGROUP DELCONSUMER: removes the consumer and its pending entries from the group;
    /// returns how many it had (0 if there was no such consumer).
    ///
    /// # Errors
    /// [`GroupNotFound`].
    pub fn delete_consumer(
        &mut self,
        group: &[u8],
        consumer: &[u8],
    ) -> std::result::Result<u64, GroupNotFound> {
        let group = self.groups.get_mut(group).ok_or(GroupNotFound)?;
        let Some(removed) = group.consumers.remove(consumer) else {
            return Ok(0);
        };
        for id in &removed.pel {
            group.pel.remove(id);
        }
        Ok(removed.pel.len() as u64)
    }

    /// XREADGROUP for one stream, as `consumer` of `group` (created if missing).
    ///
    /// `ReadId::New` (`>`) delivers entries above the group's last delivered ID, moving it
    /// and the read counter, and (unless `noack`) adds them to the PEL with delivery count 1
    /// (re-owning any that were already pending, after an XGROUP SETID). `ReadId::After(id)`
    /// re-reads this consumer's pending entries above `id`, bumping their delivery count and
    /// time; a pending entry deleted from the stream comes back as `(id, None)`. `count`
    /// `None` or `Some(0)` is no limit. `ReadId::Last` (`$`, refused by the parser for
    /// groups) gives nothing. An empty result is what a blocking reader waits on.
    ///
    /// # Errors
    /// [`GroupNotFound`].
    pub fn read_group(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: ReadId,
        count: Option<usize>,
        noack: bool,
        now_ms: u64,
    ) -> std::result::Result<EntryBatch, GroupNotFound> {
        let Stream {
            entries,
            meta,
            groups,
            ..
        } = self;
        let group = groups.get_mut(group).ok_or(GroupNotFound)?;
        let count = count.filter(|&c| c > 0);
        let mut out = EntryBatch::default();
        match start {
            ReadId::Last => {}
            // Redis marks ">" with the largest ID internally, so that explicit ID reads as ">".
            ReadId::New | ReadId::After(StreamId::MAX) => {
                let Some(from) = group.last_id.incr() else {
                    return Ok(out);
                };
                // Served only if a live entry lies above the last delivered ID: exactly when
                // the range from its successor is not empty.
                entries.range_into(from, StreamId::MAX, count, false, &mut out);
                if out.is_empty() {
                    return Ok(out);
                }
                // Redis 7.0 creates (and refreshes) the consumer only when it serves it.
                let owner = group.touch_consumer(consumer, now_ms);
                for id in out.ids() {
                    group.advance(meta, id);
                }
                if !noack {
                    // The common case, an entry pending nowhere yet, costs one PEL insert and
                    // one consumer-PEL insert; one pending already (after XGROUP SETID) is
                    // re-owned afterwards.
                    let mut reowned = Vec::new();
                    let Group { pel, consumers, .. } = &mut *group;
                    if let Some(c) = consumers.get_mut(&owner) {
                        c.active_time = Some(now_ms);
                        for id in out.ids() {
                            match pel.entry(id) {
                                std::collections::btree_map::Entry::Vacant(v) => {
                                    v.insert(Nack {
                                        delivery_time: now_ms,
                                        delivery_count: 1,
                                        consumer: owner.clone(),
                                    });
                                    c.pel.insert(id);
                                }
                                std::collections::btree_map::Entry::Occupied(mut o) => {
                                    let nack = o.get_mut();
                                    nack.delivery_time = now_ms;
                                    nack.delivery_count = 1;
                                    reowned.push(id);
                                }
                            }
                        }
                    }
                    for id in reowned {
                        group.set_owner(id, &owner);
                    }
                }
            }
            ReadId::After(after) => {
                let owner = group.touch_consumer(consumer, now_ms);
                let Some(from) = after.incr() else {
                    return Ok(out);
                };
                let ids: Vec<StreamId> = group
                    .consumers
                    .get(&owner)
                    .map(|c| {
                        c.pel
                            .range(from..)
                            .take(count.unwrap_or(usize::MAX))
                            .copied()
                            .collect()
                    })
                    .unwrap_or_default();
                for id in ids {
                    if entries.get_into(id, &mut out) {
                        if let Some(nack) = group.pel.get_mut(&id) {
                            nack.delivery_time = now_ms;
                            nack.delivery_count = nack.delivery_count.wrapping_add(1);
                        }
                    } else {
                        out.push_missing(id);
                    }
                }
            }
        }
        Ok(out)
    }

    /// XACK: removes `ids` from the group's PEL; returns how many were pending. A missing
    /// group acknowledges nothing (Redis replies 0, not an error).
    pub fn ack(&mut self, group: &[u8], ids: &[StreamId]) -> u64 {
        let Some(group) = self.groups.get_mut(group) else {
            return 0;
        };
        // Acked IDs mostly belong to one consumer: its entry is looked up once, not per ID.
        let Group { pel, consumers, .. } = group;
        let mut owner: Option<(Arc<[u8]>, &mut Consumer)> = None;
        let mut acked = 0;
        for &id in ids {
            let Some(nack) = pel.remove(&id) else { continue };
            acked += 1;
            if !matches!(&owner, Some((name, _)) if Arc::ptr_eq(name, &nack.consumer)) {
                owner = consumers.get_mut(&nack.consumer).map(|c| (nack.consumer.clone(), c));
            }
            if let Some((_, c)) = &mut owner {
                c.pel.remove(&id);
            }
        }
        acked
    }

    /// XPENDING key group: count, smallest and largest pending ID, and per-consumer counts.
    ///
    /// # Errors
    /// [`GroupNotFound`].
    pub fn pending_summary(
        &self,
        group: &[u8],
    ) -> std::result::Result<PendingSummary, GroupNotFound> {
        let group = self.groups.get(group).ok_or(GroupNotFound)?;
        Ok(PendingSummary {
            count: group.pel.len() as u64,
            min: group.pel.keys().next().copied(),
            max: group.pel.keys().next_back().copied(),
            consumers: group
                .consumers
                .iter()
                .filter(|(_, c)| !c.pel.is_empty())
                .map(|(name, c)| (name.to_vec(), c.pel.len() as u64))
                .collect(),
        })
    }

    /// `XPENDING key group [IDLE min] start end count [consumer]`: pending entries in
    /// `[start, end]`, at most `count`, of `consumer` only if given (none if it does not
    /// exist), idle at least `min_idle_ms` (0: no filter).
    ///
    /// # Errors
    /// [`GroupNotFound`].
    #[allow(clippy::too_many_arguments)]
    pub fn pending_range(
        &self,
        group: &[u8],
        start: StreamId,
        end: StreamId,
        count: usize,
        consumer: Option<&[u8]>,
        min_idle_ms: u64,
        now_ms: u64,
    ) -> std::result::Result<Vec<PendingEntry>, GroupNotFound> {
        let group = self.groups.get(group).ok_or(GroupNotFound)?;
        if start > end || count == 0 {
            return Ok(Vec::new());
        }
        let owner = match consumer {
            Some(name) => match group.consumers.get(name) {
                Some(c) => Some(c),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let row = |id: StreamId| {
            let nack = group.pel.get(&id)?;
            let idle_ms = now_ms.saturating_sub(nack.delivery_time);
            (min_idle_ms == 0 || idle_ms >= min_idle_ms).then(|| PendingEntry {
                id,
                consumer: nack.consumer.to_vec(),
                idle_ms,
                delivery_count: nack.delivery_count,
            })
        };
        Ok(match owner {
            Some(c) => c
                .pel
                .range(start..=end)
                .filter_map(|&id| row(id))
                .take(count)
                .collect(),
            None => group
                .pel
                .range(start..=end)
                .filter_map(|(&id, _)| row(id))
                .take(count)
                .collect(),
        })
    }

    /// XCLAIM: gives `consumer` (created if missing) the pending entries among `ids` idle
    /// at least `min_idle_ms`, as `xclaimCommand`. IDs whose entry is gone from the stream
    /// are dropped from the PEL instead (Redis 7), FORCE creates entries that exist but are
    /// not pending, and the delivery count grows by one unless JUSTID or RETRYCOUNT.
    ///
    /// # Errors
    /// [`GroupNotFound`].
    pub fn claim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        ids: &[StreamId],
        opts: &ClaimOptions,
        now_ms: u64,
    ) -> std::result::Result<Claimed, GroupNotFound> {
        let Stream {
            entries, groups, ..
        } = self;
        let group = groups.get_mut(group).ok_or(GroupNotFound)?;
        if let Some(lastid) = opts.lastid {
            if lastid > group.last_id {
                group.last_id = lastid;
            }
        }
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let delivery_time = match opts.delivery {
            None => now_ms,
            Some(d) => {
                let t = match d {
                    ClaimDelivery::Idle(idle) => now.saturating_sub(idle),
                    ClaimDelivery::Time(t) => t,
                };
                u64::try_from(t)
                    .ok()
                    .filter(|&t| t <= now_ms)
                    .unwrap_or(now_ms)
            }
        };
        // Created (or refreshed) at the first claim only, as Redis 7.0's `xclaimCommand`.
        let mut owner: Option<Arc<[u8]>> = None;
        let mut out = Claimed::default();
        for &id in ids {
            if !entries.contains(id) {
                if group.remove_pending(id) {
                    out.deleted.push(id);
                }
                continue;
            }
            let claimable = match group.pel.get(&id) {
                Some(nack) => {
                    min_idle_ms == 0 || now_ms.saturating_sub(nack.delivery_time) >= min_idle_ms
                }
                None => opts.force,
            };
            if !claimable {
                continue;
            }
            let owner = match &owner {
                Some(o) => o.clone(),
                None => owner.insert(group.touch_consumer(consumer, now_ms)).clone(),
            };
            // FORCE: a fresh NACK starts at one delivery, then counts this claim as well.
            group.pel.entry(id).or_insert_with(|| Nack {
                delivery_time: now_ms,
                delivery_count: 1,
                consumer: owner.clone(),
            });
            if let Some(nack) = group.pel.get_mut(&id) {
                nack.delivery_time = delivery_time;
                if let Some(retry) = opts.retrycount {
                    nack.delivery_count = retry;
                } else if !opts.justid {
                    nack.delivery_count = nack.delivery_count.wrapping_add(1);
                }
            }
            group.set_owner(id, &owner);
            let fields = if opts.justid { None } else { entries.get(id) };
            out.entries.push((id, fields));
            if let Some(c) = group.consumers.get_mut(&owner) {
                c.active_time = Some(now_ms);
            }
        }
        Ok(out)
    }

    /// XAUTOCLAIM: scans the PEL from `start`, giving `consumer` (created if missing) up to
    /// `count` entries idle at least `min_idle_ms`, as `xautoclaimCommand`: at most
    /// `count * 10` PEL entries are looked at, entries gone from the stream are dropped from
    /// the PEL (and count toward `count`), and `next` is where the following call resumes.
    ///
    /// # Errors
    /// [`GroupNotFound`].
    #[allow(clippy::too_many_arguments)]
    pub fn autoclaim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        start: StreamId,
        count: usize,
        justid: bool,
        now_ms: u64,
    ) -> std::result::Result<AutoClaimed, GroupNotFound> {
        let Stream {
            entries, groups, ..
        } = self;
        let group = groups.get_mut(group).ok_or(GroupNotFound)?;
        // Created (or refreshed) at the first claim only, as Redis 7.0's `xautoclaimCommand`.
        let mut owner: Option<Arc<[u8]>> = None;
        let mut out = AutoClaimed::default();
        let mut remaining = count;
        let mut attempts = count.saturating_mul(AUTOCLAIM_ATTEMPTS_FACTOR);
        // Where the next step of the PEL scan resumes (inclusive); None once past the end.
        let mut cursor = Some(start);
        let step = |group: &Group, cursor: &mut Option<StreamId>| -> Option<StreamId> {
            let id = group.pel.range((*cursor)?..).next().map(|(&id, _)| id);
            *cursor = id.and_then(StreamId::incr);
            id
        };
        while attempts > 0 && remaining > 0 {
            attempts -= 1;
            let Some(id) = step(group, &mut cursor) else {
                break;
            };
            if !entries.contains(id) {
                group.remove_pending(id);
                out.deleted.push(id);
                remaining -= 1;
                continue;
            }
            let idle = group
                .pel
                .get(&id)
                .map_or(0, |n| now_ms.saturating_sub(n.delivery_time));
            if min_idle_ms > 0 && idle < min_idle_ms {
                continue;
            }
            let owner = match &owner {
                Some(o) => o.clone(),
                None => owner.insert(group.touch_consumer(consumer, now_ms)).clone(),
            };
            if let Some(nack) = group.pel.get_mut(&id) {
                nack.delivery_time = now_ms;
                if !justid {
                    nack.delivery_count = nack.delivery_count.wrapping_add(1);
                }
            }
            group.set_owner(id, &owner);
            let fields = if justid { None } else { entries.get(id) };
            out.entries.push((id, fields));
            remaining -= 1;
            if let Some(c) = group.consumers.get_mut(&owner) {
                c.active_time = Some(now_ms);
            }
        }
        out.next = step(group, &mut cursor).unwrap_or(StreamId::MIN);
        Ok(out)
    }

    /// The group's lag (XINFO GROUPS `lag`): `None` when it cannot be known.
    pub fn group_lag(&self, group: &Group) -> Option<i64> {
        group_lag(&self.meta, group)
    }

    /// `$` is the stream's last ID; anything else as given.
    fn resolve_group_start(&self, start: GroupStart) -> StreamId {
        match start {
            GroupStart::Last => self.meta.last_id,
            GroupStart::Id(id) => id,
        }
    }
}
