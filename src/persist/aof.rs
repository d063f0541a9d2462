//! The AOF writer: the engine's [`EffectSink`]. Each unit's effects are encoded as RESP
//! commands (redis `feedAppendOnlyFile`): `SELECT` when the database changes, `MULTI`/`EXEC`
//! around a unit of several effects, so that a unit replays all or nothing.
//!
//! The engine seals each unit so in a log of its own (`Effects`, under the keyspace lock);
//! the recorder takes that log's chunks (`absorb`, `drain`) when it is about to write.
//! Writing and fsync happen outside the lock, per `appendfsync`:
//! - `always`: `wait_durable` returns once the unit is on disk. Group commit: one caller
//!   becomes the leader, writes everything buffered so far and fsyncs once; callers that
//!   arrive meanwhile wait, and the next leader covers them all (okaywal's batching).
//! - `everysec`: a background thread writes the buffer every few milliseconds and fsyncs
//!   once a second; callers never wait.
//! - `no`: the background thread writes; the OS decides when the data reaches the disk.
//!
//! A rewrite switches to a new incremental file at an exact point of the unit order
//! (`rotate`, called under the keyspace lock at the instant the snapshot is taken).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::fs::FsFile;
use super::snapshot::{Captured, Snapshot};
use crate::engine::effects::{int, EffectSink, Effects, Unit};
use crate::engine::WeakEngine;
use crate::resp::encode_command;

/// `appendfsync`: when appended data is forced to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// After every write, before the write call returns (group commit).
    Always,
    /// Once a second, by a background thread.
    EverySec,
    /// Never explicitly; the OS flushes when it likes.
    No,
}

impl Fsync {
    /// Parses Redis's words.
    pub fn parse(s: &str) -> Option<Fsync> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }
    /// A number for an atomic (`from_code` reads it back).
    pub fn code(self) -> u8 {
        match self {
            Fsync::Always => 1,
            Fsync::EverySec => 2,
            Fsync::No => 3,
        }
    }

    /// The policy `code` gave.
    pub fn from_code(c: u8) -> Fsync {
        match c {
            1 => Fsync::Always,
            3 => Fsync::No,
            _ => Fsync::EverySec,
        }
    }

    /// Redis's word.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// Items per RPUSH when a list is written as commands (redis `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

fn command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    encode_command(argv, out);
}

/// Writes `snap` as RESP commands (a `.base.aof`, as redis `rewriteAppendOnlyFileRio` with
/// `aof-use-rdb-preamble no`): SELECT, then per key SET or RPUSH in batches of 64, then
/// PEXPIREAT for a key with an expiry.
///
/// # Errors
/// The I/O error of `w`.
pub fn write_resp(snap: &Snapshot, w: &mut dyn Write) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(1 << 20);
    let mut written = 0u64;
    let mut flush = |buf: &mut Vec<u8>, force: bool| -> io::Result<()> {
        if force || buf.len() >= 1 << 20 {
            w.write_all(buf)?;
            written += buf.len() as u64;
            buf.clear();
        }
        Ok(())
    };
    for (db, items) in &snap.dbs {
        command(&mut buf, &[b"SELECT", &int(db)]);
        for item in items {
            match &item.value {
                Captured::Str(s) => command(&mut buf, &[b"SET", &item.key, s]),
                Captured::Stream(st) => stream_commands(&item.key, st, |argv| {
                    command(&mut buf, argv);
                    flush(&mut buf, false)
                })?,
                Captured::Set(st) => {
                    let members: Vec<std::borrow::Cow<'_, [u8]>> = st.iter().collect();
                    for chunk in members.chunks(ITEMS_PER_CMD) {
                        let mut argv: Vec<&[u8]> = Vec::with_capacity(chunk.len() + 2);
                        argv.extend_from_slice(&[b"SADD", &item.key]);
                        argv.extend(chunk.iter().map(|m| &**m));
                        command(&mut buf, &argv);
                        flush(&mut buf, false)?;
                    }
                }
                Captured::Hash(h) => {
                    // HSET batches of ITEMS_PER_CMD pairs (Redis `rewriteHashObject`
                    // writes HMSET; HSET is its 4.0+ equivalent).
                    let mut argv: Vec<&[u8]> = Vec::with_capacity(2 * ITEMS_PER_CMD + 2);
                    let mut it = h.iter().peekable();
                    while it.peek().is_some() {
                        argv.clear();
                        argv.extend_from_slice(&[b"HSET", &item.key]);
                        for (f, v) in it.by_ref().take(ITEMS_PER_CMD) {
                            argv.push(f);
                            argv.push(v);
                        }
                        command(&mut buf, &argv);
                        flush(&mut buf, false)?;
                    }
                }
                Captured::Zset(z) => {
                    // ZADD batches of ITEMS_PER_CMD pairs, scores as `%.17g` (Redis
                    // `rewriteSortedSetObject` with `rioWriteBulkDouble`).
                    let mut it = z.iter().peekable();
                    while it.peek().is_some() {
                        let pairs: Vec<(Vec<u8>, &[u8])> = it.by_ref().take(ITEMS_PER_CMD).map(|(m, s)| (crate::engine::zset::format_score(s), m)).collect();
                        let mut argv: Vec<&[u8]> = Vec::with_capacity(2 * pairs.len() + 2);
                        argv.extend_from_slice(&[b"ZADD", &item.key]);
                        for (s, m) in &pairs {
                            argv.push(s);
                            argv.push(m);
                        }
                        command(&mut buf, &argv);
                        flush(&mut buf, false)?;
                    }
                }
                Captured::List(l) => {
                    let mut argv: Vec<&[u8]> = Vec::with_capacity(ITEMS_PER_CMD + 2);
                    let mut it = l.iter().peekable();
                    while it.peek().is_some() {
                        argv.clear();
                        argv.extend_from_slice(&[b"RPUSH", &item.key]);
                        argv.extend(it.by_ref().take(ITEMS_PER_CMD));
                        command(&mut buf, &argv);
                        flush(&mut buf, false)?;
                    }
                }
            }
            if let Some(at) = item.expire_ms {
                command(&mut buf, &[b"PEXPIREAT", &item.key, &int(at)]);
            }
            flush(&mut buf, false)?;
        }
    }
    flush(&mut buf, true)?;
    Ok(written)
}

/// The commands that rebuild the stream `s` at `key` in an empty database, as redis
/// `rewriteStreamObject` (`src/aof.c`) writes them: an XADD per entry with its ID (an empty
/// stream: `XADD key MAXLEN 0 <last-id> x y`), `XSETID key <last-id> ENTRIESADDED n
/// MAXDELETEDID id`, then per group `XGROUP CREATE key group <last-id> [ENTRIESREAD n]`, an
/// `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n JUSTID FORCE` per pending entry, and
/// `XGROUP CREATECONSUMER` for consumers with nothing pending. A consumer's seen-time is not
/// kept (nor is it in Redis's AOF).
pub fn stream_commands(key: &[u8], s: &crate::engine::stream::Stream, mut emit: impl FnMut(&[&[u8]]) -> io::Result<()>) -> io::Result<()> {
    use crate::engine::stream::StreamId;
    let id = |i: StreamId| i.to_string().into_bytes();
    // Pending entries whose entry was deleted (XDEL) stay pending, as in Redis's RDB. Redis's
    // AOF rewrite loses them (its XCLAIM ignores missing entries); here a placeholder entry
    // is added at that ID, claimed, then deleted again.
    let ghosts: std::collections::BTreeSet<StreamId> =
        s.groups().flat_map(|(_, g)| g.pending().map(|(pid, _)| pid)).filter(|pid| !s.contains(*pid)).collect();
    let mut ghost_iter = ghosts.iter().copied().peekable();
    let mut add_ghosts_below = |bound: Option<StreamId>, emit: &mut dyn FnMut(&[&[u8]]) -> io::Result<()>| -> io::Result<bool> {
        let mut any = false;
        while let Some(g) = ghost_iter.next_if(|g| bound.is_none_or(|b| *g < b)) {
            emit(&[b"XADD", key, &id(g), b"embedis-deleted-pending", b""])?;
            any = true;
        }
        Ok(any)
    };
    let mut after = StreamId::MIN;
    let mut any = false;
    loop {
        let batch = s.read_after(after, Some(1024));
        let Some(last) = batch.last().map(|e| e.0) else { break };
        for (eid, fields) in &batch {
            add_ghosts_below(Some(*eid), &mut emit)?;
            let eid = id(*eid);
            let mut argv: Vec<&[u8]> = Vec::with_capacity(3 + fields.len() * 2);
            argv.extend_from_slice(&[b"XADD", key, &eid]);
            for (f, v) in fields {
                argv.push(f);
                argv.push(v);
            }
            emit(&argv)?;
        }
        any = true;
        after = last;
    }
    any |= add_ghosts_below(None, &mut emit)?;
    let last_id = id(s.last_id());
    if !any {
        emit(&[b"XADD", key, b"MAXLEN", b"0", &last_id, b"x", b"y"])?;
    }
    let added = int(s.entries_added());
    let max_deleted = id(s.max_deleted_entry_id());
    let setid: [&[u8]; 7] = [b"XSETID", key, &last_id, b"ENTRIESADDED", &added, b"MAXDELETEDID", &max_deleted];
    emit(&setid)?;
    for (name, g) in s.groups() {
        let glast = id(g.last_id());
        match g.entries_read() {
            Some(n) => emit(&[b"XGROUP", b"CREATE", key, name, &glast, b"ENTRIESREAD", &int(n)])?,
            None => emit(&[b"XGROUP", b"CREATE", key, name, &glast])?,
        }
        for (pid, nack) in g.pending() {
            let (pid, time, count) = (id(pid), int(nack.delivery_time()), int(nack.delivery_count()));
            emit(&[b"XCLAIM", key, name, nack.consumer(), b"0", &pid, b"TIME", &time, b"RETRYCOUNT", &count, b"JUSTID", b"FORCE"])?;
        }
        for (cname, c) in g.consumers() {
            if c.pending_count() == 0 {
                emit(&[b"XGROUP", b"CREATECONSUMER", key, name, cname])?;
            }
        }
    }
    if !ghosts.is_empty() {
        let ids: Vec<Vec<u8>> = ghosts.iter().map(|g| id(*g)).collect();
        for chunk in ids.chunks(ITEMS_PER_CMD) {
            let mut argv: Vec<&[u8]> = vec![b"XDEL", key];
            argv.extend(chunk.iter().map(Vec::as_slice));
            emit(&argv)?;
        }
        // XDEL moved the max deleted ID; put the stream's own back.
        emit(&setid)?;
    }
    Ok(())
}

/// A switch to a new incremental file, before chunk `at` of the buffer.
#[derive(Debug)]
struct Rotation {
    at: usize,
    file: Box<dyn FsFile>,
}

/// The writer's state, under its own (inner) mutex. `record` touches it under the keyspace
/// lock; the leader and the background thread touch it briefly, never across I/O.
#[derive(Debug)]
struct State {
    /// Encoded units not yet handed to a writer, in chunks (taken from the keyspace's log).
    chunks: Vec<Vec<u8>>,
    /// Chunks written, to give back to the keyspace's log at the next `absorb`, so steady
    /// writing allocates (and page-faults) nothing.
    written: Vec<Vec<u8>>,
    /// Sequence number of the last unit recorded.
    seq: u64,
    /// Every unit up to this one is written (to the OS).
    written_seq: u64,
    /// Every unit up to this one is fsynced.
    synced_seq: u64,
    /// The current incremental file; `None` while a leader writes, or with no AOF.
    file: Option<Box<dyn FsFile>>,
    /// A pending switch of file.
    rotation: Option<Rotation>,
    /// Whether a thread is writing now.
    leader: bool,
    /// Bytes appended to the incremental files since the last rewrite switch.
    incr_bytes: u64,
    /// Whether the last write or fsync failed (`aof_last_write_status`).
    write_failed: bool,
    /// When written data was last fsynced.
    last_sync: Instant,
    /// Written but not fsynced.
    unsynced: bool,
}

/// Where effects go (see the module doc). Without an AOF it only counts changes, for the
/// `save` rules.
pub struct Recorder {
    /// The fsync policy now, as `Fsync::code` (CONFIG SET appendfsync changes it); 0 when
    /// there is no AOF, which never changes.
    fsync: std::sync::atomic::AtomicU8,
    state: Mutex<State>,
    /// Signalled when `synced_seq` or `written_seq` moves or a leader finishes.
    done: Condvar,
    /// Changes since the last successful save (`rdb_changes_since_last_save`): the
    /// persistence's counter, shared by the recorders that follow one another when
    /// `appendonly` is switched at run time.
    pub dirty: Arc<AtomicU64>,
    /// fsyncs done on the AOF.
    pub fsyncs: AtomicU64,
    /// Warnings go here (I/O errors, with the retry).
    log: super::LogFn,
    /// Wraps a wait for fsync (the binding releases the GIL there).
    block: super::BlockFn,
    /// The broker whose sealed units this recorder takes (`drain`).
    engine: std::sync::OnceLock<WeakEngine>,
    /// Wakes the writer thread (`nudge`).
    waker: std::sync::OnceLock<super::Waker>,
    /// Set (under the keyspace lock) once another sink has replaced this one: the units
    /// sealed in the keyspace are no longer this recorder's, so `drain` takes none.
    detached: AtomicBool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("policy", &self.policy()).finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder appending to `file` (or only counting, with `None`), counting changes in
    /// `dirty`.
    pub fn new(aof: Option<(Fsync, Box<dyn FsFile>)>, dirty: Arc<AtomicU64>, log: super::LogFn, block: super::BlockFn) -> Recorder {
        let (policy, file) = match aof {
            Some((p, f)) => (Some(p), Some(f)),
            None => (None, None),
        };
        Recorder {
            fsync: std::sync::atomic::AtomicU8::new(policy.map_or(0, Fsync::code)),
            state: Mutex::new(State {
                chunks: Vec::new(),
                written: Vec::new(),
                seq: 0,
                written_seq: 0,
                synced_seq: 0,
                file,
                rotation: None,
                leader: false,
                incr_bytes: 0,
                write_failed: false,
                last_sync: Instant::now(),
                unsynced: false,
            }),
            done: Condvar::new(),
            dirty,
            fsyncs: AtomicU64::new(0),
            log,
            block,
            engine: std::sync::OnceLock::new(),
            waker: std::sync::OnceLock::new(),
            detached: AtomicBool::new(false),
        }
    }

    /// How to wake the writer thread when the keyspace's log fills (see `nudge`).
    pub fn set_waker(&self, waker: super::Waker) {
        let _ = self.waker.set(waker);
    }

    /// Binds the recorder to the broker it records: with an AOF, units stay in the
    /// keyspace's log until the recorder takes them (`drain`, `absorb`).
    pub fn attach(&self, engine: WeakEngine) {
        let _ = self.engine.set(engine);
    }

    /// Moves the units sealed in `effects` into the write buffer. Call under the keyspace
    /// lock (lock order: keyspace, then the recorder's state).
    pub fn absorb(&self, effects: &mut Effects) {
        let mut st = self.state.lock();
        self.absorb_locked(&mut st, effects, false);
    }

    fn absorb_locked(&self, st: &mut State, effects: &mut Effects, new_file: bool) {
        let before = st.chunks.len();
        let (seq, commands) = effects.take_log(&mut st.chunks, new_file);
        st.incr_bytes += st.chunks[before..].iter().map(|c| c.len() as u64).sum::<u64>();
        let taken = st.chunks.len() - before;
        effects.give_back(&mut st.written, taken);
        if seq > st.seq {
            st.seq = seq;
        }
        self.dirty.fetch_add(commands, Ordering::Relaxed);
    }

    /// Takes the units sealed since the last call from the keyspace (briefly taking its
    /// lock). Never call with the keyspace lock or the state lock held.
    fn drain(&self) {
        if self.policy().is_none() || self.detached.load(Ordering::Acquire) {
            return;
        }
        if let Some(engine) = self.engine.get().and_then(WeakEngine::upgrade) {
            engine.execute(|ks| {
                // Only the broker's current sink owns its log: a recorder replaced by another
                // (appendonly switched; `detached` is the cheap early answer above) took its
                // last units when it was replaced.
                let current = ks.sink.as_ref().is_some_and(|s| std::ptr::addr_eq(Arc::as_ptr(s), std::ptr::from_ref(self)));
                if current {
                    self.absorb(&mut ks.effects);
                }
            });
        }
    }

    /// Marks the recorder as replaced: call under the keyspace lock, right after the switch
    /// of sink (which absorbed what was sealed for it). Its buffer is still written by
    /// `finish`, `sync_all`, a waiter or the writer thread; it takes nothing more.
    pub fn detach(&self) {
        self.detached.store(true, Ordering::Release);
    }

    /// Writes and fsyncs what is buffered, once (a failure is logged, not retried): the
    /// end of an AOF turned off at run time (redis `stopAppendOnly`). Takes no keyspace
    /// lock, so it may run under it once the recorder is `detach`ed.
    pub fn finish(&self) {
        let mut st = self.state.lock();
        while st.leader {
            self.done.wait_for(&mut st, Duration::from_millis(50));
        }
        if st.file.is_none() || (st.chunks.is_empty() && st.rotation.is_none() && !st.unsynced) {
            return;
        }
        self.lead(&mut st, true);
    }

    /// Changes since the last successful save (`rdb_changes_since_last_save`), counting the
    /// units still in the keyspace's log. Not under the keyspace lock.
    pub fn changes(&self) -> u64 {
        self.drain();
        self.dirty.load(Ordering::Relaxed)
    }

    /// The fsync policy now, if there is an AOF.
    pub fn policy(&self) -> Option<Fsync> {
        match self.fsync.load(Ordering::Relaxed) {
            0 => None,
            c => Some(Fsync::from_code(c)),
        }
    }

    /// CONFIG SET appendfsync: the policy for every later unit. A unit already waiting
    /// for its fsync still gets it; `everysec` and `no` take effect at the next tick.
    pub fn set_policy(&self, p: Fsync) {
        // A recorder without an AOF stays without one.
        let _ = self.fsync.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| (c != 0).then_some(p.code()));
        self.done.notify_all();
    }

    /// Switches to `file` for every unit recorded after this call. Call under the keyspace
    /// lock, in the same unit that captures the rewrite's snapshot.
    pub fn rotate(&self, file: Box<dyn FsFile>, effects: &mut Effects) {
        let mut st = self.state.lock();
        // What the keyspace holds belongs to the old file; the new one begins with SELECT.
        self.absorb_locked(&mut st, effects, true);
        let at = st.chunks.len();
        // A second rotation before the first was written: the first file gets nothing more.
        if let Some(prev) = st.rotation.take() {
            let at_prev = prev.at;
            debug_assert!(at_prev <= at);
            // Units between the two rotations belong to the first new file, which the
            // second rewrite also supersedes; keep it simple and send them to the newest.
            drop(prev);
            st.rotation = Some(Rotation { at: at_prev, file });
        } else {
            st.rotation = Some(Rotation { at, file });
        }
        st.incr_bytes = 0;
    }

    /// Returns once the last `rotate` has been carried out (the new file is current), so
    /// that a next rotation cannot overtake it.
    pub fn wait_rotated(&self) {
        let mut st = self.state.lock();
        while st.rotation.is_some() {
            if st.leader || st.file.is_none() {
                self.done.wait_for(&mut st, Duration::from_millis(20));
            } else {
                self.lead(&mut st, false);
                if st.write_failed {
                    parking_lot::MutexGuard::unlocked(&mut st, || std::thread::sleep(Duration::from_millis(50)));
                }
            }
        }
    }

    /// `(bytes appended since the last switch, buffered bytes, last write failed)`.
    pub fn stats(&self) -> (u64, u64, bool) {
        let st = self.state.lock();
        (st.incr_bytes, st.chunks.iter().map(|c| c.len() as u64).sum(), st.write_failed)
    }

    /// Writes what is buffered and, if `sync`, fsyncs it. Returns at once if another thread
    /// is writing (it will cover this data or the next round will). Returns whether there
    /// was anything to do.
    pub fn flush(&self, sync: bool) -> bool {
        self.drain();
        let mut st = self.state.lock();
        if st.leader {
            return true;
        }
        if st.chunks.is_empty() && st.rotation.is_none() && !(sync && st.unsynced) {
            return false;
        }
        self.lead(&mut st, sync);
        true
    }

    /// Writes everything buffered and fsyncs it if `sync` (or if earlier writes are still
    /// unsynced). Called with `st` locked and no leader; returns with it locked. Never does
    /// I/O, nor logs, with the lock held.
    fn lead(&self, st: &mut parking_lot::MutexGuard<'_, State>, sync: bool) {
        let Some(file) = st.file.take() else { return };
        st.leader = true;
        let target = st.seq;
        let chunks = std::mem::take(&mut st.chunks);
        let rotation = st.rotation.take();
        let want_sync = sync;
        let outcome = parking_lot::MutexGuard::unlocked(st, || {
            let r = write_out(file, chunks, rotation, want_sync, &self.fsyncs);
            if let Err(f) = &r {
                (self.log)(super::Level::Warning, &format!("AOF write failed, will retry: {}", f.error));
            }
            r
        });
        match outcome {
            Ok((f, synced, mut done)) => {
                st.file = Some(f);
                st.written_seq = target;
                if synced {
                    st.synced_seq = target;
                    st.unsynced = false;
                    st.last_sync = Instant::now();
                } else {
                    st.unsynced = true;
                }
                st.write_failed = false;
                st.written.append(&mut done);
            }
            Err(Failed { file, mut rest, rotation: failed_rotation, .. }) => {
                st.file = Some(file);
                // Unwritten chunks go back in front of what was buffered meanwhile.
                let moved = rest.len();
                rest.append(&mut st.chunks);
                match (failed_rotation, st.rotation.as_mut()) {
                    // The earlier switch comes first; a later one (rare: two rewrites while
                    // the disk fails) is folded into it.
                    (Some(r), _) => st.rotation = Some(r),
                    (None, Some(r)) => r.at += moved,
                    (None, None) => {}
                }
                st.chunks = rest;
                st.write_failed = true;
                st.unsynced = true;
            }
        }
        st.leader = false;
        self.done.notify_all();
    }

    /// The background thread's tick (everysec and no): write, and fsync when a second has
    /// passed since the last one (everysec). Returns whether anything was buffered.
    pub fn tick(&self) -> bool {
        let sync = self.policy() == Some(Fsync::EverySec) && self.state.lock().last_sync.elapsed() >= Duration::from_secs(1);
        self.flush(sync)
    }

    /// Writes and fsyncs everything (on close, before a switch of manifest).
    pub fn sync_all(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.drain();
            let mut st = self.state.lock();
            if st.file.is_none() && !st.leader {
                return;
            }
            if !st.leader && st.chunks.is_empty() && st.rotation.is_none() && !st.unsynced {
                return;
            }
            if st.leader {
                self.done.wait_for(&mut st, Duration::from_millis(50));
                continue;
            }
            self.lead(&mut st, true);
            if st.write_failed {
                drop(st);
                if Instant::now() > deadline {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// What a successful write leaves: the file now current, whether it was fsynced, and the
/// chunks, written (for reuse).
type Written = (Box<dyn FsFile>, bool, Vec<Vec<u8>>);

/// What a failed write leaves: the file to go on with, the chunks still to write, the
/// switch still to make (its `at` relative to those chunks), and the error.
struct Failed {
    file: Box<dyn FsFile>,
    rest: Vec<Vec<u8>>,
    rotation: Option<Rotation>,
    error: io::Error,
}

/// Writes `chunks` (switching file before chunk `rotation.at`), then fsyncs if asked.
/// Returns the file now current, whether it synced, and the chunks, written.
fn write_out(
    mut cur: Box<dyn FsFile>,
    mut chunks: Vec<Vec<u8>>,
    rotation: Option<Rotation>,
    sync: bool,
    fsyncs: &AtomicU64,
) -> Result<Written, Failed> {
    let split = rotation.as_ref().map_or(chunks.len(), |r| r.at.min(chunks.len()));
    // The chunks from `i` on, the first of them less its `done` bytes.
    let rest = |chunks: &mut Vec<Vec<u8>>, i: usize, done: usize| -> Vec<Vec<u8>> {
        let mut rest = chunks.split_off(i);
        if let Some(first) = rest.first_mut() {
            first.drain(..done);
        }
        rest
    };
    for i in 0..split {
        let mut done = 0;
        if let Err(error) = write_counted(&mut cur, &chunks[i], &mut done) {
            let rotation = rotation.map(|mut r| {
                r.at = split - i;
                r
            });
            return Err(Failed { file: cur, rest: rest(&mut chunks, i, done), rotation, error });
        }
    }
    if let Some(r) = rotation {
        // The old file is complete: make it durable before anything lands in the new one,
        // so that no unit of the new file can survive a crash that loses one before it.
        if let Err(error) = cur.sync() {
            let r = Rotation { at: 0, file: r.file };
            return Err(Failed { file: cur, rest: rest(&mut chunks, split, 0), rotation: Some(r), error });
        }
        fsyncs.fetch_add(1, Ordering::Relaxed);
        cur = r.file;
        for i in split..chunks.len() {
            let mut done = 0;
            if let Err(error) = write_counted(&mut cur, &chunks[i], &mut done) {
                return Err(Failed { file: cur, rest: rest(&mut chunks, i, done), rotation: None, error });
            }
        }
    }
    if sync {
        if let Err(error) = cur.sync() {
            return Err(Failed { file: cur, rest: Vec::new(), rotation: None, error });
        }
        fsyncs.fetch_add(1, Ordering::Relaxed);
    }
    Ok((cur, sync, chunks))
}

fn write_counted(f: &mut Box<dyn FsFile>, mut data: &[u8], done: &mut usize) -> io::Result<()> {
    while !data.is_empty() {
        match f.write(data) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "wrote nothing")),
            Ok(n) => {
                *done += n;
                data = &data[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl EffectSink for Recorder {
    fn collects(&self) -> bool {
        self.policy().is_some()
    }

    fn absorb(&self, effects: &mut Effects) {
        Recorder::absorb(self, effects);
    }

    fn nudge(&self) {
        if let Some(w) = self.waker.get() {
            w.1.notify_one();
        }
    }

    /// Only a counting recorder (no AOF) is called here: one with an AOF `collects`, and
    /// its units reach it through `absorb`.
    fn record(&self, unit: Unit<'_>) -> u64 {
        debug_assert!(self.policy().is_none(), "a recorder with an AOF collects its units");
        self.dirty.fetch_add(unit.len() as u64, Ordering::Relaxed);
        0
    }

    fn waits(&self) -> bool {
        self.policy() == Some(Fsync::Always)
    }

    fn wait_durable(&self, seq: u64) {
        if self.policy() != Some(Fsync::Always) || self.state.lock().synced_seq >= seq {
            return;
        }
        (self.block)(&mut || self.wait_synced(seq));
    }
}

impl Recorder {
    /// `always`: blocks until unit `seq` is fsynced, leading a group commit when no one else
    /// does.
    fn wait_synced(&self, seq: u64) {
        let mut st = self.state.lock();
        let mut failures = 0u32;
        loop {
            if st.synced_seq >= seq {
                return;
            }
            if st.leader || st.file.is_none() {
                self.done.wait_for(&mut st, Duration::from_millis(100));
                continue;
            }
            if st.seq < seq {
                // The unit is still in the keyspace's log: take everything sealed so far.
                parking_lot::MutexGuard::unlocked(&mut st, || self.drain());
                continue;
            }
            self.lead(&mut st, true);
            if st.write_failed && st.synced_seq < seq {
                // Never acknowledge a write that is not on disk: retry until it is.
                failures += 1;
                let pause = Duration::from_millis(u64::from(failures.min(10)) * 10);
                parking_lot::MutexGuard::unlocked(&mut st, || std::thread::sleep(pause));
            }
        }
    }
}
