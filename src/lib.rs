//! embedis: an in-process message broker with Redis semantics.
//!
//! Layers (each depends only on those below it):
//! - `python` (feature `python`): the PyO3 binding. Converts and delegates; no Redis rule lives there.
//! - `command`: one table of Redis commands, argv in, `Reply` out: for `execute_command`,
//!   later the RESP server and AOF replay.
//! - `server` (feature `server`): the RESP server, for other processes and any Redis client;
//!   connection state only, every engine command through `command`.
//! - `engine`: the broker itself. No Python, no sockets, no files (`cargo test` builds it alone).

pub mod command;
pub mod engine;
pub mod persist;
pub mod resp;

#[cfg(feature = "server")]
pub mod server;

#[cfg(feature = "python")]
mod python;
