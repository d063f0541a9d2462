//! `appendfsync always` over the network: no reply to a write leaves before its data is
//! fsynced, and one fsync covers a whole round of requests. A connection hands the
//! `Durable` its batch owes to the server's `Syncer` and waits; every pending one is
//! merged, and the runtime thread, once it has run every ready connection and is about
//! to wait for more input (tokio's `on_thread_park`), waits once for the latest, then
//! releases every connection it covered. That is Redis's model: `beforeSleep` calls
//! `flushAppendOnlyFile` once per event-loop iteration, before
//! `handleClientsWithPendingWrites` sends the replies of every command run in it.
//!
//! Doing the wait on a thread of its own instead, so that the runtime runs other clients
//! during the fsync, measured slower (redis-benchmark -c 50 LPUSH, about 0.94x of
//! redis-server against 1.03x): the hand-offs between two threads cost more, on two
//! cores, than the overlap gains. A runtime that never runs out of ready connections
//! never parks, so a round also ends after `ROUND` batches of other connections.
//! Knows `Durable`, nothing of the AOF itself.

use std::sync::atomic::{AtomicU32, Ordering};

use parking_lot::Mutex;
use tokio::sync::watch;

use crate::engine::Durable;

/// Batches of other connections after which a pending wait is done even though the
/// runtime has not run out of work.
const ROUND: u32 = 64;

/// What waits to be made durable.
#[derive(Default)]
struct Queue {
    /// Every pending batch's wait, merged (one wait for the latest covers all).
    pending: Option<Durable>,
    /// Batches handed in so far; each gets the next number as its ticket.
    tickets: u64,
}

/// The server's durability waiter (see the module doc). One per server, used by its
/// runtime thread only (so its lock is never contended).
pub(crate) struct Syncer {
    queue: Mutex<Queue>,
    /// Batches run since a wait became pending (0: none pending). Runtime thread only.
    batches: AtomicU32,
    /// The last ticket made durable: connections wait for theirs to be covered.
    done: watch::Sender<u64>,
}

impl Syncer {
    pub fn new() -> Syncer {
        Syncer { queue: Mutex::new(Queue::default()), batches: AtomicU32::new(0), done: watch::channel(0).0 }
    }

    /// Returns once `d` is durable; the calling task yields meanwhile, so the runtime goes
    /// on with other connections until it runs out of them.
    pub async fn wait(&self, d: Durable) {
        let ticket = {
            let mut q = self.queue.lock();
            match &mut q.pending {
                Some(p) => p.merge(d),
                None => {
                    q.pending = Some(d);
                    self.batches.store(1, Ordering::Relaxed);
                }
            }
            q.tickets += 1;
            q.tickets
        };
        let mut rx = self.done.subscribe();
        // The sender lives as long as `self`, which outlives this call.
        let _ = rx.wait_for(|&done| done >= ticket).await;
    }

    /// Called once per connection batch: ends the round if it has gone on too long.
    pub fn batch_ran(&self) {
        let n = self.batches.load(Ordering::Relaxed);
        if n == 0 {
            return;
        }
        self.batches.store(n + 1, Ordering::Relaxed);
        if n >= ROUND {
            self.sync_round();
        }
    }

    /// Ends the round: waits once for everything pending and releases its connections.
    /// The runtime's `on_thread_park` hook.
    ///
    /// # Blocking
    /// For the write and fsync, as Redis's event loop does.
    pub fn sync_round(&self) {
        let mut q = self.queue.lock();
        let Some(d) = q.pending.take() else { return };
        let covered = q.tickets;
        self.batches.store(0, Ordering::Relaxed);
        drop(q);
        d.wait();
        self.done.send_replace(covered);
    }
}
