//! Pub/sub commands that any client may send: PUBLISH and PUBSUB's introspection.
//! SUBSCRIBE and friends change a connection's mode, so they live with the connection
//! (the server, the Python `PubSub`), not here.

use super::args::Args;
use super::reply::Reply;
use super::Context;
use crate::engine::{Error, Keyspace, Result};

/// ```text
/// PUBLISH channel message
/// ```
/// The number of receivers, as Redis counts them (a subscriber matched through its channel
/// and a pattern counts twice).
pub(super) fn publish(ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let channel = args.next_bytes()?;
    let message = args.next_bytes()?;
    args.finish()?;
    let n = ks.pubsub.publish(channel, message);
    Ok(Reply::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// ```text
/// PUBSUB CHANNELS [pattern]
/// PUBSUB NUMSUB [channel ...]
/// PUBSUB NUMPAT
/// ```
pub(super) fn pubsub(ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let sub = args.next_bytes()?;
    let rest = args.rest();
    let wrong = || Error::UnknownSubcommand { cmd: "pubsub".into(), sub: super::sanitize(sub) };
    // Redis checks each subcommand's arity as `pubsub|name`.
    let arity = |name: &str| Error::WrongArity { cmd: format!("pubsub|{name}") };
    if sub.eq_ignore_ascii_case(b"CHANNELS") && rest.len() > 1 {
        return Err(Error::UnknownSubcommandOrArity { cmd: "pubsub".into(), sub: super::sanitize(sub) });
    }
    if sub.eq_ignore_ascii_case(b"NUMPAT") && !rest.is_empty() {
        return Err(arity("numpat"));
    }
    if sub.eq_ignore_ascii_case(b"CHANNELS") {
        let channels = ks.pubsub.channels(rest.first().copied());
        return Ok(Reply::Array(channels.into_iter().map(|c| Reply::Bulk(c.to_vec())).collect()));
    }
    if sub.eq_ignore_ascii_case(b"NUMSUB") {
        let counts = ks.pubsub.numsub(rest);
        let mut out = Vec::with_capacity(rest.len() * 2);
        for (c, n) in rest.iter().zip(counts) {
            out.push(Reply::Bulk(c.to_vec()));
            out.push(Reply::Int(i64::try_from(n).unwrap_or(i64::MAX)));
        }
        return Ok(Reply::Array(out));
    }
    if sub.eq_ignore_ascii_case(b"NUMPAT") {
        return Ok(Reply::Int(i64::try_from(ks.pubsub.numpat()).unwrap_or(i64::MAX)));
    }
    Err(wrong())
}
