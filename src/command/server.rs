//! Server and connection command handlers: PING, ECHO. (INFO, CONFIG, SAVE… come with the
//! server and persistence.)

use super::args::Args;
use super::reply::Reply;
use super::Context;
use crate::engine::{Keyspace, Result};

/// ```text
/// PING [message]
/// ```
/// `+PONG`, or the message as a bulk string.
pub(super) fn ping(_ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    match args.remaining() {
        0 => Ok(Reply::simple("PONG")),
        1 => Ok(Reply::Bulk(args.next_bytes()?.to_vec())),
        _ => Err(args.arity_error()),
    }
}

/// ```text
/// ECHO message
/// ```
pub(super) fn echo(_ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::Bulk(args.next_bytes()?.to_vec()))
}
