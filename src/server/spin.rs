//! After a batch of requests, the runtime thread goes on polling for more for a moment
//! (`SPIN`) before it lets itself sleep. On a VM, waking an idle vCPU costs tens of
//! microseconds (~35–40 µs on the development machine), and a client on another CPU that
//! sends its next request right after a reply pays that wake-up on every round trip:
//! `redis-benchmark -c 50` without pipelining measured ~138 k requests/s against either
//! server unpinned, and ~215 k with client and server on one CPU.
//!
//! Spinning only helps when the clients run on other CPUs, so it never starts when the
//! process may use a single CPU (`available_parallelism`, which follows the affinity
//! mask: `taskset -c 0`), and each turn also offers the CPU to other threads
//! (`sched_yield`), so a client that shares the CPU is not starved. A turn is a round of
//! the runtime (the spinner yields to every ready connection, then the I/O driver is
//! polled without sleeping) and ends, like a park, with the durability round (`Syncer`),
//! so `appendfsync always` keeps its one fsync per round.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::durability::Syncer;

/// How long the runtime keeps polling after the last batch.
const SPIN: Duration = Duration::from_micros(50);

/// The spinner's state: when the last batch ran, and a wake-up for the idle spinner.
pub(crate) struct Spin {
    start: Instant,
    /// Microseconds since `start` at the last batch.
    last: AtomicU64,
    wake: Notify,
}

impl Spin {
    /// A spinner, unless this process may use a single CPU only.
    pub fn new_if_useful() -> Option<Spin> {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        (cpus > 1).then(|| Spin { start: Instant::now(), last: AtomicU64::new(0), wake: Notify::new() })
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// A connection ran a batch.
    pub fn active(&self) {
        self.last.store(self.now_us(), Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// The spinner task: asleep while the server is idle; after activity, turns until
    /// `SPIN` has passed without any.
    pub async fn run(&self, syncer: &Syncer) {
        let spin_us = u64::try_from(SPIN.as_micros()).unwrap_or(u64::MAX);
        loop {
            self.wake.notified().await;
            while self.now_us().saturating_sub(self.last.load(Ordering::Relaxed)) < spin_us {
                syncer.sync_round();
                std::thread::yield_now();
                tokio::task::yield_now().await;
            }
        }
    }
}
