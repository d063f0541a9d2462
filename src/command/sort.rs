//! SORT and SORT_RO: the options parsed as Redis 7.0 `sortCommandGeneric` parses them
//! (any order, repeats allowed, the last one counting; STORE only for SORT), then one
//! engine call (`engine::sort`).

use super::args::{is_keyword, Args};
use super::reply::Reply;
use super::Context;
use crate::engine::sort::{SortSpec, Sorted};
use crate::engine::strings::parse_i64;
use crate::engine::{Error, Keyspace, Result};

/// The options after the key. `readonly`: SORT_RO, where STORE is a syntax error.
fn parse<'a>(args: &mut Args<'a>, readonly: bool) -> Result<SortSpec<'a>> {
    let mut spec = SortSpec::default();
    while let Some(opt) = args.next_opt() {
        let left = args.remaining();
        if is_keyword(opt, "asc") {
            spec.desc = false;
        } else if is_keyword(opt, "desc") {
            spec.desc = true;
        } else if is_keyword(opt, "alpha") {
            spec.alpha = true;
        } else if is_keyword(opt, "limit") && left >= 2 {
            let start = parse_i64(args.next_bytes()?).ok_or(Error::NotAnInteger)?;
            let count = parse_i64(args.next_bytes()?).ok_or(Error::NotAnInteger)?;
            spec.limit = Some((start, count));
        } else if !readonly && is_keyword(opt, "store") && left >= 1 {
            spec.store = Some(args.next_bytes()?);
        } else if is_keyword(opt, "by") && left >= 1 {
            spec.by = Some(args.next_bytes()?);
        } else if is_keyword(opt, "get") && left >= 1 {
            spec.get.push(args.next_bytes()?);
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(spec)
}

fn sort_generic(ks: &mut Keyspace, ctx: &Context, args: &mut Args<'_>, readonly: bool) -> Result<Reply> {
    let key = args.next_key()?;
    let spec = parse(args, readonly)?;
    Ok(match ks.sort(ctx.db, key, &spec)? {
        Sorted::Stored(n) => Reply::count(n),
        Sorted::Items(items) => Reply::Array(items.into_iter().map(|v| v.map_or(Reply::Nil, Reply::Bulk)).collect()),
    })
}

/// ```text
/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
///     [ASC | DESC] [ALPHA] [STORE destination]
/// ```
pub(super) fn sort(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    sort_generic(ks, ctx, args, false)
}

/// ```text
/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
///     [ASC | DESC] [ALPHA]
/// ```
pub(super) fn sort_ro(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    sort_generic(ks, ctx, args, true)
}
