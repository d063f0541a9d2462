//! One numbered database: key → value, and key → expiry time.
//!
//! Expired keys vanish on access (here) and by the active sweep (`Keyspace::active_expire`).
//! Typed lookups answer `WrongType` as Redis does. Knows nothing of RESP or Python.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::clock::unix_ms;
use super::error::{Error, Result};
use super::list::List;
use super::stream::Stream;
use super::value::Value;

/// Which per-database queues may hold keys (see `Db::queued`). Only touched under the
/// keyspace lock; atomics only because the databases share it.
#[derive(Debug, Default)]
pub(crate) struct Queued {
    /// Some `Db::expired` is not empty.
    pub expired: AtomicBool,
    /// Some `Db::removed_streams` is not empty.
    pub removed_streams: AtomicBool,
}

/// Keys are binary-safe byte strings.
pub type Key = Box<[u8]>;

/// Randomly seeded hashing: keys come from network peers too, so no flooding by chosen keys.
pub type Map<K, V> = HashMap<K, V, ahash::RandomState>;

/// A database. Invariant: every key in `expires` is also in `map`; no container in `map` is
/// empty.
#[derive(Debug, Default)]
pub struct Db {
    /// The keyspace proper.
    pub map: Map<Key, Value>,
    /// Absolute expiry times in Unix milliseconds, for the keys that have one.
    pub expires: Map<Key, i64>,
    /// Keys deleted because their time had come, not yet turned into DEL effects. Filled
    /// only while `track_expired` (an AOF is open); drained by every unit.
    pub(crate) expired: Vec<Key>,
    /// Whether to fill `expired`.
    pub track_expired: bool,
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
    pub(crate) fn with_flags(queued: Arc<Queued>) -> Db {
        Db { queued, ..Db::default() }
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
                self.touch(key);
                self.expires.remove(key);
                if let Some(Value::Stream(_)) = self.map.remove(key) {
                    self.queue_removed_stream(key.into());
                }
                if self.track_expired {
                    self.expired.push(key.into());
                    self.queued.expired.store(true, Ordering::Relaxed);
                }
                true
            }
            _ => false,
        }
    }

    /// The live value at `key`, if any.
    pub fn get(&mut self, key: &[u8]) -> Option<&Value> {
        self.expire_if_due(key);
        self.map.get(key)
    }

    /// The live value at `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_due(key);
        self.touch(key);
        self.map.get_mut(key)
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
        if !self.map.contains_key(key) {
            self.map.insert(key.into(), Value::List(List::new()));
        }
        match self.map.get_mut(key) {
            Some(Value::List(l)) => Ok(l),
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
        if !self.map.contains_key(key) {
            self.map.insert(key.into(), Value::Stream(Box::default()));
        }
        match self.map.get_mut(key) {
            Some(Value::Stream(s)) => Ok(s),
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

    /// Deletes `key` if it holds an empty container (Redis never keeps one).
    pub fn drop_if_empty(&mut self, key: &[u8]) {
        let empty = match self.map.get(key) {
            Some(Value::List(l)) => l.is_empty(),
            _ => false,
        };
        if empty {
            self.remove(key);
        }
    }

    /// Removes `key` and its expiry; returns the value it held.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.touch(key);
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        let old = self.map.remove(key);
        if let Some(Value::Stream(_)) = old {
            self.queue_removed_stream(key.into());
        }
        old
    }

    /// Stores `value` at `key`, dropping any expiry unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        self.touch(key);
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
        if let Some(slot) = self.map.get_mut(key) {
            if let Value::Stream(_) = slot {
                self.removed_streams.push(key.into());
                self.queued.removed_streams.store(true, Ordering::Relaxed);
            }
            *slot = value;
        } else {
            self.map.insert(key.into(), value);
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
            if let Value::Stream(_) = v {
                self.removed_streams.push(k.clone());
                self.queued.removed_streams.store(true, Ordering::Relaxed);
            }
        }
        self.map.clear();
        self.expires.clear();
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
