//! Bitmap command handlers: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
//! BITFIELD_RO. Argument rules and their order follow redis `src/bitops.c` (7.0): BITCOUNT
//! and BITPOS look the key up before reading their range; BITFIELD parses every
//! operation before touching the key.

use super::args::{is_keyword, Args};
use super::reply::Reply;
use super::Context;
use crate::engine::bitmap::{BitOp, BitRange, FieldOp, FieldType, Overflow};
use crate::engine::strings::{parse_i64, STRING_MAX};
use crate::engine::{Error, Keyspace, Result};

/// A bit offset as Redis `getBitOffsetFromArgument` reads it: an integer whose byte lies
/// below 512 MiB; with `width` (BITFIELD), `#n` means `n * width`.
fn bit_offset(raw: &[u8], width: Option<u32>) -> Result<u64> {
    let (hash, digits) = match (raw.first(), width) {
        (Some(b'#'), Some(_)) => (true, &raw[1..]),
        _ => (false, raw),
    };
    let mut n = parse_i64(digits).ok_or(Error::BitOffset)?;
    if hash {
        // Redis multiplies in a `long long`; the product is then range-checked.
        n = n.wrapping_mul(i64::from(width.unwrap_or(1)));
    }
    let n = u64::try_from(n).map_err(|_| Error::BitOffset)?;
    if n >> 3 >= STRING_MAX {
        return Err(Error::BitOffset);
    }
    Ok(n)
}

/// ```text
/// SETBIT key offset value
/// ```
/// The bit's old value.
pub(super) fn setbit(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let offset = bit_offset(args.next_bytes()?, None)?;
    let on = match args.next_i64_or(Error::BitValue)? {
        0 => false,
        1 => true,
        _ => return Err(Error::BitValue),
    };
    Ok(Reply::bool(ks.setbit(ctx.db, key, offset, on)?))
}

/// ```text
/// GETBIT key offset
/// ```
pub(super) fn getbit(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let offset = bit_offset(args.next_bytes()?, None)?;
    Ok(Reply::bool(ks.getbit(ctx.db, key, offset)?))
}

/// The optional `BYTE | BIT` unit word.
fn unit(word: &[u8]) -> Result<bool> {
    if is_keyword(word, "bit") {
        Ok(true)
    } else if is_keyword(word, "byte") {
        Ok(false)
    } else {
        Err(Error::Syntax)
    }
}

/// ```text
/// BITCOUNT key [start end [BYTE | BIT]]
/// ```
/// A missing key counts 0 before the range is read (Redis 7.0); a start without an end
/// is a syntax error.
pub(super) fn bitcount(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let rest = args.rest();
    let range = || -> Result<Option<BitRange>> {
        match rest {
            [] => Ok(None),
            [start, end] | [start, end, _] => {
                let start = parse_i64(start).ok_or(Error::NotAnInteger)?;
                let end = parse_i64(end).ok_or(Error::NotAnInteger)?;
                let bits = rest.get(2).map_or(Ok(false), |w| unit(w))?;
                Ok(Some(BitRange { start, end: Some(end), bits }))
            }
            _ => Err(Error::Syntax),
        }
    };
    let n = ks.bitcount(ctx.db, key, range)?;
    Ok(Reply::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// ```text
/// BITPOS key bit [start [end [BYTE | BIT]]]
/// ```
/// The bit is checked first, then the key (missing: 0 for a clear bit, -1 for a set one),
/// then the range.
pub(super) fn bitpos(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let bit = match args.next_i64()? {
        0 => false,
        1 => true,
        _ => return Err(Error::BitposBit),
    };
    let rest = args.rest();
    let range = || -> Result<Option<BitRange>> {
        if rest.is_empty() {
            return Ok(None);
        }
        if rest.len() > 3 {
            return Err(Error::Syntax);
        }
        let start = parse_i64(rest[0]).ok_or(Error::NotAnInteger)?;
        let bits = rest.get(2).map_or(Ok(false), |w| unit(w))?;
        let end = rest.get(1).map(|e| parse_i64(e).ok_or(Error::NotAnInteger)).transpose()?;
        Ok(Some(BitRange { start, end, bits }))
    };
    Ok(Reply::Int(ks.bitpos(ctx.db, key, bit, range)?))
}

/// ```text
/// BITOP AND | OR | XOR | NOT destkey key [key ...]
/// ```
/// The length of the result (0: `destkey` was deleted).
pub(super) fn bitop(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let word = args.next_bytes()?;
    let op = [("and", BitOp::And), ("or", BitOp::Or), ("xor", BitOp::Xor), ("not", BitOp::Not)]
        .into_iter()
        .find_map(|(kw, op)| is_keyword(word, kw).then_some(op))
        .ok_or(Error::Syntax)?;
    let dest = args.next_key()?;
    let srcs = args.rest();
    if op == BitOp::Not && srcs.len() != 1 {
        return Err(Error::BitopNotSingle);
    }
    Ok(Reply::count(ks.bitop(ctx.db, op, dest, srcs)?))
}

/// A BITFIELD type, `i1`..`i64` or `u1`..`u63` (lower case only, as Redis).
fn field_type(raw: &[u8]) -> Result<FieldType> {
    let (signed, digits) = match raw.split_first() {
        Some((b'i', rest)) => (true, rest),
        Some((b'u', rest)) => (false, rest),
        _ => return Err(Error::BitfieldType),
    };
    let bits = parse_i64(digits).ok_or(Error::BitfieldType)?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(Error::BitfieldType);
    }
    Ok(FieldType { signed, bits: u32::try_from(bits).map_err(|_| Error::BitfieldType)? })
}

/// Parses BITFIELD's operations (Redis `bitfieldGeneric`'s loop): a subcommand missing
/// its arguments is a syntax error; OVERFLOW applies to the SET/INCRBY after it.
fn field_ops(args: &mut Args<'_>) -> Result<Vec<FieldOp>> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::default();
    while let Some(sub) = args.next_opt() {
        let left = args.remaining();
        if is_keyword(sub, "overflow") && left >= 1 {
            let kind = args.next_bytes()?;
            overflow = if is_keyword(kind, "wrap") {
                Overflow::Wrap
            } else if is_keyword(kind, "sat") {
                Overflow::Sat
            } else if is_keyword(kind, "fail") {
                Overflow::Fail
            } else {
                return Err(Error::BitfieldOverflowType);
            };
            continue;
        }
        let get = is_keyword(sub, "get") && left >= 2;
        let set = is_keyword(sub, "set") && left >= 3;
        let incr = is_keyword(sub, "incrby") && left >= 3;
        if !(get || set || incr) {
            return Err(Error::Syntax);
        }
        let ty = field_type(args.next_bytes()?)?;
        let offset = bit_offset(args.next_bytes()?, Some(ty.bits))?;
        ops.push(if get {
            FieldOp::Get { ty, offset }
        } else {
            let n = args.next_i64()?;
            if set {
                FieldOp::Set { ty, offset, value: n, overflow }
            } else {
                FieldOp::IncrBy { ty, offset, incr: n, overflow }
            }
        });
    }
    Ok(ops)
}

fn field_replies(replies: Vec<Option<i64>>) -> Reply {
    Reply::Array(replies.into_iter().map(|r| r.map_or(Reply::Nil, Reply::Int)).collect())
}

/// ```text
/// BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL]
///   SET encoding offset value | INCRBY encoding offset increment ...]
/// ```
/// A reply per GET/SET/INCRBY: the value read, the old value (SET), the new value
/// (INCRBY), or nil where OVERFLOW FAIL refused a write.
pub(super) fn bitfield(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let ops = field_ops(args)?;
    Ok(field_replies(ks.bitfield(ctx.db, key, &ops)?))
}

/// ```text
/// BITFIELD_RO key [GET encoding offset ...]
/// ```
/// Every operation is parsed before SET or INCRBY is refused.
pub(super) fn bitfield_ro(ks: &mut Keyspace, ctx: &mut Context, args: &mut Args<'_>) -> Result<Reply> {
    let key = args.next_key()?;
    let ops = field_ops(args)?;
    if ops.iter().any(|op| op.writes()) {
        return Err(Error::BitfieldRoGetOnly);
    }
    Ok(field_replies(ks.bitfield(ctx.db, key, &ops)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_types() {
        assert_eq!(bit_offset(b"#3", Some(8)), Ok(24));
        assert_eq!(bit_offset(b"#3", None), Err(Error::BitOffset));
        assert_eq!(bit_offset(b"-1", None), Err(Error::BitOffset));
        assert_eq!(bit_offset(b"4294967295", None), Ok(4_294_967_295));
        assert_eq!(bit_offset(b"4294967296", None), Err(Error::BitOffset));
        assert_eq!(field_type(b"i64"), Ok(FieldType { signed: true, bits: 64 }));
        assert_eq!(field_type(b"u64"), Err(Error::BitfieldType));
        assert_eq!(field_type(b"I8"), Err(Error::BitfieldType));
        assert_eq!(field_type(b"u0"), Err(Error::BitfieldType));
    }
}
