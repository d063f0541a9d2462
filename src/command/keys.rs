//! Generic key command handlers: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, DBSIZE, FLUSHDB,
//! FLUSHALL, RENAME(NX), the EXPIRE family, TTL, PTTL, PERSIST, and SELECT (which changes
//! the connection's `Context`). Checks follow redis `src/db.c` and `src/expire.c` (7.0).

use super::args::{is_keyword, Args};
use super::reply::Reply;
use super::{sanitize, Context};
use crate::engine::clock::unix_ms;
use crate::engine::keyspace::{check_db, ExpireCondition};
use crate::engine::strings::parse_i64;
use crate::engine::{Error, Keyspace, Result};

/// ```text
/// DEL key [key ...]
/// ```
pub(super) fn del(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::count(ks.del(ctx.db, args.rest())))
}

/// ```text
/// UNLINK key [key ...]
/// ```
/// As DEL (Redis frees big values in the background; here freeing is the allocator's).
pub(super) fn unlink(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::count(ks.del(ctx.db, args.rest())))
}

/// ```text
/// EXISTS key [key ...]
/// ```
/// How many of the keys exist, a key named twice counting twice.
pub(super) fn exists(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::count(ks.exists(ctx.db, args.rest())))
}

/// ```text
/// TYPE key
/// ```
pub(super) fn type_(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::simple(ks.type_of(ctx.db, key)))
}

/// ```text
/// KEYS pattern
/// ```
pub(super) fn keys(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let pattern = args.next_bytes()?;
    Ok(Reply::bulks(ks.keys(ctx.db, pattern).into_iter().map(<[u8]>::into_vec)))
}

/// SCAN's cursor, read as C `strtoul(s, &end, 10)` and checked as Redis
/// `parseScanCursorOrReply`: no leading space, nothing after the digits, no overflow. So
/// `+5` is 5, `-1` wraps to `u64::MAX`, and an empty string is 0, as in Redis.
pub(super) fn parse_cursor(s: &[u8]) -> Option<u64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // strtoul parses nothing from "" or "-": the cursor is 0 and nothing is left over.
    let n = digits.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))?;
    Some(if neg { n.wrapping_neg() } else { n })
}

/// The options of SCAN, HSCAN and SSCAN, as Redis's one `scanGenericCommand` reads them.
pub(super) struct ScanOptions<'a> {
    /// COUNT: how much work one call does (a hint), at least 1.
    pub count: usize,
    /// MATCH, `None` for none or for "*" (which matches everything: no matching is done,
    /// as in Redis).
    pub pattern: Option<&'a [u8]>,
    /// TYPE (SCAN only).
    pub type_name: Option<&'a [u8]>,
}

/// Reads `[MATCH pattern] [COUNT count]` (and `[TYPE type]` when `with_type`), each as
/// often as given (the last counts): an option without its value, or an unknown one, is a
/// syntax error; COUNT must be an integer ("value is not an integer") of at least 1
/// (else a syntax error).
pub(super) fn scan_options<'a>(args: &mut Args<'a>, with_type: bool) -> Result<ScanOptions<'a>> {
    let mut opts = ScanOptions { count: 10, pattern: None, type_name: None };
    while let Some(opt) = args.next_opt() {
        if args.is_empty() {
            return Err(Error::Syntax);
        }
        if is_keyword(opt, "count") {
            let n = args.next_i64()?;
            if n < 1 {
                return Err(Error::Syntax);
            }
            opts.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is_keyword(opt, "match") {
            let p = args.next_bytes()?;
            opts.pattern = (p != b"*").then_some(p);
        } else if with_type && is_keyword(opt, "type") {
            opts.type_name = Some(args.next_bytes()?);
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(opts)
}

/// ```text
/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
/// ```
/// `[next-cursor, [key…]]`. The cursor is checked first; then options, each at most as
/// often as given (the last one counts): COUNT must be an integer ("value is not an
/// integer") of at least 1 (else a syntax error).
pub(super) fn scan(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let Some(cursor) = parse_cursor(args.next_bytes()?) else {
        return Err(Error::InvalidCursor);
    };
    let opts = scan_options(args, true)?;
    let (next, keys) = ks.scan(ctx.db, cursor, opts.pattern, opts.count, opts.type_name);
    Ok(Reply::Array(vec![
        Reply::Bulk(next.to_string().into_bytes()),
        Reply::bulks(keys.into_iter().map(<[u8]>::into_vec)),
    ]))
}

/// ```text
/// DBSIZE
/// ```
pub(super) fn dbsize(ks: &mut Keyspace, ctx: &mut Context, _args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::count(ks.dbsize(ctx.db)))
}

/// FLUSHDB/FLUSHALL's `[ASYNC | SYNC]` (Redis `getFlushCommandFlags`). Both flush at once
/// here: freeing is the allocator's, and nothing else can see the old values.
fn flush_mode(args: &mut Args<'_>) -> Result<()> {
    match args.next_opt() {
        None => Ok(()),
        Some(m) if (is_keyword(m, "async") || is_keyword(m, "sync")) && args.is_empty() => Ok(()),
        Some(_) => Err(Error::Syntax),
    }
}

/// ```text
/// FLUSHDB [ASYNC | SYNC]
/// ```
pub(super) fn flushdb(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    flush_mode(args)?;
    ks.flushdb(ctx.db);
    Ok(Reply::Ok)
}

/// ```text
/// FLUSHALL [ASYNC | SYNC]
/// ```
pub(super) fn flushall(ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    flush_mode(args)?;
    ks.flushall();
    Ok(Reply::Ok)
}

/// ```text
/// RENAME key newkey
/// ```
pub(super) fn rename(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let src = args.next_key()?;
    let dst = args.next_key()?;
    ks.rename(ctx.db, src, dst, false)?;
    Ok(Reply::Ok)
}

/// ```text
/// RENAMENX key newkey
/// ```
pub(super) fn renamenx(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let src = args.next_key()?;
    let dst = args.next_key()?;
    Ok(Reply::bool(ks.rename(ctx.db, src, dst, true)?))
}

/// EXPIRE's NX/XX/GT/LT, as Redis 7.0 `parseExtendedExpireArgumentsOrReply`: any order,
/// repeats allowed; XX combines with GT or LT.
#[derive(Debug, Default, Clone, Copy)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(args: &mut Args<'_>) -> Result<ExpireFlags> {
    let mut f = ExpireFlags::default();
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "nx") {
            f.nx = true;
        } else if is_keyword(opt, "xx") {
            f.xx = true;
        } else if is_keyword(opt, "gt") {
            f.gt = true;
        } else if is_keyword(opt, "lt") {
            f.lt = true;
        } else {
            return Err(Error::UnsupportedOption { opt: sanitize(opt) });
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(Error::ExpireNxAndOthers);
    }
    if f.gt && f.lt {
        return Err(Error::ExpireGtAndLt);
    }
    Ok(f)
}

/// Units and base of the EXPIRE family.
#[derive(Debug, Clone, Copy)]
struct ExpireKind {
    /// The argument is in seconds (EXPIRE, EXPIREAT) rather than milliseconds.
    seconds: bool,
    /// The argument is relative to now (EXPIRE, PEXPIRE) rather than a Unix time.
    relative: bool,
}

/// The EXPIRE family (Redis 7.0 `expireGenericCommand`): options first, then the time
/// (negative allowed: the key is deleted), then the overflow checks, then the key. 1 if
/// the expiry was set (or the key deleted because the time is past), 0 if the key is
/// missing or a condition said no.
fn expire_generic(ks: &mut Keyspace, ctx: &Context, args: &mut Args<'_>, kind: ExpireKind) -> Result<Reply> {
    let key = args.next_key()?;
    let when = args.next_bytes()?;
    let flags = parse_expire_flags(args)?;
    let mut when = parse_i64(when).ok_or(Error::NotAnInteger)?;
    let invalid = || Error::InvalidExpireTime { cmd: args.cmd().to_owned() };
    if kind.seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    if kind.relative {
        when = when.checked_add(unix_ms()).ok_or_else(invalid)?;
    }
    let cond = if flags.nx {
        ExpireCondition::Nx
    } else if flags.gt {
        // GT already fails on a key without expiry, so XX GT is GT.
        ExpireCondition::Gt
    } else if flags.lt {
        // LT alone passes a key without expiry; XX LT must not. Same unit, so atomic.
        if flags.xx && ks.pttl(ctx.db, key) == -1 {
            return Ok(Reply::Int(0));
        }
        ExpireCondition::Lt
    } else if flags.xx {
        ExpireCondition::Xx
    } else {
        ExpireCondition::Always
    };
    Ok(Reply::bool(ks.expire_at(ctx.db, key, when, cond)))
}

/// ```text
/// EXPIRE key seconds [NX | XX | GT | LT]
/// ```
pub(super) fn expire(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    expire_generic(ks, ctx, args, ExpireKind { seconds: true, relative: true })
}

/// ```text
/// PEXPIRE key milliseconds [NX | XX | GT | LT]
/// ```
pub(super) fn pexpire(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    expire_generic(ks, ctx, args, ExpireKind { seconds: false, relative: true })
}

/// ```text
/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
/// ```
pub(super) fn expireat(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    expire_generic(ks, ctx, args, ExpireKind { seconds: true, relative: false })
}

/// ```text
/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
/// ```
pub(super) fn pexpireat(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    expire_generic(ks, ctx, args, ExpireKind { seconds: false, relative: false })
}

/// ```text
/// TTL key
/// ```
/// -2 for a missing key, -1 without expiry, else seconds left, rounded (Redis
/// `ttlGenericCommand`: `(ttl + 500) / 1000`).
pub(super) fn ttl(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let ms = ks.pttl(ctx.db, key);
    Ok(Reply::Int(if ms < 0 { ms } else { (ms + 500) / 1000 }))
}

/// ```text
/// PTTL key
/// ```
pub(super) fn pttl(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::Int(ks.pttl(ctx.db, key)))
}

/// ```text
/// PERSIST key
/// ```
pub(super) fn persist(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::bool(ks.persist(ctx.db, key)))
}

/// ```text
/// SELECT index
/// ```
/// The index is read as a C int (Redis `getIntFromObjectOrReply`), then checked against
/// the 16 databases.
pub(super) fn select(_ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let n = args.next_i64()?;
    if i32::try_from(n).is_err() {
        return Err(Error::IntRange { min: i32::MIN.into(), max: i32::MAX.into() });
    }
    ctx.db = check_db(n)?;
    Ok(Reply::Ok)
}

/// A database index argument read as Redis `getIntFromObjectOrReply` reads it (an
/// integer, within C int range), then checked against the 16 databases.
fn db_index(arg: &[u8]) -> Result<usize> {
    let n = parse_i64(arg).ok_or(Error::NotAnInteger)?;
    if i32::try_from(n).is_err() {
        return Err(Error::IntRange { min: i32::MIN.into(), max: i32::MAX.into() });
    }
    check_db(n)
}

/// ```text
/// COPY source destination [DB destination-db] [REPLACE]
/// ```
/// Options in any order, repeats allowed (the last DB counts), checked as Redis 7.0
/// `copyCommand` parses them: a bad DB index stops the parse with its own error.
pub(super) fn copy(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let src = args.next_key()?;
    let dst = args.next_key()?;
    let mut dst_db = ctx.db;
    let mut replace = false;
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "replace") {
            replace = true;
        } else if is_keyword(opt, "db") && !args.is_empty() {
            dst_db = db_index(args.next_bytes()?)?;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(Reply::bool(ks.copy(ctx.db, src, dst_db, dst, replace)?))
}

/// ```text
/// MOVE key db
/// ```
pub(super) fn move_(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let dst_db = db_index(args.next_bytes()?)?;
    Ok(Reply::bool(ks.move_key(ctx.db, key, dst_db)?))
}

/// ```text
/// SWAPDB index1 index2
/// ```
/// An index that is not a C int is "invalid first/second DB index"; one out of the 16
/// databases is "DB index is out of range" (Redis 7.0 `swapdbCommand`).
pub(super) fn swapdb(ks: &mut Keyspace, _ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let index = |arg: &[u8], which: &'static str| -> Result<i64> {
        parse_i64(arg).filter(|n| i32::try_from(*n).is_ok()).ok_or(Error::SwapdbInvalidIndex { which })
    };
    let a = index(args.next_bytes()?, "first")?;
    let b = index(args.next_bytes()?, "second")?;
    let (a, b) = (check_db(a)?, check_db(b)?);
    ks.swapdb(a, b);
    Ok(Reply::Ok)
}

/// ```text
/// RANDOMKEY
/// ```
pub(super) fn randomkey(ks: &mut Keyspace, ctx: &mut Context, _args: &mut Args<'_>) -> Result<Reply> {
    Ok(ks.randomkey(ctx.db).map_or(Reply::Nil, |k| Reply::Bulk(k.into_vec())))
}

/// ```text
/// TOUCH key [key ...]
/// ```
pub(super) fn touch(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    Ok(Reply::count(ks.touch(ctx.db, args.rest())))
}

/// ```text
/// EXPIRETIME key
/// ```
/// -2 for a missing key, -1 without expiry, else the Unix time in seconds, rounded as
/// Redis `ttlGenericCommand` rounds (`(ms + 500) / 1000`).
pub(super) fn expiretime(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let at = ks.expire_time(ctx.db, key);
    Ok(Reply::Int(if at < 0 { at } else { (at + 500) / 1000 }))
}

/// ```text
/// PEXPIRETIME key
/// ```
pub(super) fn pexpiretime(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::Int(ks.expire_time(ctx.db, key)))
}
