//! The broker itself: keyspace, lists, strings, blocking waiters. No Python, no sockets,
//! no files: every door (Python method, network command, AOF replay) ends here.
//!
//! `Engine` is a cheap-clone handle over one mutex. `execute` runs one atomic unit: the
//! command, then the serving of blocked waiters whose keys it fed, then (lock released)
//! the wake-ups.

pub mod bitmap;
pub mod blocking;
pub mod clock;
pub mod config;
pub mod databases;
pub mod db;
pub mod effects;
pub mod error;
pub mod evict;
pub mod glob;
pub mod hash;
pub mod hashes;
pub mod keyspace;
pub mod list;
pub mod lists;
pub mod lcs;
pub mod longdouble;
pub mod memory;
pub mod monitor;
pub mod notify;
pub mod object;
pub mod pubsub;
pub mod set;
pub mod sets;
pub mod slowlog;
pub mod sort;
pub mod stats;
pub mod stream;
pub mod streams;
pub mod strings;
pub mod value;
pub mod waiters;
pub mod zset;
pub mod zsets;
pub mod zset_algebra;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;

pub use error::{Error, Result};
pub use keyspace::{Keyspace, DATABASES};
pub use list::End;

/// The most elements SRANDMEMBER and HRANDFIELD hand out for a negative count (members
/// may repeat, so the reply is not bounded by the value). Redis builds whatever reply is
/// asked for, so `SRANDMEMBER key -9223372036854775807` exhausts its memory; embedis
/// answers "value is out of range" past 2^24 elements instead (a reply of up to a few
/// hundred MiB) rather than hold the keyspace while it fills memory.
pub const RANDOM_REPEATS_MAX: u64 = 1 << 24;

/// Keys with an expiry examined per database per sweep.
const SWEEP_BUDGET: usize = 1000;

thread_local! {
    /// Whether this thread is one of embedis's own (server, expiry sweeper), which never
    /// run foreign code: a durability wait there has nothing to hand back to anyone.
    static WORKER_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the calling thread as one of embedis's own (see `is_worker_thread`).
pub fn mark_worker_thread() {
    WORKER_THREAD.with(|w| w.set(true));
}

/// Whether the calling thread was marked by `mark_worker_thread`. The binding uses it to
/// release the GIL during a durability wait only on threads that can hold it.
pub fn is_worker_thread() -> bool {
    WORKER_THREAD.with(std::cell::Cell::get)
}

/// A handle on one broker. Clones share the same data.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    shared: Arc<Shared>,
}

/// A handle that does not keep the broker alive (for what the broker itself owns, such
/// as its AOF writer, which must reach the keyspace without a reference cycle).
#[derive(Clone, Debug, Default)]
pub struct WeakEngine {
    shared: Weak<Shared>,
}

impl WeakEngine {
    /// The broker, if it still exists.
    pub fn upgrade(&self) -> Option<Engine> {
        self.shared.upgrade().map(|shared| Engine { shared })
    }
}

/// A unit's durability still owed (`Engine::execute_deferred`): its sequence number in the
/// sink and the wake-ups of the consumers it served, which must not see their element
/// before the AOF has it. `wait` blocks until the unit is as durable as the policy
/// promises, then wakes them. Dropping it without waiting wakes them anyway (the unit is
/// recorded either way; only the promise to whoever was told is broken).
#[must_use = "the unit's effects may not be durable yet: wait before telling anyone"]
#[derive(Debug)]
pub struct Durable {
    seq: u64,
    sink: Arc<dyn effects::EffectSink>,
    wakes: Vec<waiters::Wake>,
}

impl Durable {
    /// The unit's sequence number in the sink (a later unit has a larger one).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Folds a later unit's wait into this one: one wait for the later unit covers both,
    /// the sink being sequential. A unit of another sink (the sink was replaced between
    /// them; rare) is waited for here, at once.
    pub fn merge(&mut self, later: Durable) {
        if Arc::ptr_eq(&self.sink, &later.sink) {
            self.seq = self.seq.max(later.seq);
            let mut later = later;
            self.wakes.append(&mut later.wakes);
        } else {
            std::mem::replace(self, later).wait();
        }
    }

    /// Blocks until the unit (and every one before it) is durable, then wakes the
    /// consumers it served.
    ///
    /// # Blocking
    /// For as long as the write and fsync take (retried until they succeed).
    pub fn wait(self) {
        self.sink.wait_durable(self.seq);
        // Dropping `self` wakes them.
    }
}

impl Drop for Durable {
    fn drop(&mut self) {
        for w in std::mem::take(&mut self.wakes) {
            w.wake();
        }
    }
}

/// What all handles share.
#[derive(Debug, Default)]
struct Shared {
    /// The whole state. A leaf lock: while it is held nothing calls into Python, does I/O,
    /// or wakes anyone (wakes are collected and fired after release).
    ks: Mutex<Keyspace>,
    /// Whether the active-expiry thread runs. Set once, by the first unit that added an
    /// expiry; the thread clears it when it exits for lack of work.
    sweeper_running: AtomicBool,
}

impl Engine {
    /// A new, empty broker.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// A handle that does not keep the broker alive.
    pub fn downgrade(&self) -> WeakEngine {
        WeakEngine { shared: Arc::downgrade(&self.shared) }
    }

    /// Whether two handles share the same broker.
    pub fn same_as(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Runs `f` as one atomic unit (see the module doc) and returns its result.
    pub fn execute<R>(&self, f: impl FnOnce(&mut Keyspace) -> R) -> R {
        let (r, durable) = self.execute_deferred(f);
        if let Some(d) = durable {
            d.wait();
        }
        r
    }

    /// `execute`, except that the wait for durability (`appendfsync always`) is left to the
    /// caller: it gets the unit's [`Durable`] and must `wait` on it before it tells anyone
    /// the unit happened. The RESP server waits once for a whole batch of requests, as
    /// Redis writes and fsyncs its AOF once per event-loop iteration (`beforeSleep`) before
    /// sending the replies of every command run in it.
    pub fn execute_deferred<R>(&self, f: impl FnOnce(&mut Keyspace) -> R) -> (R, Option<Durable>) {
        let mut ks = self.shared.ks.lock();
        let r = f(&mut ks);
        let durable = self.finish_unit(ks);
        (r, durable)
    }

    /// A [`Durable`] covering every unit recorded so far, if the sink makes callers wait: a
    /// blocked consumer served by another unit waits on it before it answers, since it
    /// does not know which unit served it. `None` when nothing needs waiting for (or the
    /// sink does not collect sealed units, so the engine does not know the last one).
    pub fn durable_point(&self) -> Option<Durable> {
        let ks = self.shared.ks.lock();
        let sink = ks.sink.as_ref().filter(|_| ks.effects.sink_waits && ks.effects.keeps())?;
        let seq = ks.effects.last_sealed();
        (seq > 0).then(|| Durable { seq, sink: sink.clone(), wakes: Vec::new() })
    }

    /// Ends a unit: serve the ready keys, hand the unit's effects to the AOF, release the
    /// lock, wait for durability if the policy says so, then wake whoever was served (so
    /// no consumer sees an element the AOF might still lose). With a wait owed, it and the
    /// wake-ups are returned instead, for the caller to do.
    fn finish_unit(&self, mut ks: parking_lot::MutexGuard<'_, Keyspace>) -> Option<Durable> {
        ks.serve_ready_keys();
        ks.flush_events();
        if ks.effects.enabled {
            ks.flush_expired();
        }
        let k: &mut Keyspace = &mut ks;
        let mut nudge = None;
        let durable = match &k.sink {
            Some(sink) if !k.effects.is_empty() => {
                let seq = if k.effects.keeps() {
                    let seq = k.effects.seal();
                    if std::mem::take(&mut k.effects.nudge_due) {
                        nudge = Some(sink.clone());
                    }
                    seq
                } else {
                    let seq = sink.record(k.effects.unit());
                    k.effects.clear();
                    seq
                };
                k.effects.sink_waits.then(|| (seq, sink.clone()))
            }
            _ => None,
        };
        let wakes = ks.waiters.take_wakes();
        let mut pubsub_wakes = ks.pubsub.take_wakes();
        if !ks.monitors.is_idle() {
            pubsub_wakes.append(&mut ks.monitors.take_wakes());
        }
        let start_sweeper = std::mem::take(&mut ks.wants_sweeper);
        drop(ks);
        if let Some(sink) = nudge {
            sink.nudge();
        }
        if start_sweeper && !self.shared.sweeper_running.swap(true, Ordering::AcqRel) {
            self.spawn_sweeper();
        }
        if let Some((seq, sink)) = durable {
            let mut wakes = wakes;
            wakes.extend(pubsub_wakes);
            return Some(Durable { seq, sink, wakes });
        }
        for w in wakes {
            w.wake();
        }
        for w in pubsub_wakes {
            w.wake();
        }
        None
    }

    /// Sends every later unit's effects to `sink` (or stops recording with `None`). Returns
    /// what `f` computes in the same unit, so that the AOF can start from a snapshot taken
    /// at exactly that point.
    pub fn set_sink<R>(
        &self,
        sink: Option<Arc<dyn effects::EffectSink>>,
        f: impl FnOnce(&mut Keyspace) -> R,
    ) -> R {
        let mut ks = self.shared.ks.lock();
        ks.set_sink(sink);
        let r = f(&mut ks);
        drop(ks);
        r
    }

    /// Starts the active-expiry thread. It holds only a weak reference, so it ends when the
    /// broker is dropped, and it ends when no key has an expiry left.
    fn spawn_sweeper(&self) {
        let weak: Weak<Shared> = Arc::downgrade(&self.shared);
        let spawned = std::thread::Builder::new().name("embedis-expire".into()).spawn(move || {
            mark_worker_thread();
            // Redis's `hz` (CONFIG SET hz): sweeps a second, read again after each sweep.
            let mut every = Duration::from_millis(100);
            loop {
                std::thread::sleep(every);
                let Some(shared) = weak.upgrade() else { return };
                let engine = Engine { shared };
                let (more, hz) = engine.execute(|ks| {
                    ks.active_expire(SWEEP_BUDGET);
                    (ks.has_expires(), ks.config.hz.max(1))
                });
                every = Duration::from_millis(1000 / u64::from(hz));
                if !more {
                    engine.shared.sweeper_running.store(false, Ordering::Release);
                    // A unit may have added an expiry between our check and the store.
                    if engine.execute(|ks| ks.has_expires())
                        && !engine.shared.sweeper_running.swap(true, Ordering::AcqRel)
                    {
                        continue;
                    }
                    return;
                }
            }
        });
        if spawned.is_err() {
            // No thread: expiry still happens on access; allow a later retry.
            self.shared.sweeper_running.store(false, Ordering::Release);
        }
    }
}
