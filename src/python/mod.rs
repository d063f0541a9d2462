//! The PyO3 binding (feature `python`): converts and delegates, nothing more.

// Methods mirror redis-py's signatures, argument for argument.
#![allow(clippy::too_many_arguments)]

mod argv;
mod broker;
mod config;
mod connection;
mod convert;
mod errors;
mod fork;
mod keys;
mod lists;
mod keys_more;
mod hashes;
mod zset_algebra;
mod zsets;
mod memory;
mod observe;
mod persist;
mod publish;
mod pubsub;
mod reply;
#[cfg(feature = "server")]
mod server;
mod stream_groups;
mod sets;
mod streams;
mod strings;
mod strings_more;
mod wait;

use pyo3::prelude::*;

/// The native core of embedis; use the `embedis` package, not this module.
#[pymodule]
#[pyo3(name = "_embedis")]
mod embedis_native {
    #[pymodule_export]
    use super::broker::PyBroker;
    #[pymodule_export]
    use super::wait::BlockSpec;
    #[pymodule_export]
    use super::pubsub::PyPubSub;
    #[pymodule_export]
    use super::persist::check_aof;
    #[pymodule_export]
    use super::persist::{_hold_persistence_thread, PyHold};
    #[pymodule_export]
    use super::observe::PyMonitorFeed;
    #[cfg(feature = "server")]
    #[pymodule_export]
    use super::server::PyServer;

    use super::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        super::fork::register(m)
    }
}
