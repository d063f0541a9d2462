//! List command handlers, LPUSH … BLMPOP: parse → engine call → `Reply`. Argument checks
//! come in the order of redis `src/t_list.c`, so that the first error is Redis's. The
//! blocking ones also export their parser (`parse_*`) for `parse_blocking`.

use super::args::{is_keyword, parse_timeout, Args};
use super::blocking::BlockingCall;
use super::reply::Reply;
use super::Context;
use crate::engine::lists::Where;
use crate::engine::waiters::BlockOp;
use crate::engine::{End, Error, Keyspace, Result};

// ---------------------------------------------------------------------------------------
// Push and pop
// ---------------------------------------------------------------------------------------

/// ```text
/// LPUSH key element [element ...]
/// ```
pub(super) fn lpush(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    push(ks, ctx, args, End::Left, false)
}

/// ```text
/// RPUSH key element [element ...]
/// ```
pub(super) fn rpush(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    push(ks, ctx, args, End::Right, false)
}

/// ```text
/// LPUSHX key element [element ...]
/// ```
pub(super) fn lpushx(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    push(ks, ctx, args, End::Left, true)
}

/// ```text
/// RPUSHX key element [element ...]
/// ```
pub(super) fn rpushx(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    push(ks, ctx, args, End::Right, true)
}

/// The push family (Redis `pushGenericCommand`): the list's length after, 0 for the X
/// variants on a missing key.
fn push(ks: &mut Keyspace, ctx: &Context, args: &mut Args<'_>, end: End, xx: bool) -> Result<Reply> {
    let key = args.next_key()?;
    let values = args.rest();
    Ok(Reply::count(push_values(ks, ctx.db, key, values, end, xx)?))
}

/// The push family's body, for the handlers above and typed callers (`call_typed`): the
/// list's length after (0 for the X variants on a missing key). `values` is not empty (the
/// arity check saw to it).
///
/// # Errors
/// `WrongType`.
#[inline]
pub fn push_values(ks: &mut Keyspace, db: usize, key: &[u8], values: &[&[u8]], end: End, xx: bool) -> Result<usize> {
    ks.push(db, key, values, end, xx)
}

/// LPOP/RPOP's body without a count: the element, or `None` for a missing key.
///
/// # Errors
/// `WrongType`.
#[inline]
pub fn pop_from(ks: &mut Keyspace, db: usize, key: &[u8], end: End) -> Result<Option<Vec<u8>>> {
    ks.pop(db, key, end)
}

/// LPOP/RPOP's body with a count: up to `count` elements, `None` for a missing key.
///
/// # Errors
/// `WrongType`.
#[inline]
pub fn pop_count_from(ks: &mut Keyspace, db: usize, key: &[u8], end: End, count: usize) -> Result<Option<Vec<Vec<u8>>>> {
    ks.pop_count(db, key, end, count)
}

/// LLEN's body: 0 for a missing key.
///
/// # Errors
/// `WrongType`.
#[inline]
pub fn llen_of(ks: &mut Keyspace, db: usize, key: &[u8]) -> Result<usize> {
    ks.llen(db, key)
}

/// ```text
/// LPOP key [count]
/// ```
pub(super) fn lpop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    pop(ks, ctx, args, End::Left)
}

/// ```text
/// RPOP key [count]
/// ```
pub(super) fn rpop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    pop(ks, ctx, args, End::Right)
}

/// The pop family (Redis 7.0 `popGenericCommand`). Without a count: the element or a null
/// bulk. With one: a null array for a missing key, else an array (empty for count 0). The
/// count is checked before the key: a negative one is an error even on a missing key.
fn pop(ks: &mut Keyspace, ctx: &Context, args: &mut Args<'_>, end: End) -> Result<Reply> {
    let key = args.next_key()?;
    if args.is_empty() {
        return Ok(Reply::bulk_or_nil(pop_from(ks, ctx.db, key, end)?));
    }
    if args.remaining() > 1 {
        return Err(args.arity_error());
    }
    let count = args.next_usize_or(Error::NotPositive)?;
    Ok(match pop_count_from(ks, ctx.db, key, end, count)? {
        None => Reply::NilArray,
        Some(values) => Reply::bulks(values),
    })
}

// ---------------------------------------------------------------------------------------
// Reading and editing in place
// ---------------------------------------------------------------------------------------

/// ```text
/// LLEN key
/// ```
pub(super) fn llen(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::count(llen_of(ks, ctx.db, key)?))
}

/// ```text
/// LRANGE key start stop
/// ```
pub(super) fn lrange(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let start = args.next_i64()?;
    let stop = args.next_i64()?;
    Ok(Reply::bulks(ks.lrange(ctx.db, key, start, stop)?))
}

/// ```text
/// LINDEX key index
/// ```
/// Redis looks the key up before parsing the index, so a missing key answers nil and a
/// key of another type WRONGTYPE even when the index is not a number.
pub(super) fn lindex(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let index = match args.next_i64() {
        Ok(i) => i,
        Err(e) => {
            return if ks.llen(ctx.db, key)? == 0 { Ok(Reply::Nil) } else { Err(e) };
        }
    };
    Ok(Reply::bulk_or_nil(ks.lindex(ctx.db, key, index)?))
}

/// ```text
/// LSET key index element
/// ```
/// As LINDEX, the key is looked up first: "no such key" beats a bad index.
pub(super) fn lset(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let index = match args.next_i64() {
        Ok(i) => i,
        Err(e) => {
            return Err(if ks.llen(ctx.db, key)? == 0 { Error::NoSuchKey } else { e });
        }
    };
    let value = args.next_bytes()?;
    ks.lset(ctx.db, key, index, value)?;
    Ok(Reply::Ok)
}

/// ```text
/// LINSERT key <BEFORE | AFTER> pivot element
/// ```
/// The new length, -1 when the pivot is not there, 0 when the key is not.
pub(super) fn linsert(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let place = args.next_bytes()?;
    let place = if is_keyword(place, "before") {
        Where::Before
    } else if is_keyword(place, "after") {
        Where::After
    } else {
        return Err(Error::Syntax);
    };
    let pivot = args.next_bytes()?;
    let value = args.next_bytes()?;
    Ok(Reply::Int(ks.linsert(ctx.db, key, place, pivot, value)?))
}

/// ```text
/// LREM key count element
/// ```
pub(super) fn lrem(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let count = args.next_i64()?;
    let value = args.next_bytes()?;
    Ok(Reply::count(ks.lrem(ctx.db, key, count, value)?))
}

/// ```text
/// LTRIM key start stop
/// ```
pub(super) fn ltrim(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let start = args.next_i64()?;
    let stop = args.next_i64()?;
    ks.ltrim(ctx.db, key, start, stop)?;
    Ok(Reply::Ok)
}

/// ```text
/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
/// ```
/// Options in any order, each checked as it is read (Redis `lposCommand`), before the key
/// is looked up. Without COUNT: the first match's index or nil; with COUNT (0 = all): an
/// array of indexes.
pub(super) fn lpos(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let value = args.next_bytes()?;
    let mut rank = 1;
    let mut count = None;
    let mut maxlen = 0;
    while let Some(opt) = args.next_opt() {
        let has_value = !args.is_empty();
        if is_keyword(opt, "rank") && has_value {
            rank = args.next_i64()?;
            if rank == 0 {
                return Err(Error::LposRankZero);
            }
        } else if is_keyword(opt, "count") && has_value {
            count = Some(args.next_usize_or(Error::LposCountNegative)?);
        } else if is_keyword(opt, "maxlen") && has_value {
            maxlen = args.next_usize_or(Error::LposMaxlenNegative)?;
        } else {
            return Err(Error::Syntax);
        }
    }
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let found =
        ks.lpos(ctx.db, key, value, rank, as_i64(count.unwrap_or(1)), as_i64(maxlen))?;
    Ok(match count {
        Some(_) => Reply::Array(found.into_iter().map(Reply::count).collect()),
        None => found.first().map_or(Reply::Nil, |&i| Reply::count(i)),
    })
}

// ---------------------------------------------------------------------------------------
// Moving and popping several
// ---------------------------------------------------------------------------------------

/// ```text
/// LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>
/// ```
pub(super) fn lmove(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let src = args.next_key()?;
    let dst = args.next_key()?;
    let from = args.next_end()?;
    let to = args.next_end()?;
    Ok(Reply::bulk_or_nil(ks.lmove(ctx.db, src, dst, from, to)?))
}

/// ```text
/// RPOPLPUSH source destination
/// ```
pub(super) fn rpoplpush(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let src = args.next_key()?;
    let dst = args.next_key()?;
    Ok(Reply::bulk_or_nil(ks.lmove(ctx.db, src, dst, End::Right, End::Left)?))
}

/// ```text
/// LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
/// ```
/// `[key, [elements…]]` from the first non-empty list, or a null array.
pub(super) fn lmpop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let (keys, end, count) = parse_mpop(args)?;
    Ok(match ks.lmpop(ctx.db, keys, end, count)? {
        Some((key, values)) => Reply::Array(vec![Reply::Bulk(key.into_vec()), Reply::bulks(values)]),
        None => Reply::NilArray,
    })
}

/// `numkeys key… <LEFT|RIGHT> [COUNT count]` of LMPOP/BLMPOP, as Redis 7.0
/// `lmpopGenericCommand`: numkeys must be 1.. (anything else, a non-number included, is
/// "numkeys should be greater than 0"); too few arguments after the keys, an unknown
/// direction, or a repeated or unknown option is a syntax error; a count that is not 1.. is
/// "count should be greater than 0".
fn parse_mpop<'a>(args: &mut Args<'a>) -> Result<(&'a [&'a [u8]], End, usize)> {
    let numkeys = args.next_i64_in(1, i64::MAX, Error::NumkeysNotPositive)?;
    let numkeys = usize::try_from(numkeys).map_err(|_| Error::Syntax)?;
    // The direction must follow the keys.
    if numkeys >= args.remaining() {
        return Err(Error::Syntax);
    }
    let keys = args.take(numkeys)?;
    let end = args.next_end()?;
    let mut count = None;
    while let Some(opt) = args.next_opt() {
        if count.is_none() && is_keyword(opt, "count") && !args.is_empty() {
            count = Some(args.next_i64_in(1, i64::MAX, Error::CountNotPositive)?);
        } else {
            return Err(Error::Syntax);
        }
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    Ok((keys, end, count))
}

// ---------------------------------------------------------------------------------------
// Blocking (run once here; `parse_blocking` gives the wait to callers that may block)
// ---------------------------------------------------------------------------------------

fn keys_of(keys: &[&[u8]]) -> Vec<crate::engine::db::Key> {
    keys.iter().map(|&k| k.into()).collect()
}

/// BLPOP / BRPOP: `key [key ...] timeout`, the timeout checked first.
fn parse_bpop(args: &mut Args<'_>, end: End) -> Result<BlockingCall> {
    let timeout = parse_timeout(args.next_back_bytes()?)?;
    let keys = keys_of(args.rest());
    Ok(BlockingCall { keys, op: BlockOp::Pop { end }, timeout })
}

/// Parses BLPOP's arguments into its wait.
///
/// # Errors
/// The timeout errors.
pub(super) fn parse_blpop(args: &mut Args<'_>) -> Result<BlockingCall> {
    parse_bpop(args, End::Left)
}

/// Parses BRPOP's arguments into its wait.
///
/// # Errors
/// The timeout errors.
pub(super) fn parse_brpop(args: &mut Args<'_>) -> Result<BlockingCall> {
    parse_bpop(args, End::Right)
}

/// Parses BLMOVE's arguments: the directions are checked before the timeout (Redis
/// `blmoveCommand`).
///
/// # Errors
/// `Syntax` for a bad direction, then the timeout errors.
pub(super) fn parse_blmove(args: &mut Args<'_>) -> Result<BlockingCall> {
    let src = args.next_key()?;
    let dest = args.next_key()?;
    let from = args.next_end()?;
    let to = args.next_end()?;
    let timeout = args.next_timeout()?;
    Ok(BlockingCall { keys: keys_of(&[src]), op: BlockOp::Move { from, dest: dest.into(), to }, timeout })
}

/// Parses BRPOPLPUSH's arguments (BLMOVE source destination RIGHT LEFT timeout).
///
/// # Errors
/// The timeout errors.
pub(super) fn parse_brpoplpush(args: &mut Args<'_>) -> Result<BlockingCall> {
    let src = args.next_key()?;
    let dest = args.next_key()?;
    let timeout = args.next_timeout()?;
    let op = BlockOp::Move { from: End::Right, dest: dest.into(), to: End::Left };
    Ok(BlockingCall { keys: keys_of(&[src]), op, timeout })
}

/// Parses BLMPOP's arguments: numkeys, keys, direction and COUNT are checked before the
/// timeout that comes first (Redis 7.0 parses it last, in `lmpopGenericCommand`).
///
/// # Errors
/// As LMPOP, then the timeout errors.
pub(super) fn parse_blmpop(args: &mut Args<'_>) -> Result<BlockingCall> {
    let timeout = args.next_bytes()?;
    let (keys, end, count) = parse_mpop(args)?;
    let timeout = parse_timeout(timeout)?;
    Ok(BlockingCall { keys: keys_of(keys), op: BlockOp::MPop { end, count }, timeout })
}

/// ```text
/// BLPOP key [key ...] timeout
/// ```
/// Here: pops from the first non-empty key (`[key, element]`), or a null array.
pub(super) fn blpop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    parse_blpop(args)?.run_once(ks, ctx.db)
}

/// ```text
/// BRPOP key [key ...] timeout
/// ```
/// Here: pops from the first non-empty key (`[key, element]`), or a null array.
pub(super) fn brpop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    parse_brpop(args)?.run_once(ks, ctx.db)
}

/// ```text
/// BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout
/// ```
/// Here: as LMOVE, a null bulk when the source is empty.
pub(super) fn blmove(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    parse_blmove(args)?.run_once(ks, ctx.db)
}

/// ```text
/// BRPOPLPUSH source destination timeout
/// ```
/// Here: as RPOPLPUSH, a null bulk when the source is empty.
pub(super) fn brpoplpush(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    parse_brpoplpush(args)?.run_once(ks, ctx.db)
}

/// ```text
/// BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
/// ```
/// Here: as LMPOP.
pub(super) fn blmpop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    parse_blmpop(args)?.run_once(ks, ctx.db)
}
