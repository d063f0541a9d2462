//! Blocking calls on the engine: try, else register a waiter; then wait as a parked thread
//! (`wait_until`) or as a future (`BlockFuture`), ending by being served, by timing out
//! (a value served meanwhile is still returned), or by being abandoned (a value served
//! meanwhile is given back). Runtime-agnostic: no tokio, no Python.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use parking_lot::Condvar;

use super::db::Key;
use super::error::Result;
use super::waiters::{BlockOp, Served, Wake, WaiterId};
use super::Engine;

/// The first step of a blocking call.
#[derive(Debug)]
pub enum Attempt {
    /// Data was there: the call is done.
    Ready(Served),
    /// Nothing yet: the call waits as this waiter.
    Waiting(WaiterId),
}

impl Engine {
    /// Runs `op` on the first of `keys` with data; if none has any, registers a waiter that
    /// `wake` will wake once it has been served.
    ///
    /// # Errors
    /// `WrongType` (and the like) from the first attempt; nothing is registered then.
    pub fn block(&self, db: usize, keys: Vec<Key>, op: BlockOp, wake: Wake) -> Result<Attempt> {
        self.execute(|ks| {
            let op = ks.resolve_block_op(db, op);
            if let Some(served) = ks.try_block_op(db, &keys, &op)? {
                return Ok(Attempt::Ready(served));
            }
            Ok(Attempt::Waiting(ks.waiters.register(db, keys, op, wake)))
        })
    }

    /// Parks the calling thread on `cv` until waiter `id` is served or `until` passes.
    /// Returns the outcome if served; `None` means "not yet", and the waiter still waits.
    ///
    /// # Blocking
    /// Up to `until`. Call without the GIL.
    pub fn wait_until(&self, id: WaiterId, cv: &Condvar, until: Instant) -> Option<Served> {
        let mut ks = self.shared.ks.lock();
        loop {
            if let Some(served) = ks.waiters.take_served(id) {
                return Some(served);
            }
            if !ks.waiters.is_live(id) || cv.wait_until(&mut ks, until).timed_out() {
                return ks.waiters.take_served(id);
            }
        }
    }

    /// Ends waiter `id` because its time is up. If it was served in the meantime, the
    /// caller still gets the value: it is alive and will return it.
    pub fn end_wait(&self, id: WaiterId) -> Option<Served> {
        self.execute(|ks| ks.waiters.cancel(id)).map(|(_, _, served)| served)
    }

    /// Ends waiter `id` because its caller is gone (Ctrl-C, a cancelled task, a closed
    /// connection). Whatever it had been handed goes back, and the next waiter is served.
    pub fn abandon(&self, id: WaiterId) {
        self.execute(|ks| {
            if let Some((db, op, served)) = ks.waiters.cancel(id) {
                ks.give_back(db, &op, served);
            }
        });
    }

    /// The outcome of waiter `id` if served; otherwise records `wake` as its waker.
    fn poll_waiter(&self, id: WaiterId, wake: Wake) -> Option<Served> {
        let mut ks = self.shared.ks.lock();
        let served = ks.waiters.take_served(id);
        if served.is_none() {
            ks.waiters.set_wake(id, wake);
        }
        served
    }
}

/// Where a `BlockFuture` is.
#[derive(Debug)]
enum State {
    /// Not polled yet.
    Start,
    /// Registered as this waiter.
    Waiting(WaiterId),
    /// Returned its output.
    Done,
}

/// A blocking call as a future. Dropping it before it completes abandons the waiter, so
/// a cancelled task never loses an element: it goes back to the list it came from.
#[derive(Debug)]
pub struct BlockFuture {
    engine: Engine,
    db: usize,
    keys: Vec<Key>,
    op: BlockOp,
    state: State,
}

impl BlockFuture {
    /// A future that runs `op` on the first of `keys` to have data.
    pub fn new(engine: Engine, db: usize, keys: Vec<Key>, op: BlockOp) -> BlockFuture {
        BlockFuture { engine, db, keys, op, state: State::Start }
    }
}

impl Future for BlockFuture {
    type Output = Result<Served>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let wake = Wake::Task(cx.waker().clone());
        match this.state {
            State::Start => {
                let keys = std::mem::take(&mut this.keys);
                match this.engine.block(this.db, keys, this.op.clone(), wake) {
                    Ok(Attempt::Waiting(id)) => {
                        this.state = State::Waiting(id);
                        Poll::Pending
                    }
                    Ok(Attempt::Ready(served)) => {
                        this.state = State::Done;
                        Poll::Ready(Ok(served))
                    }
                    Err(e) => {
                        this.state = State::Done;
                        Poll::Ready(Err(e))
                    }
                }
            }
            State::Waiting(id) => match this.engine.poll_waiter(id, wake) {
                Some(served) => {
                    this.state = State::Done;
                    Poll::Ready(Ok(served))
                }
                None => Poll::Pending,
            },
            State::Done => Poll::Pending,
        }
    }
}

impl Drop for BlockFuture {
    fn drop(&mut self) {
        if let State::Waiting(id) = self.state {
            self.engine.abandon(id);
        }
    }
}

