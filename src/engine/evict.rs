//! Keeping under `maxmemory` (Redis `evict.c`): `performEvictions` before commands, the
//! sampled eviction pool of the LRU, LFU and TTL policies, random eviction, and the check
//! that refuses a DENYOOM command with Redis's OOM error when nothing more can go.
//!
//! Runs inside the caller's unit, so an eviction is atomic with the command it makes room
//! for, and its DEL reaches the AOF in the same unit, before the command (as Redis
//! propagates evictions). Knows nothing of RESP or Python.

use super::db::Key;
use super::error::{Error, Result};
use super::keyspace::{Keyspace, DATABASES};
use super::memory::{self, MemoryConfig, Policy, Rng};

/// Candidates the pool keeps between rounds (`EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;

/// A candidate for eviction: the higher `idle`, the better a victim.
#[derive(Debug, Clone)]
struct Candidate {
    idle: u64,
    db: usize,
    key: Key,
}

/// The memory settings and the eviction state of one broker.
#[derive(Debug)]
pub struct Memory {
    /// The limit and the policy.
    pub(crate) config: MemoryConfig,
    /// The most `used_memory` has been (INFO's `used_memory_peak`).
    pub(crate) peak: usize,
    /// Keys evicted so far (INFO's `evicted_keys`).
    pub(crate) evicted_keys: u64,
    /// Best candidates seen so far, ascending by `idle` (`EvictionPoolLRU`): kept across
    /// rounds, which is what makes a few samples per round approximate true LRU well.
    pool: Vec<Candidate>,
    /// Random bits for sampling; seedable so that tests see the same victims every run.
    rng: Rng,
    /// Where random policies look first (`next_db` in `performEvictions`).
    next_db: usize,
    /// A fixed (LRU clock, minutes) instead of the time of day, for tests.
    frozen_clock: Option<(u32, u32)>,
    /// Checks since the access clock was last read from the time of day.
    checks: u32,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            config: MemoryConfig::default(),
            peak: 0,
            evicted_keys: 0,
            pool: Vec::with_capacity(POOL_SIZE),
            rng: Rng::new(0x00e6_1c75),
            next_db: 0,
            frozen_clock: None,
            checks: 0,
        }
    }
}

/// A broker's fixed structures (the keyspace and its databases' headers), counted in
/// `used_memory` so that an empty broker does not report 0.
const BASE_BYTES: usize = std::mem::size_of::<Keyspace>() + DATABASES * std::mem::size_of::<super::db::Db>();

/// INFO's memory figures that the engine knows (the process's RSS is the server's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryInfo {
    /// `used_memory`.
    pub used: u64,
    /// `used_memory_peak`.
    pub peak: u64,
    /// `used_memory_dataset`: `used` less the broker's fixed structures.
    pub dataset: u64,
    /// The settings.
    pub config: MemoryConfig,
    /// `evicted_keys` (INFO stats).
    pub evicted_keys: u64,
}

impl MemoryInfo {
    /// The INFO memory fields, named and formatted as Redis 7.0's, in its order.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        #[allow(clippy::cast_precision_loss)]
        let perc = |a: u64, b: u64| format!("{:.2}%", if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 });
        vec![
            ("used_memory", self.used.to_string()),
            ("used_memory_human", memory::bytes_to_human(self.used)),
            ("used_memory_peak", self.peak.to_string()),
            ("used_memory_peak_human", memory::bytes_to_human(self.peak)),
            ("used_memory_peak_perc", perc(self.used, self.peak)),
            ("used_memory_overhead", (self.used - self.dataset).to_string()),
            ("used_memory_dataset", self.dataset.to_string()),
            ("used_memory_dataset_perc", perc(self.dataset, self.used)),
            ("maxmemory", self.config.maxmemory.to_string()),
            ("maxmemory_human", memory::bytes_to_human(self.config.maxmemory)),
            ("maxmemory_policy", self.config.policy.name().to_owned()),
            ("mem_not_counted_for_evict", "0".to_owned()),
        ]
    }
}

impl Keyspace {
    /// The figures of INFO memory (and `evicted_keys`).
    pub fn memory_info(&mut self) -> MemoryInfo {
        let used = self.used_memory() as u64;
        MemoryInfo {
            used,
            peak: self.memory.peak as u64,
            dataset: used.saturating_sub(BASE_BYTES as u64),
            config: self.memory.config,
            evicted_keys: self.memory.evicted_keys,
        }
    }

    /// `used_memory`: what the broker's data costs, in bytes (see `memory.rs` for what is
    /// counted). O(databases). Also moves `used_memory_peak`.
    pub fn used_memory(&mut self) -> usize {
        let used = self.used_now();
        self.memory.peak = self.memory.peak.max(used);
        used
    }

    /// `used_memory` without moving the peak.
    #[inline]
    fn used_now(&mut self) -> usize {
        // Usually one database has a key checked out (the last command's), or none.
        let mut outs = self.dbs[0].queued.outs.load(std::sync::atomic::Ordering::Relaxed);
        while outs != 0 {
            let i = outs.trailing_zeros() as usize;
            self.dbs[i].settle();
            outs &= outs - 1;
        }
        BASE_BYTES + self.dbs[0].queued.used.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `used_memory_peak`.
    pub fn used_memory_peak(&mut self) -> usize {
        self.used_memory();
        self.memory.peak
    }

    /// INFO's `evicted_keys`.
    pub fn evicted_keys(&self) -> u64 {
        self.memory.evicted_keys
    }

    /// The memory settings in force.
    pub fn memory_config(&self) -> MemoryConfig {
        self.memory.config
    }

    /// Changes the memory settings (CONFIG SET, the constructor's keywords). Callers
    /// validated them. A lower limit takes effect at the next command, as in Redis.
    pub fn set_memory_config(&mut self, config: MemoryConfig) {
        if config.policy != self.memory.config.policy {
            // Scores of another policy mean nothing to this one.
            self.memory.pool.clear();
        }
        self.memory.config = config;
        self.refresh_access();
    }

    /// Seeds the sampling's random source (tests, for reproducible victims).
    pub fn seed_eviction(&mut self, seed: u64) {
        self.memory.rng = Rng::new(seed);
        self.memory.pool.clear();
        self.memory.next_db = 0;
    }

    /// Fixes the clocks that access metadata and eviction read (LRU seconds, LFU minutes)
    /// instead of the time of day (`None`), so that tests can age keys without waiting.
    pub fn freeze_access_clock(&mut self, clock: Option<(u32, u32)>) {
        self.memory.frozen_clock = clock;
        self.refresh_access();
    }

    /// (LRU clock, LFU minutes) now.
    fn clocks(&self) -> (u32, u32) {
        self.memory.frozen_clock.unwrap_or_else(|| (memory::lru_clock(), memory::lfu_minutes()))
    }

    /// Updates the clock that accesses stamp keys with, and how they stamp them.
    pub fn refresh_access(&mut self) {
        let cfg = self.memory.config;
        let (clock, minutes) = self.clocks();
        let access = super::db::Access { lfu: cfg.policy.is_lfu(), clock, minutes, cfg: Some(cfg) };
        for d in &mut self.dbs {
            d.access = access;
        }
    }

    /// Redis `processCommand`'s memory step: with a limit set, evict what the policy
    /// allows until under it; then refuse a command that may grow memory (`denyoom`) if
    /// still over. A no-op without a limit.
    ///
    /// # Errors
    /// `OutOfMemory` when `denyoom` and used memory stays above `maxmemory`.
    pub fn check_memory(&mut self, denyoom: bool) -> Result<()> {
        // The access clock has a resolution of a second (as Redis's, which its cron
        // refreshes ten times a second): reading the time of day for every command would
        // cost more than the rest of the check, so it is read every 64 checks (the first
        // check included), and before any eviction (which compares it with the keys'
        // stamps). Also without a limit: OBJECT IDLETIME/FREQ read the stamps.
        if self.memory.checks == 0 {
            self.refresh_access();
        }
        self.memory.checks += 1;
        if self.memory.checks >= 64 {
            self.memory.checks = 0;
        }
        if self.memory.config.maxmemory == 0 {
            return Ok(());
        }
        if !self.perform_evictions() && denyoom {
            return Err(Error::OutOfMemory);
        }
        Ok(())
    }

    /// Whether used memory is over a limit that is set (`getMaxmemoryState`).
    pub fn over_maxmemory(&mut self) -> bool {
        let max = self.memory.config.maxmemory;
        max != 0 && self.used_memory() as u64 > max
    }

    /// `performEvictions`: evicts keys as the policy says until used memory is at most
    /// `maxmemory`. Returns false if it is still over (no policy, or nothing left that the
    /// policy may evict).
    pub fn perform_evictions(&mut self) -> bool {
        let max = self.memory.config.maxmemory;
        if max == 0 {
            return true;
        }
        if self.used_memory() as u64 <= max {
            return true;
        }
        if self.memory.config.policy == Policy::NoEviction {
            return false;
        }
        self.refresh_access();
        while self.used_memory() as u64 > max {
            let Some((db, key)) = self.pick_victim() else {
                return false;
            };
            self.evict(db, &key);
        }
        true
    }

    /// Deletes `key` as an eviction: propagated to the AOF as a DEL (as Redis's
    /// `deleteEvictedKeyAndPropagate`), counted in `evicted_keys`. Blocked readers of a
    /// stream see it deleted, as after a DEL; list waiters are not woken (nothing to pop).
    fn evict(&mut self, db: usize, key: &[u8]) {
        if self.dbs[db].remove(key).is_some() {
            self.emit(db, || vec![b"DEL".to_vec(), key.to_vec()]);
            self.memory.evicted_keys += 1;
            self.notify(super::notify::class::EVICTED, "evicted", key, db);
        }
    }

    /// The next key to evict under the current policy, if the policy may evict any.
    fn pick_victim(&mut self) -> Option<(usize, Key)> {
        let policy = self.memory.config.policy;
        match policy {
            Policy::NoEviction => None,
            Policy::AllKeysRandom | Policy::VolatileRandom => self.pick_random(policy.volatile()),
            _ => self.pick_from_pool(policy),
        }
    }

    /// allkeys-random / volatile-random: a random key of the first database, from
    /// `next_db` on, that has one (so successive evictions visit every database).
    fn pick_random(&mut self, volatile: bool) -> Option<(usize, Key)> {
        for _ in 0..DATABASES {
            let db = self.memory.next_db;
            self.memory.next_db = (db + 1) % DATABASES;
            let d = &self.dbs[db];
            let len = if volatile { d.expires.len() } else { d.map.len() };
            if len == 0 {
                continue;
            }
            let i = self.memory.rng.below(len);
            let key = if volatile { d.expires.get_index(i).map(|(k, _)| k) } else { d.map.get_index(i).map(|(k, _)| k) };
            if let Some(k) = key {
                return Some((db, k.clone()));
            }
        }
        None
    }

    /// The LRU / LFU / TTL policies: sample `maxmemory-samples` keys of every database
    /// into the pool (`evictionPoolPopulate`), then take the best candidate that still
    /// exists, from the end of the pool (`performEvictions`'s loop).
    fn pick_from_pool(&mut self, policy: Policy) -> Option<(usize, Key)> {
        let volatile = policy.volatile();
        let (clock, minutes) = self.clocks();
        loop {
            let mut any = false;
            for db in 0..DATABASES {
                let d = &self.dbs[db];
                let len = if volatile { d.expires.len() } else { d.map.len() };
                if len == 0 {
                    continue;
                }
                any = true;
                for _ in 0..self.memory.config.samples.min(len) {
                    let i = self.memory.rng.below(len);
                    let d = &self.dbs[db];
                    let (key, expires_at) = if volatile {
                        match d.expires.get_index(i) {
                            Some((k, &at)) => (k, Some(at)),
                            None => continue,
                        }
                    } else {
                        match d.map.get_index(i) {
                            Some((k, _)) => (k, None),
                            None => continue,
                        }
                    };
                    let idle = match policy {
                        Policy::VolatileTtl => u64::MAX - expires_at.map_or(0, |at| u64::try_from(at).unwrap_or(0)),
                        _ => {
                            let Some(slot) = d.map.get(key) else { continue };
                            if policy.is_lfu() {
                                let decay = self.memory.config.lfu_decay_time;
                                255 - u64::from(memory::lfu_decayed(slot.meta, decay, minutes))
                            } else {
                                memory::lru_idle_secs(slot.meta, clock)
                            }
                        }
                    };
                    let key = key.clone();
                    insert_candidate(&mut self.memory.pool, Candidate { idle, db, key });
                }
            }
            if !any {
                return None;
            }
            while let Some(c) = self.memory.pool.pop() {
                let d = &self.dbs[c.db];
                let exists = if volatile { d.expires.contains_key(&c.key) } else { d.map.contains_key(&c.key) };
                if exists {
                    return Some((c.db, c.key));
                }
            }
        }
    }
}

/// Puts `c` in its place in the pool (ascending idle), unless the pool is full of better
/// candidates or already holds the key; a full pool drops its worst.
fn insert_candidate(pool: &mut Vec<Candidate>, c: Candidate) {
    if pool.iter().any(|p| p.db == c.db && p.key == c.key) {
        return;
    }
    let at = pool.partition_point(|p| p.idle < c.idle);
    if pool.len() >= POOL_SIZE {
        if at == 0 {
            return;
        }
        pool.remove(0);
        pool.insert(at - 1, c);
    } else {
        pool.insert(at, c);
    }
}
