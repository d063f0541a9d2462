//! The whole locked state: 16 databases and the blocked waiters, plus the generic key
//! commands (DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, EXPIRE family, FLUSHDB…).
//!
//! Every method here runs inside one critical section (`Engine::execute`), which is what
//! makes each command atomic. Knows nothing of RESP or Python.


use super::clock::unix_ms;
use super::db::{Db, Key};
use super::effects::{Effects, Int};
use super::error::{Error, Result};
use super::glob::glob_match;
use super::notify::class;
use super::value::Value;
use super::waiters::Waiters;

/// Number of databases, as Redis's default `databases 16`.
pub const DATABASES: usize = 16;

/// Which existing expiry an EXPIRE may replace (Redis 7's NX/XX/GT/LT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpireCondition {
    /// Always set.
    #[default]
    Always,
    /// Only when the key has no expiry.
    Nx,
    /// Only when the key has an expiry.
    Xx,
    /// Only when the new expiry is later (no expiry counts as infinite).
    Gt,
    /// Only when the new expiry is sooner (no expiry counts as infinite).
    Lt,
}

/// The broker's state. Only ever touched under the engine's mutex.
#[derive(Debug)]
pub struct Keyspace {
    /// The databases, 0..DATABASES.
    pub(crate) dbs: Vec<Db>,
    /// Blocked consumers and the keys made ready by the current unit.
    pub(crate) waiters: Waiters,
    /// Pub/sub channel and pattern subscriptions (nothing of it is persisted).
    pub(crate) pubsub: super::pubsub::Registry,
    /// What the current unit changed, for the AOF.
    pub effects: Effects,
    /// Where each unit's effects go; `None` without an AOF (then nothing is recorded).
    pub(crate) sink: Option<std::sync::Arc<dyn super::effects::EffectSink>>,
    /// Set when a key first gets an expiry, so that the engine starts its sweeper.
    pub(crate) wants_sweeper: bool,
    /// Seeds the hash that orders SCAN; fixed for the process so cursors stay valid.
    scan_hasher: ahash::RandomState,
    /// Where the next active-expiry sweep of each database resumes.
    sweep_offset: Vec<usize>,
    /// CONFIG parameters kept with the data (stream node sizes, `hz`, remembered knobs).
    pub config: super::config::Params,
    /// `maxmemory` and its policy, and the eviction state (`evict.rs`).
    pub(crate) memory: super::evict::Memory,
    /// INFO commandstats/errorstats and the command counters (`stats.rs`).
    pub stats: super::stats::Stats,
    /// SLOWLOG.
    pub slowlog: super::slowlog::SlowLog,
    /// MONITOR's feeds.
    pub monitors: super::monitor::Monitors,
    /// `notify-keyspace-events` (`notify.rs`).
    pub(crate) notify: super::notify::Notify,
}

impl Default for Keyspace {
    fn default() -> Self {
        Keyspace {
            dbs: {
                let queued = std::sync::Arc::new(super::db::Queued::default());
                (0..DATABASES).map(|i| Db::with_flags(queued.clone(), i)).collect()
            },
            waiters: Waiters::default(),
            pubsub: super::pubsub::Registry::default(),
            effects: Effects::default(),
            sink: None,
            wants_sweeper: false,
            scan_hasher: ahash::RandomState::new(),
            sweep_offset: vec![0; DATABASES],
            config: super::config::Params::default(),
            memory: super::evict::Memory::default(),
            stats: super::stats::Stats::default(),
            slowlog: super::slowlog::SlowLog::default(),
            monitors: super::monitor::Monitors::default(),
            notify: super::notify::Notify::default(),
        }
    }
}

/// Checks a database index given by a caller.
pub fn check_db(db: i64) -> Result<usize> {
    usize::try_from(db).ok().filter(|&d| d < DATABASES).ok_or(Error::DbIndexOutOfRange)
}

impl Keyspace {
    /// Sends every later unit's effects to `sink` (or stops recording with `None`), in the
    /// caller's unit (see `Engine::set_sink`). The old sink first takes what was sealed
    /// for it; the current unit, if it recorded anything, goes to the new sink when it
    /// ends (to none with `None`). The engine's note of whether writers wait follows the
    /// new sink.
    pub fn set_sink(&mut self, sink: Option<std::sync::Arc<dyn super::effects::EffectSink>>) {
        if let Some(old) = self.sink.take() {
            old.absorb(&mut self.effects);
        }
        self.effects.enabled = sink.is_some();
        self.effects.set_keep(sink.as_ref().is_some_and(|s| s.collects()));
        if sink.is_none() {
            self.effects.clear();
        }
        self.effects.sink_waits = sink.as_ref().is_some_and(|s| s.waits());
        for d in &mut self.dbs {
            d.track_expired = sink.is_some();
        }
        self.sink = sink;
    }

    /// Records a change of database `db`, after the DELs of keys that expired on access
    /// (they happened first, so they replay first).
    pub fn emit(&mut self, db: usize, argv: impl FnOnce() -> Vec<Vec<u8>>) {
        if self.effects.enabled {
            self.flush_expired();
            self.effects.emit(db, argv);
        }
    }

    /// `emit` for the hot paths: the command `head ++ tail`, encoded with no vector built.
    #[inline]
    pub fn emit_args(&mut self, db: usize, head: &[&[u8]], tail: &[&[u8]]) {
        if self.effects.enabled {
            self.flush_expired();
            self.effects.emit_args(db, head, tail);
        }
    }

    /// Turns keys that expired on access into DEL effects (Redis propagates them so).
    #[inline]
    pub fn flush_expired(&mut self) {
        // A load, not a swap: the common case must not write the shared line.
        if self.dbs[0].queued.expired.load(std::sync::atomic::Ordering::Relaxed) {
            self.flush_expired_now();
        }
    }

    #[cold]
    fn flush_expired_now(&mut self) {
        self.dbs[0].queued.expired.store(false, std::sync::atomic::Ordering::Relaxed);
        for (i, d) in self.dbs.iter_mut().enumerate() {
            if d.expired.is_empty() {
                continue;
            }
            for k in std::mem::take(&mut d.expired) {
                self.effects.emit(i, || vec![b"DEL".to_vec(), k.to_vec()]);
            }
        }
    }

    /// Database `db`. Callers validated the index with `check_db`.
    pub fn db(&mut self, db: usize) -> &mut Db {
        &mut self.dbs[db]
    }

    /// DEL / UNLINK: how many of `keys` existed.
    pub fn del(&mut self, db: usize, keys: &[&[u8]]) -> usize {
        let mut gone: Vec<&[u8]> = Vec::new();
        for &k in keys {
            let d = &mut self.dbs[db];
            if d.get(k).is_some() && d.remove(k).is_some() {
                gone.push(k);
                self.notify(class::GENERIC, "del", k, db);
            }
        }
        if !gone.is_empty() {
            self.emit_args(db, &[b"DEL"], &gone);
        }
        gone.len()
    }

    /// EXISTS: how many of `keys` exist, a key named twice counting twice.
    pub fn exists(&mut self, db: usize, keys: &[&[u8]]) -> usize {
        let mut n = 0;
        for k in keys {
            if self.dbs[db].contains(k) {
                n += 1;
            } else {
                self.key_miss(k, db);
            }
        }
        n
    }

    /// TYPE: the value's type name, or "none".
    pub fn type_of(&mut self, db: usize, key: &[u8]) -> &'static str {
        let t = self.dbs[db].get(key).map(Value::type_name);
        t.unwrap_or_else(|| {
            self.key_miss(key, db);
            "none"
        })
    }

    /// KEYS pattern: every live key matching the glob.
    pub fn keys(&mut self, db: usize, pattern: &[u8]) -> Vec<Key> {
        let now = unix_ms();
        let d = &self.dbs[db];
        let all = pattern == b"*";
        d.map
            .keys()
            .filter(|k| d.expires.get(*k).is_none_or(|&at| at > now))
            .filter(|k| all || glob_match(pattern, k, false))
            .cloned()
            .collect()
    }

    fn scan_hash(&self, key: &[u8]) -> u64 {
        // 62 bits, so that `hash + 1` is a valid cursor that is never 0.
        self.scan_hasher.hash_one(key) >> 2
    }

    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
    ///
    /// Keys are visited in the order of a per-process hash; the cursor is the hash to resume
    /// from. That keeps Redis's guarantee: a key present from the start to the end of a
    /// full iteration is returned, and returned once, whatever is added or removed between
    /// calls. Like Redis, COUNT bounds the keys visited and MATCH/TYPE filter afterwards,
    /// so a call may return fewer keys than COUNT (or none) with a non-zero cursor.
    pub fn scan(
        &mut self,
        db: usize,
        cursor: u64,
        pattern: Option<&[u8]>,
        count: usize,
        type_name: Option<&[u8]>,
    ) -> (u64, Vec<Key>) {
        let count = count.max(1);
        let now = unix_ms();
        let d = &self.dbs[db];
        let mut found: Vec<(u64, &Key)> = d
            .map
            .keys()
            .map(|k| (self.scan_hash(k), k))
            .filter(|(h, _)| *h >= cursor)
            .collect();
        let next = if found.len() > count {
            found.select_nth_unstable(count);
            let boundary = found[count].0;
            // Keys sharing the boundary hash go together, or the cursor would skip some.
            found.retain(|(h, _)| *h < boundary);
            boundary
        } else {
            0
        };
        let keys = found
            .into_iter()
            .map(|(_, k)| k)
            .filter(|k| d.expires.get(*k).is_none_or(|&at| at > now))
            .filter(|k| pattern.is_none_or(|p| p == b"*" || glob_match(p, k, false)))
            .filter(|k| {
                type_name.is_none_or(|t| {
                    d.map.get(*k).is_some_and(|v| v.type_name().as_bytes().eq_ignore_ascii_case(t))
                })
            })
            .cloned()
            .collect();
        (next, keys)
    }

    /// DBSIZE.
    pub fn dbsize(&self, db: usize) -> usize {
        self.dbs[db].len()
    }

    /// FLUSHDB.
    pub fn flushdb(&mut self, db: usize) {
        self.dbs[db].clear();
        self.emit(db, || vec![b"FLUSHDB".to_vec()]);
    }

    /// FLUSHALL.
    pub fn flushall(&mut self) {
        for d in &mut self.dbs {
            d.clear();
        }
        self.emit(0, || vec![b"FLUSHALL".to_vec()]);
    }

    /// RENAME / RENAMENX. Returns false when `nx` and the destination exists.
    ///
    /// # Errors
    /// `NoSuchKey` when `src` does not exist.
    pub fn rename(&mut self, db: usize, src: &[u8], dst: &[u8], nx: bool) -> Result<bool> {
        let d = &mut self.dbs[db];
        if !d.contains(src) {
            return Err(Error::NoSuchKey);
        }
        if src == dst {
            return Ok(!nx);
        }
        if nx && d.contains(dst) {
            return Ok(false);
        }
        let expiry = d.expiry(src);
        let Some(value) = d.remove(src) else { return Err(Error::NoSuchKey) };
        // A list or stream arriving under `dst` may feed its blocked readers.
        let is_list = matches!(value, Value::List(_) | Value::Stream(_));
        // As Redis: the destination is deleted, then added (a `new` key, even over an old one).
        d.remove(dst);
        d.set(dst, value, false);
        if let Some(at) = expiry {
            d.set_expiry(dst, at);
        }
        if is_list {
            self.waiters.signal_ready(db, dst);
        }
        self.notify(class::GENERIC, "rename_from", src, db);
        self.notify(class::GENERIC, "rename_to", dst, db);
        self.emit(db, || vec![b"RENAME".to_vec(), src.to_vec(), dst.to_vec()]);
        Ok(true)
    }

    /// EXPIREAT/PEXPIREAT core: sets `key` to expire at Unix time `at_ms`. A time already past
    /// deletes the key, as Redis does. Returns whether the expiry was set (or the key deleted).
    pub fn expire_at(&mut self, db: usize, key: &[u8], at_ms: i64, cond: ExpireCondition) -> bool {
        let d = &mut self.dbs[db];
        if !d.contains(key) {
            return false;
        }
        let current = d.expires.get(key).copied();
        let allowed = match cond {
            ExpireCondition::Always => true,
            ExpireCondition::Nx => current.is_none(),
            ExpireCondition::Xx => current.is_some(),
            ExpireCondition::Gt => current.is_some_and(|c| at_ms > c),
            ExpireCondition::Lt => current.is_none_or(|c| at_ms < c),
        };
        if !allowed {
            return false;
        }
        if at_ms <= unix_ms() {
            d.remove(key);
            self.notify(class::GENERIC, "del", key, db);
            self.emit(db, || vec![b"DEL".to_vec(), key.to_vec()]);
        } else {
            d.touch(key);
            d.set_expiry(key, at_ms);
            self.wants_sweeper = true;
            self.notify(class::GENERIC, "expire", key, db);
            self.emit_args(db, &[b"PEXPIREAT", key, Int::from(at_ms).as_bytes()], &[]);
        }
        true
    }

    /// PEXPIRETIME core: -2 when missing, -1 without expiry, else the Unix time in ms.
    pub fn expire_time(&mut self, db: usize, key: &[u8]) -> i64 {
        let d = &mut self.dbs[db];
        if !d.contains(key) {
            self.key_miss(key, db);
            return -2;
        }
        d.expiry(key).unwrap_or(-1)
    }

    /// TOUCH: how many of `keys` exist, each one's access time stamped (a key named
    /// twice counts twice, as Redis).
    pub fn touch(&mut self, db: usize, keys: &[&[u8]]) -> usize {
        let mut found = 0;
        for k in keys {
            if self.dbs[db].get(k).is_some() {
                found += 1;
            } else {
                self.key_miss(k, db);
            }
        }
        found
    }

    /// RANDOMKEY (Redis `dbRandomKey`): a random live key; keys past their time met on
    /// the way are deleted (and logged as DEL) and another is drawn.
    pub fn randomkey(&mut self, db: usize) -> Option<Key> {
        let seed = ahash::RandomState::new();
        let mut draw = 0u64;
        let d = &mut self.dbs[db];
        loop {
            let n = d.map.len();
            if n == 0 {
                return None;
            }
            draw += 1;
            let i = usize::try_from(seed.hash_one(draw) % (n as u64)).unwrap_or(0);
            let key = d.map.get_index(i).map(|(k, _)| k.clone())?;
            // `peek`: drawing a key is no access to it.
            if d.peek(&key).is_some() {
                return Some(key);
            }
        }
    }

    /// PTTL core: -2 when missing, -1 without expiry, else milliseconds left.
    pub fn pttl(&mut self, db: usize, key: &[u8]) -> i64 {
        let d = &mut self.dbs[db];
        if !d.contains(key) {
            self.key_miss(key, db);
            return -2;
        }
        d.expiry(key).map_or(-1, |at| (at - unix_ms()).max(0))
    }

    /// PERSIST: whether an expiry was removed.
    pub fn persist(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.dbs[db];
        let done = d.contains(key) && d.clear_expiry(key);
        if done {
            d.touch(key);
            self.notify(class::GENERIC, "persist", key, db);
            self.emit(db, || vec![b"PERSIST".to_vec(), key.to_vec()]);
        }
        done
    }

    /// The active half of expiry (Redis `activeExpireCycle`, simplified): look at up to
    /// `budget` keys with an expiry per database, resuming where the last sweep stopped, and
    /// delete those past their time. Returns how many were deleted.
    pub fn active_expire(&mut self, budget: usize) -> usize {
        let now = unix_ms();
        let mut deleted = 0;
        let mut swept: Vec<(usize, Key)> = Vec::new();
        for (i, d) in self.dbs.iter_mut().enumerate() {
            let n = d.expires.len();
            if n == 0 {
                continue;
            }
            let start = self.sweep_offset[i] % n;
            let due: Vec<Key> = d
                .expires
                .iter()
                .skip(start)
                .take(budget)
                .filter(|(_, &at)| at <= now)
                .map(|(k, _)| k.clone())
                .collect();
            self.sweep_offset[i] = start + budget.min(n);
            for k in due {
                d.remove(&k);
                self.effects.emit(i, || vec![b"DEL".to_vec(), k.to_vec()]);
                deleted += 1;
                if self.notify.mask & class::EXPIRED != 0 {
                    swept.push((i, k));
                }
            }
        }
        for (i, k) in swept {
            self.notify(class::EXPIRED, "expired", &k, i);
        }
        deleted
    }

    /// Whether any key of any database has an expiry (the sweeper can stop otherwise).
    pub fn has_expires(&self) -> bool {
        self.dbs.iter().any(|d| !d.expires.is_empty())
    }

    /// (keys, lists, list elements) over all databases, for a broker's `repr`.
    pub fn summary(&self) -> (usize, usize, usize) {
        let mut out = (0, 0, 0);
        for d in &self.dbs {
            out.0 += d.map.len();
            for v in d.map.values() {
                if let Value::List(l) = &v.value {
                    out.1 += 1;
                    out.2 += l.len();
                }
            }
        }
        out
    }

    /// INFO's `blocked_clients`.
    pub fn blocked_clients(&self) -> usize {
        self.waiters.blocked_count()
    }
}
