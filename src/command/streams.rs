//! Stream command handlers, XADD … XINFO: parse → engine call → `Reply`. Arguments are
//! checked in the order of redis `src/t_stream.c` (7.0), key lookups included, so that the
//! first error is Redis's. XREAD and XREADGROUP also export their parser for
//! `parse_blocking` (a wait only when BLOCK is given).

use std::time::Duration;

use super::args::{is_keyword, Args};
use super::blocking::BlockingCall;
use super::reply::Reply;
use super::Context;
use crate::engine::db::Key;
use crate::engine::stream::{
    ClaimDelivery, ClaimOptions, Entry, EntryBatch, Fields, GroupStart, IdSpec, NoGroupWording,
    Pairs, ReadId, StreamId, StreamInfo, StreamInfoFull, StreamSummary, Trim,
};
use crate::engine::streams::{StreamEntry, TrimSpec};
use crate::engine::strings::parse_i64;
use crate::engine::waiters::BlockOp;
use crate::engine::{Error, Keyspace, Result};

// ---------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------

/// An ID as a bulk string.
pub fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_string().into_bytes())
}

/// Field/value pairs as a flat array.
fn fields_reply(fields: Fields) -> Reply {
    let mut out = Vec::with_capacity(fields.len() * 2);
    for (f, v) in fields {
        out.push(Reply::Bulk(f));
        out.push(Reply::Bulk(v));
    }
    Reply::Array(out)
}

/// `[id, [field, value, …]]`; `[id, nil]` for a pending entry deleted from the stream.
pub fn entry_reply(id: StreamId, fields: Option<Fields>) -> Reply {
    Reply::Array(vec![id_reply(id), fields.map_or(Reply::NilArray, fields_reply)])
}

/// An array of entries.
fn entries_reply(entries: Vec<Entry>) -> Reply {
    Reply::Array(entries.into_iter().map(|(i, f)| entry_reply(i, Some(f))).collect())
}

/// XREAD / XREADGROUP's reply: a null array when nothing was read; else per stream
/// `[key, entries]` (RESP2) or a map key → entries (RESP3), as `xreadCommand`.
pub fn streams_reply(streams: Vec<(Key, EntryBatch)>, resp: u8) -> Reply {
    if streams.is_empty() {
        return Reply::NilArray;
    }
    let one = |entries: EntryBatch| {
        let entry = |(id, pairs): (StreamId, Option<Pairs<'_>>)| {
            let fields = pairs.map_or(Reply::NilArray, |p| {
                Reply::Array(p.flat_map(|(f, v)| [Reply::Bulk(f.to_vec()), Reply::Bulk(v.to_vec())]).collect())
            });
            Reply::Array(vec![id_reply(id), fields])
        };
        Reply::Array(entries.iter().map(entry).collect())
    };
    if resp >= 3 {
        Reply::Map(streams.into_iter().map(|(k, e)| (Reply::Bulk(k.into_vec()), one(e))).collect())
    } else {
        Reply::Array(
            streams
                .into_iter()
                .map(|(k, e)| Reply::Array(vec![Reply::Bulk(k.into_vec()), one(e)]))
                .collect(),
        )
    }
}

/// A map field name.
fn name(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

/// An unsigned counter as an integer reply.
fn uint(n: u64) -> Reply {
    Reply::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A counter that may be unknown: an integer, or a null.
fn opt_uint(n: Option<u64>) -> Reply {
    n.map_or(Reply::Nil, uint)
}

// ---------------------------------------------------------------------------------------
// Entries: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID
// ---------------------------------------------------------------------------------------

/// What `streamParseAddOrTrimArgsOrReply` found.
struct AddTrim {
    trim: Option<TrimSpec>,
    nomkstream: bool,
    /// XADD's ID and the index of the first field in the arguments; `None` when the
    /// arguments ran out before an ID.
    id: Option<(IdSpec, usize)>,
}

/// The options of XADD (`xadd`) or XTRIM, as Redis 7.0 `streamParseAddOrTrimArgsOrReply`
/// reads them: `rest` is what follows the key.
fn parse_add_or_trim(rest: &[&[u8]], xadd: bool) -> Result<AddTrim> {
    let mut strategy: Option<Trim> = None;
    let mut approx = false;
    let mut limit: i64 = 0;
    let mut limit_given = false;
    let mut nomkstream = false;
    let mut id = None;
    let mut i = 0;
    while i < rest.len() {
        let moreargs = rest.len() - 1 - i;
        let opt = rest[i];
        if xadd && opt == b"*" {
            id = Some((IdSpec::Auto, i + 1));
            break;
        } else if (is_keyword(opt, "maxlen") || is_keyword(opt, "minid")) && moreargs > 0 {
            if strategy.is_some() {
                return Err(Error::TrimStrategiesExclusive);
            }
            approx = false;
            let next = rest[i + 1];
            if moreargs >= 2 && next == b"~" {
                approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            let value = rest[i + 1];
            strategy = Some(if is_keyword(opt, "maxlen") {
                let n = parse_i64(value).ok_or(Error::NotAnInteger)?;
                Trim::MaxLen(u64::try_from(n).map_err(|_| Error::MaxlenNegative)?)
            } else {
                Trim::MinId(StreamId::parse(value)?)
            });
            i += 1;
        } else if is_keyword(opt, "limit") && moreargs > 0 {
            limit = parse_i64(rest[i + 1]).ok_or(Error::NotAnInteger)?;
            if limit < 0 {
                return Err(Error::LimitNegative);
            }
            limit_given = true;
            i += 1;
        } else if xadd && is_keyword(opt, "nomkstream") {
            nomkstream = true;
        } else if xadd {
            id = Some((IdSpec::parse(opt)?, i + 1));
            break;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if limit != 0 && strategy.is_none() {
        return Err(Error::LimitWithoutStrategy);
    }
    if !xadd && strategy.is_none() {
        return Err(Error::XtrimNeedsStrategy);
    }
    if limit_given && !approx {
        return Err(Error::XtrimLimitWithExact);
    }
    let limit = limit_given.then(|| u64::try_from(limit).unwrap_or(0));
    let trim = strategy.map(|strategy| TrimSpec { strategy, approx, limit });
    Ok(AddTrim { trim, nomkstream, id })
}

/// ```text
/// XADD key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]]
///     <* | id> field value [field value ...]
/// ```
/// The new entry's ID, or a null bulk with NOMKSTREAM on a missing key.
pub(super) fn xadd(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let rest = args.rest();
    let parsed = parse_add_or_trim(rest, true)?;
    let Some((id, first_field)) = parsed.id else { return Err(args.arity_error()) };
    let fields = &rest[first_field..];
    if fields.len() < 2 || fields.len() % 2 == 1 {
        return Err(args.arity_error());
    }
    let pairs: Vec<(&[u8], &[u8])> = fields.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let added = ks.xadd(ctx.db, key, id, &pairs, parsed.nomkstream, parsed.trim)?;
    Ok(added.map_or(Reply::Nil, id_reply))
}

/// ```text
/// XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]
/// ```
/// How many entries were removed.
pub(super) fn xtrim(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let parsed = parse_add_or_trim(args.rest(), false)?;
    let Some(trim) = parsed.trim else { return Err(Error::XtrimNeedsStrategy) };
    Ok(uint(ks.xtrim(ctx.db, key, trim)?))
}

/// ```text
/// XLEN key
/// ```
pub(super) fn xlen(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    Ok(uint(ks.xlen(ctx.db, key)?))
}

/// The interval of XRANGE/XREVRANGE/XPENDING: start, then end, each exclusive form
/// checked as it is read (`streamParseIntervalIDOrReply` + incr/decr).
fn parse_interval(start: &[u8], end: &[u8]) -> Result<(StreamId, StreamId)> {
    let start = StreamId::parse_range_start(start)?;
    let end = StreamId::parse_range_end(end)?;
    Ok((start, end))
}

/// XRANGE / XREVRANGE (Redis `xrangeGenericCommand`): IDs, then COUNT, then the key. A
/// missing key is an empty array; COUNT 0 (or negative) on a stream is a null array.
fn range(ks: &mut Keyspace, ctx: &Context, args: &mut Args<'_>, rev: bool) -> Result<Reply> {
    let key = args.next_key()?;
    let first = args.next_bytes()?;
    let second = args.next_bytes()?;
    let (start, end) = if rev { parse_interval(second, first)? } else { parse_interval(first, second)? };
    let mut count: Option<usize> = None;
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "count") && !args.is_empty() {
            let n = args.next_i64()?;
            count = Some(usize::try_from(n.max(0)).unwrap_or(usize::MAX));
        } else {
            return Err(Error::Syntax);
        }
    }
    if count == Some(0) {
        return Ok(if ks.stream_exists_read(ctx.db, key)? { Reply::NilArray } else { Reply::Array(Vec::new()) });
    }
    Ok(entries_reply(ks.xrange(ctx.db, key, start, end, count, rev)?))
}

/// ```text
/// XRANGE key start end [COUNT count]
/// ```
pub(super) fn xrange(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    range(ks, ctx, args, false)
}

/// ```text
/// XREVRANGE key end start [COUNT count]
/// ```
pub(super) fn xrevrange(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    range(ks, ctx, args, true)
}

/// Strict IDs (no `-`/`+`), all checked before anything is done.
fn parse_ids(args: &[&[u8]]) -> Result<Vec<StreamId>> {
    // Sized up front: collecting through `Result` would grow the vector step by step.
    let mut ids = Vec::with_capacity(args.len());
    for a in args {
        ids.push(StreamId::parse(a)?);
    }
    Ok(ids)
}

/// ```text
/// XDEL key id [id ...]
/// ```
/// A missing key answers 0 before the IDs are looked at, as Redis.
pub(super) fn xdel(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    if !ks.stream_exists(ctx.db, key)? {
        return Ok(Reply::Int(0));
    }
    let ids = parse_ids(args.rest())?;
    Ok(uint(ks.xdel(ctx.db, key, &ids)?))
}

/// ```text
/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
/// ```
/// Options are checked before the key is looked up.
pub(super) fn xsetid(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let id = StreamId::parse(args.next_bytes()?)?;
    let mut entries_added = None;
    let mut max_deleted = None;
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "entriesadded") && !args.is_empty() {
            let n = args.next_i64()?;
            entries_added = Some(u64::try_from(n).map_err(|_| Error::XsetidEntriesAddedNegative)?);
        } else if is_keyword(opt, "maxdeletedid") && !args.is_empty() {
            let m = StreamId::parse(args.next_bytes()?)?;
            if id < m {
                return Err(Error::XsetidSmallerThanProvidedMaxDeleted);
            }
            max_deleted = Some(m);
        } else {
            return Err(Error::Syntax);
        }
    }
    ks.xsetid(ctx.db, key, id, entries_added, max_deleted)?;
    Ok(Reply::Ok)
}

// ---------------------------------------------------------------------------------------
// Reading: XREAD XREADGROUP
// ---------------------------------------------------------------------------------------

/// XREAD / XREADGROUP's arguments, parsed.
struct ReadArgs {
    /// BLOCK: `None` when not given; `Some(None)` forever (BLOCK 0).
    block: Option<Option<Duration>>,
    /// COUNT (`None`: no limit, also for 0 and negative values).
    count: Option<usize>,
    /// GROUP group consumer.
    group: Option<(Vec<u8>, Vec<u8>)>,
    /// NOACK.
    noack: bool,
    /// The streams and their IDs (an ID that does not parse keeps its error, reported
    /// after the checks of the keys before it, as Redis does).
    streams: Vec<(Key, Result<ReadId>)>,
}

/// BLOCK's argument: milliseconds as an integer (Redis `getTimeoutFromObjectOrReply` with
/// `UNIT_MILLISECONDS`); 0 is forever.
///
/// # Errors
/// `TimeoutNotInteger`, `TimeoutNegative`.
pub fn parse_block_ms(arg: &[u8]) -> Result<Option<Duration>> {
    let ms = parse_i64(arg).ok_or(Error::TimeoutNotInteger)?;
    let ms = u64::try_from(ms).map_err(|_| Error::TimeoutNegative)?;
    Ok((ms > 0).then(|| Duration::from_millis(ms)))
}

/// The options of XREAD (`group == false`) or XREADGROUP, as `xreadCommand` reads them.
fn parse_read(args: &mut Args<'_>, xreadgroup: bool) -> Result<ReadArgs> {
    let mut out = ReadArgs { block: None, count: None, group: None, noack: false, streams: Vec::new() };
    let mut streams: Option<&[&[u8]]> = None;
    while let Some(opt) = args.next_opt() {
        let moreargs = args.remaining();
        if is_keyword(opt, "block") && moreargs > 0 {
            out.block = Some(parse_block_ms(args.next_bytes()?)?);
        } else if is_keyword(opt, "count") && moreargs > 0 {
            let n = args.next_i64()?;
            out.count = usize::try_from(n).ok().filter(|&c| c > 0);
        } else if is_keyword(opt, "streams") && moreargs > 0 {
            let rest = args.rest();
            if rest.len() % 2 != 0 {
                return Err(Error::XreadUnbalanced { cmd: args.cmd().to_ascii_uppercase() });
            }
            streams = Some(rest);
            break;
        } else if is_keyword(opt, "group") && moreargs >= 2 {
            if !xreadgroup {
                return Err(Error::XreadOptionNeedsGroup { opt: "GROUP" });
            }
            let group = args.next_bytes()?.to_vec();
            let consumer = args.next_bytes()?.to_vec();
            out.group = Some((group, consumer));
        } else if is_keyword(opt, "noack") {
            if !xreadgroup {
                return Err(Error::XreadOptionNeedsGroup { opt: "NOACK" });
            }
            out.noack = true;
        } else {
            return Err(Error::Syntax);
        }
    }
    let Some(streams) = streams else { return Err(Error::Syntax) };
    if xreadgroup && out.group.is_none() {
        return Err(Error::XreadgroupMissingGroup);
    }
    let (keys, ids) = streams.split_at(streams.len() / 2);
    out.streams = keys
        .iter()
        .zip(ids)
        .map(|(k, id)| (Key::from(*k), ReadId::parse(id, xreadgroup)))
        .collect();
    Ok(out)
}

/// The engine op of a parsed XREAD / XREADGROUP.
fn read_op(r: ReadArgs) -> (Vec<Key>, BlockOp, Option<Option<Duration>>) {
    let keys = r.streams.iter().map(|(k, _)| k.clone()).collect();
    let op = match r.group {
        Some((group, consumer)) => {
            BlockOp::XReadGroup { group, consumer, streams: r.streams, count: r.count, noack: r.noack }
        }
        None => BlockOp::XRead { streams: r.streams, count: r.count },
    };
    (keys, op, r.block)
}

/// XREAD / XREADGROUP run once: what there is now, or a null array (also with BLOCK, as
/// for a client that may not block).
fn read(ks: &mut Keyspace, ctx: &Context, args: &mut Args<'_>, xreadgroup: bool) -> Result<Reply> {
    let (_, op, _) = read_op(parse_read(args, xreadgroup)?);
    let streams = match op {
        BlockOp::XRead { streams, count } => ks.xread(ctx.db, &streams, count)?,
        BlockOp::XReadGroup { group, consumer, streams, count, noack } => {
            ks.xreadgroup(ctx.db, &group, &consumer, &streams, count, noack)?
        }
        _ => Vec::new(),
    };
    Ok(streams_reply(streams, ctx.resp))
}

/// ```text
/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
/// ```
pub(super) fn xread(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    read(ks, ctx, args, false)
}

/// ```text
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK]
///     STREAMS key [key ...] id [id ...]
/// ```
pub(super) fn xreadgroup(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    read(ks, ctx, args, true)
}

/// XREAD / XREADGROUP argv (name first), parsed for a caller that runs it through the
/// engine itself (the Python binding's fast path): the call (keys, op, timeout) and whether
/// BLOCK was given. The arity is checked first, as `dispatch` does.
///
/// # Errors
/// `WrongArity`, the commands' syntax errors; `UnknownCommand` for another command.
pub fn parse_stream_read(argv: &[&[u8]]) -> Result<(BlockingCall, bool)> {
    let cmd = argv
        .first()
        .and_then(|n| super::table::lookup(n))
        .filter(|c| c.name == "xread" || c.name == "xreadgroup")
        .ok_or_else(|| Error::UnknownCommand { cmd: String::new(), args: Vec::new() })?;
    if !cmd.arity_ok(argv.len()) {
        return Err(Error::WrongArity { cmd: cmd.name.to_owned() });
    }
    let mut args = Args::new(cmd.name, &argv[1..]);
    let (keys, op, block) = read_op(parse_read(&mut args, cmd.name == "xreadgroup")?);
    Ok((BlockingCall { keys, op, timeout: block.flatten() }, block.is_some()))
}

/// The wait of an XREAD / XREADGROUP with BLOCK; `None` without BLOCK.
fn parse_read_block(args: &mut Args<'_>, xreadgroup: bool) -> Result<Option<BlockingCall>> {
    let (keys, op, block) = read_op(parse_read(args, xreadgroup)?);
    Ok(block.map(|timeout| BlockingCall { keys, op, timeout }))
}

/// Parses XREAD's arguments into its wait (only with BLOCK).
///
/// # Errors
/// XREAD's syntax errors.
pub(super) fn parse_xread(args: &mut Args<'_>) -> Result<Option<BlockingCall>> {
    parse_read_block(args, false)
}

/// Parses XREADGROUP's arguments into its wait (only with BLOCK).
///
/// # Errors
/// XREADGROUP's syntax errors.
pub(super) fn parse_xreadgroup(args: &mut Args<'_>) -> Result<Option<BlockingCall>> {
    parse_read_block(args, true)
}

// ---------------------------------------------------------------------------------------
// Groups: XACK XPENDING XCLAIM XAUTOCLAIM XGROUP
// ---------------------------------------------------------------------------------------

/// ```text
/// XACK key group id [id ...]
/// ```
/// A missing key or group answers 0 before the IDs are looked at.
pub(super) fn xack(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let group = args.next_bytes()?;
    Ok(uint(xack_words(ks, ctx.db, key, group, args.rest())?))
}

/// XACK with its arguments split (the handler's body, shared with the Python binding's
/// `xack`, which calls it without building a command line): how many of `ids` were
/// pending. A missing key or group answers 0 before the IDs are parsed, as Redis
/// `xackCommand`; one bad ID refuses the whole call.
///
/// # Errors
/// `WrongType`; `InvalidStreamId`.
pub fn xack_words(ks: &mut Keyspace, db: usize, key: &[u8], group: &[u8], ids: &[&[u8]]) -> Result<u64> {
    if !ks.group_exists_read(db, key, group)? {
        return Ok(0);
    }
    let ids = parse_ids(ids)?;
    ks.xack(db, key, group, &ids)
}

/// ```text
/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
/// ```
/// The range arguments are checked before the key (Redis `xpendingCommand`).
pub(super) fn xpending(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let group = args.next_bytes()?;
    let rest = args.rest();
    let argc = rest.len() + 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(Error::Syntax);
    }
    if argc == 3 {
        let sum = ks.xpending(ctx.db, key, group)?;
        if sum.count == 0 {
            return Ok(Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]));
        }
        let consumers = sum
            .consumers
            .into_iter()
            .map(|(name, n)| Reply::Array(vec![Reply::Bulk(name), Reply::Bulk(n.to_string().into_bytes())]))
            .collect();
        return Ok(Reply::Array(vec![
            uint(sum.count),
            sum.min.map_or(Reply::Nil, id_reply),
            sum.max.map_or(Reply::Nil, id_reply),
            Reply::Array(consumers),
        ]));
    }
    let mut at = 0;
    let mut min_idle = 0;
    if is_keyword(rest[0], "idle") {
        min_idle = parse_i64(rest[1]).ok_or(Error::NotAnInteger)?;
        if argc < 8 {
            return Err(Error::Syntax);
        }
        at = 2;
    }
    let count = parse_i64(rest[at + 2]).ok_or(Error::NotAnInteger)?;
    let count = usize::try_from(count.max(0)).unwrap_or(usize::MAX);
    let (start, end) = parse_interval(rest[at], rest[at + 1])?;
    let consumer = rest.get(at + 3).copied();
    let min_idle = u64::try_from(min_idle).unwrap_or(0);
    let rows = ks.xpending_range(ctx.db, key, group, start, end, count, consumer, min_idle)?;
    Ok(Reply::Array(
        rows.into_iter()
            .map(|r| {
                Reply::Array(vec![
                    id_reply(r.id),
                    Reply::Bulk(r.consumer),
                    uint(r.idle_ms),
                    uint(r.delivery_count),
                ])
            })
            .collect(),
    ))
}

/// Claimed entries: IDs only (JUSTID) or whole entries.
fn claimed_reply(entries: Vec<StreamEntry>, justid: bool) -> Reply {
    Reply::Array(
        entries
            .into_iter()
            .map(|(i, f)| if justid { id_reply(i) } else { entry_reply(i, f) })
            .collect(),
    )
}

/// ```text
/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
///     [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
/// ```
/// The group is looked up first, then min-idle-time; the IDs run until the first argument
/// that is not one, the options follow (Redis `xclaimCommand`).
pub(super) fn xclaim(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let group = args.next_bytes()?;
    let consumer = args.next_bytes()?;
    if !ks.group_exists_read(ctx.db, key, group)? {
        return Err(NoGroupWording::KeyOrGroup.error(key, group));
    }
    let min_idle = args.next_i64_or(Error::MinIdleInvalid { cmd: "XCLAIM" })?;
    let rest = args.rest();
    let n_ids = rest.iter().take_while(|a| StreamId::parse(a).is_ok()).count();
    let ids = parse_ids(&rest[..n_ids])?;
    let mut opts = ClaimOptions::default();
    let mut i = n_ids;
    while i < rest.len() {
        let opt = rest[i];
        let moreargs = rest.len() - 1 - i;
        let value = |name: &'static str| {
            parse_i64(rest[i + 1]).ok_or(Error::XclaimOptionInvalid { opt: name })
        };
        if is_keyword(opt, "force") {
            opts.force = true;
        } else if is_keyword(opt, "justid") {
            opts.justid = true;
        } else if is_keyword(opt, "idle") && moreargs > 0 {
            opts.delivery = Some(ClaimDelivery::Idle(value("IDLE")?));
            i += 1;
        } else if is_keyword(opt, "time") && moreargs > 0 {
            opts.delivery = Some(ClaimDelivery::Time(value("TIME")?));
            i += 1;
        } else if is_keyword(opt, "retrycount") && moreargs > 0 {
            opts.retrycount = u64::try_from(value("RETRYCOUNT")?).ok();
            i += 1;
        } else if is_keyword(opt, "lastid") && moreargs > 0 {
            opts.lastid = Some(StreamId::parse(rest[i + 1])?);
            i += 1;
        } else {
            return Err(Error::XclaimUnknownOption { opt: super::sanitize(opt) });
        }
        i += 1;
    }
    let min_idle = u64::try_from(min_idle).unwrap_or(0);
    let claimed = ks.xclaim(ctx.db, key, group, consumer, min_idle, &ids, &opts)?;
    Ok(claimed_reply(claimed.entries, opts.justid))
}

/// Largest XAUTOCLAIM COUNT: `LONG_MAX / max(sizeof(streamID), 10)`.
const AUTOCLAIM_MAX_COUNT: i64 = i64::MAX / 16;

/// Largest XAUTOCLAIM COUNT served; above it, "COUNT too high". Redis 7.0.15 allocates
/// `COUNT × 16` bytes for deleted IDs up front (`ztrymalloc`) once the key and group are
/// found, and answers that error when the allocation fails. Where that happens depends on
/// the machine: with jemalloc on x86-64 Linux (47-bit user address space) it is about
/// 80 TiB, moved by where ASLR put the binary. embedis allocates nothing up front, and fixes
/// the limit at 64 TiB (2^42 IDs) so that its answer does not depend on the machine.
const AUTOCLAIM_BUFFER_MAX_COUNT: i64 = 1 << 42;

/// ```text
/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
/// ```
/// `[next-start, claimed, deleted-ids]`. Arguments are checked before the key.
pub(super) fn xautoclaim(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let group = args.next_bytes()?;
    let consumer = args.next_bytes()?;
    let min_idle = args.next_i64_or(Error::MinIdleInvalid { cmd: "XAUTOCLAIM" })?;
    let start = StreamId::parse_range_start(args.next_bytes()?)?;
    let mut count = 100;
    let mut justid = false;
    while let Some(opt) = args.next_opt() {
        if is_keyword(opt, "count") && !args.is_empty() {
            count = args.next_i64_in(1, AUTOCLAIM_MAX_COUNT, Error::XautoclaimCount)?;
        } else if is_keyword(opt, "justid") {
            justid = true;
        } else {
            return Err(Error::Syntax);
        }
    }
    if count > AUTOCLAIM_BUFFER_MAX_COUNT {
        ks.check_group(ctx.db, key, group, NoGroupWording::KeyOrGroup)?;
        return Err(Error::XautoclaimCountTooHigh);
    }
    let min_idle = u64::try_from(min_idle).unwrap_or(0);
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let out = ks.xautoclaim(ctx.db, key, group, consumer, min_idle, start, count, justid)?;
    Ok(Reply::Array(vec![
        id_reply(out.next),
        claimed_reply(out.entries, justid),
        Reply::Array(out.deleted.into_iter().map(id_reply).collect()),
    ]))
}

/// XGROUP HELP's lines (Redis 7.0).
const XGROUP_HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

/// XINFO HELP's lines (Redis 7.0).
const XINFO_HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
];

pub(super) fn help(lines: &[&str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::simple(l)).collect())
}

/// A container command's subcommand (lower case) after its arity check, as Redis 7.0's
/// command table does for `XGROUP|CREATE` and friends.
pub(super) fn subcommand(args: &Args<'_>, cmd: &str, sub: &[u8], table: &[(&'static str, i32)]) -> Result<&'static str> {
    let lower = sub.to_ascii_lowercase();
    let Some(&(name, arity)) = table.iter().find(|(n, _)| n.as_bytes() == lower.as_slice()) else {
        return Err(Error::UnknownSubcommand { cmd: cmd.to_owned(), sub: super::sanitize(sub) });
    };
    let argc = args.remaining() + 2;
    let ok = if arity > 0 { argc == arity as usize } else { argc >= arity.unsigned_abs() as usize };
    if !ok {
        return Err(Error::WrongArity { cmd: format!("{cmd}|{name}") });
    }
    Ok(name)
}

/// An ENTRIESREAD value: -1 (unknown) or a count.
fn parse_entries_read(arg: &[u8]) -> Result<Option<u64>> {
    let n = parse_i64(arg).ok_or(Error::NotAnInteger)?;
    match n {
        -1 => Ok(None),
        n => u64::try_from(n).map(Some).map_err(|_| Error::EntriesReadInvalid),
    }
}

/// ```text
/// XGROUP CREATE key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]
/// XGROUP SETID key group <id | $> [ENTRIESREAD entries-read]
/// XGROUP DESTROY key group
/// XGROUP CREATECONSUMER key group consumer
/// XGROUP DELCONSUMER key group consumer
/// XGROUP HELP
/// ```
/// In Redis 7.0's order (`xgroupCommand`): CREATE's and SETID's options, the key (which must exist
/// unless MKSTREAM), the group for SETID/CREATECONSUMER/DELCONSUMER, then the rest.
pub(super) fn xgroup(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    const TABLE: &[(&str, i32)] = &[
        ("create", -5),
        ("setid", -5),
        ("destroy", 4),
        ("createconsumer", 5),
        ("delconsumer", 5),
        ("help", 2),
    ];
    let given = args.next_bytes()?;
    let sub = subcommand(args, "xgroup", given, TABLE)?;
    let rest = args.rest();
    let argc = rest.len() + 2;
    let syntax = || Error::SubcommandSyntax { cmd: "xgroup".into(), sub: super::sanitize(given) };
    let mut mkstream = false;
    let mut entries_read = None;
    if argc >= 4 {
        // Redis 7.0 reads CREATE's and SETID's options before looking at the key.
        if sub == "create" || sub == "setid" {
            let mut i = 3;
            while i < rest.len() {
                if sub == "create" && is_keyword(rest[i], "mkstream") {
                    mkstream = true;
                    i += 1;
                } else if is_keyword(rest[i], "entriesread") && i + 1 < rest.len() {
                    entries_read = parse_entries_read(rest[i + 1])?;
                    i += 2;
                } else {
                    return Err(syntax());
                }
            }
        }
        let (key, group) = (rest[0], rest[1]);
        if !ks.stream_exists(ctx.db, key)? && !mkstream {
            return Err(Error::XgroupNeedsKey);
        }
        if matches!(sub, "setid" | "createconsumer" | "delconsumer") && !ks.group_exists(ctx.db, key, group)? {
            return Err(NoGroupWording::Group.error(key, group));
        }
    }
    match (sub, argc) {
        ("help", 2) => Ok(help(XGROUP_HELP)),
        ("create", 5..=8) => {
            let start = GroupStart::parse_create(rest[2])?;
            ks.xgroup_create(ctx.db, rest[0], rest[1], start, mkstream, entries_read)?;
            Ok(Reply::Ok)
        }
        ("setid", 5 | 7) => {
            let start = GroupStart::parse_setid(rest[2])?;
            ks.xgroup_setid(ctx.db, rest[0], rest[1], start, entries_read)?;
            Ok(Reply::Ok)
        }
        ("destroy", 4) => Ok(Reply::bool(ks.xgroup_destroy(ctx.db, rest[0], rest[1])?)),
        ("createconsumer", 5) => {
            Ok(Reply::bool(ks.xgroup_createconsumer(ctx.db, rest[0], rest[1], rest[2])?))
        }
        ("delconsumer", 5) => Ok(uint(ks.xgroup_delconsumer(ctx.db, rest[0], rest[1], rest[2])?)),
        _ => Err(syntax()),
    }
}

// ---------------------------------------------------------------------------------------
// XINFO
// ---------------------------------------------------------------------------------------

/// The fields XINFO STREAM and XINFO STREAM FULL both begin with.
fn summary_fields(s: StreamSummary) -> Vec<(Reply, Reply)> {
    vec![
        (name("length"), uint(s.length)),
        (name("radix-tree-keys"), uint(s.radix_tree_keys)),
        (name("radix-tree-nodes"), uint(s.radix_tree_nodes)),
        (name("last-generated-id"), id_reply(s.last_generated_id)),
        (name("max-deleted-entry-id"), id_reply(s.max_deleted_entry_id)),
        (name("entries-added"), uint(s.entries_added)),
        (name("recorded-first-entry-id"), id_reply(s.recorded_first_entry_id)),
    ]
}

/// XINFO STREAM's map (Redis 7.0 field order).
fn stream_info_reply(i: StreamInfo) -> Reply {
    let entry = |e: Option<Entry>| e.map_or(Reply::Nil, |(id, f)| entry_reply(id, Some(f)));
    let mut fields = summary_fields(i.summary);
    fields.extend([
        (name("groups"), uint(i.groups)),
        (name("first-entry"), entry(i.first_entry)),
        (name("last-entry"), entry(i.last_entry)),
    ]);
    Reply::Map(fields)
}

/// XINFO STREAM FULL's map (Redis 7.0: no `active-time`, which came in 7.2).
fn stream_info_full_reply(i: StreamInfoFull) -> Reply {
    let groups = i
        .groups
        .into_iter()
        .map(|g| {
            let pending = g
                .pending
                .into_iter()
                .map(|(id, c, t, n)| Reply::Array(vec![id_reply(id), Reply::Bulk(c), uint(t), uint(n)]))
                .collect();
            let consumers = g
                .consumers
                .into_iter()
                .map(|c| {
                    let pending = c
                        .pending
                        .into_iter()
                        .map(|(id, t, n)| Reply::Array(vec![id_reply(id), uint(t), uint(n)]))
                        .collect();
                    Reply::Map(vec![
                        (name("name"), Reply::Bulk(c.name)),
                        (name("seen-time"), uint(c.seen_time)),
                        (name("pel-count"), uint(c.pel_count)),
                        (name("pending"), Reply::Array(pending)),
                    ])
                })
                .collect();
            Reply::Map(vec![
                (name("name"), Reply::Bulk(g.name)),
                (name("last-delivered-id"), id_reply(g.last_delivered_id)),
                (name("entries-read"), opt_uint(g.entries_read)),
                (name("lag"), g.lag.map_or(Reply::Nil, Reply::Int)),
                (name("pel-count"), uint(g.pel_count)),
                (name("pending"), Reply::Array(pending)),
                (name("consumers"), Reply::Array(consumers)),
            ])
        })
        .collect();
    let mut fields = summary_fields(i.summary);
    fields.extend([(name("entries"), entries_reply(i.entries)), (name("groups"), Reply::Array(groups))]);
    Reply::Map(fields)
}

/// ```text
/// XINFO STREAM key [FULL [COUNT count]]
/// XINFO GROUPS key
/// XINFO CONSUMERS key group
/// XINFO HELP
/// ```
/// The key is looked up before STREAM's options are read; a missing key is "no such key".
pub(super) fn xinfo(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    const TABLE: &[(&str, i32)] = &[("stream", -3), ("groups", 3), ("consumers", 4), ("help", 2)];
    let given = args.next_bytes()?;
    let sub = subcommand(args, "xinfo", given, TABLE)?;
    if sub == "help" {
        return Ok(help(XINFO_HELP));
    }
    let rest = args.rest();
    let key = rest[0];
    if !ks.stream_exists_read(ctx.db, key)? {
        return Err(Error::NoSuchKey);
    }
    match sub {
        "consumers" => {
            let rows = ks.xinfo_consumers(ctx.db, key, rest[1])?;
            Ok(Reply::Array(
                rows.into_iter()
                    .map(|c| {
                        Reply::Map(vec![
                            (name("name"), Reply::Bulk(c.name)),
                            (name("pending"), uint(c.pending)),
                            (name("idle"), uint(c.idle)),
                        ])
                    })
                    .collect(),
            ))
        }
        "groups" => {
            let rows = ks.xinfo_groups(ctx.db, key)?;
            Ok(Reply::Array(
                rows.into_iter()
                    .map(|g| {
                        Reply::Map(vec![
                            (name("name"), Reply::Bulk(g.name)),
                            (name("consumers"), uint(g.consumers)),
                            (name("pending"), uint(g.pending)),
                            (name("last-delivered-id"), id_reply(g.last_delivered_id)),
                            (name("entries-read"), opt_uint(g.entries_read)),
                            (name("lag"), g.lag.map_or(Reply::Nil, Reply::Int)),
                        ])
                    })
                    .collect(),
            ))
        }
        _ => {
            let syntax = || Error::SubcommandSyntax { cmd: "xinfo".into(), sub: super::sanitize(given) };
            let opts = &rest[1..];
            if opts.is_empty() {
                return Ok(stream_info_reply(ks.xinfo_stream(ctx.db, key)?));
            }
            if !is_keyword(opts[0], "full") {
                return Err(syntax());
            }
            let mut count = 10;
            if opts.len() > 1 {
                if opts.len() != 3 || !is_keyword(opts[1], "count") {
                    return Err(syntax());
                }
                count = parse_i64(opts[2]).ok_or(Error::NotAnInteger)?;
                if count < 0 {
                    count = 10;
                }
            }
            let count = usize::try_from(count).unwrap_or(usize::MAX);
            Ok(stream_info_full_reply(ks.xinfo_stream_full(ctx.db, key, count)?))
        }
    }
}
