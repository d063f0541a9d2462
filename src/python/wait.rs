//! Waiting from Python: a thread parks without the GIL in short slices so Ctrl-C is seen;
//! an asyncio task awaits the engine's `BlockFuture` through PyO3's coroutine, which drops
//! the future on cancellation, and dropping gives back what it was handed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Condvar;
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyInt};

use super::reply::{served_to_py, timed_out};
use super::convert::Codec;
use super::errors::IntoPy;
use crate::command::{parse_timeout as timeout_from_bytes, timeout_from_secs};
use crate::engine::blocking::{Attempt, BlockFuture};
use crate::engine::db::Key;
use crate::engine::waiters::{BlockOp, Wake};
use crate::engine::Engine;

/// How long a blocked thread sleeps between looks at Python's signal flag: Ctrl-C is
/// answered within this (plus the handler's own time).
const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// A validated blocking call, not yet run: what the sync wait and the async twin share.
#[pyclass(module = "embedis._embedis", frozen)]
pub struct BlockSpec {
    pub(crate) engine: Engine,
    pub(crate) db: usize,
    pub(crate) keys: Vec<Key>,
    pub(crate) op: BlockOp,
    /// `None`: wait forever.
    pub(crate) timeout: Option<Duration>,
    pub(crate) codec: Codec,
    /// The broker handle's fork generation: a spec carried into a forked child refuses.
    pub(crate) born: super::fork::Born,
}

impl Drop for BlockSpec {
    /// In a forked child the engine is leaked rather than dropped (see `PyBroker`'s drop).
    fn drop(&mut self) {
        if self.born.forked() {
            std::mem::forget(std::mem::take(&mut self.engine));
        }
    }
}

/// Reads a blocking list command's timeout (seconds) as Redis would read the argument.
pub fn parse_timeout(codec: &Codec, t: &Bound<'_, PyAny>) -> PyResult<Option<Duration>> {
    // A plain int or float is read as a number: redis-py would send its repr, which Redis
    // parses back to the same value.
    if t.is_exact_instance_of::<PyInt>() {
        if let Ok(n) = t.extract::<i64>() {
            #[allow(clippy::cast_precision_loss)]
            return timeout_from_secs(n as f64).py_err();
        }
    } else if t.is_exact_instance_of::<PyFloat>() {
        return timeout_from_secs(t.extract::<f64>()?).py_err();
    }
    let bytes = codec.encode(t)?;
    timeout_from_bytes(&bytes).py_err()
}

/// Runs a blocking call on this thread: returns redis-py's reply, or None on timeout.
///
/// # Blocking
/// Up to the spec's timeout, with the GIL released.
pub fn block_sync<'py>(py: Python<'py>, spec: &BlockSpec) -> PyResult<Bound<'py, PyAny>> {
    spec.born.check()?;
    let cv = Arc::new(Condvar::new());
    let attempt = spec.engine.block(spec.db, spec.keys.clone(), spec.op.clone(), Wake::Thread(cv.clone())).py_err()?;
    let id = match attempt {
        Attempt::Ready(served) => return served_to_py(py, &spec.codec, served),
        Attempt::Waiting(id) => id,
    };
    let deadline = spec.timeout.and_then(|t| Instant::now().checked_add(t));
    loop {
        let slice_end = Instant::now() + SIGNAL_SLICE;
        let until = deadline.map_or(slice_end, |d| d.min(slice_end));
        let engine = &spec.engine;
        if let Some(served) = py.detach(|| engine.wait_until(id, &cv, until)) {
            return served_to_py(py, &spec.codec, served);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            // Served in the last instant? Then the caller still gets it.
            return match spec.engine.end_wait(id) {
                Some(served) => served_to_py(py, &spec.codec, served),
                None => Ok(timed_out(py, &spec.op)),
            };
        }
        if let Err(e) = py.check_signals() {
            spec.engine.abandon(id);
            return Err(e);
        }
    }
}

#[pymethods]
impl BlockSpec {
    /// The timeout in seconds, or None for "wait forever".
    #[getter]
    fn timeout(&self) -> Option<f64> {
        self.timeout.map(|t| t.as_secs_f64())
    }

    /// What the call answers when its time is up: None, or ``[]`` for XREAD/XREADGROUP.
    fn timed_out<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        timed_out(py, &self.op)
    }

    /// Runs the call once without waiting: its reply, or None if there was nothing.
    fn try_now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let served = self.engine.execute(|ks| crate::command::try_serve(ks, self.db, &self.keys, &self.op)).py_err()?;
        match served {
            Some(s) => served_to_py(py, &self.codec, s),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Awaits the call with no timeout (the asyncio wrapper adds one). Holds no thread;
    /// cancelling the await gives back anything already handed over.
    async fn wait(slf: Py<BlockSpec>) -> PyResult<Py<PyAny>> {
        let (fut, codec) = {
            let s = slf.get();
            s.born.check()?;
            (BlockFuture::new(s.engine.clone(), s.db, s.keys.clone(), s.op.clone()), s.codec.clone())
        };
        let served = fut.await.py_err()?;
        Python::attach(|py| served_to_py(py, &codec, served).map(Bound::unbind))
    }
}
