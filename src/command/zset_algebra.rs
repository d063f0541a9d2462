//! ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZINTERCARD: parse → engine
//! call → `Reply`, the options read as redis `zunionInterDiffGenericCommand` (7.0) reads
//! them, so that the first error is Redis's: numkeys, then the source keys' types, then
//! WEIGHTS / AGGREGATE / WITHSCORES / LIMIT in any order (each may repeat).

use super::args::{is_keyword, parse_f64, Args};
use super::reply::Reply;
use super::zsets::scored;
use super::Context;
use crate::engine::zset_algebra::{Aggregate, ZOp};
use crate::engine::{Error, Keyspace, Result};

/// What the request asked.
struct Parsed<'a> {
    keys: &'a [&'a [u8]],
    weights: Vec<f64>,
    how: Aggregate,
    withscores: bool,
    limit: usize,
}

/// The request after the destination (if any): `numkeys key... [options]`. `store`:
/// no WITHSCORES; `card`: only LIMIT.
fn parse<'a>(ks: &mut Keyspace, ctx: &Context, args: &mut Args<'a>, op: ZOp, store: bool, card: bool) -> Result<Parsed<'a>> {
    let numkeys = crate::engine::strings::parse_i64(args.next_bytes()?).ok_or(Error::NotAnInteger)?;
    if numkeys < 1 {
        return Err(Error::ZsetNoInputKey { cmd: args.cmd().to_string() });
    }
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.remaining() {
        return Err(Error::Syntax);
    }
    let keys = args.take(numkeys)?;
    // Redis checks the sources' types before the options.
    ks.zset_sources_check(ctx.db, keys)?;
    let mut p = Parsed { keys, weights: Vec::new(), how: Aggregate::Sum, withscores: false, limit: 0 };
    let opts = args.rest();
    let mut j = 0;
    while j < opts.len() {
        let o = opts[j];
        let remaining = opts.len() - j;
        if op != ZOp::Diff && !card && remaining > numkeys && is_keyword(o, "weights") {
            p.weights = opts[j + 1..=j + numkeys].iter().map(|w| parse_f64(w).ok_or(Error::WeightNotFloat)).collect::<Result<_>>()?;
            j += 1 + numkeys;
        } else if op != ZOp::Diff && !card && remaining >= 2 && is_keyword(o, "aggregate") {
            let a = opts[j + 1];
            p.how = if is_keyword(a, "sum") {
                Aggregate::Sum
            } else if is_keyword(a, "min") {
                Aggregate::Min
            } else if is_keyword(a, "max") {
                Aggregate::Max
            } else {
                return Err(Error::Syntax);
            };
            j += 2;
        } else if !store && !card && is_keyword(o, "withscores") {
            p.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && is_keyword(o, "limit") {
            let n = crate::engine::strings::parse_i64(opts[j + 1]).filter(|n| *n >= 0).ok_or(Error::IntercardLimitNegative)?;
            p.limit = usize::try_from(n).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(p)
}

fn read(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>, op: ZOp) -> Result<Reply> {
    let p = parse(ks, ctx, args, op, false, false)?;
    let items = ks.zset_op(ctx.db, op, p.keys, &p.weights, p.how)?;
    Ok(scored(ctx, items, p.withscores))
}

fn store(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>, op: ZOp, word: &[u8]) -> Result<Reply> {
    let dst = args.next_key()?;
    let all: Vec<&[u8]> = {
        let mut peek = args.clone();
        let mut v = vec![word, dst];
        v.extend_from_slice(peek.rest());
        v
    };
    let p = parse(ks, ctx, args, op, true, false)?;
    Ok(Reply::count(ks.zset_op_store(ctx.db, op, dst, p.keys, &p.weights, p.how, &all)?))
}

/// ```text
/// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
/// ```
pub(super) fn zunion(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    read(ks, ctx, args, ZOp::Union)
}

/// ```text
/// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
/// ```
pub(super) fn zinter(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    read(ks, ctx, args, ZOp::Inter)
}

/// ```text
/// ZDIFF numkeys key [key ...] [WITHSCORES]
/// ```
pub(super) fn zdiff(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    read(ks, ctx, args, ZOp::Diff)
}

/// ```text
/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
/// ```
pub(super) fn zunionstore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    store(ks, ctx, args, ZOp::Union, b"ZUNIONSTORE")
}

/// ```text
/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
/// ```
pub(super) fn zinterstore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    store(ks, ctx, args, ZOp::Inter, b"ZINTERSTORE")
}

/// ```text
/// ZDIFFSTORE destination numkeys key [key ...]
/// ```
pub(super) fn zdiffstore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    store(ks, ctx, args, ZOp::Diff, b"ZDIFFSTORE")
}

/// ```text
/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
pub(super) fn zintercard(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let p = parse(ks, ctx, args, ZOp::Inter, false, true)?;
    Ok(Reply::count(ks.zintercard(ctx.db, p.keys, p.limit)?))
}
