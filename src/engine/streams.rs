//! Stream commands on the keyspace (XADD … XINFO), and the stream half of blocking: the
//! first attempt of XREAD/XREADGROUP, `$` resolved when a call blocks, and serving blocked
//! readers when entries arrive or when their stream or group goes away.
//!
//! The stream type is `stream/`; here live the rules that involve keys (WRONGTYPE, NOGROUP
//! with the key's name, MKSTREAM, waking readers) and the effects each command records for
//! the AOF, after redis `src/t_stream.c`: XADD with the ID it got, approximate trims
//! rewritten as exact ones with the resulting length or first ID, group reads and claims as
//! `XCLAIM … FORCE JUSTID LASTID` per entry (`streamPropagateXCLAIM`) and the group's
//! position as `XGROUP SETID … ENTRIESREAD` (`streamPropagateGroupID`). Knows nothing of
//! RESP or Python.

use std::time::{SystemTime, UNIX_EPOCH};

use super::db::Key;
use super::effects::int;
use super::error::{Error, Result};
use super::keyspace::Keyspace;
use super::stream::{
    AutoClaimed, ClaimOptions, Claimed, ConsumerInfo, Entry, EntryBatch, Fields, GroupInfo, GroupStart,
    IdSpec, NoGroupWording, PendingEntry, PendingSummary, ReadId, Stream, StreamId, StreamInfo,
    StreamInfoFull, Trim,
};
use super::waiters::{BlockOp, Served};

/// An entry as a read returns it: fields are `None` for a pending entry that was deleted
/// from the stream (XREADGROUP history reads, Redis's `[id, nil]`).
pub type StreamEntry = (StreamId, Option<Fields>);

/// Entries per stream handed to a blocked reader that gave no COUNT (Redis's
/// `XREAD_BLOCKED_DEFAULT_COUNT`): a reader blocked with a low ID is not sent the whole
/// stream at once.
pub const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// XADD / XTRIM trimming, parsed: the strategy, whether `~` was given, and LIMIT (`None`:
/// Redis's default, 100 nodes' worth with `~`; `Some(0)`: no cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimSpec {
    /// MAXLEN or MINID with its threshold.
    pub strategy: Trim,
    /// `~`: only whole nodes go.
    pub approx: bool,
    /// LIMIT, with `~` only.
    pub limit: Option<u64>,
}

/// The wall clock in Unix ms for stream IDs and delivery times. Unlike `clock::unix_ms`
/// it keeps running while the AOF is replayed: an XCLAIM's TIME must not be clamped to a
/// stopped clock.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// An ID as an argument word.
fn id_arg(id: StreamId) -> Vec<u8> {
    id.to_string().into_bytes()
}

/// ENTRIESREAD's argument: the counter, or -1 when unknown.
fn entries_read_arg(read: Option<u64>) -> Vec<u8> {
    read.map_or_else(|| b"-1".to_vec(), int)
}

/// The trim words of an effect: `MAXLEN = n` / `MINID = id`. An approximate trim is
/// rewritten with what it left (the length, or the first stored ID), so that an exact
/// replay removes exactly what it removed (redis `streamRewriteTrimArgument`); LIMIT is
/// dropped, as it only bounds approximate trims.
fn trim_words(s: &Stream, trim: &TrimSpec) -> [Vec<u8>; 3] {
    match (trim.strategy, trim.approx) {
        (Trim::MaxLen(n), false) => [b"MAXLEN".to_vec(), b"=".to_vec(), int(n)],
        (Trim::MaxLen(_), true) => [b"MAXLEN".to_vec(), b"=".to_vec(), int(s.len())],
        (Trim::MinId(id), false) => [b"MINID".to_vec(), b"=".to_vec(), id_arg(id)],
        (Trim::MinId(_), true) => [
            b"MINID".to_vec(),
            b"=".to_vec(),
            id_arg(s.first_stored_id().unwrap_or(StreamId::MAX)),
        ],
    }
}

/// The `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last` that
/// recreates pending entry `id` as it now is (redis `streamPropagateXCLAIM`). `None` if the
/// entry is not pending.
fn xclaim_effect(s: &Stream, key: &[u8], group: &[u8], id: StreamId) -> Option<Vec<Vec<u8>>> {
    let g = s.group(group)?;
    let nack = g.nack(id)?;
    Some(vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group.to_vec(),
        nack.consumer().to_vec(),
        b"0".to_vec(),
        id_arg(id),
        b"TIME".to_vec(),
        int(nack.delivery_time()),
        b"RETRYCOUNT".to_vec(),
        int(nack.delivery_count()),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        id_arg(g.last_id()),
    ])
}

/// `XGROUP SETID key group last ENTRIESREAD n`: the group's position and read counter as
/// they now are (redis `streamPropagateGroupID`).
fn setid_effect(s: &Stream, key: &[u8], group: &[u8]) -> Option<Vec<Vec<u8>>> {
    let g = s.group(group)?;
    Some(vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        group.to_vec(),
        id_arg(g.last_id()),
        b"ENTRIESREAD".to_vec(),
        entries_read_arg(g.entries_read()),
    ])
}

/// Whether `consumer` exists in `group` of `s`.
fn has_consumer(s: &Stream, group: &[u8], consumer: &[u8]) -> bool {
    s.group(group).and_then(|g| g.consumer(consumer)).is_some()
}

/// The stream events (Redis 7.0 `t_stream.c`): all of class `t`.
fn stream_event(ks: &mut Keyspace, event: &str, key: &[u8], db: usize) {
    ks.notify(super::notify::class::STREAM, event, key, db);
}

impl Keyspace {
    /// Records `effects` (already built) for `db`.
    fn emit_all(&mut self, db: usize, effects: Vec<Vec<Vec<u8>>>) {
        for argv in effects {
            self.emit(db, || argv);
        }
    }

    /// The stream at `key`, or the NOGROUP error worded for the command when the key or
    /// `group` is missing.
    fn stream_with_group(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        wording: NoGroupWording,
    ) -> Result<&mut Stream> {
        match self.dbs[db].stream_mut(key)? {
            Some(s) if s.group(group).is_some() => Ok(s),
            _ => Err(wording.error(key, group)),
        }
    }

    /// Whether `key` holds a stream.
    ///
    /// # Errors
    /// `WrongType` if it holds something else.
    pub fn stream_exists(&mut self, db: usize, key: &[u8]) -> Result<bool> {
        Ok(self.dbs[db].stream(key)?.is_some())
    }

    /// Whether `key` holds a stream with the consumer group `group`.
    ///
    /// # Errors
    /// `WrongType` if it holds something else.
    pub fn group_exists(&mut self, db: usize, key: &[u8], group: &[u8]) -> Result<bool> {
        Ok(self.dbs[db].stream(key)?.is_some_and(|s| s.group(group).is_some()))
    }

    /// `stream_exists` for a read command (Redis's `lookupKeyRead`): a `keymiss` when
    /// missing.
    ///
    /// # Errors
    /// `WrongType` if it holds something else.
    pub fn stream_exists_read(&mut self, db: usize, key: &[u8]) -> Result<bool> {
        let found = self.stream_exists(db, key)?;
        if !found {
            self.key_miss(key, db);
        }
        Ok(found)
    }

    /// `group_exists` for a read command (a `keymiss` when the key is missing).
    ///
    /// # Errors
    /// `WrongType` if it holds something else.
    pub fn group_exists_read(&mut self, db: usize, key: &[u8], group: &[u8]) -> Result<bool> {
        self.read_lookup(db, key)?;
        self.group_exists(db, key, group)
    }

    /// Checks that `key` holds a stream with `group`, as `wording` words it when not.
    ///
    /// # Errors
    /// `WrongType`; NOGROUP.
    pub fn check_group(&mut self, db: usize, key: &[u8], group: &[u8], wording: NoGroupWording) -> Result<()> {
        self.stream_with_group(db, key, group, wording).map(|_| ())
    }

    // ---- entries --------------------------------------------------------------------------

    /// XADD: appends an entry, then trims if asked; returns its ID, or `None` when
    /// `nomkstream` and the key is missing. Wakes readers blocked on the key.
    ///
    /// # Errors
    /// `StreamIdZero` for an explicit 0-0 (before the key is looked up, so no empty stream
    /// is left behind), `WrongType`, and the type's ID errors
    /// ([`Stream::xadd`]).
    pub fn xadd(
        &mut self,
        db: usize,
        key: &[u8],
        id: IdSpec,
        fields: &[(&[u8], &[u8])],
        nomkstream: bool,
        trim: Option<TrimSpec>,
    ) -> Result<Option<StreamId>> {
        if id == IdSpec::Explicit(StreamId::MIN) {
            return Err(Error::StreamIdZero);
        }
        let d = &mut self.dbs[db];
        let existed = d.stream(key)?.is_some();
        if !existed && nomkstream {
            return Ok(None);
        }
        let s = d.stream_or_create(key)?;
        s.set_config(self.config.stream);
        let new_id = match s.xadd(id, fields, now_ms()) {
            Ok(new_id) => new_id,
            Err(e) => {
                if !existed {
                    // Not `Db::remove`: a stream that never existed must not wake its
                    // blocked readers as deleted.
                    d.discard_created(key);
                }
                return Err(e);
            }
        };
        let trimmed = trim.is_some_and(|t| s.trim(t.strategy, t.approx, t.limit) > 0);
        if self.effects.enabled {
            let mut argv = vec![b"XADD".to_vec(), key.to_vec()];
            if let (Some(t), Ok(Some(s))) = (trim, self.dbs[db].stream(key)) {
                argv.extend(trim_words(s, &t));
            }
            argv.push(id_arg(new_id));
            for (f, v) in fields {
                argv.push(f.to_vec());
                argv.push(v.to_vec());
            }
            self.emit(db, || argv);
        }
        self.waiters.signal_ready(db, key);
        stream_event(self, "xadd", key, db);
        if trimmed {
            stream_event(self, "xtrim", key, db);
        }
        Ok(Some(new_id))
    }

    /// A read command's lookup of `key` (a `keymiss` when missing).
    fn read_lookup(&mut self, db: usize, key: &[u8]) -> Result<()> {
        if self.dbs[db].stream(key)?.is_none() {
            self.key_miss(key, db);
        }
        Ok(())
    }

    /// XLEN: live entries, 0 for a missing key.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn xlen(&mut self, db: usize, key: &[u8]) -> Result<u64> {
        let n = self.dbs[db].stream(key)?.map(Stream::len);
        Ok(n.unwrap_or_else(|| {
            self.key_miss(key, db);
            0
        }))
    }

    /// XRANGE (`rev == false`) / XREVRANGE: entries in `[start, end]` (bounds inclusive;
    /// exclusive ones were resolved when parsing), at most `count` (`None`: all). Empty for
    /// a missing key.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn xrange(
        &mut self,
        db: usize,
        key: &[u8],
        start: StreamId,
        end: StreamId,
        count: Option<usize>,
        rev: bool,
    ) -> Result<Vec<Entry>> {
        let entries = self.dbs[db].stream(key)?.map(|s| s.range(start, end, count, rev));
        Ok(entries.unwrap_or_else(|| {
            self.key_miss(key, db);
            Vec::new()
        }))
    }

    /// XDEL: deletes the live entries among `ids`; how many. 0 for a missing key.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn xdel(&mut self, db: usize, key: &[u8], ids: &[StreamId]) -> Result<u64> {
        let Some(s) = self.dbs[db].stream_mut(key)? else { return Ok(0) };
        let deleted = s.xdel(ids);
        if deleted > 0 {
            self.emit(db, || {
                let mut argv = vec![b"XDEL".to_vec(), key.to_vec()];
                argv.extend(ids.iter().map(|&i| id_arg(i)));
                argv
            });
            stream_event(self, "xdel", key, db);
        }
        Ok(deleted)
    }

    /// XTRIM: how many entries were removed (0 for a missing key).
    ///
    /// # Errors
    /// `WrongType`.
    pub fn xtrim(&mut self, db: usize, key: &[u8], trim: TrimSpec) -> Result<u64> {
        let Some(s) = self.dbs[db].stream_mut(key)? else { return Ok(0) };
        s.set_config(self.config.stream);
        let removed = s.trim(trim.strategy, trim.approx, trim.limit);
        if removed > 0 && self.effects.enabled {
            let mut argv = vec![b"XTRIM".to_vec(), key.to_vec()];
            argv.extend(trim_words(s, &trim));
            self.emit(db, || argv);
        }
        if removed > 0 {
            stream_event(self, "xtrim", key, db);
        }
        Ok(removed)
    }

    /// XSETID: sets the stream's last ID (and entries-added, max-deleted-entry-id).
    ///
    /// # Errors
    /// `NoSuchKey` for a missing key, `WrongType`, and [`Stream::setid`]'s errors.
    pub fn xsetid(
        &mut self,
        db: usize,
        key: &[u8],
        last_id: StreamId,
        entries_added: Option<u64>,
        max_deleted: Option<StreamId>,
    ) -> Result<()> {
        let s = self.dbs[db].stream_mut(key)?.ok_or(Error::NoSuchKey)?;
        s.setid(last_id, entries_added, max_deleted)?;
        self.emit(db, || {
            let mut argv = vec![b"XSETID".to_vec(), key.to_vec(), id_arg(last_id)];
            if let Some(n) = entries_added {
                argv.extend([b"ENTRIESADDED".to_vec(), int(n)]);
            }
            if let Some(m) = max_deleted {
                argv.extend([b"MAXDELETEDID".to_vec(), id_arg(m)]);
            }
            argv
        });
        stream_event(self, "xsetid", key, db);
        Ok(())
    }

    // ---- reading ----------------------------------------------------------------------------

    /// XREAD (without blocking): for each stream in order that has entries after its ID,
    /// those entries (at most `count` per stream; `None` or 0: all). Empty when none has
    /// any. `$` reads nothing here: it stands for "after what is there now".
    ///
    /// # Errors
    /// In Redis's order, key by key: `WrongType`, then that key's ID error.
    pub fn xread(
        &mut self,
        db: usize,
        streams: &[(Key, Result<ReadId>)],
        count: Option<usize>,
    ) -> Result<Vec<(Key, EntryBatch)>> {
        let mut after = Vec::with_capacity(streams.len());
        let mut missing = Vec::with_capacity(streams.len());
        for (key, id) in streams {
            let s = self.dbs[db].stream(key)?.is_some();
            if !s {
                self.key_miss(key, db);
            }
            let from = match id.clone()? {
                ReadId::After(a) => Some(a),
                // `$`: nothing is after the last ID yet. `>` was refused by the parser.
                ReadId::Last | ReadId::New => None,
            };
            after.push(from.filter(|_| s));
            missing.push(!s);
        }
        // Redis looks every key up twice (checking, then serving): two misses each.
        for ((key, _), _) in streams.iter().zip(missing).filter(|(_, m)| *m) {
            self.key_miss(key, db);
        }
        let d = &mut self.dbs[db];
        let mut out = Vec::new();
        for ((key, _), from) in streams.iter().zip(after) {
            let Some(from) = from else { continue };
            let Ok(Some(s)) = d.stream(key) else { continue };
            if s.has_entries_after(from) {
                out.push((key.clone(), s.read_after_batch(from, count)));
            }
        }
        Ok(out)
    }

    /// XREADGROUP (without blocking), as `consumer` of `group`: for `>`, the entries never
    /// delivered to the group, for streams that have some; for an ID, this consumer's
    /// pending entries after it (always replied, even when none). `count` per stream
    /// (`None` or 0: all). Each read is recorded as the pending-entry changes it made.
    ///
    /// # Errors
    /// In Redis's order, key by key: `WrongType`, NOGROUP (XREADGROUP's wording), the ID's
    /// error; nothing is read unless every key passes.
    pub fn xreadgroup(
        &mut self,
        db: usize,
        group: &[u8],
        consumer: &[u8],
        streams: &[(Key, Result<ReadId>)],
        count: Option<usize>,
        noack: bool,
    ) -> Result<Vec<(Key, EntryBatch)>> {
        let mut ids = Vec::with_capacity(streams.len());
        for (key, id) in streams {
            if !self.group_exists_read(db, key, group)? {
                return Err(NoGroupWording::XReadGroup.error(key, group));
            }
            ids.push(id.clone()?);
        }
        let now = now_ms();
        let mut out = Vec::new();
        for ((key, _), id) in streams.iter().zip(ids) {
            let history = !matches!(id, ReadId::New | ReadId::After(StreamId::MAX));
            if !history {
                let ready = self.dbs[db].stream(key).ok().flatten().is_some_and(|s| {
                    let last = s.group(group).map_or(StreamId::MAX, |g| g.last_id());
                    s.has_entries_after(last)
                });
                if !ready {
                    continue;
                }
            }
            let entries = self.read_group_logged(db, key, group, consumer, id, count, noack, now)?;
            out.push((Key::from(&key[..]), entries));
        }
        Ok(out)
    }

    /// One stream's part of XREADGROUP, with its effects.
    #[allow(clippy::too_many_arguments)]
    fn read_group_logged(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        id: ReadId,
        count: Option<usize>,
        noack: bool,
        now: u64,
    ) -> Result<EntryBatch> {
        let wording = NoGroupWording::XReadGroup;
        let s = self.stream_with_group(db, key, group, wording)?;
        let existed = has_consumer(s, group, consumer);
        let entries = s
            .read_group(group, consumer, id, count, noack, now)
            .map_err(|e| e.into_error(wording, key, group))?;
        let created = !existed && has_consumer(s, group, consumer);
        if created {
            stream_event(self, "xgroup-createconsumer", key, db);
        }
        if self.effects.enabled {
            let s = self.stream_with_group(db, key, group, wording)?;
            let mut effects = Vec::new();
            let new_entries = matches!(id, ReadId::New | ReadId::After(StreamId::MAX));
            if created && (noack || !new_entries) {
                effects.push(vec![
                    b"XGROUP".to_vec(),
                    b"CREATECONSUMER".to_vec(),
                    key.to_vec(),
                    group.to_vec(),
                    consumer.to_vec(),
                ]);
            }
            if !(noack && new_entries) {
                // New deliveries, or history re-deliveries (count and time moved on).
                effects.extend(
                    entries
                        .iter()
                        .filter(|(_, f)| f.is_some())
                        .filter_map(|(i, _)| xclaim_effect(s, key, group, i)),
                );
            }
            if new_entries && !entries.is_empty() {
                effects.extend(setid_effect(s, key, group));
            }
            self.emit_all(db, effects);
        }
        Ok(entries)
    }

    /// XACK: removes `ids` from the group's PEL; how many were pending. 0 for a missing key
    /// or group.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn xack(&mut self, db: usize, key: &[u8], group: &[u8], ids: &[StreamId]) -> Result<u64> {
        let Some(s) = self.dbs[db].stream_mut(key)? else { return Ok(0) };
        let acked = s.ack(group, ids);
        if acked > 0 {
            self.emit(db, || {
                let mut argv = vec![b"XACK".to_vec(), key.to_vec(), group.to_vec()];
                argv.extend(ids.iter().map(|&i| id_arg(i)));
                argv
            });
        }
        Ok(acked)
    }

    /// XPENDING key group: the summary form.
    ///
    /// # Errors
    /// `WrongType`; NOGROUP ("No such key 'k' or consumer group 'g'").
    pub fn xpending(&mut self, db: usize, key: &[u8], group: &[u8]) -> Result<PendingSummary> {
        let wording = NoGroupWording::KeyOrGroup;
        self.read_lookup(db, key)?;
        self.stream_with_group(db, key, group, wording)?
            .pending_summary(group)
            .map_err(|e| e.into_error(wording, key, group))
    }

    /// XPENDING key group [IDLE min] start end count [consumer]: the extended form.
    ///
    /// # Errors
    /// `WrongType`; NOGROUP.
    #[allow(clippy::too_many_arguments)]
    pub fn xpending_range(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        start: StreamId,
        end: StreamId,
        count: usize,
        consumer: Option<&[u8]>,
        min_idle_ms: u64,
    ) -> Result<Vec<PendingEntry>> {
        let wording = NoGroupWording::KeyOrGroup;
        self.read_lookup(db, key)?;
        self.stream_with_group(db, key, group, wording)?
            .pending_range(group, start, end, count, consumer, min_idle_ms, now_ms())
            .map_err(|e| e.into_error(wording, key, group))
    }

    /// Records a claim: each claimed entry as the XCLAIM that recreates it, entries dropped
    /// because they were deleted as an XACK, and the group's last ID if LASTID moved it.
    fn emit_claims(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        claimed: &[StreamId],
        deleted: &[StreamId],
        last_id_moved: bool,
    ) {
        if !self.effects.enabled {
            return;
        }
        let Ok(Some(s)) = self.dbs[db].stream(key) else { return };
        let mut effects: Vec<Vec<Vec<u8>>> = claimed
            .iter()
            .filter_map(|&i| xclaim_effect(s, key, group, i))
            .collect();
        if !deleted.is_empty() {
            let mut argv = vec![b"XACK".to_vec(), key.to_vec(), group.to_vec()];
            argv.extend(deleted.iter().map(|&i| id_arg(i)));
            effects.push(argv);
        }
        if last_id_moved {
            effects.extend(setid_effect(s, key, group));
        }
        self.emit_all(db, effects);
    }

    /// XCLAIM: gives `consumer` the pending entries among `ids` idle at least
    /// `min_idle_ms` (see [`Stream::claim`]).
    ///
    /// # Errors
    /// `WrongType`; NOGROUP.
    #[allow(clippy::too_many_arguments)]
    pub fn xclaim(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        ids: &[StreamId],
        opts: &ClaimOptions,
    ) -> Result<Claimed> {
        let wording = NoGroupWording::KeyOrGroup;
        let s = self.stream_with_group(db, key, group, wording)?;
        let before = s.group(group).map(|g| g.last_id());
        let existed = has_consumer(s, group, consumer);
        let claimed = s
            .claim(group, consumer, min_idle_ms, ids, opts, now_ms())
            .map_err(|e| e.into_error(wording, key, group))?;
        let moved = s.group(group).map(|g| g.last_id()) != before;
        if !existed && has_consumer(s, group, consumer) {
            stream_event(self, "xgroup-createconsumer", key, db);
        }
        let ids: Vec<StreamId> = claimed.entries.iter().map(|(i, _)| *i).collect();
        self.emit_claims(db, key, group, &ids, &claimed.deleted, moved);
        Ok(claimed)
    }

    /// XAUTOCLAIM: scans the PEL from `start` (see [`Stream::autoclaim`]).
    ///
    /// # Errors
    /// `WrongType`; NOGROUP.
    #[allow(clippy::too_many_arguments)]
    pub fn xautoclaim(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        start: StreamId,
        count: usize,
        justid: bool,
    ) -> Result<AutoClaimed> {
        let wording = NoGroupWording::KeyOrGroup;
        self.read_lookup(db, key)?;
        let s = self.stream_with_group(db, key, group, wording)?;
        let existed = has_consumer(s, group, consumer);
        let claimed = s
            .autoclaim(group, consumer, min_idle_ms, start, count, justid, now_ms())
            .map_err(|e| e.into_error(wording, key, group))?;
        if !existed && has_consumer(s, group, consumer) {
            stream_event(self, "xgroup-createconsumer", key, db);
        }
        let ids: Vec<StreamId> = claimed.entries.iter().map(|(i, _)| *i).collect();
        self.emit_claims(db, key, group, &ids, &claimed.deleted, false);
        Ok(claimed)
    }

    // ---- groups -----------------------------------------------------------------------------

    /// The stream for an XGROUP subcommand other than CREATE … MKSTREAM.
    fn xgroup_stream(&mut self, db: usize, key: &[u8]) -> Result<&mut Stream> {
        self.dbs[db].stream_mut(key)?.ok_or(Error::XgroupNeedsKey)
    }

    /// XGROUP CREATE: a group whose last delivered ID is `start` (`$`: the stream's last
    /// ID), with read counter `entries_read` (`None`: unknown). `mkstream` creates an
    /// empty stream for a missing key.
    ///
    /// # Errors
    /// `WrongType`; `XgroupNeedsKey` for a missing key without `mkstream`; `BusyGroup`.
    pub fn xgroup_create(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<u64>,
    ) -> Result<()> {
        let d = &mut self.dbs[db];
        let existed = d.stream(key)?.is_some();
        if !existed && !mkstream {
            return Err(Error::XgroupNeedsKey);
        }
        let s = d.stream_or_create(key)?;
        s.create_group(group, start, entries_read)?;
        let last = s.group(group).map_or(StreamId::MIN, |g| g.last_id());
        self.emit(db, || {
            let mut argv = vec![
                b"XGROUP".to_vec(),
                b"CREATE".to_vec(),
                key.to_vec(),
                group.to_vec(),
                id_arg(last),
            ];
            if !existed {
                argv.push(b"MKSTREAM".to_vec());
            }
            if let Some(n) = entries_read {
                argv.extend([b"ENTRIESREAD".to_vec(), int(n)]);
            }
            argv
        });
        stream_event(self, "xgroup-create", key, db);
        Ok(())
    }

    /// XGROUP SETID: moves the group's last delivered ID; its read counter becomes
    /// `entries_read` (unknown if `None`).
    ///
    /// # Errors
    /// `WrongType`; `XgroupNeedsKey`; NOGROUP ("No such consumer group …").
    pub fn xgroup_setid(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        entries_read: Option<u64>,
    ) -> Result<()> {
        let s = self.xgroup_stream(db, key)?;
        s.set_group_id(group, start, entries_read)
            .map_err(|e| e.into_error(NoGroupWording::Group, key, group))?;
        let effect = setid_effect(s, key, group);
        self.emit_all(db, effect.into_iter().collect());
        stream_event(self, "xgroup-setid", key, db);
        Ok(())
    }

    /// XGROUP DESTROY: whether the group existed. Readers blocked on it wake with NOGROUP.
    ///
    /// # Errors
    /// `WrongType`; `XgroupNeedsKey`.
    pub fn xgroup_destroy(&mut self, db: usize, key: &[u8], group: &[u8]) -> Result<bool> {
        let destroyed = self.xgroup_stream(db, key)?.destroy_group(group);
        if destroyed {
            self.waiters.signal_ready(db, key);
            self.emit(db, || {
                vec![b"XGROUP".to_vec(), b"DESTROY".to_vec(), key.to_vec(), group.to_vec()]
            });
            stream_event(self, "xgroup-destroy", key, db);
        }
        Ok(destroyed)
    }

    /// XGROUP CREATECONSUMER: whether the consumer was created.
    ///
    /// # Errors
    /// `WrongType`; `XgroupNeedsKey`; NOGROUP.
    pub fn xgroup_createconsumer(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<bool> {
        let created = self
            .xgroup_stream(db, key)?
            .create_consumer(group, consumer, now_ms())
            .map_err(|e| e.into_error(NoGroupWording::Group, key, group))?;
        if created {
            self.emit(db, || {
                vec![
                    b"XGROUP".to_vec(),
                    b"CREATECONSUMER".to_vec(),
                    key.to_vec(),
                    group.to_vec(),
                    consumer.to_vec(),
                ]
            });
            stream_event(self, "xgroup-createconsumer", key, db);
        }
        Ok(created)
    }

    /// XGROUP DELCONSUMER: how many pending entries the consumer had (0 if it did not
    /// exist).
    ///
    /// # Errors
    /// `WrongType`; `XgroupNeedsKey`; NOGROUP.
    pub fn xgroup_delconsumer(
        &mut self,
        db: usize,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<u64> {
        let s = self.xgroup_stream(db, key)?;
        let existed = has_consumer(s, group, consumer);
        let pending = s
            .delete_consumer(group, consumer)
            .map_err(|e| e.into_error(NoGroupWording::Group, key, group))?;
        if existed {
            self.emit(db, || {
                vec![
                    b"XGROUP".to_vec(),
                    b"DELCONSUMER".to_vec(),
                    key.to_vec(),
                    group.to_vec(),
                    consumer.to_vec(),
                ]
            });
            stream_event(self, "xgroup-delconsumer", key, db);
        }
        Ok(pending)
    }

    // ---- XINFO ------------------------------------------------------------------------------

    /// The stream for XINFO: `NoSuchKey` when missing.
    fn xinfo_stream_of(&mut self, db: usize, key: &[u8]) -> Result<&Stream> {
        if self.dbs[db].stream(key)?.is_none() {
            self.key_miss(key, db);
            return Err(Error::NoSuchKey);
        }
        self.dbs[db].stream(key)?.ok_or(Error::NoSuchKey)
    }

    /// XINFO STREAM.
    ///
    /// # Errors
    /// `NoSuchKey`, `WrongType`.
    pub fn xinfo_stream(&mut self, db: usize, key: &[u8]) -> Result<StreamInfo> {
        Ok(self.xinfo_stream_of(db, key)?.info_stream())
    }

    /// XINFO STREAM FULL COUNT `count` (0: everything).
    ///
    /// # Errors
    /// `NoSuchKey`, `WrongType`.
    pub fn xinfo_stream_full(&mut self, db: usize, key: &[u8], count: usize) -> Result<StreamInfoFull> {
        Ok(self.xinfo_stream_of(db, key)?.info_stream_full(count))
    }

    /// XINFO GROUPS.
    ///
    /// # Errors
    /// `NoSuchKey`, `WrongType`.
    pub fn xinfo_groups(&mut self, db: usize, key: &[u8]) -> Result<Vec<GroupInfo>> {
        Ok(self.xinfo_stream_of(db, key)?.info_groups())
    }

    /// XINFO CONSUMERS.
    ///
    /// # Errors
    /// `NoSuchKey`, `WrongType`; NOGROUP ("No such consumer group …").
    pub fn xinfo_consumers(&mut self, db: usize, key: &[u8], group: &[u8]) -> Result<Vec<ConsumerInfo>> {
        self.xinfo_stream_of(db, key)?
            .info_consumers(group, now_ms())
            .map_err(|e| e.into_error(NoGroupWording::Group, key, group))
    }

    // ---- blocking ---------------------------------------------------------------------------

    /// A stream read's attempt (`Keyspace::try_block_op`): what XREAD / XREADGROUP would
    /// reply, `None` when there is nothing to serve yet.
    ///
    /// # Errors
    /// As `xread` / `xreadgroup`.
    pub(crate) fn try_stream_read(&mut self, db: usize, op: &BlockOp) -> Result<Option<Served>> {
        let streams = match op {
            BlockOp::XRead { streams, count } => self.xread(db, streams, *count)?,
            BlockOp::XReadGroup { group, consumer, streams, count, noack } => {
                self.xreadgroup(db, group, consumer, streams, *count, *noack)?
            }
            _ => return Ok(None),
        };
        Ok((!streams.is_empty()).then_some(Served::Streams { streams }))
    }

    /// Fixes what a blocked call waits for at the moment it blocks: XREAD's `$` becomes the
    /// stream's last ID (0-0 for a missing key), as `xreadCommand` resolves it before
    /// blocking. Other ops are returned as they are.
    pub fn resolve_block_op(&mut self, db: usize, mut op: BlockOp) -> BlockOp {
        if let BlockOp::XRead { streams, .. } = &mut op {
            for (key, id) in streams.iter_mut() {
                if let Ok(ReadId::Last) = id {
                    // A key of another type fails the attempt anyway.
                    if let Ok(s) = self.dbs[db].stream(key) {
                        *id = Ok(ReadId::After(s.map_or(StreamId::MIN, Stream::last_id)));
                    }
                }
            }
        }
        op
    }

    /// Marks the stream keys deleted or overwritten during the unit as ready, so that their
    /// blocked XREADGROUP callers are answered (Redis 7.0 `signalDeletedKeyAsReady`).
    pub(crate) fn signal_removed_streams(&mut self) {
        let queued = &self.dbs[0].queued.removed_streams;
        if !queued.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        queued.store(false, std::sync::atomic::Ordering::Relaxed);
        for (db, d) in self.dbs.iter_mut().enumerate() {
            if d.removed_streams.is_empty() {
                continue;
            }
            for key in std::mem::take(&mut d.removed_streams) {
                self.waiters.signal_ready(db, &key);
            }
        }
    }

    /// Serves the stream readers blocked on `key`, oldest first (Redis
    /// `serveClientsBlockedOnStreamKey`): every plain XREAD reader whose ID is below the
    /// stream's last ID gets the new entries; each XREADGROUP reader gets what its group
    /// has not delivered yet, so the oldest reader of a group takes the new entries and the
    /// others of that group keep waiting. An XREADGROUP reader whose key or group is gone
    /// is answered with Redis 7.0's error. List waiters on the key are left alone.
    pub(crate) fn serve_stream_readers(&mut self, db: usize, key: &[u8]) {
        for id in self.waiters.queued(db, key) {
            let Some(op) = self.waiters.waiting_op(id).filter(|op| op.is_stream_read()).cloned() else {
                continue;
            };
            if let Some(served) = self.serve_stream_reader(db, key, &op) {
                self.waiters.complete(id, served);
            }
        }
    }

    /// What one blocked stream reader gets from `key` now, if anything.
    fn serve_stream_reader(&mut self, db: usize, key: &[u8], op: &BlockOp) -> Option<Served> {
        let limit = |count: &Option<usize>| Some(count.filter(|&c| c > 0).unwrap_or(BLOCKED_DEFAULT_COUNT));
        match op {
            BlockOp::XRead { streams, count } => {
                let after = streams.iter().find_map(|(k, id)| match id {
                    Ok(ReadId::After(a)) if **k == *key => Some(*a),
                    _ => None,
                })?;
                let s = self.dbs[db].stream(key).ok().flatten()?;
                if s.last_id() <= after {
                    return None;
                }
                let entries = s.read_after_batch(after, limit(count));
                Some(Served::Streams { streams: vec![(Key::from(key), entries)] })
            }
            BlockOp::XReadGroup { group, consumer, count, noack, .. } => {
                let Ok(Some(s)) = self.dbs[db].stream(key) else {
                    return Some(Served::Failed(Error::StreamKeyDeleted));
                };
                let Some(g) = s.group(group) else {
                    return Some(Served::Failed(Error::NoGroupBlocked));
                };
                if s.last_id() <= g.last_id() {
                    return None;
                }
                let now = now_ms();
                let read = self.read_group_logged(db, key, group, consumer, ReadId::New, limit(count), *noack, now);
                Some(match read {
                    Ok(entries) => Served::Streams { streams: vec![(Key::from(key), entries)] },
                    Err(e) => Served::Failed(e),
                })
            }
            _ => None,
        }
    }
}
