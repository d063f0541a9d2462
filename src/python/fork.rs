//! Handles inherited across `fork()`: they refuse to work in the child.
//!
//! A forked child gets a copy of the broker's memory but none of its threads (AOF writer,
//! expiry sweeper, server), and any lock one of those threads held at the fork stays held
//! forever in the copy. Worse, whatever the child did would exist only in its copy while
//! going to the parent's files. So every handle records the fork generation it was made
//! in; Python's `os.register_at_fork(after_in_child=...)` bumps the generation in the
//! child, and each call compares the two with one relaxed load (no `getpid` syscall on
//! the hot path). In the child, every call raises `ForkedBrokerError`, and dropping a
//! handle leaks what it holds instead of running drop code that would lock, join a thread
//! that is not there, or write the parent's files.
//!
//! `fork()` called from C without going through `os.fork` skips Python's hooks; the
//! persistence layer checks the process id in its own drop paths for that case (the last
//! persistence handle's drop, the directory lock's), so a child's exit leaves the
//! parent's files alone even then.

use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::prelude::*;

pyo3::import_exception!(embedis.exceptions, ForkedBrokerError);

/// Bumped in every forked child (Python's `after_in_child` hook).
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The fork generation of this process (0 in a process that never forked itself from one
/// that had imported embedis).
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// Called by `os.register_at_fork(after_in_child=...)` (registered by the module's init).
#[pyfunction]
fn _after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Where a handle was made: the fork generation, and the process (for the message).
#[derive(Debug, Clone, Copy)]
pub struct Born {
    generation: u64,
    pid: u32,
}

impl Born {
    /// This process, now.
    pub fn here() -> Born {
        Born { generation: generation(), pid: std::process::id() }
    }

    /// Whether this process is a fork of the one the handle was made in.
    #[inline]
    pub fn forked(self) -> bool {
        generation() != self.generation
    }

    /// `Err(ForkedBrokerError)` in a forked child: the one-line check of every method.
    #[inline]
    pub fn check(self) -> PyResult<()> {
        if self.forked() {
            return Err(self.error());
        }
        Ok(())
    }

    #[cold]
    fn error(self) -> PyErr {
        ForkedBrokerError::new_err(format!(
            "this embedis broker was opened in process {parent} and this process ({child}) is a fork of it: \
             a forked child gets a frozen copy that the parent never sees (and must not write the parent's \
             files), so the inherited handle refuses every call. Serve the broker from the parent \
             (server = broker.serve(unixsocket=PATH, port=None)) and connect the children to it \
             (redis.Redis(unix_socket_path=PATH)), or open a new embedis.Broker() in the child \
             (with dir= on another directory if it persists).",
            parent = self.pid,
            child = std::process::id(),
        ))
    }

    /// What `repr()` shows after a fork (repr never raises).
    pub fn forked_repr(self, what: &str) -> String {
        format!("<{what} inherited from process {} across fork: unusable here>", self.pid)
    }
}

/// Registers `_after_fork_in_child` with `os.register_at_fork`, once per import.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let hook = pyo3::wrap_pyfunction!(_after_fork_in_child, m)?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("after_in_child", hook)?;
    py.import("os")?.call_method("register_at_fork", (), Some(&kwargs))?;
    Ok(())
}
