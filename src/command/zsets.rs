//! Sorted-set command handlers, ZADD … ZPOPMAX: parse → engine call → `Reply`. Argument
//! checks come in the order of redis `src/t_zset.c` (7.0), so that the first error is
//! Redis's. Scores are `Reply::Double`s, written as Redis 7.0 writes them (`%.17g`, see
//! `zset::format_score`): bulk strings in RESP2, doubles in RESP3.

use super::keys::{parse_cursor, scan_options};
use super::args::{is_keyword, parse_f64, parse_strtod, Args};
use super::reply::Reply;
use super::Context;
use crate::engine::zsets::{LexBound, RangeBy, ScoreRange, Scored, ZaddFlags};
use crate::engine::{Error, Keyspace, Result};

/// A score reply (Redis `addReplyDouble`): a double, which the RESP writers put as Redis
/// 7.0 does (`%.17g`; a bulk string in RESP2).
fn score(_ctx: &Context, s: f64) -> Reply {
    Reply::Double(s)
}

/// Members, with their scores when asked: flat in RESP2, `[member, score]` pairs in RESP3
/// (Redis `zrangeResultEmit…WithScores`).
pub(super) fn scored(ctx: &Context, items: Vec<Scored>, withscores: bool) -> Reply {
    if !withscores {
        return Reply::bulks(items.into_iter().map(|(m, _)| m));
    }
    if ctx.resp >= 3 {
        Reply::Array(items.into_iter().map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)])).collect())
    } else {
        Reply::Array(items.into_iter().flat_map(|(m, s)| [Reply::Bulk(m), score(ctx, s)]).collect())
    }
}

/// An integer argument (Redis `getLongFromObjectOrReply`).
fn int(s: &[u8]) -> Result<i64> {
    crate::engine::strings::parse_i64(s).ok_or(Error::NotAnInteger)
}

/// A score argument (Redis `getDoubleFromObject`).
fn parse_score(s: &[u8]) -> Result<f64> {
    parse_f64(s).ok_or(Error::NotAFloat)
}

/// A score range (Redis `zslParseRange`): `(` makes a bound exclusive; strtod's grammar.
fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange> {
    fn bound(s: &[u8]) -> Result<(f64, bool)> {
        let (text, ex) = if s.first() == Some(&b'(') { (&s[1..], true) } else { (s, false) };
        match parse_strtod(text) {
            Some(v) if !v.is_nan() => Ok((v, ex)),
            _ => Err(Error::MinMaxNotFloat),
        }
    }
    let (min, minex) = bound(min)?;
    let (max, maxex) = bound(max)?;
    Ok(ScoreRange { min, minex, max, maxex })
}

/// ```text
/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
/// ```
pub(super) fn zadd(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let argv = args.rest();
    let mut flags = ZaddFlags::default();
    let mut ch = false;
    let mut i = 0;
    while let Some(a) = argv.get(i) {
        if is_keyword(a, "nx") {
            flags.nx = true;
        } else if is_keyword(a, "xx") {
            flags.xx = true;
        } else if is_keyword(a, "gt") {
            flags.gt = true;
        } else if is_keyword(a, "lt") {
            flags.lt = true;
        } else if is_keyword(a, "ch") {
            ch = true;
        } else if is_keyword(a, "incr") {
            flags.incr = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = &argv[i..];
    if elements.is_empty() || elements.len() % 2 != 0 {
        return Err(Error::Syntax);
    }
    if flags.nx && flags.xx {
        return Err(Error::ZaddXxNx);
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(Error::ZaddGtLtNx);
    }
    if flags.incr && elements.len() > 2 {
        return Err(Error::ZaddIncrPairs);
    }
    let pairs = elements.chunks_exact(2).map(|p| Ok((parse_score(p[0])?, p[1]))).collect::<Result<Vec<(f64, &[u8])>>>()?;
    let out = ks.zadd(ctx.db, key, flags, &pairs, b"ZADD", argv)?;
    if flags.incr {
        return Ok(out.score.map_or(Reply::Nil, |s| score(ctx, s)));
    }
    Ok(Reply::count(if ch { out.added + out.updated } else { out.added }))
}

/// ```text
/// ZINCRBY key increment member
/// ```
pub(super) fn zincrby(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let argv = args.rest();
    let incr = parse_score(argv[0])?;
    let flags = ZaddFlags { incr: true, ..ZaddFlags::default() };
    let out = ks.zadd(ctx.db, key, flags, &[(incr, argv[1])], b"ZINCRBY", argv)?;
    Ok(out.score.map_or(Reply::Nil, |s| score(ctx, s)))
}

/// ```text
/// ZREM key member [member ...]
/// ```
pub(super) fn zrem(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::count(ks.zrem(ctx.db, key, args.rest())?))
}

/// ```text
/// ZCARD key
/// ```
pub(super) fn zcard(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::count(ks.zcard(ctx.db, key)?))
}

/// ```text
/// ZSCORE key member
/// ```
pub(super) fn zscore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let member = args.next_bytes()?;
    Ok(ks.zscore(ctx.db, key, member)?.map_or(Reply::Nil, |s| score(ctx, s)))
}

/// ```text
/// ZMSCORE key member [member ...]
/// ```
pub(super) fn zmscore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let got = ks.zmscore(ctx.db, key, args.rest())?;
    Ok(Reply::Array(got.into_iter().map(|s| s.map_or(Reply::Nil, |s| score(ctx, s))).collect()))
}

fn rank(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>, rev: bool) -> Result<Reply> {
    let key = args.next_key()?;
    let member = args.next_bytes()?;
    Ok(ks.zrank(ctx.db, key, member, rev)?.map_or(Reply::Nil, Reply::count))
}

/// ```text
/// ZRANK key member
/// ```
pub(super) fn zrank(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    rank(ks, ctx, args, false)
}

/// ```text
/// ZREVRANK key member
/// ```
pub(super) fn zrevrank(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    rank(ks, ctx, args, true)
}

/// ```text
/// ZCOUNT key min max
/// ```
pub(super) fn zcount(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let min = args.next_bytes()?;
    let max = args.next_bytes()?;
    let r = score_range(min, max)?;
    Ok(Reply::count(ks.zcount(ctx.db, key, r)?))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Redis `zrangeGenericCommand`: the options after `key start stop`, checked in its
/// order, then the range parsed by its kind, then the key read.
fn zrange_generic(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>, by: By, rev: Option<bool>) -> Result<Reply> {
    zrange_any(ks, ctx, args, by, rev, None)
}

/// ZRANGE's parsing and reading; with `store` (ZRANGESTORE: the destination and the
/// whole request) the result is stored instead of returned.
fn zrange_any(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>, mut by: By, rev: Option<bool>, store: Option<(&[u8], &[&[u8]])>) -> Result<Reply> {
    let key = args.next_key()?;
    let a = args.next_bytes()?;
    let b = args.next_bytes()?;
    let opts = args.rest();
    let (mut withscores, mut offset, mut limit, mut rev) = (false, 0i64, -1i64, rev);
    let mut j = 0;
    while j < opts.len() {
        let o = opts[j];
        let left = opts.len() - j - 1;
        if store.is_none() && is_keyword(o, "withscores") {
            withscores = true;
        } else if is_keyword(o, "limit") && left >= 2 {
            offset = int(opts[j + 1])?;
            limit = int(opts[j + 2])?;
            j += 2;
        } else if rev.is_none() && is_keyword(o, "rev") {
            rev = Some(true);
        } else if by == By::Auto && is_keyword(o, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is_keyword(o, "byscore") {
            by = By::Score;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit != -1 && by == By::Rank {
        return Err(Error::ZrangeLimitByIndex);
    }
    if withscores && by == By::Lex {
        return Err(Error::ZrangeWithscoresBylex);
    }
    let (min, max) = if rev && by != By::Rank { (b, a) } else { (a, b) };
    let range = match by {
        By::Auto | By::Rank => RangeBy::Rank(int(min)?, int(max)?),
        By::Score => RangeBy::Score(score_range(min, max)?, offset, limit),
        By::Lex => RangeBy::Lex(LexBound::parse(min)?, LexBound::parse(max)?, offset, limit),
    };
    if let Some((dst, argv)) = store {
        return Ok(Reply::count(ks.zrangestore(ctx.db, dst, key, &range, rev, argv)?));
    }
    let items = ks.zrange(ctx.db, key, &range, rev)?;
    Ok(scored(ctx, items, withscores))
}

/// ```text
/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
/// ```
pub(super) fn zrange(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zrange_generic(ks, ctx, args, By::Auto, None)
}

/// ```text
/// ZREVRANGE key start stop [WITHSCORES]
/// ```
pub(super) fn zrevrange(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zrange_generic(ks, ctx, args, By::Rank, Some(true))
}

/// ```text
/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
/// ```
pub(super) fn zrangebyscore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zrange_generic(ks, ctx, args, By::Score, Some(false))
}

/// ```text
/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
/// ```
pub(super) fn zrevrangebyscore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zrange_generic(ks, ctx, args, By::Score, Some(true))
}

fn pop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>, max: bool) -> Result<Reply> {
    let key = args.next_key()?;
    let count = match args.next_opt() {
        None => None,
        Some(c) => {
            let n = int(c).map_err(|_| Error::NotPositive)?;
            if n < 0 {
                return Err(Error::NotPositive);
            }
            Some(usize::try_from(n).unwrap_or(usize::MAX))
        }
    };
    args.finish()?;
    let items = ks.zpop(ctx.db, key, count.unwrap_or(1), max)?;
    if count.is_some() && ctx.resp >= 3 {
        return Ok(scored(ctx, items, true));
    }
    Ok(Reply::Array(items.into_iter().flat_map(|(m, s)| [Reply::Bulk(m), score(ctx, s)]).collect()))
}

/// ```text
/// ZPOPMIN key [count]
/// ```
pub(super) fn zpopmin(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    pop(ks, ctx, args, false)
}

/// ```text
/// ZPOPMAX key [count]
/// ```
pub(super) fn zpopmax(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    pop(ks, ctx, args, true)
}

/// ```text
/// ZRANGEBYLEX key min max [LIMIT offset count]
/// ```
pub(super) fn zrangebylex(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zrange_generic(ks, ctx, args, By::Lex, Some(false))
}

/// ```text
/// ZREVRANGEBYLEX key max min [LIMIT offset count]
/// ```
pub(super) fn zrevrangebylex(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zrange_generic(ks, ctx, args, By::Lex, Some(true))
}

/// ```text
/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
/// ```
/// WITHSCORES is not among its options (Redis: a syntax error).
pub(super) fn zrangestore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let all = args.rest();
    let mut args = Args::new("zrangestore", all);
    let dst = args.next_key()?;
    zrange_any(ks, ctx, &mut args, By::Auto, None, Some((dst, all)))
}

/// ```text
/// ZLEXCOUNT key min max
/// ```
pub(super) fn zlexcount(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let min = LexBound::parse(args.next_bytes()?)?;
    let max = LexBound::parse(args.next_bytes()?)?;
    Ok(Reply::count(ks.zlexcount(ctx.db, key, &min, &max)?))
}

/// Redis `zremrangeGenericCommand`: the range parsed first, then the key.
fn zremrange(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>, by: By, cmd: &str) -> Result<Reply> {
    let key = args.next_key()?;
    let argv = args.rest();
    let range = match by {
        By::Score => RangeBy::Score(score_range(argv[0], argv[1])?, 0, -1),
        By::Lex => RangeBy::Lex(LexBound::parse(argv[0])?, LexBound::parse(argv[1])?, 0, -1),
        By::Auto | By::Rank => RangeBy::Rank(int(argv[0])?, int(argv[1])?),
    };
    Ok(Reply::count(ks.zremrange(ctx.db, key, &range, cmd, argv)?))
}

/// ```text
/// ZREMRANGEBYRANK key start stop
/// ```
pub(super) fn zremrangebyrank(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zremrange(ks, ctx, args, By::Rank, "ZREMRANGEBYRANK")
}

/// ```text
/// ZREMRANGEBYSCORE key min max
/// ```
pub(super) fn zremrangebyscore(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zremrange(ks, ctx, args, By::Score, "ZREMRANGEBYSCORE")
}

/// ```text
/// ZREMRANGEBYLEX key min max
/// ```
pub(super) fn zremrangebylex(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    zremrange(ks, ctx, args, By::Lex, "ZREMRANGEBYLEX")
}

/// ```text
/// ZRANDMEMBER key [count [WITHSCORES]]
/// ```
pub(super) fn zrandmember(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    if args.is_empty() {
        return Ok(ks.zrandmember(ctx.db, key)?.map_or(Reply::Nil, |(m, _)| Reply::Bulk(m)));
    }
    // Redis's range is -LONG_MAX..=LONG_MAX: i64::MIN is refused.
    let count = args.next_i64()?;
    if count == i64::MIN {
        return Err(Error::IntRange { min: -i64::MAX, max: i64::MAX });
    }
    let withscores = match args.remaining() {
        0 => false,
        1 if args.peek().is_some_and(|a| is_keyword(a, "withscores")) => true,
        _ => return Err(Error::Syntax),
    };
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(Error::ValueOutOfRange);
    }
    let items = ks.zrandmember_count(ctx.db, key, count)?;
    Ok(scored(ctx, items, withscores))
}

/// ```text
/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
/// ```
/// Checked in Redis's order (`zmpopGenericCommand`): numkeys, MIN | MAX, COUNT; the reply
/// is `[key, [[member, score], ...]]` (pairs in RESP2 too), nil when every key is empty.
pub(super) fn zmpop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let all = args.rest();
    let numkeys = crate::engine::strings::parse_i64(all[0]).filter(|n| *n > 0).ok_or(Error::NumkeysNotPositive)?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys >= all.len() - 1 {
        return Err(Error::Syntax);
    }
    let keys = &all[1..=numkeys];
    let max = match all[numkeys + 1] {
        w if is_keyword(w, "min") => false,
        w if is_keyword(w, "max") => true,
        _ => return Err(Error::Syntax),
    };
    let mut count = None;
    let mut j = numkeys + 2;
    while j < all.len() {
        if count.is_none() && is_keyword(all[j], "count") && j + 1 < all.len() {
            let n = crate::engine::strings::parse_i64(all[j + 1]).filter(|n| *n > 0).ok_or(Error::CountNotPositive)?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let Some((key, items)) = ks.zmpop(ctx.db, keys, count.unwrap_or(1), max)? else {
        return Ok(Reply::NilArray);
    };
    let pairs = items.into_iter().map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), score(ctx, s)])).collect();
    Ok(Reply::Array(vec![Reply::Bulk(key), Reply::Array(pairs)]))
}

/// ```text
/// ZSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// Redis checks the cursor, then the key (a missing one answers an empty scan without
/// looking at the options), then the options.
pub(super) fn zscan(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let cursor = parse_cursor(args.next_bytes()?).ok_or(Error::InvalidCursor)?;
    if ks.zcard(ctx.db, key)? == 0 {
        return Ok(Reply::Array(vec![Reply::Bulk(b"0".to_vec()), Reply::Array(Vec::new())]));
    }
    let opts = scan_options(args, false)?;
    let (next, items) = ks.zscan(ctx.db, key, cursor, opts.pattern, opts.count)?;
    let flat = items.into_iter().flat_map(|(m, s)| [Reply::Bulk(m), Reply::Bulk(crate::engine::zset::format_score(s))]).collect();
    Ok(Reply::Array(vec![Reply::Bulk(next.to_string().into_bytes()), Reply::Array(flat)]))
}
