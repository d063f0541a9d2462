//! Persistence: snapshots and the append-only file, with Redis's names and Redis 7's
//! multi-part AOF layout. Knows the engine (it captures and replays it) and RESP; knows
//! nothing of Python.
//!
//! A [`Persistence`] owns one directory (`dir`), locked with `flock` on `dir/embedis.lock`
//! for as long as it lives, so a second broker, in this process or another, gets
//! [`Error::Locked`] and neither damages the files. The drop of its last handle closes it
//! and releases the lock before it returns, so the directory can be reopened at once. In it:
//!
//! ```text
//! dir/
//!   embedis.lock                      lock file (holds the owner's pid, for the message)
//!   dump.edb                          `dbfilename`: the snapshot (SAVE, BGSAVE, `save` rules)
//!   appendonlydir/                    `appenddirname`, when `appendonly`
//!     appendonly.aof.manifest         which files make the AOF (manifest.rs)
//!     appendonly.aof.1.base.edb       base: snapshot at the last rewrite (snapshot.rs), or
//!     appendonly.aof.1.base.aof         a RESP base when `aof_use_rdb_preamble` is false
//!     appendonly.aof.1.incr.aof       RESP commands since (aof.rs)
//! ```
//!
//! The default base is embedis's own snapshot format (`.base.edb`), the counterpart of
//! Redis's default RDB preamble (`aof-use-rdb-preamble yes`, `.base.rdb`): checksummed, and
//! 3 to 4 times faster to load than the same data as commands (1,000,000 list
//! elements: 0.04 s against 0.14 s on the reference machine). The incremental files are plain Redis AOF,
//! which `redis-check-aof` accepts and `redis-cli --pipe` replays into a real Redis. With
//! `aof_use_rdb_preamble=False` the base is RESP too (`.base.aof`), and redis-server loads
//! the whole directory as its own.
//!
//! Opening loads what is there, as Redis does: the AOF if `appendonly` and a manifest
//! exists (base, then incremental files in order), else the snapshot. Turning `appendonly`
//! on over a directory that has only a snapshot loads it and writes it as the first base.
//! With `appendonly` off, an AOF directory left by an earlier run is not read (Redis's rule:
//! the snapshot only).
//!
//! `appendonly` can be switched at run time (CONFIG SET, redis `startAppendOnly` /
//! `stopAppendOnly`). On: a background job starts the AOF from a rewrite, at one point of
//! the unit order: a new incremental file and its recorder become the engine's sink in the
//! same unit that captures the base's snapshot; the base is written, then a manifest naming
//! the two, which supersedes whatever AOF the directory held. Off: in the command's own
//! unit, what is buffered is written and fsynced and recording stops (the files stay);
//! changes are still counted for the `save` rules.
//!
//! A torn tail (the last file ends inside a command or a MULTI) is cut with a warning that
//! says how many bytes; any other damage stops the open with an error naming the file and
//! the offset. A broker never starts with part of its data.

pub mod aof;
pub mod config;
pub mod fs;
pub mod load;
pub mod manifest;
pub mod snapshot;
#[doc(hidden)]
pub mod testing;

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

pub use aof::Fsync;
use aof::Recorder;
use fs::{Fs, FsLock};
use manifest::{Entry, FileType, Manifest};
use snapshot::Snapshot;

use crate::engine::clock::{unix_ms, while_loading};
use crate::engine::Engine;

/// Name of the lock file in `dir`.
pub const LOCK_FILE: &str = "embedis.lock";

/// How loud a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Progress and events (quiet unless asked for).
    Info,
    /// Something the user should know: a cut tail, a failed background job.
    Warning,
}

/// Where log lines go. Must not block for long: it may be called by background threads
/// (the Python binding hands the line to a logging thread).
pub type LogFn = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// The cron thread's wake-up: `true` once the broker closes; notified on close and when
/// the AOF buffer fills.
///
/// std's futex-based pair, not parking_lot's: the cron thread spends its life parked
/// here, and parking_lot parks threads in a process-wide table. A process forked while a
/// cron thread was parked there inherits its entry; glibc may give that dead thread's
/// stack (where the entry lives) to a thread the child starts, and the table's queue
/// then links into itself (seen as a child spinning forever in `notify_all`).
pub type Waker = Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>;

/// Runs a wait that may block (an `always` write waiting for its fsync). The Python
/// binding releases the GIL around it, so that other threads' writes join the same fsync.
pub type BlockFn = Arc<dyn Fn(&mut (dyn FnMut() + Send)) + Send + Sync>;

/// Why persistence failed. `Display` names the file and, for damage, the offset.
#[derive(Debug)]
pub enum Error {
    /// An I/O error on `path`.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// Damage that is not a torn tail: loading stops.
    Corrupt {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset of the damage (or of the record or command it is in).
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// Another broker (this process or another) has the directory.
    Locked {
        /// The directory.
        dir: PathBuf,
        /// The owner's pid, when the lock file says it.
        pid: Option<u32>,
    },
    /// A configuration value Redis would refuse.
    Config(String),
    /// A job of that kind is already running (Redis's texts).
    Busy(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Corrupt { file, offset, what } => {
                write!(f, "{} is damaged at offset {offset}: {what}", file.display())
            }
            Error::Locked { dir, pid } => {
                write!(f, "{} is in use by another embedis broker", dir.display())?;
                if let Some(pid) = pid {
                    write!(f, " (process {pid})")?;
                }
                write!(f, "; two brokers cannot share a persistence directory")
            }
            Error::Config(s) => f.write_str(s),
            Error::Busy(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Error {}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// Persistence settings, with Redis's names and defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// `dir`: where every file lives.
    pub dir: PathBuf,
    /// `dbfilename` (Redis: `dump.rdb`; ours is not RDB, hence `dump.edb`).
    pub dbfilename: String,
    /// `appendonly`.
    pub appendonly: bool,
    /// `appendfilename`: the prefix of the AOF's files.
    pub appendfilename: String,
    /// `appenddirname`.
    pub appenddirname: String,
    /// `appendfsync`.
    pub appendfsync: Fsync,
    /// `save`: (seconds, changes) rules; a snapshot is taken when any rule is met.
    pub save: Vec<(u64, u64)>,
    /// `auto-aof-rewrite-percentage` (0 disables automatic rewrites).
    pub auto_aof_rewrite_percentage: u64,
    /// `auto-aof-rewrite-min-size`, bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// `aof-use-rdb-preamble`: base as a binary snapshot (`.base.edb`) or as RESP (`.base.aof`).
    pub aof_use_rdb_preamble: bool,
    /// The engine's CONFIG parameters (`stream-node-max-*`, `hz`, ...), in force before
    /// anything loads, as redis-server reads its config file first: the AOF replays its
    /// XADDs into nodes of these sizes.
    pub params: crate::engine::config::Params,
}

impl Config {
    /// Redis's defaults in `dir`: `save 3600 1 300 100 60 10000`, no AOF.
    pub fn new(dir: impl Into<PathBuf>) -> Config {
        Config {
            dir: dir.into(),
            dbfilename: "dump.edb".into(),
            appendonly: false,
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            appendfsync: Fsync::EverySec,
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 << 20,
            aof_use_rdb_preamble: true,
            params: crate::engine::config::Params::default(),
        }
    }

    fn check(&self) -> Result<(), Error> {
        for (what, name) in [("dbfilename", &self.dbfilename), ("appendfilename", &self.appendfilename), ("appenddirname", &self.appenddirname)] {
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                return Err(Error::Config(format!("{what} can't be a path, just a filename")));
            }
        }
        if self.save.iter().any(|&(s, c)| s == 0 || c == 0) {
            return Err(Error::Config("Invalid save parameters".into()));
        }
        Ok(())
    }

    fn aof_dir(&self) -> PathBuf {
        self.dir.join(&self.appenddirname)
    }

    fn manifest_path(&self) -> PathBuf {
        self.aof_dir().join(format!("{}.manifest", self.appendfilename))
    }

    fn incr_name(&self, seq: u64) -> String {
        format!("{}.{seq}.incr.aof", self.appendfilename)
    }

    fn base_name(&self, seq: u64) -> String {
        let ext = if self.aof_use_rdb_preamble { "edb" } else { "aof" };
        format!("{}.{seq}.base.{ext}", self.appendfilename)
    }
}

/// What opening found, for the caller to report.
#[derive(Debug, Default, Clone)]
pub struct OpenReport {
    /// Keys in the broker after loading.
    pub keys: u64,
    /// Where the data came from (file names), in load order.
    pub loaded: Vec<String>,
    /// Warnings (torn tails cut).
    pub warnings: Vec<String>,
    /// Time spent loading.
    pub load_time: Duration,
}

/// Counters for INFO persistence.
#[derive(Debug, Clone)]
struct Stats {
    lastsave: i64,
    saves: u64,
    last_bgsave_ok: bool,
    last_bgsave_time: Option<Duration>,
    bgsave_started: Option<Instant>,
    last_save_stall: Option<Duration>,
    rewrites: u64,
    rewrite_failures_in_a_row: u64,
    last_rewrite_ok: bool,
    last_rewrite_time: Option<Duration>,
    rewrite_started: Option<Instant>,
    last_rewrite_stall: Option<Duration>,
    rewrite_scheduled: bool,
    /// When the last rewrite failed (a scheduled retry waits a while after it).
    rewrite_failed_at: Option<Instant>,
    /// Bytes of AOF files that no longer grow (base, earlier incr files, and what the
    /// current incr file held when it was opened).
    aof_fixed: u64,
    /// `aof_rewrite_base_size`: the AOF's size after the last rewrite (or at open).
    aof_rewrite_base: u64,
    loaded_keys: u64,
    loaded_expired: u64,
    load_time: Duration,
}

/// The directory's state that changes with rewrites.
#[derive(Debug)]
struct AofFiles {
    manifest: Manifest,
    /// Incremental files of attempts to turn the AOF on that failed after their switch:
    /// listed in no manifest, deleted by the next attempt once it has switched.
    unlisted: Vec<String>,
}

/// Whether the AOF is on (redis `aof_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AofState {
    /// Off: the sink, if any, only counts changes.
    Off,
    /// Turned on at run time; the rewrite that starts it has not finished (redis
    /// `AOF_WAIT_REWRITE`). INFO already says `aof_enabled:1`.
    Starting,
    /// On: the recorder appends to the incremental file the manifest names.
    On,
}

/// The engine's sink and the AOF's state, switched together (CONFIG SET appendonly).
/// Changed only under the keyspace lock, so that a holder of that lock sees the recorder
/// that is the keyspace's sink; the mutex itself is a leaf (lock order: keyspace, this,
/// then a recorder's state).
#[derive(Debug)]
struct Switch {
    /// The engine's sink; `None` without AOF and without counting.
    recorder: Option<Arc<Recorder>>,
    state: AofState,
    /// Bumped by every switch on or off: a job started for an earlier one sees it is
    /// stale and gives up (as Redis kills its rewrite child).
    epoch: u64,
}

/// Background jobs running: (bgsave, rewrite), and their end signal.
#[derive(Debug, Default)]
struct Jobs {
    running: Mutex<(bool, bool)>,
    done: Condvar,
}

impl Jobs {
    fn end(&self, bgsave: bool) {
        let mut r = self.running.lock();
        if bgsave {
            r.0 = false;
        } else {
            r.1 = false;
        }
        drop(r);
        self.done.notify_all();
    }
}

/// Says a job is done when dropped: at its end, and also if it panics, so that the close
/// (which waits for running jobs) never waits for a job that died. Moved into the job's
/// closure: if its thread cannot start, the closure is dropped, and the job ended, there.
struct JobEnd {
    jobs: Arc<Jobs>,
    bgsave: bool,
}

impl Drop for JobEnd {
    fn drop(&mut self) {
        self.jobs.end(self.bgsave);
    }
}

/// What the persistence of one engine shares (see `Persistence`).
struct Inner {
    engine: Engine,
    fs: Arc<dyn Fs>,
    config: Config,
    /// The engine's sink and whether the AOF is on: see `Switch`.
    switch: Mutex<Switch>,
    /// Changes since the last successful save, shared by every recorder.
    dirty: Arc<AtomicU64>,
    /// Wraps fsync waits, for the recorders made at run time.
    block: BlockFn,
    /// The AOF's files; held by a rewrite from its start to its switch.
    aof: Mutex<AofFiles>,
    /// Which background jobs run. Apart from `Inner` so that a job thread can drop its
    /// reference before it says it is done: the close (`Owner`) waits for that signal.
    jobs: Arc<Jobs>,
    stats: Mutex<Stats>,
    /// Set when the persistence closes; the cron thread sleeps on it (holding no strong
    /// reference) and exits.
    closing: Waker,
    log: LogFn,
    /// The directory lock, released last.
    lock: Mutex<Option<Box<dyn FsLock>>>,
    /// The process that opened the directory. A forked child that inherits the handle
    /// (and drops it at exit) must not write, fsync, rename or unlock any of it.
    owner_pid: u32,
    /// Temp file names are unique per process through this.
    temp_seq: std::sync::atomic::AtomicU64,
    /// What CONFIG SET changed since the open: `save` rules and `appendfsync` (the
    /// latter kept here for a broker without AOF; with one, the recorder has it).
    runtime: Mutex<(Vec<(u64, u64)>, Fsync)>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Persistence").field("dir", &self.config.dir).field("appendonly", &self.switch.lock().state).finish_non_exhaustive()
    }
}

/// The persistence of one engine: a cheap-clone handle. Every Python handle on the engine
/// shares one. When the last clone is dropped, it writes and fsyncs what is buffered,
/// takes a final snapshot if `save` rules are set and something changed (as Redis's
/// SHUTDOWN), stops recording, and releases the directory lock, all before that drop
/// returns (see `Owner`).
#[derive(Debug, Clone)]
pub struct Persistence {
    inner: Arc<Inner>,
    /// The users' share, which no thread of the persistence ever holds: its drop closes.
    _owner: Arc<Owner>,
}

/// What the users' handles (the `Persistence` clones) share, and nothing else does.
///
/// Why a second count, not `Arc<Inner>`'s: the persistence's own threads need `Inner`
/// too. The cron thread upgrades a weak reference for each tick (every 2 to 50 ms) and
/// a BGSAVE or rewrite thread holds one for its whole job. When the close lived in
/// `Inner`'s drop, a user who dropped the last handle while one of those threads held
/// its reference only decremented the count: the close (final fsync, final snapshot,
/// unlock) ran later, on that thread, and a broker reopened on the directory at once
/// (Python: `del b; Broker(dir=same)`) got `Locked`, now and then. Counting the users
/// alone makes the moment of the last drop exact, and this drop does the close on the
/// dropping thread: it stops the cron thread and joins it, waits for the running jobs,
/// then closes, so the directory is unlocked when the drop returns.
#[derive(Debug)]
struct Owner {
    inner: Arc<Inner>,
    /// The cron thread, joined by the close.
    cron: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.inner.close(self.cron.take());
    }
}

/// Counts of what loading did.
#[derive(Debug, Default)]
struct Loaded {
    keys: u64,
    expired: u64,
}

impl Persistence {
    /// Opens `config.dir`: takes its lock, loads what is there into a new engine, and
    /// starts recording. `block` wraps waits for fsync (see `BlockFn`).
    ///
    /// # Errors
    /// `Locked`, `Config`, `Io`, or `Corrupt` naming the file and offset.
    pub fn open(config: Config, fs: Arc<dyn Fs>, log: LogFn, block: BlockFn) -> Result<(Engine, Persistence, OpenReport), Error> {
        config.check()?;
        let dir = config.dir.clone();
        fs.create_dir_all(&dir).map_err(io_at(&dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let Some(lock) = fs.try_lock(&lock_path).map_err(io_at(&lock_path))? else {
            let pid = read_pid(&*fs, &lock_path);
            return Err(Error::Locked { dir, pid });
        };
        write_pid(&*fs, &lock_path);
        remove_temp_files(&*fs, &dir);
        remove_temp_files(&*fs, &config.aof_dir());
        let started = Instant::now();
        let engine = Engine::new();
        engine.execute(|ks| ks.config = config.params.clone());
        let mut report = OpenReport::default();
        let manifest_path = config.manifest_path();
        let has_manifest = config.appendonly && fs.len(&manifest_path).map_err(io_at(&manifest_path))?.is_some();
        let dump = dir.join(&config.dbfilename);
        let mut stats = Stats {
            lastsave: unix_ms() / 1000,
            saves: 0,
            last_bgsave_ok: true,
            last_bgsave_time: None,
            bgsave_started: None,
            last_save_stall: None,
            rewrites: 0,
            rewrite_failures_in_a_row: 0,
            last_rewrite_ok: true,
            last_rewrite_time: None,
            rewrite_started: None,
            last_rewrite_stall: None,
            rewrite_scheduled: false,
            rewrite_failed_at: None,
            aof_fixed: 0,
            aof_rewrite_base: 0,
            loaded_keys: 0,
            loaded_expired: 0,
            load_time: Duration::ZERO,
        };
        let mut manifest = Manifest::default();
        let loaded = engine.execute(|ks| {
            while_loading(|| -> Result<Loaded, Error> {
                let mut loaded = Loaded::default();
                if has_manifest {
                    manifest = read_manifest(&*fs, &manifest_path)?;
                    // Files of a finished rewrite that were not deleted yet.
                    for h in std::mem::take(&mut manifest.history) {
                        let _ = fs.remove(&config.aof_dir().join(&h.name));
                    }
                    load_aof(&*fs, &config, &manifest, ks, &log, &mut report, &mut stats, &mut loaded)?;
                } else if let Some(len) = fs.len(&dump).map_err(io_at(&dump))? {
                    let mut r = fs.open_read(&dump).map_err(io_at(&dump))?;
                    (log)(Level::Info, &format!("loading {} ({len} bytes)", dump.display()));
                    let s = snapshot::load(&mut *r, len, &dump, ks, &mut |at| progress(&log, &dump, at, len))?;
                    loaded.keys += s.keys;
                    loaded.expired += s.expired;
                    report.loaded.push(config.dbfilename.clone());
                }
                Ok(loaded)
            })
        })?;
        report.keys = loaded.keys;
        report.load_time = started.elapsed();
        stats.loaded_keys = loaded.keys;
        stats.loaded_expired = loaded.expired;
        stats.load_time = report.load_time;
        if !report.loaded.is_empty() {
            (log)(Level::Info, &format!("loaded {} keys from {} in {:.3} s", loaded.keys, report.loaded.join(", "), report.load_time.as_secs_f64()));
        }

        // Recording.
        let dirty = Arc::new(AtomicU64::new(0));
        let recorder = if config.appendonly {
            let aof_dir = config.aof_dir();
            fs.create_dir_all(&aof_dir).map_err(io_at(&aof_dir))?;
            if !has_manifest {
                // Files of an AOF whose manifest is gone: starting afresh would overwrite them.
                let prefix = format!("{}.", config.appendfilename);
                let orphans: Vec<String> = fs
                    .list(&aof_dir)
                    .map_err(io_at(&aof_dir))?
                    .into_iter()
                    .filter(|n| n.starts_with(&prefix) && (n.ends_with(".aof") || n.ends_with(".edb")))
                    .collect();
                if !orphans.is_empty() {
                    return Err(Error::Corrupt {
                        file: manifest_path.clone(),
                        offset: 0,
                        what: format!("the manifest is missing but {} holds AOF files ({}); restore the manifest or move the files away", aof_dir.display(), orphans.join(", ")),
                    });
                }
                // First AOF in this directory: the data loaded (from a snapshot) becomes its
                // base, then an empty incr file; the manifest is written last.
                let snap = engine.execute(Snapshot::capture);
                if snap.keys() > 0 {
                    let name = config.base_name(1);
                    let size = write_base(&*fs, &config, &snap, &name, &next_temp_name(0))?;
                    manifest.base = Some(Entry { name, seq: 1, kind: FileType::Base });
                    stats.aof_fixed = size;
                }
            }
            if manifest.incrs.is_empty() {
                let seq = 1;
                let name = config.incr_name(seq);
                let path = aof_dir.join(&name);
                drop(fs.create(&path).map_err(io_at(&path))?);
                fs.sync_dir(&aof_dir).map_err(io_at(&aof_dir))?;
                manifest.incrs.push(Entry { name, seq, kind: FileType::Incr });
                write_manifest(&*fs, &config, &manifest)?;
            }
            let last = manifest.incrs.last().map(|e| aof_dir.join(&e.name)).unwrap_or_default();
            let file = fs.append(&last).map_err(io_at(&last))?;
            stats.aof_rewrite_base = stats.aof_fixed;
            Some(Arc::new(Recorder::new(Some((config.appendfsync, file)), dirty.clone(), log.clone(), block.clone())))
        } else if !config.save.is_empty() {
            Some(Arc::new(Recorder::new(None, dirty.clone(), log.clone(), block.clone())))
        } else {
            None
        };
        let closing: Waker = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        if let Some(r) = &recorder {
            r.attach(engine.downgrade());
            r.set_waker(closing.clone());
            let sink: Arc<dyn crate::engine::effects::EffectSink> = r.clone();
            engine.set_sink(Some(sink), |_| ());
        }
        let runtime = Mutex::new((config.save.clone(), config.appendfsync));
        let state = if config.appendonly { AofState::On } else { AofState::Off };
        let inner = Arc::new(Inner {
            runtime,
            engine: engine.clone(),
            fs,
            config,
            switch: Mutex::new(Switch { recorder, state, epoch: 0 }),
            dirty,
            block,
            aof: Mutex::new(AofFiles { manifest, unlisted: Vec::new() }),
            jobs: Arc::new(Jobs::default()),
            stats: Mutex::new(stats),
            closing,
            log,
            lock: Mutex::new(Some(lock)),
            owner_pid: std::process::id(),
            temp_seq: std::sync::atomic::AtomicU64::new(1),
        });
        let cron = spawn_cron(&inner);
        let owner = Arc::new(Owner { inner: inner.clone(), cron });
        Ok((engine, Persistence { inner, _owner: owner }, report))
    }

    /// The engine this persistence records.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The configuration it was opened with (see `save_rules`, `appendfsync` and
    /// `appendonly` for the settings CONFIG SET may change since).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The `save` rules now.
    pub fn save_rules(&self) -> Vec<(u64, u64)> {
        self.inner.runtime.lock().0.clone()
    }

    /// Whether it counts changes (it was opened with save rules or an AOF, or an AOF was
    /// turned on since), which save rules set later need.
    pub fn counts_changes(&self) -> bool {
        self.inner.switch.lock().recorder.is_some()
    }

    /// Whether the AOF is on (`appendonly`), including while a switch on at run time is
    /// still writing its first base.
    pub fn appendonly(&self) -> bool {
        self.inner.switch.lock().state != AofState::Off
    }

    /// CONFIG SET appendonly (redis `updateAppendonly`). Call under the keyspace lock,
    /// from a unit, with the keyspace.
    ///
    /// `yes`: returns at once; a background job starts the AOF from a rewrite (scheduled
    /// for when the running one ends, if one runs; retried after a failure, while the
    /// setting stays `yes`). `no`: writes and fsyncs what is buffered, in this unit (the
    /// writers wait for it, as Redis's do), and from then on only counts changes; the
    /// files stay. A switch on that has not finished is abandoned.
    ///
    /// # Errors
    /// `Config` when the job cannot be started (Redis's text).
    pub fn set_appendonly(&self, on: bool, ks: &mut crate::engine::Keyspace) -> Result<(), Error> {
        let inner = &self.inner;
        if on {
            {
                let mut sw = inner.switch.lock();
                if sw.state != AofState::Off {
                    return Ok(());
                }
                sw.state = AofState::Starting;
                sw.epoch += 1;
            }
            (inner.log)(Level::Info, "AOF turned on at run time: starting it from a rewrite");
            if let Err(e) = inner.start_enable() {
                inner.switch.lock().state = AofState::Off;
                (inner.log)(Level::Warning, &format!("cannot start the rewrite that turns the AOF on: {e}"));
                return Err(Error::Config("Unable to turn on AOF. Check server logs.".into()));
            }
            return Ok(());
        }
        let (old, counting) = {
            let mut sw = inner.switch.lock();
            if sw.state == AofState::Off {
                return Ok(());
            }
            sw.state = AofState::Off;
            sw.epoch += 1;
            match sw.recorder.clone() {
                Some(old) if old.policy().is_some() => {
                    let counting = inner.new_recorder(None);
                    sw.recorder = Some(counting.clone());
                    (Some(old), Some(counting))
                }
                // A switch on that has not reached its own switch of sink: nothing recorded.
                _ => (None, None),
            }
        };
        inner.stats.lock().rewrite_scheduled = false;
        if let (Some(old), Some(counting)) = (old, counting) {
            let sink: Arc<dyn crate::engine::effects::EffectSink> = counting;
            ks.set_sink(Some(sink));
            old.detach();
            old.finish();
        }
        (inner.log)(Level::Info, "AOF turned off at run time");
        Ok(())
    }

    /// CONFIG SET save: new rules (none: no automatic snapshots), in force at once. As
    /// Redis's, a rule needs at least a second; `N 0` saves every N seconds.
    ///
    /// # Errors
    /// `Config` for a rule of 0 seconds (Redis's text), or when the broker counts no
    /// changes (see `counts_changes`).
    pub fn set_save_rules(&self, rules: Vec<(u64, u64)>) -> Result<(), Error> {
        if rules.iter().any(|&(s, _)| s == 0) {
            return Err(Error::Config("Invalid save parameters".into()));
        }
        if !self.counts_changes() && !rules.is_empty() {
            return Err(Error::Config(
                "this broker was opened without save rules or an append-only file, so it counts no changes; restart it with the rules".into(),
            ));
        }
        self.inner.runtime.lock().0 = rules;
        Ok(())
    }

    /// The `appendfsync` policy now.
    pub fn appendfsync(&self) -> Fsync {
        self.inner.runtime.lock().1
    }

    /// CONFIG SET appendfsync: the policy for every later write (without an AOF, kept
    /// for CONFIG GET, as Redis does). Call under the keyspace lock with its effects: the
    /// engine's note of whether writers wait (`Effects::sink_waits`) changes in the same
    /// instant as the policy.
    pub fn set_appendfsync(&self, policy: Fsync, effects: &mut crate::engine::effects::Effects) {
        self.inner.runtime.lock().1 = policy;
        if let Some(r) = &self.inner.recorder() {
            if r.policy().is_some() {
                r.set_policy(policy);
                effects.sink_waits = policy == Fsync::Always;
            }
        }
    }

    /// SAVE: a snapshot now, in the caller's thread; returns when it is on disk.
    ///
    /// # Errors
    /// `Busy` while a BGSAVE runs (Redis's text), or the I/O error.
    pub fn save(&self) -> Result<(), Error> {
        {
            let mut jobs = self.inner.jobs.running.lock();
            if jobs.0 {
                return Err(Error::Busy("ERR Background save already in progress"));
            }
            jobs.0 = true;
        }
        let r = self.inner.snapshot_job(false);
        self.inner.jobs.end(true);
        r
    }

    /// BGSAVE: starts a snapshot in a background thread. Producers stall only while each
    /// value is copied (see `Snapshot::capture`).
    ///
    /// # Errors
    /// `Busy` when one already runs.
    pub fn bgsave(&self) -> Result<(), Error> {
        self.inner.bgsave()
    }

    /// BGREWRITEAOF: a new base from a snapshot and a fresh incremental file, switched
    /// atomically through the manifest; writes go on meanwhile. With the AOF off, as
    /// Redis 7: a new base alone, for a later start with `appendonly yes`.
    ///
    /// # Errors
    /// `Busy` when a rewrite runs.
    pub fn bgrewriteaof(&self) -> Result<(), Error> {
        self.inner.start_rewrite()
    }

    /// Waits until no background save or rewrite runs (tests, close).
    pub fn wait_background(&self) {
        let mut jobs = self.inner.jobs.running.lock();
        while jobs.0 || jobs.1 {
            self.inner.jobs.done.wait_for(&mut jobs, Duration::from_millis(100));
        }
    }

    /// LASTSAVE: Unix seconds of the last successful save (the open time before one).
    pub fn lastsave(&self) -> i64 {
        self.inner.stats.lock().lastsave
    }

    /// Writes and fsyncs whatever the AOF has buffered.
    pub fn sync(&self) {
        if let Some(r) = &self.inner.recorder() {
            r.sync_all();
        }
    }

    /// INFO persistence: Redis's fields, in Redis's order, plus embedis's own at the end
    /// (`aof_fsyncs`, `rdb_last_bgsave_stall_usec`, `aof_last_rewrite_stall_usec`).
    /// Takes the keyspace lock briefly: not for callers that hold it (see `info_locked`).
    pub fn info(&self) -> Vec<(&'static str, InfoValue)> {
        self.info_with(None)
    }

    /// `info` for a caller that holds the keyspace lock and passes its effects.
    pub fn info_locked(&self, effects: &mut crate::engine::effects::Effects) -> Vec<(&'static str, InfoValue)> {
        self.info_with(Some(effects))
    }

    fn info_with(&self, effects: Option<&mut crate::engine::effects::Effects>) -> Vec<(&'static str, InfoValue)> {
        use InfoValue::{Int, Text};
        let i = &self.inner;
        let (recorder, state) = {
            let sw = i.switch.lock();
            (sw.recorder.clone(), sw.state)
        };
        let dirty = recorder.as_ref().map_or(0, |r| match effects {
            Some(e) => {
                r.absorb(e);
                r.dirty.load(Ordering::Relaxed)
            }
            None => r.changes(),
        });
        let st = i.stats.lock().clone();
        let jobs = *i.jobs.running.lock();
        let secs = |d: Option<Duration>| d.map_or(-1, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let usec = |d: Option<Duration>| d.map_or(-1, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let ok = |b: bool| Text(if b { "ok" } else { "err" }.into());
        let u = |v: u64| Int(i64::try_from(v).unwrap_or(i64::MAX));
        let mut out = vec![
            ("loading", Int(0)),
            ("async_loading", Int(0)),
            ("current_cow_peak", Int(0)),
            ("current_cow_size", Int(0)),
            ("current_cow_size_age", Int(0)),
            ("current_fork_perc", InfoValue::Float(0.0)),
            ("current_save_keys_processed", Int(0)),
            ("current_save_keys_total", Int(0)),
            ("rdb_changes_since_last_save", u(dirty)),
            ("rdb_bgsave_in_progress", Int(i64::from(jobs.0))),
            ("rdb_last_save_time", Int(st.lastsave)),
            ("rdb_last_bgsave_status", ok(st.last_bgsave_ok)),
            ("rdb_last_bgsave_time_sec", Int(secs(st.last_bgsave_time))),
            ("rdb_current_bgsave_time_sec", Int(secs(st.bgsave_started.map(|s| s.elapsed())))),
            ("rdb_saves", u(st.saves)),
            ("rdb_last_cow_size", Int(0)),
            ("rdb_last_load_keys_expired", u(st.loaded_expired)),
            ("rdb_last_load_keys_loaded", u(st.loaded_keys)),
            ("aof_enabled", Int(i64::from(state != AofState::Off))),
            ("aof_rewrite_in_progress", Int(i64::from(jobs.1))),
            ("aof_rewrite_scheduled", Int(i64::from(st.rewrite_scheduled))),
            ("aof_last_rewrite_time_sec", Int(secs(st.last_rewrite_time))),
            ("aof_current_rewrite_time_sec", Int(secs(st.rewrite_started.map(|s| s.elapsed())))),
            ("aof_last_bgrewrite_status", ok(st.last_rewrite_ok)),
            ("aof_rewrites", u(st.rewrites)),
            ("aof_rewrites_consecutive_failures", u(st.rewrite_failures_in_a_row)),
        ];
        let (incr, buffered, failed) = recorder.as_ref().map_or((0, 0, false), |r| r.stats());
        out.push(("aof_last_write_status", ok(!failed)));
        out.push(("aof_last_cow_size", Int(0)));
        out.push(("module_fork_in_progress", Int(0)));
        out.push(("module_fork_last_cow_size", Int(0)));
        if state != AofState::Off {
            out.push(("aof_current_size", u(st.aof_fixed + incr)));
            out.push(("aof_base_size", u(st.aof_rewrite_base)));
            out.push(("aof_pending_rewrite", Int(0)));
            out.push(("aof_buffer_length", u(buffered)));
            out.push(("aof_pending_bio_fsync", Int(0)));
            out.push(("aof_delayed_fsync", Int(0)));
            out.push(("aof_fsyncs", u(recorder.as_ref().map_or(0, |r| r.fsyncs.load(Ordering::Relaxed)))));
            out.push(("aof_last_rewrite_stall_usec", Int(usec(st.last_rewrite_stall))));
        }
        out.push(("rdb_last_bgsave_stall_usec", Int(usec(st.last_save_stall))));
        out.push(("rdb_last_load_time_usec", Int(usec(Some(st.load_time)))));
        out
    }
}

/// INFO's persistence section as every door writes it (the server's INFO, the binding's
/// `info()`), in a unit that holds the keyspace (`effects`): `p`'s fields, or what a Redis
/// without persistence reports, its last save being its start (`started_unix`).
pub fn info_section(p: Option<&Persistence>, effects: &mut crate::engine::effects::Effects, started_unix: i64, out: &mut String) {
    use crate::command::info::line;
    let Some(p) = p else {
        for (k, v) in [
            ("loading", "0".to_owned()),
            ("async_loading", "0".to_owned()),
            ("rdb_changes_since_last_save", "0".to_owned()),
            ("rdb_bgsave_in_progress", "0".to_owned()),
            ("rdb_last_save_time", started_unix.to_string()),
            ("rdb_last_bgsave_status", "ok".to_owned()),
            ("rdb_saves", "0".to_owned()),
            ("aof_enabled", "0".to_owned()),
            ("aof_rewrite_in_progress", "0".to_owned()),
            ("aof_rewrite_scheduled", "0".to_owned()),
            ("aof_last_bgrewrite_status", "ok".to_owned()),
            ("aof_last_write_status", "ok".to_owned()),
        ] {
            line(out, k, v);
        }
        return;
    };
    for (k, v) in p.info_locked(effects) {
        match v {
            InfoValue::Int(i) => line(out, k, i),
            InfoValue::Float(f) => line(out, k, format!("{f:.2}")),
            InfoValue::Text(t) => line(out, k, t),
        }
    }
}

/// A value of INFO.
#[derive(Debug, Clone, PartialEq)]
pub enum InfoValue {
    /// An integer field.
    Int(i64),
    /// A float field.
    Float(f64),
    /// A text field (`ok`, `err`).
    Text(String),
}

impl Inner {
    fn temp_name(&self, ext: &str) -> String {
        let n = self.temp_seq.fetch_add(1, Ordering::Relaxed);
        format!("temp-{}-{n}.{ext}", std::process::id())
    }

    /// Takes a snapshot and writes it to `dbfilename`. The caller holds the bgsave slot.
    fn snapshot_job(&self, background: bool) -> Result<(), Error> {
        let started = Instant::now();
        let t0 = Instant::now();
        let (snap, dirty_at) = self.engine.execute(|ks| {
            if let Some(r) = self.recorder() {
                r.absorb(&mut ks.effects);
            }
            (Snapshot::capture(ks), self.dirty.load(Ordering::Relaxed))
        });
        let stall = t0.elapsed();
        let dir = &self.config.dir;
        let temp = dir.join(self.temp_name("edb"));
        let path = dir.join(&self.config.dbfilename);
        let result = write_atomically(&*self.fs, &temp, &path, |w| snapshot::write(&snap, w, unix_ms()));
        let mut st = self.stats.lock();
        st.last_save_stall = Some(stall);
        match &result {
            Ok(_) => {
                self.dirty.fetch_sub(dirty_at.min(self.dirty.load(Ordering::Relaxed)), Ordering::Relaxed);
                st.lastsave = unix_ms() / 1000;
                st.saves += 1;
                st.last_bgsave_ok = true;
                if background {
                    st.last_bgsave_time = Some(started.elapsed());
                }
                drop(st);
                (self.log)(Level::Info, &format!("snapshot of {} keys saved to {} (producers stalled {} us)", snap.keys(), path.display(), stall.as_micros()));
            }
            Err(e) => {
                st.last_bgsave_ok = false;
                drop(st);
                (self.log)(Level::Warning, &format!("snapshot failed: {e}"));
            }
        }
        result.map(|_| ())
    }

    /// BGSAVE (`Persistence::bgsave`, and the cron's `save` rules).
    fn bgsave(self: &Arc<Self>) -> Result<(), Error> {
        {
            let mut jobs = self.jobs.running.lock();
            if jobs.0 {
                return Err(Error::Busy("ERR Background save already in progress"));
            }
            jobs.0 = true;
            self.stats.lock().bgsave_started = Some(Instant::now());
        }
        let inner = self.clone();
        let end = JobEnd { jobs: inner.jobs.clone(), bgsave: true };
        spawn("embedis-bgsave", move || {
            testing::point(testing::Point::Bgsave, &inner.config.dir, &|| is_closing(&inner.closing));
            let _ = inner.snapshot_job(true);
            inner.stats.lock().bgsave_started = None;
            drop(inner);
            drop(end);
        })
        .map(drop)
    }

    /// The engine's sink now (a clone: the switch's lock is not held past this).
    fn recorder(&self) -> Option<Arc<Recorder>> {
        self.switch.lock().recorder.clone()
    }

    /// A recorder for a switch at run time: appending to `file` with the policy now (or
    /// only counting), bound to the engine and the writer thread.
    fn new_recorder(&self, file: Option<Box<dyn fs::FsFile>>) -> Arc<Recorder> {
        let policy = self.runtime.lock().1;
        let r = Arc::new(Recorder::new(file.map(|f| (policy, f)), self.dirty.clone(), self.log.clone(), self.block.clone()));
        r.attach(self.engine.downgrade());
        r.set_waker(self.closing.clone());
        r
    }

    /// BGREWRITEAOF (and the automatic rewrite). While a switch on waits for its rewrite,
    /// that rewrite is the one started.
    fn start_rewrite(self: &Arc<Self>) -> Result<(), Error> {
        let state = self.switch.lock().state;
        if !self.claim_rewrite_slot() {
            return Err(Error::Busy("ERR Background append only file rewriting already in progress"));
        }
        if state == AofState::Off {
            return self.run_rewrite_job("embedis-rewrite", Inner::rewrite_while_off);
        }
        if state == AofState::Starting {
            let epoch = self.switch.lock().epoch;
            return self.run_rewrite_job("embedis-aof-on", move |inner| inner.enable(epoch));
        }
        self.run_rewrite_job("embedis-rewrite", Inner::rewrite)
    }

    /// Starts the rewrite that turns the AOF on, or schedules it (redis
    /// `aof_rewrite_scheduled`) while another rewrite runs: the cron starts it then.
    fn start_enable(self: &Arc<Self>) -> Result<(), Error> {
        if !self.claim_rewrite_slot() {
            self.stats.lock().rewrite_scheduled = true;
            (self.log)(Level::Info, "AOF turned on while a rewrite runs: its own rewrite is scheduled for when that one ends");
            return Ok(());
        }
        let epoch = self.switch.lock().epoch;
        self.run_rewrite_job("embedis-aof-on", move |inner| inner.enable(epoch))
    }

    /// Takes the rewrite slot if free.
    fn claim_rewrite_slot(&self) -> bool {
        let mut jobs = self.jobs.running.lock();
        if jobs.1 {
            return false;
        }
        jobs.1 = true;
        let mut st = self.stats.lock();
        st.rewrite_started = Some(Instant::now());
        st.rewrite_scheduled = false;
        true
    }

    /// Runs `job` in a thread holding the rewrite slot (claimed by the caller), with the
    /// statistics. `Ok(false)`: given up, not failed (the AOF was turned off meanwhile).
    fn run_rewrite_job(self: &Arc<Self>, name: &str, job: impl FnOnce(&Inner) -> Result<bool, Error> + Send + 'static) -> Result<(), Error> {
        let inner = self.clone();
        let end = JobEnd { jobs: inner.jobs.clone(), bgsave: false };
        spawn(name, move || {
            let started = Instant::now();
            let r = job(&inner);
            let mut st = inner.stats.lock();
            st.rewrite_started = None;
            match r {
                Ok(true) => {
                    st.rewrites += 1;
                    st.last_rewrite_ok = true;
                    st.rewrite_failures_in_a_row = 0;
                    st.last_rewrite_time = Some(started.elapsed());
                    drop(st);
                }
                Ok(false) => drop(st),
                Err(e) => {
                    st.last_rewrite_ok = false;
                    st.rewrite_failures_in_a_row += 1;
                    st.rewrite_failed_at = Some(Instant::now());
                    drop(st);
                    (inner.log)(Level::Warning, &format!("AOF rewrite failed: {e}"));
                }
            }
            // A switch on still waiting gets its rewrite (again), as Redis schedules one
            // after each rewrite while in AOF_WAIT_REWRITE.
            if inner.switch.lock().state == AofState::Starting {
                inner.stats.lock().rewrite_scheduled = true;
            }
            drop(inner);
            drop(end);
        })
        .map(drop)
    }

    /// The rewrite that turns the AOF on at run time (redis `startAppendOnly`, then
    /// `backgroundRewriteDoneHandler` in `AOF_WAIT_REWRITE`), for the switch `epoch`:
    /// 1. a new incremental file is created, listed in no manifest yet (the directory's
    ///    manifest, if any, is of an AOF that stopped earlier: it must not grow);
    /// 2. in one unit: a recorder on that file becomes the engine's sink and the snapshot
    ///    is captured, so every later unit is in the file and none before;
    /// 3. the snapshot is written as the new base;
    /// 4. a manifest naming {new base, new incr} replaces the old one; the old AOF's files
    ///    are deleted, as a rewrite deletes its history.
    ///
    /// A crash before 4 leaves the directory as it was (plus unlisted files). Returns
    /// `Ok(false)` when the AOF was turned off (or on again) meanwhile.
    fn enable(&self, epoch: u64) -> Result<bool, Error> {
        let stale = |sw: &Switch| sw.epoch != epoch || sw.state != AofState::Starting;
        if stale(&self.switch.lock()) {
            return Ok(false);
        }
        let cfg = &self.config;
        let aof_dir = cfg.aof_dir();
        let mut files = self.aof.lock();
        let (old, seq) = self.stopped_aof()?;
        let incr_name = cfg.incr_name(seq);
        let incr_path = aof_dir.join(&incr_name);
        let incr_file = self.fs.create(&incr_path).map_err(io_at(&incr_path))?;
        self.fs.sync_dir(&aof_dir).map_err(io_at(&aof_dir))?;
        let recorder = self.new_recorder(Some(incr_file));

        let t0 = Instant::now();
        let snap = self.engine.execute(|ks| {
            let mut sw = self.switch.lock();
            if stale(&sw) {
                return None;
            }
            let previous = sw.recorder.replace(recorder.clone());
            drop(sw);
            let sink: Arc<dyn crate::engine::effects::EffectSink> = recorder.clone();
            ks.set_sink(Some(sink));
            if let Some(p) = previous {
                p.detach();
            }
            Some(Snapshot::capture(ks))
        });
        let stall = t0.elapsed();
        let Some(snap) = snap else {
            drop(recorder);
            let _ = self.fs.remove(&incr_path);
            return Ok(false);
        };
        self.stats.lock().last_rewrite_stall = Some(stall);
        // Files of an earlier attempt that failed after its switch: nothing needs them now.
        for n in std::mem::take(&mut files.unlisted) {
            let _ = self.fs.remove(&aof_dir.join(n));
        }
        let base_name = cfg.base_name(seq);
        let base_size = match write_base(&*self.fs, cfg, &snap, &base_name, &self.temp_name("rewrite")) {
            Ok(n) => n,
            Err(e) => {
                // The recorder goes on into the unlisted file until the next attempt.
                files.unlisted.push(incr_name);
                return Err(e);
            }
        };
        if stale(&self.switch.lock()) {
            let _ = self.fs.remove(&aof_dir.join(&base_name));
            let _ = self.fs.remove(&incr_path);
            return Ok(false);
        }
        let history = old.all_as_history();
        let mut m = Manifest {
            base: Some(Entry { name: base_name.clone(), seq, kind: FileType::Base }),
            incrs: vec![Entry { name: incr_name.clone(), seq, kind: FileType::Incr }],
            history,
        };
        if let Err(e) = write_manifest(&*self.fs, cfg, &m) {
            files.unlisted.push(incr_name);
            let _ = self.fs.remove(&aof_dir.join(&base_name));
            return Err(e);
        }
        {
            let mut sw = self.switch.lock();
            if !stale(&sw) {
                sw.state = AofState::On;
            }
        }
        self.note_new_base(&recorder, base_size);
        let r = self.forget_history(&mut m);
        files.manifest = m;
        (self.log)(Level::Info, &format!("AOF turned on: base of {} keys, {base_size} bytes (producers stalled {} us)", snap.keys(), stall.as_micros()));
        r.map(|()| true)
    }

    /// The rewrite (redis `rewriteAppendOnlyFileBackground` + `backgroundRewriteDoneHandler`):
    /// 1. a new, empty incr file is created and listed in the manifest (so any unit written
    ///    to it is found after a crash);
    /// 2. under the keyspace lock, the snapshot is captured and the writer switched to the
    ///    new file at that exact point;
    /// 3. the snapshot is written as the new base (temp, fsync, rename, fsync dir);
    /// 4. the manifest switches to {new base, new incr}, listing the old files as history;
    ///    they are deleted and the manifest written once more without them.
    ///
    /// A crash at any step leaves a manifest whose files hold all the data.
    fn rewrite(&self) -> Result<bool, Error> {
        let Some(recorder) = self.recorder().filter(|r| r.policy().is_some()) else { return Ok(false) };
        let cfg = &self.config;
        let aof_dir = cfg.aof_dir();
        let mut files = self.aof.lock();
        recorder.wait_rotated();
        let incr_seq = files.manifest.incrs.last().map_or(1, |e| e.seq + 1);
        let incr_name = cfg.incr_name(incr_seq);
        let incr_path = aof_dir.join(&incr_name);
        let incr_file = self.fs.create(&incr_path).map_err(io_at(&incr_path))?;
        self.fs.sync_dir(&aof_dir).map_err(io_at(&aof_dir))?;
        let mut m1 = files.manifest.clone();
        m1.incrs.push(Entry { name: incr_name.clone(), seq: incr_seq, kind: FileType::Incr });
        write_manifest(&*self.fs, cfg, &m1)?;
        files.manifest = m1.clone();

        let t0 = Instant::now();
        let switched = self.engine.execute(|ks| {
            // Turned off meanwhile (the recorder is no longer the sink): the manifest lists
            // an empty file more, and the rewrite stops there, as Redis kills its child.
            let sw = self.switch.lock();
            if sw.state != AofState::On || !sw.recorder.as_ref().is_some_and(|r| Arc::ptr_eq(r, &recorder)) {
                return None;
            }
            drop(sw);
            recorder.absorb(&mut ks.effects);
            let (incr_before, _, _) = recorder.stats();
            recorder.rotate(incr_file, &mut ks.effects);
            Some((Snapshot::capture(ks), incr_before))
        });
        let Some((snap, closed_bytes)) = switched else { return Ok(false) };
        let stall = t0.elapsed();
        {
            let mut st = self.stats.lock();
            st.aof_fixed += closed_bytes;
            st.last_rewrite_stall = Some(stall);
        }

        let base_seq = m1.base.as_ref().map_or(1, |b| b.seq + 1);
        let base_name = cfg.base_name(base_seq);
        let base_size = write_base(&*self.fs, cfg, &snap, &base_name, &self.temp_name("rewrite"))?;

        let mut m2 = Manifest {
            base: Some(Entry { name: base_name, seq: base_seq, kind: FileType::Base }),
            incrs: vec![Entry { name: incr_name, seq: incr_seq, kind: FileType::Incr }],
            history: Vec::new(),
        };
        m2.history = m1.base.iter().chain(m1.incrs.iter().filter(|e| e.seq != incr_seq)).map(|e| Entry { kind: FileType::History, ..e.clone() }).collect();
        write_manifest(&*self.fs, cfg, &m2)?;
        self.note_new_base(&recorder, base_size);
        let r = self.forget_history(&mut m2);
        files.manifest = m2;
        (self.log)(Level::Info, &format!("AOF rewritten: base of {} keys, {base_size} bytes (producers stalled {} us)", snap.keys(), stall.as_micros()));
        r.map(|()| true)
    }

    /// INFO's AOF sizes once a base of `base_size` bytes heads the AOF that `recorder`
    /// appends to: the AOF's size after this rewrite is the base plus what the recorder has
    /// appended since the switch.
    fn note_new_base(&self, recorder: &Recorder, base_size: u64) {
        let (incr_now, _, _) = recorder.stats();
        let mut st = self.stats.lock();
        st.aof_fixed = base_size;
        st.aof_rewrite_base = base_size + incr_now;
    }

    /// The second step of every manifest switch: deletes the files `m` lists as history,
    /// then writes it without them. A crash between the two leaves a manifest whose
    /// history the next open deletes.
    fn forget_history(&self, m: &mut Manifest) -> Result<(), Error> {
        let aof_dir = self.config.aof_dir();
        for e in std::mem::take(&mut m.history) {
            let _ = self.fs.remove(&aof_dir.join(&e.name));
        }
        write_manifest(&*self.fs, &self.config, m)
    }

    /// The AOF directory as a stopped AOF left it (created if missing): its manifest (empty
    /// without one), and the number for new files, one above every file of ours there,
    /// listed or not, so that nothing is overwritten, not even the files of an AOF whose
    /// manifest was lost.
    fn stopped_aof(&self) -> Result<(Manifest, u64), Error> {
        let cfg = &self.config;
        let aof_dir = cfg.aof_dir();
        self.fs.create_dir_all(&aof_dir).map_err(io_at(&aof_dir))?;
        let manifest_path = cfg.manifest_path();
        let old = match self.fs.len(&manifest_path).map_err(io_at(&manifest_path))? {
            Some(_) => read_manifest(&*self.fs, &manifest_path)?,
            None => Manifest::default(),
        };
        let names = self.fs.list(&aof_dir).map_err(io_at(&aof_dir))?;
        let listed = old.base.iter().chain(&old.incrs).map(|e| e.seq);
        let seq = 1 + names.iter().filter_map(|n| file_seq(&cfg.appendfilename, n)).chain(listed).max().unwrap_or(0);
        Ok((old, seq))
    }

    /// BGREWRITEAOF while the AOF is off, as Redis 7 does it: a new base in the AOF
    /// directory and a manifest that lists it alone, so that a later start with
    /// `appendonly yes` loads this data; the files of the AOF before are deleted. Nothing
    /// records changes afterwards. `Ok(false)` when the AOF was turned on meanwhile (its
    /// own rewrite makes the files then).
    fn rewrite_while_off(&self) -> Result<bool, Error> {
        let cfg = &self.config;
        let aof_dir = cfg.aof_dir();
        let mut files = self.aof.lock();
        let t0 = Instant::now();
        let snap = self.engine.execute(|ks| (self.switch.lock().state == AofState::Off).then(|| Snapshot::capture(ks)));
        let Some(snap) = snap else { return Ok(false) };
        let stall = t0.elapsed();
        self.stats.lock().last_rewrite_stall = Some(stall);
        let (old, seq) = self.stopped_aof()?;
        let base_name = cfg.base_name(seq);
        let base_size = write_base(&*self.fs, cfg, &snap, &base_name, &self.temp_name("rewrite"))?;
        let history = old.all_as_history();
        let mut m = Manifest { base: Some(Entry { name: base_name.clone(), seq, kind: FileType::Base }), incrs: Vec::new(), history };
        if let Err(e) = write_manifest(&*self.fs, cfg, &m) {
            let _ = self.fs.remove(&aof_dir.join(&base_name));
            return Err(e);
        }
        let r = self.forget_history(&mut m);
        files.manifest = m;
        (self.log)(Level::Info, &format!("AOF rewritten while off: base of {} keys, {base_size} bytes (producers stalled {} us)", snap.keys(), stall.as_micros()));
        r.map(|()| true)
    }

    /// The cron's checks: `save` rules and automatic rewrite (redis `serverCron`).
    fn cron_checks(self: &Arc<Self>) {
        let (rec, state) = {
            let sw = self.switch.lock();
            (sw.recorder.clone(), sw.state)
        };
        let (bgsave_running, rewrite_running) = *self.jobs.running.lock();
        if state == AofState::Starting && !rewrite_running {
            // The rewrite of a switch on, scheduled: after a failure, 2^n seconds (at most
            // a minute) pass first (redis `aofRewriteLimited`, shorter).
            let st = self.stats.lock();
            let wait = Duration::from_secs(1 << st.rewrite_failures_in_a_row.min(6)).min(Duration::from_secs(60));
            let due = st.rewrite_scheduled && st.rewrite_failed_at.is_none_or(|t| st.rewrite_failures_in_a_row == 0 || t.elapsed() >= wait);
            drop(st);
            if due && self.start_enable().is_err() {
                // No thread: try again at a later round.
                self.stats.lock().rewrite_scheduled = true;
            }
        }
        let Some(rec) = &rec else { return };
        let save = self.runtime.lock().0.clone();
        if !bgsave_running && !save.is_empty() {
            let dirty = rec.changes();
            let since = unix_ms() / 1000 - self.stats.lock().lastsave;
            let due = save.iter().any(|&(secs, changes)| dirty >= changes && since >= i64::try_from(secs).unwrap_or(i64::MAX));
            let failed_recently = !self.stats.lock().last_bgsave_ok && since < 5;
            if due && !failed_recently {
                let _ = self.bgsave();
            }
        }
        if state == AofState::On && !rewrite_running && self.config.auto_aof_rewrite_percentage > 0 {
            let (incr, _, _) = rec.stats();
            let st = self.stats.lock();
            let current = st.aof_fixed + incr;
            let base = st.aof_rewrite_base.max(1);
            let growth = current.saturating_sub(base).saturating_mul(100) / base;
            let backoff = st.rewrite_failures_in_a_row > 0 && st.last_rewrite_time.is_none_or(|_| false);
            drop(st);
            if current >= self.config.auto_aof_rewrite_min_size && growth >= self.config.auto_aof_rewrite_percentage && !backoff {
                (self.log)(Level::Info, &format!("starting automatic rewriting of AOF on {growth}% growth"));
                let _ = self.start_rewrite();
            }
        }
    }
}

impl Inner {
    /// The close, when the users' last handle goes (`Owner`'s drop), on the dropping
    /// thread: when it returns, no thread of the persistence touches the directory any
    /// more and the lock is released.
    fn close(&self, cron: Option<std::thread::JoinHandle<()>>) {
        if std::process::id() != self.owner_pid {
            // A forked child: the cron thread does not exist here (joining it would wait
            // forever) and the files are the parent's. `Drop` leaks the rest.
            std::mem::forget(cron);
            return;
        }
        // 1. No more ticks: the cron thread sees `closing` at its next wake-up (at once:
        //    it is notified), or right after the tick it is in, and ends; a tick never
        //    waits for this thread, so the join is short. After it, nothing starts a job.
        *self.closing.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        self.closing.1.notify_all();
        if let Some(t) = cron {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
        // 2. A running BGSAVE or rewrite finishes (as SHUTDOWN waits for nothing in
        //    Redis, but kills a child that would otherwise write on; a thread cannot be
        //    killed, so it ends first). Its thread drops its reference before it says so.
        {
            let mut jobs = self.jobs.running.lock();
            while jobs.0 || jobs.1 {
                self.jobs.done.wait(&mut jobs);
            }
        }
        // 3. Stop recording, then make what was recorded durable.
        let recorder = self.recorder();
        let save = !self.runtime.lock().0.is_empty() && recorder.as_ref().is_some_and(|r| r.changes() > 0);
        let snap = self.engine.set_sink(None, |ks| save.then(|| Snapshot::capture(ks)));
        if let Some(r) = &recorder {
            r.sync_all();
        }
        if let Some(snap) = snap {
            let dir = &self.config.dir;
            let temp = dir.join(self.temp_name("edb"));
            let path = dir.join(&self.config.dbfilename);
            if let Err(e) = write_atomically(&*self.fs, &temp, &path, |w| snapshot::write(&snap, w, unix_ms())) {
                (self.log)(Level::Warning, &format!("final snapshot failed: {e}"));
            }
        }
        // 4. The directory is free.
        drop(self.lock.lock().take());
    }
}

impl Drop for Inner {
    /// The close is `Owner`'s (see there); by now it has run and the lock is released.
    fn drop(&mut self) {
        if std::process::id() != self.owner_pid {
            // A forked child: the files are the parent's, and the locks below may have
            // been held at the fork by threads that do not exist here. Leak instead.
            std::mem::forget(self.lock.get_mut().take());
            std::mem::forget(std::mem::take(&mut self.engine));
        }
    }
}

// ---- helpers ------------------------------------------------------------------------------

/// Starts one of the persistence's threads. They are embedis's own: marked as worker
/// threads, so that a wait for fsync there never takes the GIL (see
/// `engine::is_worker_thread`). The close may wait for them while its caller holds the
/// GIL (a Python handle dropped by the interpreter), so they must never need it.
fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<std::thread::JoinHandle<()>, Error> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            crate::engine::mark_worker_thread();
            f();
        })
        .map_err(|e| Error::Io { path: PathBuf::from("<thread>"), source: e })
}

/// The cron thread: writes the AOF buffer every few ms (`everysec`, `no`), fsyncs once a
/// second (`everysec`), and checks the save and rewrite rules every 100 ms. Holds only a
/// weak reference between ticks, so it never keeps a broker alive; during a tick it holds
/// a strong one, which is why the close is not `Inner`'s drop but `Owner`'s, which joins
/// this thread. Returns its handle, `None` if it could not start.
fn spawn_cron(inner: &Arc<Inner>) -> Option<std::thread::JoinHandle<()>> {
    let weak: Weak<Inner> = Arc::downgrade(inner);
    // While writes flow, the buffer is written every 2 ms; idle, the thread wakes every
    // 50 ms (a burst's first bytes wait at most that long to reach the OS). The policy
    // is read at every tick: CONFIG SET appendfsync may change it.
    let writes = |r: &Recorder| r.policy().is_some_and(|p| p != Fsync::Always);
    let busy = Duration::from_millis(2);
    let idle = Duration::from_millis(50);
    let closing = inner.closing.clone();
    spawn("embedis-persist", move || {
        let mut last_checks = Instant::now();
        let mut tick = idle;
        loop {
            {
                let c = closing.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if *c {
                    return;
                }
                let (c, _) = closing.1.wait_timeout(c, tick).unwrap_or_else(std::sync::PoisonError::into_inner);
                if *c {
                    return;
                }
            }
            let Some(inner) = weak.upgrade() else { return };
            testing::point(testing::Point::Cron, &inner.config.dir, &|| is_closing(&closing));
            if is_closing(&closing) {
                // The close is waiting for this thread: start nothing more.
                return;
            }
            // The recorder now (CONFIG SET appendonly may switch it).
            tick = match inner.recorder() {
                Some(r) if writes(&r) && r.tick() => busy,
                _ => idle,
            };
            if last_checks.elapsed() >= Duration::from_millis(100) {
                last_checks = Instant::now();
                inner.cron_checks();
            }
        }
    })
    .ok()
}

fn is_closing(w: &Waker) -> bool {
    *w.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn progress(log: &LogFn, file: &Path, at: u64, len: u64) {
    let pct = at.saturating_mul(100).checked_div(len).unwrap_or(100);
    (log)(Level::Info, &format!("loading {}: {pct}% ({at} of {len} bytes)", file.display()));
}

fn read_pid(fs: &dyn Fs, path: &Path) -> Option<u32> {
    let mut s = String::new();
    fs.open_read(path).ok()?.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

fn write_pid(fs: &dyn Fs, path: &Path) {
    // Informational only (the flock is the lock): rewrite the file in place.
    if let Ok(mut f) = fs.append(path) {
        let _ = fs.truncate(path, 0);
        let _ = std::io::Write::write_all(&mut f, format!("{}\n", std::process::id()).as_bytes());
    }
}

fn remove_temp_files(fs: &dyn Fs, dir: &Path) {
    let Ok(names) = fs.list(dir) else { return };
    for n in names {
        if n.starts_with("temp-") && (n.ends_with(".edb") || n.contains(".rewrite")) {
            let _ = fs.remove(&dir.join(n));
        }
    }
}

/// The sequence number in the name of one of the AOF's files (`<prefix>.<seq>.base.edb`,
/// `<prefix>.<seq>.incr.aof`...).
fn file_seq(prefix: &str, name: &str) -> Option<u64> {
    let rest = name.strip_prefix(prefix)?.strip_prefix('.')?;
    let (seq, kind) = rest.split_once('.')?;
    (kind.starts_with("base.") || kind.starts_with("incr.")).then_some(())?;
    seq.parse().ok()
}

fn next_temp_name(n: u64) -> String {
    format!("temp-{}-{n}.rewrite", std::process::id())
}

/// Writes a file through `temp`: write, fsync, rename over `path`, fsync the directory.
fn write_atomically(fs: &dyn Fs, temp: &Path, path: &Path, body: impl FnOnce(&mut dyn io::Write) -> io::Result<u64>) -> Result<u64, Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let attempt = || -> Result<u64, Error> {
        let mut f = fs.create(temp).map_err(io_at(temp))?;
        let n = body(&mut *f).map_err(io_at(temp))?;
        f.sync().map_err(io_at(temp))?;
        drop(f);
        fs.rename(temp, path).map_err(io_at(path))?;
        fs.sync_dir(dir).map_err(io_at(dir))?;
        Ok(n)
    };
    let r = attempt();
    if r.is_err() {
        let _ = fs.remove(temp);
    }
    r
}

/// Writes `snap` as the AOF base `name` (format per `aof_use_rdb_preamble`).
fn write_base(fs: &dyn Fs, cfg: &Config, snap: &Snapshot, name: &str, temp_name: &str) -> Result<u64, Error> {
    let aof_dir = cfg.aof_dir();
    let temp = aof_dir.join(temp_name);
    let path = aof_dir.join(name);
    if cfg.aof_use_rdb_preamble {
        write_atomically(fs, &temp, &path, |w| snapshot::write(snap, w, unix_ms()))
    } else {
        write_atomically(fs, &temp, &path, |w| aof::write_resp(snap, w))
    }
}

fn write_manifest(fs: &dyn Fs, cfg: &Config, m: &Manifest) -> Result<(), Error> {
    let path = cfg.manifest_path();
    let temp = cfg.aof_dir().join(format!("temp-{}.manifest.rewrite", std::process::id()));
    let text = m.to_text();
    write_atomically(fs, &temp, &path, |w| w.write_all(text.as_bytes()).map(|()| text.len() as u64)).map(|_| ())
}

fn read_manifest(fs: &dyn Fs, path: &Path) -> Result<Manifest, Error> {
    let mut text = String::new();
    fs.open_read(path).map_err(io_at(path))?.read_to_string(&mut text).map_err(io_at(path))?;
    Manifest::parse(&text).map_err(|what| Error::Corrupt { file: path.to_path_buf(), offset: 0, what })
}

/// Loads base then incr files. A torn tail is allowed only in the last file with data; it
/// is cut (the file truncated) and reported.
#[allow(clippy::too_many_arguments)]
fn load_aof(
    fs: &dyn Fs,
    cfg: &Config,
    m: &Manifest,
    ks: &mut crate::engine::Keyspace,
    log: &LogFn,
    report: &mut OpenReport,
    stats: &mut Stats,
    loaded: &mut Loaded,
) -> Result<(), Error> {
    let aof_dir = cfg.aof_dir();
    if let Some(b) = &m.base {
        let path = aof_dir.join(&b.name);
        let len = fs.len(&path).map_err(io_at(&path))?.ok_or_else(|| Error::Corrupt { file: cfg.manifest_path(), offset: 0, what: format!("lists {} which does not exist", b.name) })?;
        (log)(Level::Info, &format!("loading AOF base {} ({len} bytes)", path.display()));
        let mut r = fs.open_read(&path).map_err(io_at(&path))?;
        let mut magic = [0u8; 8];
        let is_snapshot = {
            // Sniff the format by content, as Redis does for its RDB preamble.
            let mut peek = fs.open_read(&path).map_err(io_at(&path))?;
            peek.read_exact(&mut magic).is_ok() && &magic == snapshot::MAGIC
        };
        if is_snapshot {
            let s = snapshot::load(&mut *r, len, &path, ks, &mut |at| progress(log, &path, at, len))?;
            loaded.keys += s.keys;
            loaded.expired += s.expired;
        } else {
            let rep = load::replay(&mut *r, len, &path, ks, &mut |at| progress(log, &path, at, len))?;
            if let load::Ending::Torn { offset, .. } = rep.ending {
                return Err(Error::Corrupt { file: path, offset, what: "the base file ends inside a command".into() });
            }
        }
        stats.aof_fixed += len;
        report.loaded.push(b.name.clone());
    }
    // The last incr file that holds data: a torn tail is allowed there only.
    let mut sizes = Vec::new();
    for e in &m.incrs {
        let path = aof_dir.join(&e.name);
        let len = fs.len(&path).map_err(io_at(&path))?.ok_or_else(|| Error::Corrupt { file: cfg.manifest_path(), offset: 0, what: format!("lists {} which does not exist", e.name) })?;
        sizes.push(len);
    }
    let last_with_data = sizes.iter().rposition(|&l| l > 0);
    for (i, e) in m.incrs.iter().enumerate() {
        let path = aof_dir.join(&e.name);
        let len = sizes[i];
        if len == 0 {
            continue;
        }
        (log)(Level::Info, &format!("loading AOF {} ({len} bytes)", path.display()));
        let mut r = fs.open_read(&path).map_err(io_at(&path))?;
        let rep = load::replay(&mut *r, len, &path, ks, &mut |at| progress(log, &path, at, len))?;
        let mut kept = len;
        if let load::Ending::Torn { offset, cut } = rep.ending {
            if Some(i) != last_with_data {
                return Err(Error::Corrupt { file: path, offset, what: "a file that is not the last ends inside a command".into() });
            }
            let msg = format!(
                "{}: the last command is incomplete (a crash while it was written): cut {cut} bytes at offset {offset}, keeping {offset} bytes",
                path.display()
            );
            (log)(Level::Warning, &msg);
            report.warnings.push(msg);
            fs.truncate(&path, offset).map_err(io_at(&path))?;
            kept = offset;
        }
        stats.aof_fixed += kept;
        report.loaded.push(e.name.clone());
    }
    // Keys counted once at the end (commands may create and delete).
    loaded.keys = ks.dbs.iter().map(|d| d.len() as u64).sum();
    Ok(())
}

// ---- the check-aof tool --------------------------------------------------------------------

/// What `check_aof` found in one file.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The file checked.
    pub file: PathBuf,
    /// Its size.
    pub len: u64,
    /// Commands that parse (MULTI/EXEC and SELECT excluded).
    pub commands: u64,
    /// `None` if valid; else (offset, bytes after it, what): where it would be cut.
    pub problem: Option<(u64, u64, String)>,
    /// Whether the problem is a torn tail (loading cuts it by itself) rather than damage.
    pub torn: bool,
    /// Whether `fix` truncated the file.
    pub fixed: bool,
}

/// Checks a RESP AOF file (an incr file or a `.base.aof`); with `fix`, truncates it at the
/// first problem, as `redis-check-aof --fix` does. A manifest path checks every file it
/// lists (the base snapshot by its checksums).
///
/// # Errors
/// I/O errors, or a manifest that does not parse.
pub fn check_aof(fs: &dyn Fs, path: &Path, fix: bool) -> Result<Vec<CheckResult>, Error> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.ends_with(".manifest") {
        let m = read_manifest(fs, path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut out = Vec::new();
        for e in m.base.iter().chain(m.incrs.iter()) {
            out.extend(check_aof(fs, &dir.join(&e.name), fix && e.kind == FileType::Incr)?);
        }
        return Ok(out);
    }
    let len = fs.len(path).map_err(io_at(path))?.ok_or_else(|| Error::Io { path: path.to_path_buf(), source: io::Error::new(io::ErrorKind::NotFound, "no such file") })?;
    let mut r = fs.open_read(path).map_err(io_at(path))?;
    let mut magic = [0u8; 8];
    let is_snapshot = fs.open_read(path).map_err(io_at(path))?.read_exact(&mut magic).is_ok() && &magic == snapshot::MAGIC;
    let mut res = CheckResult { file: path.to_path_buf(), len, commands: 0, problem: None, torn: false, fixed: false };
    if is_snapshot {
        let mut ks = crate::engine::Keyspace::default();
        if let Err(e) = while_loading(|| snapshot::load(&mut *r, len, path, &mut ks, &mut |_| {})) {
            let (offset, what) = match e {
                Error::Corrupt { offset, what, .. } => (offset, what),
                other => return Err(other),
            };
            // A snapshot is never cut: it is all or nothing.
            res.problem = Some((offset, len - offset, format!("{what} (a snapshot cannot be repaired by truncation)")));
        }
        return Ok(vec![res]);
    }
    match load::check(&mut *r, len, path) {
        Ok(rep) => {
            res.commands = rep.commands;
            if let load::Ending::Torn { offset, cut } = rep.ending {
                res.problem = Some((offset, cut, "the last command is incomplete".into()));
                res.torn = true;
            }
        }
        Err(Error::Corrupt { offset, what, .. }) => res.problem = Some((offset, len - offset, what)),
        Err(e) => return Err(e),
    }
    if fix {
        if let Some((offset, _, _)) = &res.problem {
            fs.truncate(path, *offset).map_err(io_at(path))?;
            res.fixed = true;
        }
    }
    Ok(vec![res])
}
