//! Set command handlers, SADD … SSCAN: parse → engine call → `Reply`. Argument checks come
//! in the order of redis 7.0 `src/t_set.c`, so that the first error is Redis's.

use super::args::{is_keyword, Args};
use super::keys::{parse_cursor, scan_options};
use super::reply::Reply;
use super::Context;
use crate::engine::sets::SetOp;
use crate::engine::{Error, Keyspace, Result};

/// ```text
/// SADD key member [member ...]
/// ```
pub(super) fn sadd(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::count(ks.sadd(ctx.db, key, args.rest())?))
}

/// ```text
/// SREM key member [member ...]
/// ```
pub(super) fn srem(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::count(ks.srem(ctx.db, key, args.rest())?))
}

/// ```text
/// SMEMBERS key
/// ```
pub(super) fn smembers(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::bulk_set(ks.smembers(ctx.db, key)?))
}

/// ```text
/// SISMEMBER key member
/// ```
pub(super) fn sismember(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let member = args.next_bytes()?;
    Ok(Reply::bool(ks.sismember(ctx.db, key, member)?))
}

/// ```text
/// SMISMEMBER key member [member ...]
/// ```
pub(super) fn smismember(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let found = ks.smismember(ctx.db, key, args.rest())?;
    Ok(Reply::Array(found.into_iter().map(Reply::bool).collect()))
}

/// ```text
/// SCARD key
/// ```
pub(super) fn scard(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::count(ks.scard(ctx.db, key)?))
}

/// ```text
/// SPOP key [count]
/// ```
/// Without a count: a member or a null bulk. With one: an array (empty for a missing key
/// or count 0). The count is checked before the key: any non-integer or negative count is
/// "must be positive", even on a missing key.
pub(super) fn spop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    match args.remaining() {
        0 => Ok(Reply::bulk_or_nil(ks.spop(ctx.db, key)?)),
        1 => {
            let count = args.next_usize_or(Error::NotPositive)?;
            Ok(Reply::bulk_set(ks.spop_count(ctx.db, key, count)?))
        }
        _ => Err(Error::Syntax),
    }
}

/// ```text
/// SRANDMEMBER key [count]
/// ```
/// A negative count asks for that many members with repeats. Nothing is logged: it reads.
pub(super) fn srandmember(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    match args.remaining() {
        0 => Ok(Reply::bulk_or_nil(ks.srandmember(ctx.db, key)?)),
        1 => {
            // Redis `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`: |count| must fit.
            let count = args.next_i64()?;
            if count == i64::MIN {
                return Err(Error::IntRange { min: -i64::MAX, max: i64::MAX });
            }
            Ok(Reply::bulks(ks.srandmember_count(ctx.db, key, count)?))
        }
        _ => Err(Error::Syntax),
    }
}

/// ```text
/// SMOVE source destination member
/// ```
pub(super) fn smove(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let src = args.next_key()?;
    let dst = args.next_key()?;
    let member = args.next_bytes()?;
    Ok(Reply::bool(ks.smove(ctx.db, src, dst, member)?))
}

/// ```text
/// SINTER key [key ...]
/// ```
pub(super) fn sinter(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::bulk_set(ks.set_op(ctx.db, SetOp::Inter, args.rest())?))
}

/// ```text
/// SUNION key [key ...]
/// ```
pub(super) fn sunion(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::bulk_set(ks.set_op(ctx.db, SetOp::Union, args.rest())?))
}

/// ```text
/// SDIFF key [key ...]
/// ```
pub(super) fn sdiff(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::bulk_set(ks.set_op(ctx.db, SetOp::Diff, args.rest())?))
}

/// ```text
/// SINTERSTORE destination key [key ...]
/// ```
pub(super) fn sinterstore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    store(ks, ctx, args, SetOp::Inter)
}

/// ```text
/// SUNIONSTORE destination key [key ...]
/// ```
pub(super) fn sunionstore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    store(ks, ctx, args, SetOp::Union)
}

/// ```text
/// SDIFFSTORE destination key [key ...]
/// ```
pub(super) fn sdiffstore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    store(ks, ctx, args, SetOp::Diff)
}

fn store(ks: &mut Keyspace, ctx: &Context, args: &mut Args<'_>, op: SetOp) -> Result<Reply> {
    let dst = args.next_key()?;
    Ok(Reply::count(ks.set_op_store(ctx.db, op, dst, args.rest())?))
}

/// ```text
/// SINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
pub(super) fn sintercard(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let numkeys = args.next_i64_in(1, i64::MAX, Error::NumkeysNotPositive)?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.remaining() {
        return Err(Error::NumkeysTooLarge);
    }
    let keys = args.take(numkeys)?;
    let mut limit = 0;
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "limit") && !args.is_empty() {
            limit = args.next_usize_or(Error::IntercardLimitNegative)?;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(Reply::count(ks.sintercard(ctx.db, keys, limit)?))
}

/// ```text
/// SSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// As Redis: the cursor is checked first, then the key (a missing key answers an empty
/// scan before the options are read), then the options.
pub(super) fn sscan(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let cursor = parse_cursor(args.next_bytes()?).ok_or(Error::InvalidCursor)?;
    if ks.scard(ctx.db, key)? == 0 {
        return Ok(scan_reply(0, Vec::new()));
    }
    let opts = scan_options(args, false)?;
    let (next, members) = ks.sscan(ctx.db, key, cursor, opts.pattern, opts.count)?;
    Ok(scan_reply(next, members))
}

fn scan_reply(cursor: u64, members: Vec<Vec<u8>>) -> Reply {
    Reply::Array(vec![Reply::Bulk(cursor.to_string().into_bytes()), Reply::bulks(members)])
}
