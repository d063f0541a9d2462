//! The command layer: argv in, `Reply` out. One table of Redis commands (`table.rs`), each
//! handler parsing its arguments (`args.rs`) and calling the same engine methods the Python
//! binding calls. The single entry point for `Broker.execute_command`, later the RESP
//! server and AOF replay. Knows nothing of RESP encoding, sockets or Python.
//!
//! Blocking commands run here as their non-blocking attempt (as Redis runs them inside
//! MULTI); a caller that may block asks `parse_blocking` for the wait and hands it to
//! `engine::blocking`, then shapes what it gets with `served_reply`.

pub mod args;
mod bitmaps;
pub mod blocking;
pub mod config;
mod hashes;
mod keys;
pub mod info;
mod lists;
mod object;
pub mod observe;
pub mod pubsub;
pub mod reply;
mod server;
mod sort;
mod sets;
mod streams;
mod strings;
mod zset_algebra;
mod zsets;
pub mod table;

pub use args::{is_keyword, parse_f64, parse_timeout, timeout_from_secs, Args};
pub use blocking::{parse_blocking, prepare_blocking, served_reply, BlockingCall};
pub use streams::{parse_block_ms, parse_stream_read, streams_reply, xack_words};
pub use reply::Reply;
pub use observe::{call_typed, call_typed_timed, dispatch_as, dispatch_found_observed, dispatch_in_observed};
pub use lists::{llen_of, pop_count_from, pop_from, push_values};
pub use strings::{decr_value, get_value, incr_value, set_value};
pub use blocking::try_serve;
pub use pubsub::subscription;
pub use table::{command_names, commands, lookup, BlockParser, Command, Flags, Handler};

use crate::engine::{Engine, Error, Keyspace, Result, DATABASES};

/// Per-connection state that commands read or change. Kept small: it is copied into every
/// client of the server and every Python `Broker` handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The selected database (`SELECT`); always below `DATABASES`.
    pub db: usize,
    /// The protocol the replies will be encoded in, 2 or 3 (`HELLO`); handlers build the
    /// same `Reply` for both.
    pub resp: u8,
}

impl Default for Context {
    fn default() -> Self {
        Context { db: 0, resp: 2 }
    }
}

/// Runs the command `argv` (name first) as one atomic unit of `engine`.
///
/// Blocking commands do not block here: they try once and answer as Redis does when a
/// client may not block (BLPOP/BRPOP/BLMPOP: a null array, BLMOVE/BRPOPLPUSH: a null
/// bulk). Use `parse_blocking` to wait.
///
/// # Errors
/// The command's error reply: `UnknownCommand`, `WrongArity`, or what the handler says.
pub fn dispatch(engine: &Engine, ctx: &mut Context, argv: &[&[u8]]) -> Result<Reply> {
    let cmd = resolve(ctx, argv)?;
    engine.execute(|ks| run_checked(cmd, ks, ctx, argv))
}

/// Whether `argv` (a `cmd` command) may grow memory: Redis's `CMD_DENYOOM`, which for
/// XGROUP is a property of the subcommand (CREATE and CREATECONSUMER have it).
pub fn is_denyoom(cmd: &Command, argv: &[&[u8]]) -> bool {
    if cmd.name == "xgroup" {
        return argv.get(1).is_some_and(|s| is_keyword(s, "create") || is_keyword(s, "createconsumer"));
    }
    cmd.flags.contains(Flags::DENYOOM)
}

/// `run` after `processCommand`'s memory step (`Keyspace::check_memory`): with a
/// `maxmemory`, evictions first, then a DENYOOM command refused if still over.
fn run_checked(cmd: &'static Command, ks: &mut Keyspace, ctx: &mut Context, argv: &[&[u8]]) -> Result<Reply> {
    ks.check_memory(is_denyoom(cmd, argv))?;
    run(cmd, ks, ctx, argv)
}

/// Runs the command `argv` inside a unit that already holds the keyspace (MULTI/EXEC, AOF
/// replay). Same rules as `dispatch`, except the memory step: a replay is never refused,
/// and a transaction was checked as a whole at EXEC.
///
/// # Errors
/// As `dispatch`.
pub fn dispatch_in(ks: &mut Keyspace, ctx: &mut Context, argv: &[&[u8]]) -> Result<Reply> {
    let cmd = resolve(ctx, argv)?;
    run(cmd, ks, ctx, argv)
}

/// Finds the command `argv` names and checks its arity, as Redis `processCommand` does
/// before running anything (no lock is needed for it).
///
/// # Errors
/// `UnknownCommand` or `WrongArity`.
pub fn resolve(ctx: &Context, argv: &[&[u8]]) -> Result<&'static Command> {
    let Some((name, rest)) = argv.split_first() else {
        return Err(unknown_command(b"", &[]));
    };
    let cmd = lookup(name).ok_or_else(|| unknown_command(name, rest))?;
    if !cmd.arity_ok(argv.len()) {
        return Err(Error::WrongArity { cmd: cmd.name.to_owned() });
    }
    // A Context built by hand could name a database that does not exist; refuse rather than
    // index out of bounds in the engine.
    if ctx.db >= DATABASES {
        return Err(Error::DbIndexOutOfRange);
    }
    Ok(cmd)
}

fn run(cmd: &'static Command, ks: &mut Keyspace, ctx: &mut Context, argv: &[&[u8]]) -> Result<Reply> {
    let mut args = Args::new(cmd.name, &argv[1..]);
    (cmd.handler)(ks, ctx, &mut args)
}

/// Most bytes of the name, and of the arguments all together, that the error quotes.
const QUOTE_LIMIT: usize = 128;

/// The error for an unknown command, quoting it as Redis `processCommand` does: the name
/// up to 128 bytes, then arguments while fewer than 128 bytes (counting each one's quotes
/// and space) were written, the last one cut to fit; CR and LF become spaces.
fn unknown_command(name: &[u8], rest: &[&[u8]]) -> Error {
    let mut args = Vec::new();
    let mut written = 0;
    for a in rest {
        if written >= QUOTE_LIMIT {
            break;
        }
        let part = &a[..a.len().min(QUOTE_LIMIT - written)];
        written += part.len() + 3;
        args.push(sanitize(part));
    }
    Error::UnknownCommand { cmd: sanitize(&name[..name.len().min(QUOTE_LIMIT)]), args }
}

/// Text of user bytes for an error line: lossy UTF-8, CR and LF replaced by spaces (Redis
/// `sdsmapchars(s, "\r\n", "  ", 2)`), so the error stays one line.
pub(crate) fn sanitize(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace(['\r', '\n'], " ")
}
