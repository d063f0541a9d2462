//! Strings as bit arrays (Redis `bitops.c`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD. Bit 0 is the most significant bit of the first byte. Bits past the end of a
//! string read as zero; writes grow the string with zero bytes. No argument parsing here
//! beyond the ranges, which Redis parses after the key lookup (see `BitRange`).

use super::effects::Int;
use super::error::{Error, Result};
use super::keyspace::Keyspace;
use super::notify::class;
use super::value::Value;

/// A BITCOUNT/BITPOS range as given: `start`, `end` (None: BITPOS without one), and the
/// unit. Parsed by the command layer when the engine asks (Redis 7.0 looks the key up
/// first: a missing key answers before the range is even read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitRange {
    /// First index (negative: from the end).
    pub start: i64,
    /// Last index, inclusive; `None` for BITPOS with a start only.
    pub end: Option<i64>,
    /// Indexes count bits (BIT), not bytes (BYTE, the default).
    pub bits: bool,
}

/// BITOP's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    /// AND: missing bytes count as zero.
    And,
    /// OR.
    Or,
    /// XOR.
    Xor,
    /// NOT of the one source.
    Not,
}

/// What BITFIELD does when SET or INCRBY leaves the type's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Two's complement wrap-around (the default).
    #[default]
    Wrap,
    /// Saturate at the type's minimum or maximum.
    Sat,
    /// Write nothing and answer nil.
    Fail,
}

impl Overflow {
    fn word(self) -> &'static [u8] {
        match self {
            Overflow::Wrap => b"WRAP",
            Overflow::Sat => b"SAT",
            Overflow::Fail => b"FAIL",
        }
    }
}

/// A BITFIELD integer type: `i1`..`i64` or `u1`..`u63`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldType {
    /// Signed (`i`) or unsigned (`u`).
    pub signed: bool,
    /// Width in bits.
    pub bits: u32,
}

/// One BITFIELD operation, with its offset in bits (`#n` already multiplied out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    /// GET type offset.
    Get { ty: FieldType, offset: u64 },
    /// SET type offset value, under an overflow policy.
    Set { ty: FieldType, offset: u64, value: i64, overflow: Overflow },
    /// INCRBY type offset increment, under an overflow policy.
    IncrBy { ty: FieldType, offset: u64, incr: i64, overflow: Overflow },
}

/// The bit at `offset` of `s` (zero past the end).
fn bit_at(s: &[u8], offset: u64) -> bool {
    usize::try_from(offset >> 3).ok().and_then(|i| s.get(i)).is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
}

/// The `bits`-wide unsigned field at `offset` (bits past the end read as zero).
fn read_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0u64, |v, i| (v << 1) | u64::from(bit_at(s, offset + i)))
}

/// Writes the low `bits` bits of `value` at `offset`; `s` is long enough.
fn write_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let on = (value >> (u64::from(bits) - 1 - i)) & 1 == 1;
        let pos = offset + i;
        // Bounded: the caller grew `s` to cover the field.
        let byte = &mut s[usize::try_from(pos >> 3).unwrap_or(usize::MAX)];
        let mask = 0x80u8 >> (pos & 7);
        if on {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    if bits == 64 {
        v as i64
    } else {
        let shift = 64 - bits;
        ((v << shift) as i64) >> shift
    }
}

/// The result of `value + incr` in a field of type `ty` under `overflow` (Redis
/// `checkSignedBitfieldOverflow` / `checkUnsignedBitfieldOverflow`): `None` for FAIL on
/// overflow, else the value to store (as the field's bits, sign-extended for signed).
/// For SET, `value` is the given value and `incr` zero; for unsigned types Redis reads a
/// negative SET value as the huge unsigned number it is in two's complement.
fn field_result(ty: FieldType, value: i128, incr: i128, overflow: Overflow) -> Option<i128> {
    let (min, max): (i128, i128) = if ty.signed {
        (-(1i128 << (ty.bits - 1)), (1i128 << (ty.bits - 1)) - 1)
    } else {
        (0, (1i128 << ty.bits) - 1)
    };
    let sum = value + incr;
    if (min..=max).contains(&sum) {
        return Some(sum);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if sum > max { max } else { min }),
        Overflow::Wrap => {
            let low = (sum as u128 as u64) & if ty.bits == 64 { u64::MAX } else { (1u64 << ty.bits) - 1 };
            Some(if ty.signed { i128::from(sign_extend(low, ty.bits)) } else { i128::from(low) })
        }
    }
}

impl FieldOp {
    fn ty(self) -> FieldType {
        match self {
            FieldOp::Get { ty, .. } | FieldOp::Set { ty, .. } | FieldOp::IncrBy { ty, .. } => ty,
        }
    }

    fn offset(self) -> u64 {
        match self {
            FieldOp::Get { offset, .. } | FieldOp::Set { offset, .. } | FieldOp::IncrBy { offset, .. } => offset,
        }
    }

    /// Whether it writes (SET, INCRBY).
    pub fn writes(self) -> bool {
        !matches!(self, FieldOp::Get { .. })
    }

    /// Reads the field at this op's offset, as a signed or unsigned number.
    fn read(self, s: &[u8]) -> i128 {
        let ty = self.ty();
        let raw = read_field(s, self.offset(), ty.bits);
        if ty.signed {
            i128::from(sign_extend(raw, ty.bits))
        } else {
            i128::from(raw)
        }
    }

    /// Runs this op on `s` (grown already for writes); its reply (`None`: nil).
    fn apply(self, s: &mut [u8]) -> Option<i64> {
        let old = self.read(s);
        let ty = self.ty();
        let (new, reply_new) = match self {
            FieldOp::Get { .. } => return i64::try_from(old).ok(),
            FieldOp::Set { value, overflow, .. } => {
                let value = if ty.signed { i128::from(value) } else { i128::from(value as u64) };
                (field_result(ty, value, 0, overflow)?, false)
            }
            FieldOp::IncrBy { incr, overflow, .. } => (field_result(ty, old, i128::from(incr), overflow)?, true),
        };
        write_field(s, self.offset(), ty.bits, new as u64);
        i64::try_from(if reply_new { new } else { old }).ok()
    }
}

/// Counts the bits of `s` in a range (Redis `bitcountCommand` after the lookup).
pub fn count(s: &[u8], range: Option<BitRange>) -> u64 {
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    let Some(r) = range else {
        return s.iter().map(|b| u64::from(b.count_ones())).sum();
    };
    let total = if r.bits { len.saturating_mul(8) } else { len };
    let Some((start, end)) = super::strings::clamp_range(r.start, r.end.unwrap_or(-1), total) else { return 0 };
    if !r.bits {
        return popcount(&s[start..=end]);
    }
    // Bit units: whole bytes in the middle, masked bytes at the edges.
    let (first, last) = (start / 8, end / 8);
    let head = 0xffu8 >> (start % 8);
    let tail = 0xffu8 << (7 - end % 8);
    if first == last {
        return u64::from((s[first] & head & tail).count_ones());
    }
    u64::from((s[first] & head).count_ones()) + popcount(&s[first + 1..last]) + u64::from((s[last] & tail).count_ones())
}

fn popcount(s: &[u8]) -> u64 {
    s.iter().map(|b| u64::from(b.count_ones())).sum()
}

/// The first bit equal to `bit` among bits `first..=last` of `s` (all inside `s`).
fn find_bit(s: &[u8], first: u64, last: u64, bit: bool) -> Option<i64> {
    let mut i = first;
    // Bit by bit up to a byte boundary, then byte by byte, then bit by bit again.
    while i <= last && (i % 8 != 0 || last - i < 7) {
        if bit_at(s, i) == bit {
            return i64::try_from(i).ok();
        }
        i += 1;
    }
    let skip = if bit { 0x00 } else { 0xff };
    while i + 7 <= last {
        let b = s[(i / 8) as usize];
        if b != skip {
            let inner = if bit { b.leading_zeros() } else { b.leading_ones() };
            return i64::try_from(i + u64::from(inner)).ok();
        }
        i += 8;
    }
    while i <= last {
        if bit_at(s, i) == bit {
            return i64::try_from(i).ok();
        }
        i += 1;
    }
    None
}

/// The first bit equal to `bit` (Redis `bitposCommand` after the lookup): -1 if none in
/// the range; looking for a clear bit with no explicit end, the first bit past the string
/// counts (a string is zero-padded on the right).
pub fn position(s: &[u8], bit: bool, range: Option<BitRange>) -> i64 {
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    let (r, end_given) = match range {
        None => (BitRange { start: 0, end: Some(len - 1), bits: false }, false),
        Some(r) => (r, r.end.is_some()),
    };
    let total = if r.bits { len.saturating_mul(8) } else { len };
    // BITPOS has no early exit for two negative indexes out of order (BITCOUNT has).
    let mut start = r.start;
    let mut end = r.end.unwrap_or(total - 1);
    if start < 0 {
        start = total.saturating_add(start);
    }
    if end < 0 {
        end = total.saturating_add(end);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    if start > end {
        return -1;
    }
    let (first, last) = if r.bits { (start, end) } else { (start * 8, end * 8 + 7) };
    let found = find_bit(s, first.unsigned_abs(), last.unsigned_abs(), bit);
    match found {
        Some(p) => p,
        None if !bit && !end_given => (last / 8 + 1) * 8,
        None => -1,
    }
}

/// BITOP over `srcs` (a missing key is an empty string).
fn combine(op: BitOp, srcs: &[Option<Vec<u8>>]) -> Vec<u8> {
    let max = srcs.iter().map(|s| s.as_ref().map_or(0, Vec::len)).max().unwrap_or(0);
    let byte = |s: &Option<Vec<u8>>, i: usize| s.as_ref().and_then(|v| v.get(i)).copied().unwrap_or(0);
    (0..max)
        .map(|i| match op {
            BitOp::Not => !byte(&srcs[0], i),
            BitOp::And => srcs.iter().fold(0xff, |acc, s| acc & byte(s, i)),
            BitOp::Or => srcs.iter().fold(0, |acc, s| acc | byte(s, i)),
            BitOp::Xor => srcs.iter().fold(0, |acc, s| acc ^ byte(s, i)),
        })
        .collect()
}

impl Keyspace {
    /// The string at `key` made at least `len` bytes long (created if missing): Redis
    /// `lookupStringForBitCommand`. Returns whether the key was created or grown.
    fn grow_string(&mut self, db: usize, key: &[u8], len: usize) -> Result<bool> {
        let d = &mut self.dbs[db];
        match d.string(key)?.map(Vec::len) {
            None => {
                d.set(key, Value::Str(vec![0; len]), false);
                Ok(true)
            }
            Some(have) if have < len => {
                d.string_mut(key)?.ok_or(Error::WrongType)?.resize(len, 0);
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }

    /// SETBIT: the bit's old value. Nothing is notified or logged when neither the bit
    /// nor the string's length changed (Redis 7.0).
    ///
    /// # Errors
    /// `WrongType`.
    pub fn setbit(&mut self, db: usize, key: &[u8], offset: u64, on: bool) -> Result<bool> {
        let byte = usize::try_from(offset >> 3).map_err(|_| Error::BitOffset)?;
        let grown = self.grow_string(db, key, byte + 1)?;
        let s = self.dbs[db].string(key)?.ok_or(Error::WrongType)?;
        let old = bit_at(s, offset);
        if grown || old != on {
            let s = self.dbs[db].string_mut(key)?.ok_or(Error::WrongType)?;
            let mask = 0x80u8 >> (offset & 7);
            if on {
                s[byte] |= mask;
            } else {
                s[byte] &= !mask;
            }
            self.notify(class::STRING, "setbit", key, db);
            self.emit_args(db, &[b"SETBIT", key, Int::from(offset).as_bytes(), if on { b"1" } else { b"0" }], &[]);
        }
        Ok(old)
    }

    /// GETBIT: 0 past the end or for a missing key.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn getbit(&mut self, db: usize, key: &[u8], offset: u64) -> Result<bool> {
        Ok(self.read_string(db, key)?.is_some_and(|s| bit_at(s, offset)))
    }

    /// BITCOUNT. `range` is read only once the key is found to be a string (Redis 7.0:
    /// a missing key answers 0 whatever the arguments).
    ///
    /// # Errors
    /// `WrongType`, or what `range` answers.
    pub fn bitcount(&mut self, db: usize, key: &[u8], range: impl FnOnce() -> Result<Option<BitRange>>) -> Result<u64> {
        let Some(s) = self.read_string(db, key)? else { return Ok(0) };
        Ok(count(s, range()?))
    }

    /// BITPOS. A missing key is an endless run of clear bits: 0 for a clear bit, -1 for a
    /// set one, before `range` is read (Redis 7.0).
    ///
    /// # Errors
    /// `WrongType`, or what `range` answers.
    pub fn bitpos(&mut self, db: usize, key: &[u8], bit: bool, range: impl FnOnce() -> Result<Option<BitRange>>) -> Result<i64> {
        let Some(s) = self.read_string(db, key)? else { return Ok(if bit { -1 } else { 0 }) };
        Ok(position(s, bit, range()?))
    }

    /// BITOP: stores the result at `dest` (dropping its expiry) and answers its length;
    /// an empty result deletes `dest`. Logged as the SET or DEL it amounts to.
    ///
    /// # Errors
    /// `WrongType` for a source that is not a string (nothing is written).
    pub fn bitop(&mut self, db: usize, op: BitOp, dest: &[u8], srcs: &[&[u8]]) -> Result<usize> {
        let d = &mut self.dbs[db];
        let values = srcs.iter().map(|k| Ok(d.string(k)?.cloned())).collect::<Result<Vec<_>>>()?;
        let result = combine(op, &values);
        let len = result.len();
        if len > 0 {
            // The effect needs the bytes too: copied only when an AOF is open.
            let logged = self.effects.enabled.then(|| result.clone());
            self.dbs[db].set(dest, Value::Str(result), false);
            self.notify(class::STRING, "set", dest, db);
            if let Some(v) = logged {
                self.emit_args(db, &[b"SET", dest, &v], &[]);
            }
        } else if self.dbs[db].remove(dest).is_some() {
            self.notify(class::GENERIC, "del", dest, db);
            self.emit_args(db, &[b"DEL", dest], &[]);
        }
        Ok(len)
    }

    /// BITFIELD (and BITFIELD_RO, which the command layer limits to GET): a reply per op,
    /// `None` where OVERFLOW FAIL stopped a write. With a write, the string is created or
    /// grown to cover every written field first (even if FAIL then writes nothing), and the
    /// writes are logged as one BITFIELD of the SET/INCRBY ops with their overflow policies.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn bitfield(&mut self, db: usize, key: &[u8], ops: &[FieldOp]) -> Result<Vec<Option<i64>>> {
        let highest = ops.iter().filter(|op| op.writes()).map(|op| op.offset() + u64::from(op.ty().bits) - 1).max();
        let Some(highest) = highest else {
            let s = self.dbs[db].string(key)?.map_or(&[][..], Vec::as_slice);
            return Ok(ops.iter().map(|op| i64::try_from(op.read(s)).ok()).collect());
        };
        let len = usize::try_from(highest >> 3).map_err(|_| Error::BitOffset)? + 1;
        self.grow_string(db, key, len)?;
        let s = self.dbs[db].string_mut(key)?.ok_or(Error::WrongType)?;
        let replies = ops.iter().map(|op| op.apply(s)).collect();
        self.notify(class::STRING, "setbit", key, db);
        self.emit(db, || {
            let mut argv = vec![b"BITFIELD".to_vec(), key.to_vec()];
            for op in ops {
                let (word, ty, offset, n, overflow) = match *op {
                    FieldOp::Get { .. } => continue,
                    FieldOp::Set { ty, offset, value, overflow } => (&b"SET"[..], ty, offset, value, overflow),
                    FieldOp::IncrBy { ty, offset, incr, overflow } => (&b"INCRBY"[..], ty, offset, incr, overflow),
                };
                argv.extend([b"OVERFLOW".to_vec(), overflow.word().to_vec(), word.to_vec()]);
                argv.push(format!("{}{}", if ty.signed { 'i' } else { 'u' }, ty.bits).into_bytes());
                argv.extend([offset.to_string().into_bytes(), n.to_string().into_bytes()]);
            }
            argv
        });
        Ok(replies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I8: FieldType = FieldType { signed: true, bits: 8 };
    const U8: FieldType = FieldType { signed: false, bits: 8 };

    #[test]
    fn fields_read_and_write_msb_first() {
        let mut s = vec![0u8; 2];
        write_field(&mut s, 4, 8, 0xab);
        assert_eq!(s, [0x0a, 0xb0]);
        assert_eq!(read_field(&s, 4, 8), 0xab);
        assert_eq!(read_field(&s, 12, 8), 0, "past the end reads zeros");
        assert_eq!(sign_extend(0xff, 8), -1);
        assert_eq!(sign_extend(u64::MAX, 64), -1);
    }

    #[test]
    fn overflow_policies() {
        assert_eq!(field_result(I8, 127, 1, Overflow::Wrap), Some(-128));
        assert_eq!(field_result(I8, 127, 1, Overflow::Sat), Some(127));
        assert_eq!(field_result(I8, 127, 1, Overflow::Fail), None);
        assert_eq!(field_result(I8, -128, -1, Overflow::Sat), Some(-128));
        assert_eq!(field_result(U8, 255, 1, Overflow::Wrap), Some(0));
        assert_eq!(field_result(U8, 0, -1, Overflow::Sat), Some(0));
        assert_eq!(field_result(U8, i128::from(u64::MAX), 0, Overflow::Sat), Some(255), "SET u8 -1 saturates high");
        assert_eq!(field_result(U8, i128::from(u64::MAX), 0, Overflow::Wrap), Some(255));
        let i64t = FieldType { signed: true, bits: 64 };
        assert_eq!(field_result(i64t, i128::from(i64::MAX), 1, Overflow::Wrap), Some(i128::from(i64::MIN)));
    }

    #[test]
    fn ops_answer_old_for_set_and_new_for_incrby() {
        let mut s = vec![0u8; 1];
        assert_eq!(FieldOp::Set { ty: U8, offset: 0, value: 200, overflow: Overflow::Wrap }.apply(&mut s), Some(0));
        assert_eq!(FieldOp::IncrBy { ty: U8, offset: 0, incr: 100, overflow: Overflow::Fail }.apply(&mut s), None);
        assert_eq!(s, [200]);
        assert_eq!(FieldOp::IncrBy { ty: U8, offset: 0, incr: 100, overflow: Overflow::Wrap }.apply(&mut s), Some(44));
        assert_eq!(FieldOp::Get { ty: I8, offset: 0 }.apply(&mut s), Some(44));
    }

    #[test]
    fn bitcount_and_bitpos_ranges() {
        let s = b"foobar";
        assert_eq!(count(s, None), 26);
        assert_eq!(count(s, Some(BitRange { start: 1, end: Some(1), bits: false })), 6);
        assert_eq!(count(s, Some(BitRange { start: 5, end: Some(30), bits: true })), 17);
        assert_eq!(count(s, Some(BitRange { start: -1, end: Some(-2), bits: false })), 0);
        let ones = [0xffu8, 0xf0, 0x00];
        assert_eq!(position(&ones, false, None), 12);
        assert_eq!(position(&[0xff], false, None), 8, "the padding past the end is clear");
        assert_eq!(position(&[0xff], false, Some(BitRange { start: 0, end: Some(-1), bits: false })), -1);
        assert_eq!(position(&ones, true, Some(BitRange { start: 2, end: None, bits: false })), -1);
        assert_eq!(position(&ones, true, Some(BitRange { start: 7, end: Some(15), bits: true })), 7);
        assert_eq!(position(&ones, false, Some(BitRange { start: 7, end: Some(11), bits: true })), -1);
        assert_eq!(position(&[], false, None), -1);
    }

    #[test]
    fn bitop_pads_short_sources_with_zeros() {
        let a = Some(vec![0xff, 0x0f]);
        let b = Some(vec![0xf0]);
        assert_eq!(combine(BitOp::And, &[a.clone(), b.clone()]), [0xf0, 0x00]);
        assert_eq!(combine(BitOp::Or, &[a.clone(), b.clone(), None]), [0xff, 0x0f]);
        assert_eq!(combine(BitOp::Xor, &[a.clone(), b]), [0x0f, 0x0f]);
        assert_eq!(combine(BitOp::Not, &[a]), [0x00, 0xf0]);
        assert!(combine(BitOp::And, &[None, None]).is_empty());
    }
}
