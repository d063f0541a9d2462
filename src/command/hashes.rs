//! Hash command handlers, HSET … HSCAN: parse → engine call → `Reply`. Argument checks
//! come in the order of redis `src/t_hash.c` (7.0), so that the first error is Redis's.

use super::args::{is_keyword, Args};
use super::keys::{parse_cursor, scan_options};
use super::reply::Reply;
use super::Context;
use crate::engine::hashes::Pair;
use crate::engine::longdouble::{LongDouble, Parsed};
use crate::engine::{Error, Keyspace, Result};

/// Pairs as a flat array `field, value, …` (RESP2's shape of every pair reply).
fn flat(pairs: Vec<Pair>) -> Vec<Reply> {
    pairs.into_iter().flat_map(|(f, v)| [Reply::Bulk(f), Reply::Bulk(v)]).collect()
}

/// HSET/HMSET's arguments after the key: field-value pairs, at least one.
fn pairs<'a>(args: &mut Args<'a>) -> Result<&'a [&'a [u8]]> {
    let rest = args.rest();
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(args.arity_error());
    }
    Ok(rest)
}

/// ```text
/// HSET key field value [field value ...]
/// ```
pub(super) fn hset(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let pairs = pairs(args)?;
    Ok(Reply::count(ks.hset(ctx.db, key, pairs)?))
}

/// ```text
/// HMSET key field value [field value ...]
/// ```
/// HSET answering OK (deprecated since Redis 4.0, still there).
pub(super) fn hmset(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let pairs = pairs(args)?;
    ks.hset(ctx.db, key, pairs)?;
    Ok(Reply::Ok)
}

/// ```text
/// HSETNX key field value
/// ```
pub(super) fn hsetnx(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let field = args.next_bytes()?;
    let value = args.next_bytes()?;
    Ok(Reply::bool(ks.hsetnx(ctx.db, key, field, value)?))
}

/// ```text
/// HGET key field
/// ```
pub(super) fn hget(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let field = args.next_bytes()?;
    Ok(Reply::bulk_or_nil(ks.hget(ctx.db, key, field)?))
}

/// ```text
/// HMGET key field [field ...]
/// ```
pub(super) fn hmget(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let fields = args.rest();
    Ok(Reply::Array(ks.hmget(ctx.db, key, fields)?.into_iter().map(Reply::bulk_or_nil).collect()))
}

/// ```text
/// HGETALL key
/// ```
/// A map (RESP3), flattened in RESP2.
pub(super) fn hgetall(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let pairs = ks.hgetall(ctx.db, key)?;
    Ok(Reply::Map(pairs.into_iter().map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v))).collect()))
}

/// ```text
/// HKEYS key
/// ```
pub(super) fn hkeys(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::bulks(ks.hkeys(ctx.db, key)?))
}

/// ```text
/// HVALS key
/// ```
pub(super) fn hvals(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::bulks(ks.hvals(ctx.db, key)?))
}

/// ```text
/// HLEN key
/// ```
pub(super) fn hlen(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::count(ks.hlen(ctx.db, key)?))
}

/// ```text
/// HSTRLEN key field
/// ```
pub(super) fn hstrlen(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let field = args.next_bytes()?;
    Ok(Reply::count(ks.hstrlen(ctx.db, key, field)?))
}

/// ```text
/// HEXISTS key field
/// ```
pub(super) fn hexists(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let field = args.next_bytes()?;
    Ok(Reply::bool(ks.hexists(ctx.db, key, field)?))
}

/// ```text
/// HDEL key field [field ...]
/// ```
pub(super) fn hdel(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let fields = args.rest();
    Ok(Reply::count(ks.hdel(ctx.db, key, fields)?))
}

/// ```text
/// HINCRBY key field increment
/// ```
/// The increment is parsed before the key is looked up.
pub(super) fn hincrby(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let field = args.next_bytes()?;
    let delta = args.next_i64()?;
    Ok(Reply::Int(ks.hincrby(ctx.db, key, field, delta)?))
}

/// ```text
/// HINCRBYFLOAT key field increment
/// ```
/// The increment is a `long double` (`string2ld`); NaN or infinite is refused before the
/// key is looked up, as in 7.0.15.
pub(super) fn hincrbyfloat(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let field = args.next_bytes()?;
    let incr = match LongDouble::parse(args.next_bytes()?).ok_or(Error::NotAFloat)? {
        Parsed::Value(v) => v,
        Parsed::Infinite => return Err(Error::ValueNanOrInfinity),
    };
    Ok(Reply::Bulk(ks.hincrbyfloat(ctx.db, key, field, incr)?))
}

/// ```text
/// HRANDFIELD key [count [WITHVALUES]]
/// ```
/// The count is parsed first, then the option, then the key is looked up (a missing key
/// answers nil, or an empty array with a count). WITHVALUES in RESP3 answers pairs.
pub(super) fn hrandfield(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    if args.is_empty() {
        return Ok(Reply::bulk_or_nil(ks.hrandfield(ctx.db, key)?));
    }
    // Redis's range is -LONG_MAX..=LONG_MAX: i64::MIN is refused.
    let count = args.next_i64()?;
    if count == i64::MIN {
        return Err(Error::IntRange { min: -i64::MAX, max: i64::MAX });
    }
    let withvalues = match args.remaining() {
        0 => false,
        1 if args.peek().is_some_and(|a| is_keyword(a, "withvalues")) => true,
        _ => return Err(Error::Syntax),
    };
    if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(Error::ValueOutOfRange);
    }
    let pairs = ks.hrandfield_count(ctx.db, key, count)?;
    Ok(Reply::Array(if !withvalues {
        pairs.into_iter().map(|(f, _)| Reply::Bulk(f)).collect()
    } else if ctx.resp > 2 {
        pairs.into_iter().map(|(f, v)| Reply::Array(vec![Reply::Bulk(f), Reply::Bulk(v)])).collect()
    } else {
        flat(pairs)
    }))
}

/// ```text
/// HSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// Redis checks the cursor, then the key (a missing one answers an empty scan without
/// looking at the options), then the options.
pub(super) fn hscan(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let cursor = parse_cursor(args.next_bytes()?).ok_or(Error::InvalidCursor)?;
    let empty = || Reply::Array(vec![Reply::Bulk(b"0".to_vec()), Reply::Array(Vec::new())]);
    if !ks.hash_exists(ctx.db, key)? {
        return Ok(empty());
    }
    let opts = scan_options(args, false)?;
    let (next, pairs) = ks.hscan(ctx.db, key, cursor, opts.pattern, opts.count)?;
    Ok(Reply::Array(vec![Reply::Bulk(next.to_string().into_bytes()), Reply::Array(flat(pairs))]))
}
