//! Blocking commands seen from outside a unit: argv → the wait it asks for
//! (`parse_blocking`), and what was served → the reply (`served_reply`). The waiting itself
//! belongs to `engine::blocking`; the server and the Python binding drive it.

use std::time::Duration;

use super::args::Args;
use super::reply::Reply;
use super::table::lookup;
use crate::engine::db::Key;
use crate::engine::waiters::{BlockOp, Served};
use crate::engine::{Engine, Error, Keyspace, Result};

/// A blocking command, parsed and validated: wait on `keys` (in order) to run `op`.
#[derive(Debug, Clone)]
pub struct BlockingCall {
    /// The keys to watch, in the order given (the first with data is served).
    pub keys: Vec<Key>,
    /// What to do with the data.
    pub op: BlockOp,
    /// How long to wait; `None` is forever (a timeout of 0).
    pub timeout: Option<Duration>,
}

impl BlockingCall {
    /// The reply when the wait timed out: a null array for every list command (Redis
    /// `replyToBlockedClientTimedOut`).
    pub fn timeout_reply(&self) -> Reply {
        Reply::NilArray
    }

    /// The reply when nothing was there and the caller may not block (MULTI, AOF replay,
    /// `dispatch`): what Redis answers for a client with `CLIENT_DENY_BLOCKING`. A null
    /// bulk for BLMOVE/BRPOPLPUSH (`blmoveGenericCommand`), a null array otherwise.
    pub fn no_block_reply(&self) -> Reply {
        match self.op {
            BlockOp::Move { .. } => Reply::Nil,
            BlockOp::Pop { .. } | BlockOp::MPop { .. } => Reply::NilArray,
            // `xreadCommand` for a client with CLIENT_DENY_BLOCKING.
            BlockOp::XRead { .. } | BlockOp::XReadGroup { .. } => Reply::NilArray,
        }
    }

    /// Runs the call once, without blocking, inside a unit: the engine's first attempt
    /// (`Keyspace::try_block_op`, the one `Engine::block` makes).
    ///
    /// # Errors
    /// `WrongType` when a key examined before one with data holds another type.
    pub fn run_once(&self, ks: &mut Keyspace, db: usize) -> Result<Reply> {
        Ok(match try_serve(ks, db, &self.keys, &self.op)? {
            Some(served) => Reply::from(served),
            None => self.no_block_reply(),
        })
    }
}

/// A blocking call's attempt without waiting, for `run_once` and for the doors that wait
/// (the binding's ready paths of BLPOP/BRPOP and XREAD/XREADGROUP, a waiter's retry):
/// what the first key with data served, or `None`.
///
/// # Errors
/// `WrongType` when a key examined before one with data holds another type; the stream
/// reads' `NOGROUP`.
#[inline]
pub fn try_serve(ks: &mut Keyspace, db: usize, keys: &[Key], op: &BlockOp) -> Result<Option<Served>> {
    ks.try_block_op(db, keys, op)
}

/// If `argv` (name first) is a blocking command, its wait: keys, op and timeout, validated
/// as Redis validates them, errors in Redis's order. `Ok(None)` for any other command, known
/// or not (let `dispatch` answer it).
///
/// # Errors
/// `WrongArity`, `Syntax`, the timeout errors, LMPOP's numkeys/count errors.
pub fn parse_blocking(argv: &[&[u8]]) -> Result<Option<BlockingCall>> {
    let Some(cmd) = argv.first().and_then(|name| lookup(name)) else { return Ok(None) };
    let Some(parse) = cmd.block else { return Ok(None) };
    if !cmd.arity_ok(argv.len()) {
        return Err(Error::WrongArity { cmd: cmd.name.to_owned() });
    }
    parse.parse(&mut Args::new(cmd.name, &argv[1..]))
}

/// `parse_blocking` for a door that then waits, with `processCommand`'s memory step: a
/// blocking command that may grow memory (BLMOVE, BRPOPLPUSH) is checked once, before any
/// wait, as Redis checks a command once before it blocks.
///
/// # Errors
/// As `parse_blocking`, and `OutOfMemory`.
pub fn prepare_blocking(engine: &Engine, argv: &[&[u8]]) -> Result<Option<BlockingCall>> {
    let Some(call) = parse_blocking(argv)? else { return Ok(None) };
    if lookup(argv[0]).is_some_and(|c| super::is_denyoom(c, argv)) {
        engine.execute(|ks| ks.check_memory(true))?;
    }
    Ok(Some(call))
}

/// The reply for what a blocked call was handed: BLPOP/BRPOP `[key, element]`,
/// BLMOVE/BRPOPLPUSH the element, BLMPOP `[key, [elements…]]`.
pub fn served_reply(served: &Served) -> Reply {
    Reply::from(served.clone())
}

impl From<Served> for Reply {
    fn from(served: Served) -> Reply {
        match served {
            Served::Pop { key, value } => {
                Reply::Array(vec![Reply::Bulk(key.into_vec()), Reply::Bulk(value)])
            }
            Served::MPop { key, values } => {
                Reply::Array(vec![Reply::Bulk(key.into_vec()), Reply::bulks(values)])
            }
            Served::Move { value } => Reply::Bulk(value),
            // RESP2's shape; a RESP3 caller uses `command::streams_reply` with its protocol.
            Served::Streams { streams } => super::streams::streams_reply(streams, 2),
            Served::Failed(e) => Reply::Error(e),
        }
    }
}
