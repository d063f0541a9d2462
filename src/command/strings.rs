//! String command handlers: GET, SET and its options, SETNX, SETEX, PSETEX, GETDEL,
//! GETSET, GETEX, MGET, MSET, MSETNX, the INCR family, INCRBYFLOAT, APPEND, STRLEN,
//! GETRANGE/SUBSTR, SETRANGE, LCS. Option checks follow redis `src/t_string.c` (7.0):
//! syntax first, then numbers, then the keyspace. Bitmap commands are in `bitmaps.rs`.

use super::args::{is_keyword, Args};
use super::reply::Reply;
use super::Context;
use crate::engine::clock::unix_ms;
use crate::engine::strings::{parse_i64, GetExChange, SetOptions, SetOutcome};
use crate::engine::{Error, Keyspace, Result};

/// ```text
/// GET key
/// ```
pub(super) fn get(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::bulk_or_nil(get_value(ks, ctx.db, key)?))
}

/// GET's body, for the handler above and typed callers (`call_typed`).
///
/// # Errors
/// `WrongType`.
#[inline]
pub fn get_value(ks: &mut Keyspace, db: usize, key: &[u8]) -> Result<Option<Vec<u8>>> {
    ks.get(db, key)
}

/// SET's body once its options are parsed (SET, SETNX, and typed callers).
///
/// # Errors
/// `WrongType` (with GET).
#[inline]
pub fn set_value(ks: &mut Keyspace, db: usize, key: &[u8], value: &[u8], opts: SetOptions) -> Result<SetOutcome> {
    ks.set(db, key, value, opts)
}

/// The INCR family's body: the value after adding `delta`.
///
/// # Errors
/// `WrongType`, `NotInteger`, `IncrOverflow`.
#[inline]
pub fn incr_value(ks: &mut Keyspace, db: usize, key: &[u8], delta: i64) -> Result<i64> {
    ks.incr_by(db, key, delta)
}

/// DECR/DECRBY's body: a decrement of `i64::MIN` cannot be negated, and Redis refuses it
/// before reading the key.
///
/// # Errors
/// `DecrementOverflow`, and as `incr_value`.
#[inline]
pub fn decr_value(ks: &mut Keyspace, db: usize, key: &[u8], delta: i64) -> Result<i64> {
    let Some(delta) = delta.checked_neg() else {
        return Err(Error::DecrementOverflow);
    };
    ks.incr_by(db, key, delta)
}

/// ```text
/// GETDEL key
/// ```
pub(super) fn getdel(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::bulk_or_nil(ks.getdel(ctx.db, key)?))
}

/// The expiry options of SET, which exclude one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// EX seconds (relative).
    Ex,
    /// PX milliseconds (relative).
    Px,
    /// EXAT unix-time-seconds.
    ExAt,
    /// PXAT unix-time-milliseconds.
    PxAt,
}

impl Expiry {
    fn from_keyword(opt: &[u8]) -> Option<Expiry> {
        [("ex", Expiry::Ex), ("px", Expiry::Px), ("exat", Expiry::ExAt), ("pxat", Expiry::PxAt)]
            .into_iter()
            .find_map(|(kw, e)| is_keyword(opt, kw).then_some(e))
    }

    /// The absolute time in Unix ms for `raw`, as Redis 7.0 `getExpireMillisecondsOrReply`:
    /// not above zero, or overflowing once converted and added to now, is an invalid
    /// expire time (the error names `cmd`).
    fn resolve(self, raw: &[u8], cmd: &str) -> Result<i64> {
        let invalid = || Error::InvalidExpireTime { cmd: cmd.to_owned() };
        let n = parse_i64(raw).ok_or(Error::NotAnInteger)?;
        let seconds = matches!(self, Expiry::Ex | Expiry::ExAt);
        if n <= 0 || (seconds && n > i64::MAX / 1000) {
            return Err(invalid());
        }
        let ms = if seconds { n * 1000 } else { n };
        match self {
            Expiry::Ex | Expiry::Px => ms.checked_add(unix_ms()).ok_or_else(invalid),
            Expiry::ExAt | Expiry::PxAt => Ok(ms),
        }
    }
}

/// ```text
/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
///   EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
/// ```
/// OK, or nil when NX/XX said no; with GET, the old value (or nil) either way. Options
/// parse as Redis 7.0 `parseExtendedStringArgumentsOrReply`: NX with XX, or two different
/// expiry options (KEEPTTL included), is a syntax error; the same expiry option twice is
/// allowed and the last one counts; NX with GET is allowed.
pub(super) fn set(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let value = args.next_bytes()?;
    let mut opts = SetOptions::default();
    let mut expiry: Option<(Expiry, &[u8])> = None;
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "nx") {
            if opts.xx {
                return Err(Error::SetOptionsExclusive);
            }
            opts.nx = true;
        } else if is_keyword(opt, "xx") {
            if opts.nx {
                return Err(Error::SetOptionsExclusive);
            }
            opts.xx = true;
        } else if is_keyword(opt, "get") {
            opts.get = true;
        } else if is_keyword(opt, "keepttl") {
            if expiry.is_some() {
                return Err(Error::SetOptionsExclusive);
            }
            opts.keep_ttl = true;
        } else if let Some(kind) = Expiry::from_keyword(opt) {
            if opts.keep_ttl || expiry.is_some_and(|(k, _)| k != kind) {
                return Err(Error::SetOptionsExclusive);
            }
            expiry = Some((kind, args.next_bytes()?));
        } else {
            return Err(Error::Syntax);
        }
    }
    if let Some((kind, raw)) = expiry {
        opts.expire_at_ms = Some(kind.resolve(raw, "set")?);
    }
    let out = set_value(ks, ctx.db, key, value, opts)?;
    Ok(if opts.get {
        Reply::bulk_or_nil(out.old)
    } else if out.written {
        Reply::Ok
    } else {
        Reply::Nil
    })
}

/// ```text
/// SETNX key value
/// ```
pub(super) fn setnx(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let value = args.next_bytes()?;
    let opts = SetOptions { nx: true, ..SetOptions::default() };
    Ok(Reply::bool(set_value(ks, ctx.db, key, value, opts)?.written))
}

/// ```text
/// MGET key [key ...]
/// ```
/// A value per key; nil for missing keys and keys of other types.
pub(super) fn mget(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let keys = args.rest();
    Ok(Reply::Array(ks.mget(ctx.db, keys).into_iter().map(Reply::bulk_or_nil).collect()))
}

/// `key value [key value ...]`: an odd count is an arity error, as in Redis `msetGenericCommand`.
fn pairs<'a>(args: &mut Args<'a>) -> Result<Vec<(&'a [u8], &'a [u8])>> {
    if args.remaining() % 2 != 0 {
        return Err(args.arity_error());
    }
    Ok(args.rest().chunks_exact(2).map(|kv| (kv[0], kv[1])).collect())
}

/// ```text
/// MSET key value [key value ...]
/// ```
pub(super) fn mset(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let pairs = pairs(args)?;
    ks.mset(ctx.db, &pairs, false);
    Ok(Reply::Ok)
}

/// ```text
/// MSETNX key value [key value ...]
/// ```
/// 1 if every key was set, 0 (and nothing set) if any existed.
pub(super) fn msetnx(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let pairs = pairs(args)?;
    Ok(Reply::bool(ks.mset(ctx.db, &pairs, true)))
}

/// ```text
/// INCR key
/// ```
pub(super) fn incr(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::Int(incr_value(ks, ctx.db, key, 1)?))
}

/// ```text
/// DECR key
/// ```
pub(super) fn decr(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::Int(decr_value(ks, ctx.db, key, 1)?))
}

/// ```text
/// INCRBY key increment
/// ```
pub(super) fn incrby(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let delta = args.next_i64()?;
    Ok(Reply::Int(incr_value(ks, ctx.db, key, delta)?))
}

/// ```text
/// DECRBY key decrement
/// ```
/// A decrement of `i64::MIN` cannot be negated: Redis refuses it before reading the key.
pub(super) fn decrby(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let delta = args.next_i64()?;
    Ok(Reply::Int(decr_value(ks, ctx.db, key, delta)?))
}

/// SETEX and PSETEX: SET with a relative expiry that must be positive.
fn set_with_expiry(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>, kind: Expiry) -> Result<Reply> {
    let key = args.next_key()?;
    let raw = args.next_bytes()?;
    let value = args.next_bytes()?;
    let at = kind.resolve(raw, args.cmd())?;
    ks.set(ctx.db, key, value, SetOptions { expire_at_ms: Some(at), ..SetOptions::default() })?;
    Ok(Reply::Ok)
}

/// ```text
/// SETEX key seconds value
/// ```
pub(super) fn setex(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    set_with_expiry(ks, ctx, args, Expiry::Ex)
}

/// ```text
/// PSETEX key milliseconds value
/// ```
pub(super) fn psetex(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    set_with_expiry(ks, ctx, args, Expiry::Px)
}

/// ```text
/// GETSET key value
/// ```
pub(super) fn getset(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let value = args.next_bytes()?;
    Ok(Reply::bulk_or_nil(ks.getset(ctx.db, key, value)?))
}

/// ```text
/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
///   PXAT unix-time-milliseconds | PERSIST]
/// ```
/// Options as SET's (the same option twice is allowed, the last counts), PERSIST with
/// none of the others; SET's other options are syntax errors here.
pub(super) fn getex(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let mut expiry: Option<(Expiry, &[u8])> = None;
    let mut persist = false;
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "persist") && expiry.is_none() {
            persist = true;
        } else if let Some(kind) = Expiry::from_keyword(opt) {
            if persist || expiry.is_some_and(|(k, _)| k != kind) || args.is_empty() {
                return Err(Error::Syntax);
            }
            expiry = Some((kind, args.next_bytes()?));
        } else {
            return Err(Error::Syntax);
        }
    }
    // The expire time is checked after the key (Redis 7.0).
    let change = || {
        Ok(match expiry {
            Some((kind, raw)) => GetExChange::Expire(kind.resolve(raw, "getex")?),
            None if persist => GetExChange::Persist,
            None => GetExChange::None,
        })
    };
    Ok(Reply::bulk_or_nil(ks.getex(ctx.db, key, change)?))
}

/// ```text
/// INCRBYFLOAT key increment
/// ```
/// The new value as a bulk string, formatted as Redis formats a `long double`.
pub(super) fn incrbyfloat(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let incr = args.next_bytes()?;
    Ok(Reply::Bulk(ks.incr_by_float(ctx.db, key, incr)?))
}

/// ```text
/// APPEND key value
/// ```
pub(super) fn append(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let value = args.next_bytes()?;
    Ok(Reply::count(ks.append(ctx.db, key, value)?))
}

/// ```text
/// STRLEN key
/// ```
pub(super) fn strlen(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(Reply::count(ks.strlen(ctx.db, key)?))
}

/// ```text
/// GETRANGE key start end
/// SUBSTR key start end
/// ```
/// Both indexes are parsed before the key is read; a missing key is an empty string.
pub(super) fn getrange(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    Ok(Reply::Bulk(ks.getrange(ctx.db, key, start, end)?))
}

/// ```text
/// SETRANGE key offset value
/// ```
pub(super) fn setrange(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let offset = args.next_i64()?;
    let value = args.next_bytes()?;
    let offset = u64::try_from(offset).map_err(|_| Error::OffsetOutOfRange)?;
    Ok(Reply::count(ks.setrange(ctx.db, key, offset, value)?))
}

/// ```text
/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
/// ```
/// The keys are checked before the options are read (Redis 7.0). The common subsequence;
/// with LEN its length; with IDX a map `matches` (ranges, last first) and `len`.
pub(super) fn lcs(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let k1 = args.next_key()?;
    let k2 = args.next_key()?;
    // The lookups first (a `keymiss` for each missing key), then the types: LCS answers
    // its own error for another type, before any option (Redis's `lcsCommand`).
    let found = [k1, k2].map(|k| ks.db(ctx.db).get(k).map(crate::engine::value::Value::type_name));
    for (k, t) in [k1, k2].into_iter().zip(found) {
        if t.is_none() {
            ks.key_miss(k, ctx.db);
        }
    }
    if found.iter().any(|t| t.is_some_and(|t| t != "string")) {
        return Err(Error::LcsWrongType);
    }
    let (mut len, mut idx, mut with_len, mut min_len) = (false, false, false, 0usize);
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "idx") {
            idx = true;
        } else if is_keyword(opt, "len") {
            len = true;
        } else if is_keyword(opt, "withmatchlen") {
            with_len = true;
        } else if is_keyword(opt, "minmatchlen") && !args.is_empty() {
            min_len = usize::try_from(args.next_i64()?.max(0)).unwrap_or(usize::MAX);
        } else {
            return Err(Error::Syntax);
        }
    }
    if idx && len {
        return Err(Error::LcsLenAndIdx);
    }
    let r = ks.lcs(ctx.db, k1, k2, min_len)?;
    if idx {
        let range = |(s, e): (usize, usize)| Reply::Array(vec![Reply::count(s), Reply::count(e)]);
        let matches = r
            .matches
            .iter()
            .map(|m| {
                let mut item = vec![range(m.a), range(m.b)];
                if with_len {
                    item.push(Reply::count(m.len));
                }
                Reply::Array(item)
            })
            .collect();
        return Ok(Reply::Map(vec![
            (Reply::Bulk(b"matches".to_vec()), Reply::Array(matches)),
            (Reply::Bulk(b"len".to_vec()), Reply::count(r.len)),
        ]));
    }
    Ok(if len { Reply::count(r.len) } else { Reply::Bulk(r.text) })
}
