//! Blocked consumers: FIFO per key, a de-duplicated ready-keys queue, claim-once hand-over.
//!
//! As in redis `src/blocked.c`: a consumer that finds nothing registers on its keys; a write
//! that may feed them marks the key ready (`signal_ready`); at the end of the writing unit,
//! still under the keyspace lock, the oldest waiters are served by handing the element
//! over (`Keyspace::serve_ready_keys`). Because everything here lives under that one lock,
//! "served" and "timed out/cancelled" can never both win. One waiter type serves every kind
//! of consumer: a parked thread, an async task, later a server connection.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Waker;

use parking_lot::Condvar;

use super::db::{Key, Map};
use super::error::{Error, Result};
use super::list::End;
use super::stream::ReadId;
use super::stream::EntryBatch;

/// Identifies one blocked call for its whole life.
pub type WaiterId = u64;

/// What a blocked call does once one of its keys has data.
#[derive(Debug, Clone)]
pub enum BlockOp {
    /// BLPOP / BRPOP: one element from `end`.
    Pop { end: End },
    /// BLMPOP: up to `count` elements from `end` of one key.
    MPop { end: End, count: usize },
    /// BLMOVE / BRPOPLPUSH: one element from `from` of the key to `to` of `dest`.
    Move { from: End, dest: Key, to: End },
    /// XREAD BLOCK: entries after each stream's ID, at most `count` per stream. An ID that
    /// did not parse is kept as its error, reported in Redis's order (after the type checks
    /// of the keys before it). `$` is resolved to the stream's last ID when the call blocks
    /// (`Keyspace::resolve_block_op`). Every blocked reader sees the new entries.
    XRead { streams: Vec<(Key, Result<ReadId>)>, count: Option<usize> },
    /// XREADGROUP BLOCK: as `consumer` of `group`, entries after each ID (`>`: never
    /// delivered to the group), at most `count` per stream, without PEL entries if `noack`.
    /// Blocked readers of a group are served oldest first, each new entry to one of them.
    XReadGroup {
        group: Vec<u8>,
        consumer: Vec<u8>,
        streams: Vec<(Key, Result<ReadId>)>,
        count: Option<usize>,
        noack: bool,
    },
}

impl BlockOp {
    /// Whether this is a stream read (XREAD / XREADGROUP), served by `streams.rs`'s rules.
    pub fn is_stream_read(&self) -> bool {
        matches!(self, BlockOp::XRead { .. } | BlockOp::XReadGroup { .. })
    }
}

/// What a blocked call was handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// BLPOP / BRPOP: the key and the element.
    Pop { key: Key, value: Vec<u8> },
    /// BLMPOP: the key and the elements, in pop order.
    MPop { key: Key, values: Vec<Vec<u8>> },
    /// BLMOVE: the element (already in the destination list).
    Move { value: Vec<u8> },
    /// XREAD / XREADGROUP: per stream, in key order, the entries read (a stream can come
    /// with none: an XREADGROUP history read), packed; a pending entry that was deleted
    /// from the stream comes without fields.
    Streams { streams: Vec<(Key, EntryBatch)> },
    /// A blocked call ended by an error, which each door raises or replies in its own way:
    /// a stream read whose group was destroyed or key deleted (Redis 7.0's NOGROUP /
    /// UNBLOCKED), a BLMOVE whose destination held another type when an element came
    /// (WRONGTYPE; the element stayed in the source).
    Failed(Error),
}

/// How to wake a waiter. Fired only after the keyspace lock is released, because an
/// asyncio waker re-enters Python.
#[derive(Debug, Clone)]
pub enum Wake {
    /// A thread parked on this condition variable (with the keyspace mutex).
    Thread(Arc<Condvar>),
    /// An async task.
    Task(Waker),
}

impl Wake {
    /// Wakes the consumer. Call with the keyspace lock released.
    pub fn wake(self) {
        match self {
            Wake::Thread(cv) => {
                cv.notify_one();
            }
            Wake::Task(w) => w.wake(),
        }
    }
}

/// One blocked call.
#[derive(Debug)]
struct Waiter {
    /// Database index of its keys.
    db: usize,
    /// The keys it waits on, in the order given (served in key order when several are ready).
    keys: Vec<Key>,
    /// What to do when served.
    op: BlockOp,
    /// How to wake it; replaced when an async task is polled with another waker.
    wake: Wake,
    /// Set once, by the unit that served it; taken by the consumer or given back.
    served: Option<Served>,
}

/// Every blocked call of the engine. Touched only under the keyspace lock.
#[derive(Debug, Default)]
pub struct Waiters {
    /// Source of ids; never reused.
    next_id: WaiterId,
    /// The blocked calls, served or not, until their consumer takes the outcome.
    waiters: Map<WaiterId, Waiter>,
    /// Per database, per key: the ids still waiting there, oldest first.
    by_key: Vec<Map<Key, VecDeque<WaiterId>>>,
    /// Keys that got data during the current unit and have waiters, in signal order.
    ready: VecDeque<(usize, Key)>,
    /// Wakes to fire once the lock is released.
    wakes: Vec<Wake>,
}

impl Waiters {
    /// Registers a blocked call on `keys` of database `db`.
    pub fn register(&mut self, db: usize, keys: Vec<Key>, op: BlockOp, wake: Wake) -> WaiterId {
        self.next_id += 1;
        let id = self.next_id;
        if self.by_key.len() <= db {
            self.by_key.resize_with(db + 1, Map::default);
        }
        let queues = &mut self.by_key[db];
        for (i, k) in keys.iter().enumerate() {
            // A key named twice (BLPOP k k 0) waits once.
            if keys[..i].contains(k) {
                continue;
            }
            queues.entry(k.clone()).or_default().push_back(id);
        }
        self.waiters.insert(id, Waiter { db, keys, op, wake, served: None });
        id
    }

    /// Whether anyone waits on `key` of `db`: the writers' cheap test.
    pub fn has_waiters(&self, db: usize, key: &[u8]) -> bool {
        self.by_key.get(db).is_some_and(|q| !q.is_empty() && q.contains_key(key))
    }

    /// The keys of database `db` that someone waits on (Redis `db->blocking_keys`), for
    /// SWAPDB's rescan.
    pub fn waited_keys(&self, db: usize) -> Vec<Key> {
        self.by_key.get(db).map(|q| q.keys().cloned().collect()).unwrap_or_default()
    }

    /// Marks `key` as having received data, if anyone waits on it (Redis `signalKeyAsReady`).
    pub fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.has_waiters(db, key) && !self.ready.iter().any(|(d, k)| *d == db && **k == *key) {
            self.ready.push_back((db, key.into()));
        }
    }

    /// The next ready key, oldest signal first.
    pub fn next_ready(&mut self) -> Option<(usize, Key)> {
        self.ready.pop_front()
    }

    /// The oldest waiter on `key` of `db` that has not been served, with its op.
    pub fn oldest(&self, db: usize, key: &[u8]) -> Option<(WaiterId, &BlockOp)> {
        let id = *self.by_key.get(db)?.get(key)?.front()?;
        self.waiters.get(&id).map(|w| (id, &w.op))
    }

    /// The ids waiting on `key` of `db`, oldest first (a copy: serving changes the queue).
    pub fn queued(&self, db: usize, key: &[u8]) -> Vec<WaiterId> {
        self.by_key
            .get(db)
            .and_then(|q| q.get(key))
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The op of waiter `id` if it still waits.
    pub fn waiting_op(&self, id: WaiterId) -> Option<&BlockOp> {
        self.waiters.get(&id).filter(|w| w.served.is_none()).map(|w| &w.op)
    }

    /// The waiter after `after` in `key`'s queue (a list hand-over skips stream readers).
    pub fn next_after(&self, db: usize, key: &[u8], after: WaiterId) -> Option<(WaiterId, &BlockOp)> {
        let q = self.by_key.get(db)?.get(key)?;
        let pos = q.iter().position(|&i| i == after)?;
        let id = *q.get(pos + 1)?;
        self.waiters.get(&id).map(|w| (id, &w.op))
    }

    /// Records what waiter `id` was handed, takes it off every queue, and schedules its wake.
    pub fn complete(&mut self, id: WaiterId, served: Served) {
        let Some(w) = self.waiters.get_mut(&id) else {
            debug_assert!(false, "completing an unknown waiter");
            return;
        };
        w.served = Some(served);
        self.wakes.push(w.wake.clone());
        let (db, keys) = (w.db, std::mem::take(&mut w.keys));
        self.unqueue(id, db, &keys);
    }

    fn unqueue(&mut self, id: WaiterId, db: usize, keys: &[Key]) {
        let Some(queues) = self.by_key.get_mut(db) else { return };
        for k in keys {
            if let Some(q) = queues.get_mut(k) {
                if q.front() == Some(&id) {
                    q.pop_front();
                } else if q.back() == Some(&id) {
                    q.pop_back();
                } else {
                    q.retain(|&i| i != id);
                }
                if q.is_empty() {
                    queues.remove(k);
                }
            }
        }
    }

    /// The outcome of `id` if it was served, ending the waiter. `None` while it waits.
    pub fn take_served(&mut self, id: WaiterId) -> Option<Served> {
        let w = self.waiters.get_mut(&id)?;
        let served = w.served.take()?;
        self.waiters.remove(&id);
        Some(served)
    }

    /// Ends waiter `id` whatever its state (timeout, Ctrl-C, cancelled task). Returns what it
    /// had been handed and never read, with its database and op, for the caller to give back.
    pub fn cancel(&mut self, id: WaiterId) -> Option<(usize, BlockOp, Served)> {
        let w = self.waiters.remove(&id)?;
        if w.served.is_none() {
            self.unqueue(id, w.db, &w.keys);
        }
        let served = w.served?;
        Some((w.db, w.op, served))
    }

    /// Replaces the waker of a still-waiting async call.
    pub fn set_wake(&mut self, id: WaiterId, wake: Wake) {
        if let Some(w) = self.waiters.get_mut(&id) {
            if let (Wake::Task(old), Wake::Task(new)) = (&w.wake, &wake) {
                if old.will_wake(new) {
                    return;
                }
            }
            w.wake = wake;
        }
    }

    /// Whether waiter `id` is still registered (waiting or served but not yet taken).
    pub fn is_live(&self, id: WaiterId) -> bool {
        self.waiters.contains_key(&id)
    }

    /// Number of calls still blocked (INFO's `blocked_clients`).
    pub fn blocked_count(&self) -> usize {
        self.waiters.values().filter(|w| w.served.is_none()).count()
    }

    /// The wakes gathered by the unit, to fire after unlocking.
    pub fn take_wakes(&mut self) -> Vec<Wake> {
        std::mem::take(&mut self.wakes)
    }
}
