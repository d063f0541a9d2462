//! Pub/sub commands that any client may send: PUBLISH, SPUBLISH and PUBSUB's
//! introspection. SUBSCRIBE and friends change a connection's mode, so they live with the
//! connection (the server, the Python `PubSub`), not here.

use super::args::Args;
use super::reply::Reply;
use super::Context;
use crate::engine::pubsub::Kind;
use crate::engine::{Error, Keyspace, Result};

/// The subscription command `name` (SUBSCRIBE … SUNSUBSCRIBE, any case) checked as Redis's
/// table checks it before the connection acts on it: `argc` words counting the name, at
/// least 2 for the three that subscribe (arity -2), any for the unsubscribes (-1).
///
/// # Errors
/// `UnknownCommand`, `WrongArity`.
pub fn subscription(name: &[u8], argc: usize) -> Result<Kind> {
    let kind = Kind::from_command(name).ok_or_else(|| super::unknown_command(name, &[]))?;
    if kind.joins() && argc < 2 {
        return Err(Error::WrongArity { cmd: kind.name().to_owned() });
    }
    Ok(kind)
}

/// ```text
/// PUBLISH channel message
/// ```
/// The number of receivers, as Redis counts them (a subscriber matched through its channel
/// and a pattern counts twice).
pub(super) fn publish(ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let channel = args.next_bytes()?;
    let message = args.next_bytes()?;
    args.finish()?;
    // Keyspace events queued by earlier commands of this unit (a MULTI) go out first.
    ks.flush_events();
    let n = ks.pubsub.publish(channel, message);
    Ok(Reply::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// ```text
/// SPUBLISH shardchannel message
/// ```
/// The number of shard channel subscribers that received it (SUBSCRIBE and PSUBSCRIBE
/// subscribers never do).
pub(super) fn spublish(ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let channel = args.next_bytes()?;
    let message = args.next_bytes()?;
    args.finish()?;
    let n = ks.pubsub.spublish(channel, message);
    Ok(Reply::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// PUBSUB HELP's lines, as Redis 7.0 words them.
const HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

/// `[name, count, name, count…]`, PUBSUB NUMSUB's and SHARDNUMSUB's reply.
fn counts_reply(names: &[&[u8]], counts: Vec<usize>) -> Reply {
    let mut out = Vec::with_capacity(names.len() * 2);
    for (c, n) in names.iter().zip(counts) {
        out.push(Reply::Bulk(c.to_vec()));
        out.push(Reply::Int(i64::try_from(n).unwrap_or(i64::MAX)));
    }
    Reply::Array(out)
}

/// ```text
/// PUBSUB CHANNELS [pattern]
/// PUBSUB NUMSUB [channel ...]
/// PUBSUB NUMPAT
/// PUBSUB SHARDCHANNELS [pattern]
/// PUBSUB SHARDNUMSUB [shardchannel ...]
/// PUBSUB HELP
/// ```
pub(super) fn pubsub(ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let sub = args.next_bytes()?;
    let rest = args.rest();
    let wrong = || Error::UnknownSubcommand { cmd: "pubsub".into(), sub: super::sanitize(sub) };
    // Redis checks each subcommand's arity as `pubsub|name`.
    let arity = |name: &str| Error::WrongArity { cmd: format!("pubsub|{name}") };
    let listing = sub.eq_ignore_ascii_case(b"CHANNELS") || sub.eq_ignore_ascii_case(b"SHARDCHANNELS");
    if listing && rest.len() > 1 {
        return Err(Error::UnknownSubcommandOrArity { cmd: "pubsub".into(), sub: super::sanitize(sub) });
    }
    if sub.eq_ignore_ascii_case(b"NUMPAT") && !rest.is_empty() {
        return Err(arity("numpat"));
    }
    if sub.eq_ignore_ascii_case(b"HELP") {
        if !rest.is_empty() {
            return Err(arity("help"));
        }
        return Ok(Reply::Array(HELP.iter().map(|l| Reply::simple(l)).collect()));
    }
    if sub.eq_ignore_ascii_case(b"CHANNELS") {
        let channels = ks.pubsub.channels(rest.first().copied());
        return Ok(Reply::Array(channels.into_iter().map(|c| Reply::Bulk(c.to_vec())).collect()));
    }
    if sub.eq_ignore_ascii_case(b"SHARDCHANNELS") {
        let channels = ks.pubsub.shard_channels(rest.first().copied());
        return Ok(Reply::Array(channels.into_iter().map(|c| Reply::Bulk(c.to_vec())).collect()));
    }
    if sub.eq_ignore_ascii_case(b"NUMSUB") {
        return Ok(counts_reply(rest, ks.pubsub.numsub(rest)));
    }
    if sub.eq_ignore_ascii_case(b"SHARDNUMSUB") {
        return Ok(counts_reply(rest, ks.pubsub.shard_numsub(rest)));
    }
    if sub.eq_ignore_ascii_case(b"NUMPAT") {
        return Ok(Reply::Int(i64::try_from(ks.pubsub.numpat()).unwrap_or(i64::MAX)));
    }
    Err(wrong())
}
