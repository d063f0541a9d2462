//! OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP (Redis 7.0 `objectCommand`): the
//! subcommand's arity is checked as Redis's command table checks `object|encoding`; a
//! missing key answers nil before any policy error.

use super::args::Args;
use super::reply::Reply;
use super::streams::{help, subcommand};
use super::Context;
use crate::engine::{Keyspace, Result};

/// OBJECT HELP's lines (Redis 7.0).
const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// ```text
/// OBJECT ENCODING key
/// OBJECT FREQ key
/// OBJECT IDLETIME key
/// OBJECT REFCOUNT key
/// OBJECT HELP
/// ```
pub(super) fn object(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    const TABLE: &[(&str, i32)] = &[("encoding", 3), ("freq", 3), ("idletime", 3), ("refcount", 3), ("help", 2)];
    let given = args.next_bytes()?;
    let sub = subcommand(args, "object", given, TABLE)?;
    if sub == "help" {
        return Ok(help(OBJECT_HELP));
    }
    let key = args.next_key()?;
    let int = |n: Option<i64>| n.map_or(Reply::Nil, Reply::Int);
    Ok(match sub {
        "encoding" => ks.object_encoding(ctx.db, key).map_or(Reply::Nil, |e| Reply::Bulk(e.as_bytes().to_vec())),
        "freq" => int(ks.object_freq(ctx.db, key)?),
        "idletime" => int(ks.object_idletime(ctx.db, key)?),
        _ => int(ks.object_refcount(ctx.db, key)),
    })
}
