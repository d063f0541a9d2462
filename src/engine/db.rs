//! One numbered database: key → value, and key → expiry time.
//!
//! Expired keys vanish on access (here) and by the active sweep (`Keyspace::active_expire`).
//! Typed lookups answer `WrongType` as Redis does. Knows nothing of RESP or Python.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use super::clock::unix_ms;
use super::error::{Error, Result};
use super::hash::Hash;
use super::list::List;
use super::memory::{self, Meta};
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;
use super::value::Value;

/// Which per-database queues may hold keys (see `Db::queued`). Only touched under the
/// keyspace lock; atomics only because the databases share it.
#[derive(Debug, Default)]
pub(crate) struct Queued {
    /// Some `Db::expired` is not empty.
    pub expired: AtomicBool,
    /// Some `Db::removed_streams` is not empty.
    pub removed_streams: AtomicBool,
    /// The sum of every database's `Db::used`, so that the per-command memory check
    /// reads one number, not sixteen. Updated by load and store, not read-modify-write:
    /// only ever touched under the keyspace lock.
    pub used: AtomicUsize,
    /// Bit `i` set: database `i` has a key checked out (`Db::out`), to settle before
    /// `used` is read.
    pub outs: AtomicU32,
    /// Keyspace events the databases queued (new and expired keys), in the order they
    /// happened, for `Keyspace::flush_events`. Empty unless notifications are on.
    pub(crate) events: parking_lot::Mutex<Vec<super::notify::Pending>>,
    /// `events` is not empty.
    pub events_due: AtomicBool,
}

impl Queued {
    /// `used`, after `add` bytes (negative: fewer).
    #[inline]
    fn adjust(&self, add: usize, sub: usize) {
        let now = self.used.load(Ordering::Relaxed);
        self.used.store((now + add).saturating_sub(sub), Ordering::Relaxed);
    }

    /// Sets or clears bit `i` of `outs`.
    #[inline]
    fn mark_out(&self, i: usize, out: bool) {
        let bit = 1u32 << (i & 31);
        let now = self.outs.load(Ordering::Relaxed);
        self.outs.store(if out { now | bit } else { now & !bit }, Ordering::Relaxed);
    }
}

/// Keys are binary-safe byte strings.
pub type Key = Box<[u8]>;

/// Randomly seeded hashing: keys come from network peers too, so no flooding by chosen keys.
pub type Map<K, V> = HashMap<K, V, ahash::RandomState>;

/// The keyspace tables: hashed as `Map`, and indexable by position so that eviction can
/// sample random keys in O(1) (Redis `dictGetSomeKeys`). Removal is `swap_remove`: the
/// order means nothing (SCAN has its own).
pub type KeyMap<V> = indexmap::IndexMap<Key, V, ahash::RandomState>;

/// A value and its access metadata (Redis keeps both in the `robj`: 24 bits of `lru`).
/// Derefs to the value, so readers see a `Value`. The metadata costs 8 bytes per key
/// (4, and 4 of padding), the slot being that much larger.
#[derive(Debug)]
pub struct Slot {
    /// What the key holds.
    pub value: Value,
    /// LRU clock or LFU counter of the last access (see `memory::Meta`).
    pub meta: Meta,
}

impl std::ops::Deref for Slot {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.value
    }
}

impl std::ops::DerefMut for Slot {
    fn deref_mut(&mut self) -> &mut Value {
        &mut self.value
    }
}

/// How accesses stamp a key's metadata (copied into every database by
/// `Keyspace::refresh_access`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Access {
    /// LFU counters instead of the LRU clock.
    pub lfu: bool,
    /// The LRU clock (seconds, 24 bits) as of the last refresh.
    pub clock: u32,
    /// Minutes (16 bits) as of the last refresh, for LFU.
    pub minutes: u32,
    /// The LFU settings.
    pub cfg: Option<memory::MemoryConfig>,
}

/// A database. Invariant: every key in `expires` is also in `map`; no container in `map` is
/// empty.
#[derive(Debug, Default)]
pub struct Db {
    /// The keyspace proper. Change it only through `Db`'s methods, which keep `used`.
    pub map: KeyMap<Slot>,
    /// Absolute expiry times in Unix milliseconds, for the keys that have one. Change it
    /// only through `Db`'s methods, which keep `used`.
    pub expires: KeyMap<i64>,
    /// Bytes the keys cost (`memory::entry_cost`, `memory::expire_cost`), except the key
    /// checked out in `out`: a mutable borrow of a value changes it where no one counts,
    /// so its cost leaves `used` when it is handed out and comes back, as it then is, the
    /// next time the database is touched (`settle`). The borrow checker guarantees the
    /// borrow ended by then. Read it with `used`.
    used: usize,
    /// The position in `map` of the key whose value was last handed out mutably.
    out: Option<usize>,
    /// How accesses stamp metadata.
    pub(crate) access: Access,
    /// Random bits for LFU increments.
    rng: Option<memory::Rng>,
    /// This database's number (its bit in `Queued::outs`).
    index: usize,
    /// Keys deleted because their time had come, not yet turned into DEL effects. Filled
    /// only while `track_expired` (an AOF is open); drained by every unit.
    pub(crate) expired: Vec<Key>,
    /// Whether to fill `expired`.
    pub track_expired: bool,
    /// The classes of keyspace event that publish (`Notify::mask`, copied here by
    /// `Keyspace::set_notify_flags`): new and expired keys are queued for them.
    pub(crate) notify: u16,
    /// Stream keys deleted or overwritten (DEL, expiry, SET, RENAME, FLUSHDB…) during the
    /// unit, so that XREADGROUP calls blocked on them wake with an error, as Redis 7.0's
    /// `signalDeletedKeyAsReady` does. Drained by `Keyspace::serve_ready_keys`.
    pub(crate) removed_streams: Vec<Key>,
    /// Raised when `expired` or `removed_streams` gets a key. Shared by all the databases
    /// of a keyspace, so that the end of every unit checks two flags, not sixteen lists.
    pub(crate) queued: Arc<Queued>,
    /// WATCHed keys (the server's MULTI/EXEC): key → (clients watching it, version). Every
    /// mutable access to a watched key bumps its version, so EXEC can tell it was touched
    /// (Redis `touchWatchedKey`); a read never does. Empty unless a client watches, which
    /// keeps the check on the write path to one `is_empty`. Touched only under the lock.
    pub watched: Map<Key, (usize, u64)>,
}

impl Db {
    /// An empty database whose queued work raises `queued`.
    pub(crate) fn with_flags(queued: Arc<Queued>, index: usize) -> Db {
        Db { queued, index, ..Db::default() }
    }

    /// Counts `n` more bytes, here and in the keyspace's total.
    #[inline]
    fn add_used(&mut self, n: usize) {
        self.used += n;
        self.queued.adjust(n, 0);
    }

    /// Counts `n` fewer bytes, here and in the keyspace's total.
    #[inline]
    fn sub_used(&mut self, n: usize) {
        self.used = self.used.saturating_sub(n);
        self.queued.adjust(0, n);
    }

    /// Counts the checked-out key again, as it now is (see `used`).
    #[inline]
    pub(crate) fn settle(&mut self) {
        if let Some(i) = self.out.take() {
            self.queued.mark_out(self.index, false);
            if let Some((k, slot)) = self.map.get_index(i) {
                let cost = memory::entry_cost(k, slot);
                self.add_used(cost);
            }
        }
    }

    /// Bytes the keys cost now.
    #[inline]
    pub fn used(&mut self) -> usize {
        self.settle();
        self.used
    }

    /// Sets `used` from a walk over every key: after a change made outside `Db`'s methods
    /// (a snapshot's copy-on-write sharing adds a header to every node it shares).
    pub fn recount_used(&mut self) {
        if self.out.take().is_some() {
            self.queued.mark_out(self.index, false);
        }
        let counted = self.map.iter().map(|(k, v)| memory::entry_cost(k, v)).sum::<usize>()
            + self.expires.keys().map(|k| memory::expire_cost(k)).sum::<usize>();
        self.queued.adjust(counted, self.used);
        self.used = counted;
    }

    /// The metadata a new key starts with.
    fn fresh_meta(&self) -> Meta {
        match self.access.cfg {
            Some(cfg) if self.access.lfu => memory::new_meta(&cfg, self.access.clock, self.access.minutes),
            _ => self.access.clock,
        }
    }

    /// Stamps an access on the slot at `i` (`lookupKey`'s LRU/LFU update).
    #[inline]
    fn stamp(&mut self, i: usize) {
        let access = self.access;
        if access.lfu {
            let Some(cfg) = access.cfg else { return };
            let rng = self.rng.get_or_insert_with(|| memory::Rng::new(0x5eed));
            if let Some((_, slot)) = self.map.get_index_mut(i) {
                slot.meta = memory::lfu_touch(slot.meta, &cfg, access.minutes, rng);
            }
        } else if let Some((_, slot)) = self.map.get_index_mut(i) {
            slot.meta = access.clock;
        }
    }

    /// Queues the keyspace event `event` of class `class` about `key`, if it publishes.
    #[inline]
    fn queue_event(&mut self, class: u16, event: &'static str, key: &[u8]) {
        if self.notify & class != 0 {
            let pending = super::notify::Pending { db: self.index, class, event, key: key.into() };
            self.queued.events.lock().push(pending);
            self.queued.events_due.store(true, Ordering::Relaxed);
        }
    }

    /// Inserts a key known to be absent (the caller checked), counting it: Redis's
    /// `dbAdd`, with its `new` event.
    fn insert_new(&mut self, key: &[u8], value: Value) {
        self.queue_event(super::notify::class::NEW, "new", key);
        self.insert_fresh(key, value);
    }

    /// `insert_new` without the event (a key loaded from a file is not new).
    fn insert_fresh(&mut self, key: &[u8], value: Value) {
        self.add_used(memory::entry_cost(key, &value));
        let meta = self.fresh_meta();
        self.map.insert(key.into(), Slot { value, meta });
    }

    /// Removes `key`'s expiry entry, if any, uncounting it.
    fn drop_expiry(&mut self, key: &[u8]) -> bool {
        if self.expires.is_empty() {
            return false;
        }
        let gone = self.expires.swap_remove(key).is_some();
        if gone {
            self.sub_used(memory::expire_cost(key));
        }
        gone
    }

    /// Sets `key` (which must exist) to expire at `at` (Unix ms).
    pub fn set_expiry(&mut self, key: &[u8], at: i64) {
        if self.expires.insert(key.into(), at).is_none() {
            self.add_used(memory::expire_cost(key));
        }
    }

    /// Removes `key`'s expiry; whether it had one.
    pub fn clear_expiry(&mut self, key: &[u8]) -> bool {
        self.drop_expiry(key)
    }

    /// Removes `key` and its slot, uncounting both. The caller settled.
    fn take(&mut self, key: &[u8]) -> Option<Value> {
        let (_, k, slot) = self.map.swap_remove_full(key)?;
        self.sub_used(memory::entry_cost(&k, &slot));
        Some(slot.value)
    }

    /// Stores a value read from a snapshot; false if the key was already there.
    pub fn load(&mut self, key: Key, value: Value) -> bool {
        self.settle();
        if self.map.contains_key(&key) {
            return false;
        }
        self.insert_fresh(&key, value);
        true
    }

    /// Removes a key this unit just created and must take back (an XADD that failed on a
    /// new stream), with no trace: no watcher touched, no reader woken.
    pub fn discard_created(&mut self, key: &[u8]) {
        self.settle();
        self.take(key);
    }

    fn queue_removed_stream(&mut self, key: Key) {
        self.removed_streams.push(key);
        self.queued.removed_streams.store(true, Ordering::Relaxed);
    }

    /// Deletes `key` if its time has come. Returns whether it was deleted.
    fn expire_if_due(&mut self, key: &[u8]) -> bool {
        if self.expires.is_empty() {
            return false;
        }
        match self.expires.get(key) {
            Some(&at) if at <= unix_ms() => {
                self.settle();
                self.touch(key);
                self.drop_expiry(key);
                if let Some(Value::Stream(_)) = self.take(key) {
                    self.queue_removed_stream(key.into());
                }
                if self.track_expired {
                    self.expired.push(key.into());
                    self.queued.expired.store(true, Ordering::Relaxed);
                }
                self.queue_event(super::notify::class::EXPIRED, "expired", key);
                true
            }
            _ => false,
        }
    }

    /// The live value at `key`, if any.
    pub fn get(&mut self, key: &[u8]) -> Option<&Value> {
        self.expire_if_due(key);
        let i = self.map.get_index_of(key)?;
        self.stamp(i);
        self.map.get_index(i).map(|(_, slot)| &slot.value)
    }

    /// The live value at `key`, mutably. It is checked out of `used` until the database
    /// is next touched (see `used`).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_due(key);
        self.touch(key);
        self.settle();
        let i = self.map.get_index_of(key)?;
        self.stamp(i);
        self.check_out(i)
    }

    /// Hands out the value at position `i`, its cost leaving `used` until `settle`.
    #[inline]
    fn check_out(&mut self, i: usize) -> Option<&mut Value> {
        let (k, slot) = self.map.get_index_mut(i)?;
        let cost = memory::entry_cost(k, slot);
        self.used = self.used.saturating_sub(cost);
        self.queued.adjust(0, cost);
        self.queued.mark_out(self.index, true);
        self.out = Some(i);
        Some(&mut slot.value)
    }

    /// Whether `key` holds a live value.
    pub fn contains(&mut self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The list at `key`; `None` if missing; `WrongType` if it holds something else.
    pub fn list(&mut self, key: &[u8]) -> Result<Option<&List>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::List(l)) => Ok(Some(l)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The list at `key`, mutably.
    pub fn list_mut(&mut self, key: &[u8]) -> Result<Option<&mut List>> {
        match self.get_mut(key) {
            None => Ok(None),
            Some(Value::List(l)) => Ok(Some(l)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The list at `key`, created empty if missing. The caller must leave it non-empty.
    pub fn list_or_create(&mut self, key: &[u8]) -> Result<&mut List> {
        self.expire_if_due(key);
        self.touch(key);
        self.settle();
        let i = match self.map.get_index_of(key) {
            Some(i) => {
                if !matches!(self.map.get_index(i), Some((_, Slot { value: Value::List(_), .. }))) {
                    return Err(Error::WrongType);
                }
                self.stamp(i);
                i
            }
            None => {
                self.insert_new(key, Value::List(List::new()));
                self.map.len() - 1
            }
        };
        match self.check_out(i) {
            Some(Value::List(l)) => Ok(l),
            _ => Err(Error::WrongType),
        }
    }

    /// The set at `key`; `None` if missing; `WrongType` if it holds something else.
    pub fn set_value(&mut self, key: &[u8]) -> Result<Option<&Set>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Set(s)) => Ok(Some(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The set at `key`, mutably.
    pub fn set_mut(&mut self, key: &[u8]) -> Result<Option<&mut Set>> {
        match self.get_mut(key) {
            None => Ok(None),
            Some(Value::Set(s)) => Ok(Some(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The set at `key`, created empty with the encoding `first` calls for if missing
    /// (Redis `setTypeCreate`). The caller must leave it non-empty.
    pub fn set_or_create(&mut self, key: &[u8], first: &[u8]) -> Result<&mut Set> {
        self.expire_if_due(key);
        self.touch(key);
        self.settle();
        let i = match self.map.get_index_of(key) {
            Some(i) => {
                if !matches!(self.map.get_index(i), Some((_, Slot { value: Value::Set(_), .. }))) {
                    return Err(Error::WrongType);
                }
                self.stamp(i);
                i
            }
            None => {
                self.insert_new(key, Value::Set(Set::for_first(first)));
                self.map.len() - 1
            }
        };
        match self.check_out(i) {
            Some(Value::Set(s)) => Ok(s),
            _ => Err(Error::WrongType),
        }
    }

    /// The stream at `key`; `None` if missing; `WrongType` if it holds something else.
    pub fn stream(&mut self, key: &[u8]) -> Result<Option<&Stream>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Stream(s)) => Ok(Some(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The stream at `key`, mutably.
    pub fn stream_mut(&mut self, key: &[u8]) -> Result<Option<&mut Stream>> {
        match self.get_mut(key) {
            None => Ok(None),
            Some(Value::Stream(s)) => Ok(Some(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The stream at `key`, created empty if missing (XADD, XGROUP CREATE MKSTREAM). An empty
    /// stream is a valid value and stays.
    pub fn stream_or_create(&mut self, key: &[u8]) -> Result<&mut Stream> {
        self.expire_if_due(key);
        self.touch(key);
        self.settle();
        let i = match self.map.get_index_of(key) {
            Some(i) => {
                if !matches!(self.map.get_index(i), Some((_, Slot { value: Value::Stream(_), .. }))) {
                    return Err(Error::WrongType);
                }
                self.stamp(i);
                i
            }
            None => {
                self.insert_new(key, Value::Stream(Box::default()));
                self.map.len() - 1
            }
        };
        match self.check_out(i) {
            Some(Value::Stream(s)) => Ok(s),
            _ => Err(Error::WrongType),
        }
    }

    /// The hash at `key`; `None` if missing; `WrongType` if it holds something else.
    pub fn hash(&mut self, key: &[u8]) -> Result<Option<&Hash>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Hash(h)) => Ok(Some(h)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The hash at `key`, mutably.
    pub fn hash_mut(&mut self, key: &[u8]) -> Result<Option<&mut Hash>> {
        match self.get_mut(key) {
            None => Ok(None),
            Some(Value::Hash(h)) => Ok(Some(h)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The hash at `key`, created empty if missing (`hashTypeLookupWriteOrCreate`). The
    /// caller must leave it non-empty (or `drop_if_empty` it).
    pub fn hash_or_create(&mut self, key: &[u8]) -> Result<&mut Hash> {
        self.expire_if_due(key);
        self.touch(key);
        self.settle();
        let i = match self.map.get_index_of(key) {
            Some(i) => {
                if !matches!(self.map.get_index(i), Some((_, Slot { value: Value::Hash(_), .. }))) {
                    return Err(Error::WrongType);
                }
                self.stamp(i);
                i
            }
            None => {
                self.insert_new(key, Value::Hash(Hash::new()));
                self.map.len() - 1
            }
        };
        match self.check_out(i) {
            Some(Value::Hash(h)) => Ok(h),
            _ => Err(Error::WrongType),
        }
    }

    /// The sorted set at `key`; `None` if missing; `WrongType` if it holds something else.
    pub fn zset(&mut self, key: &[u8]) -> Result<Option<&ZSet>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Zset(z)) => Ok(Some(z)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The sorted set at `key`, mutably.
    pub fn zset_mut(&mut self, key: &[u8]) -> Result<Option<&mut ZSet>> {
        match self.get_mut(key) {
            None => Ok(None),
            Some(Value::Zset(z)) => Ok(Some(z)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The sorted set at `key`, created by `make` if missing. The caller must leave it
    /// non-empty (or `drop_if_empty` it).
    pub fn zset_or_create(&mut self, key: &[u8], make: impl FnOnce() -> ZSet) -> Result<&mut ZSet> {
        self.expire_if_due(key);
        self.touch(key);
        self.settle();
        let i = match self.map.get_index_of(key) {
            Some(i) => {
                if !matches!(self.map.get_index(i), Some((_, Slot { value: Value::Zset(_), .. }))) {
                    return Err(Error::WrongType);
                }
                self.stamp(i);
                i
            }
            None => {
                self.insert_new(key, Value::Zset(make()));
                self.map.len() - 1
            }
        };
        match self.check_out(i) {
            Some(Value::Zset(z)) => Ok(z),
            _ => Err(Error::WrongType),
        }
    }

    /// The string at `key`.
    pub fn string(&mut self, key: &[u8]) -> Result<Option<&Vec<u8>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// The string at `key`, mutably (APPEND, SETRANGE, SETBIT change it in place, keeping
    /// its expiry and access metadata, as Redis does).
    pub fn string_mut(&mut self, key: &[u8]) -> Result<Option<&mut Vec<u8>>> {
        match self.get_mut(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// Deletes `key` if it holds an empty container (Redis never keeps one).
    pub fn drop_if_empty(&mut self, key: &[u8]) {
        let empty = match self.map.get(key).map(|slot| &slot.value) {
            Some(Value::List(l)) => l.is_empty(),
            Some(Value::Set(s)) => s.is_empty(),
            Some(Value::Hash(h)) => h.is_empty(),
            Some(Value::Zset(z)) => z.is_empty(),
            _ => false,
        };
        if empty {
            self.remove(key);
        }
    }

    /// Removes `key` and its expiry; returns the value it held.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.touch(key);
        self.settle();
        self.drop_expiry(key);
        let old = self.take(key);
        if let Some(Value::Stream(_)) = old {
            self.queue_removed_stream(key.into());
        }
        old
    }

    /// Stores `value` at `key`, dropping any expiry unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        self.touch(key);
        self.settle();
        if !keep_ttl {
            self.drop_expiry(key);
        }
        let new_cost = memory::entry_cost(key, &value);
        let meta = self.fresh_meta();
        if let Some(slot) = self.map.get_mut(key) {
            if let Value::Stream(_) = slot.value {
                self.removed_streams.push(key.into());
                self.queued.removed_streams.store(true, Ordering::Relaxed);
            }
            let old_cost = memory::entry_cost(key, slot);
            // An overwrite is a new object in Redis: its metadata starts afresh.
            *slot = Slot { value, meta };
            self.used = self.used.saturating_sub(old_cost) + new_cost;
            self.queued.adjust(new_cost, old_cost);
        } else {
            self.insert_new(key, value);
        }
    }

    /// The expiry of a live `key`, in Unix ms.
    pub fn expiry(&mut self, key: &[u8]) -> Option<i64> {
        self.expire_if_due(key);
        self.expires.get(key).copied()
    }

    /// Number of live keys (keys past their time but not yet swept count until swept, as
    /// in Redis's DBSIZE).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Drops every key.
    pub fn clear(&mut self) {
        for (_, version) in self.watched.values_mut() {
            *version += 1;
        }
        for (k, v) in &self.map {
            if let Value::Stream(_) = v.value {
                self.removed_streams.push(k.clone());
                self.queued.removed_streams.store(true, Ordering::Relaxed);
            }
        }
        self.map.clear();
        self.expires.clear();
        if self.out.take().is_some() {
            self.queued.mark_out(self.index, false);
        }
        self.queued.adjust(0, self.used);
        self.used = 0;
    }

    /// The live slot at `key` without stamping an access (Redis `LOOKUP_NOTOUCH`, as
    /// OBJECT looks keys up): a key whose time has come is still deleted.
    pub fn peek(&mut self, key: &[u8]) -> Option<&Slot> {
        self.expire_if_due(key);
        self.settle();
        self.map.get(key)
    }

    /// SWAPDB's exchange (Redis `dbSwapDatabases`): the keys, their expiries and their
    /// counted bytes change places; what belongs to the database number stays (watchers,
    /// queued DEL effects, the access settings). Watched keys present on either side count
    /// as touched, as `touchAllWatchedKeysInDb`.
    pub fn swap_contents(&mut self, other: &mut Db) {
        self.settle();
        other.settle();
        let present = |k: &Key, a: &Db, b: &Db| a.map.contains_key(k) || b.map.contains_key(k);
        let mine: Vec<Key> = self.watched.keys().filter(|k| present(k, self, other)).cloned().collect();
        let theirs: Vec<Key> = other.watched.keys().filter(|k| present(k, self, other)).cloned().collect();
        for k in mine {
            self.touch(&k);
        }
        for k in theirs {
            other.touch(&k);
        }
        std::mem::swap(&mut self.map, &mut other.map);
        std::mem::swap(&mut self.expires, &mut other.expires);
        // The keyspace's total is unchanged: both sides move together.
        std::mem::swap(&mut self.used, &mut other.used);
    }

    /// Marks `key` as modified for the clients that WATCH it (a no-op when none does).
    /// Every write path calls it, through the mutable accessors above or directly.
    pub fn touch(&mut self, key: &[u8]) {
        if !self.watched.is_empty() {
            if let Some((_, version)) = self.watched.get_mut(key) {
                *version += 1;
            }
        }
    }

    /// WATCH `key` for one more client; returns the version to compare at EXEC.
    pub fn watch(&mut self, key: &[u8]) -> u64 {
        let entry = self.watched.entry(key.into()).or_insert((0, 0));
        entry.0 += 1;
        entry.1
    }

    /// Whether `key` was touched since WATCH returned `version`. A key whose logical time
    /// has come counts as touched, as Redis 7.0's `isWatchedKeyExpired`.
    pub fn watch_touched(&mut self, key: &[u8], version: u64) -> bool {
        self.expire_if_due(key);
        self.watched.get(key).is_none_or(|&(_, v)| v != version)
    }

    /// One client stops watching `key` (UNWATCH, EXEC, DISCARD, disconnect).
    pub fn unwatch(&mut self, key: &[u8]) {
        if let Some(entry) = self.watched.get_mut(key) {
            entry.0 -= 1;
            if entry.0 == 0 {
                self.watched.remove(key);
            }
        }
    }
}
