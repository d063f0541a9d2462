//! Redis's `long double` arithmetic for INCRBYFLOAT (and any `*INCRBYFLOAT`), in software.
//!
//! Redis parses both operands with `strtold`, adds them as x86-64 `long double`s (the x87
//! 80-bit format: a 64-bit mantissa with an explicit integer bit, exponents down to
//! -16382 with subnormals below), and formats the sum with `"%.17Lf"`, trailing zeros
//! cut (`ld2string(.., LD_STR_HUMAN)`). Doing it in f64 would differ visibly: Redis
//! answers `0.3` for 0.1 + 0.2, and accepts `1e400`. So this module computes exactly what
//! the C library does: correctly rounded parsing, a correctly rounded sum (round to
//! nearest, ties to even), exact decimal printing. A tiny unsigned big integer is enough
//! for that; numbers are a few thousand bits at most (operands are shorter than 5 KiB).

use std::cmp::Ordering;

/// An unsigned big integer, little-endian 32-bit limbs, no trailing zero limbs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big(limbs)
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn bit_len(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(top) => (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
        }
    }

    /// `self * m + a`.
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// Divides in place by `d`, returning the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    fn shl(&self, bits: u64) -> Big {
        if self.is_zero() {
            return Big(Vec::new());
        }
        let words = (bits / 32) as usize;
        let shift = (bits % 32) as u32;
        let mut out = vec![0u32; words];
        let mut carry = 0u32;
        for &limb in &self.0 {
            if shift == 0 {
                out.push(limb);
            } else {
                out.push((limb << shift) | carry);
                carry = limb >> (32 - shift);
            }
        }
        if carry != 0 {
            out.push(carry);
        }
        Big(out)
    }

    /// Whether any of the low `bits` bits is set.
    fn low_bits_set(&self, bits: u64) -> bool {
        let words = (bits / 32) as usize;
        let rest = (bits % 32) as u32;
        if self.0.iter().take(words).any(|&l| l != 0) {
            return true;
        }
        rest != 0 && self.0.get(words).is_some_and(|&l| l & ((1u32 << rest) - 1) != 0)
    }

    fn bit(&self, i: u64) -> bool {
        self.0.get((i / 32) as usize).is_some_and(|&l| (l >> (i % 32)) & 1 == 1)
    }

    fn shr(&self, bits: u64) -> Big {
        let words = (bits / 32) as usize;
        if words >= self.0.len() {
            return Big(Vec::new());
        }
        let shift = (bits % 32) as u32;
        let src = &self.0[words..];
        let mut out = Vec::with_capacity(src.len());
        for (i, &limb) in src.iter().enumerate() {
            let hi = src.get(i + 1).copied().unwrap_or(0);
            out.push(if shift == 0 { limb } else { (limb >> shift) | (hi << (32 - shift)) });
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    fn add(&self, other: &Big) -> Big {
        let (long, short) = if self.0.len() >= other.0.len() { (self, other) } else { (other, self) };
        let mut out = Vec::with_capacity(long.0.len() + 1);
        let mut carry = 0u64;
        for (i, &l) in long.0.iter().enumerate() {
            let v = u64::from(l) + u64::from(short.0.get(i).copied().unwrap_or(0)) + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        Big(out)
    }

    /// `self - other`, which must not be negative.
    fn sub(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for (i, &l) in self.0.iter().enumerate() {
            let mut v = i64::from(l) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            if v < 0 {
                v += 1 << 32;
            }
            out.push(v as u32);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let v = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = v as u32;
                carry = v >> 32;
            }
            out[i + other.0.len()] = carry as u32;
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn pow10(n: u64) -> Big {
        let mut b = Big::from_u128(1);
        for _ in 0..n / 9 {
            b.mul_add_small(1_000_000_000, 0);
        }
        for _ in 0..n % 9 {
            b.mul_add_small(10, 0);
        }
        b
    }

    fn to_decimal(&self) -> String {
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_small(1_000_000_000));
        }
        let mut s = chunks.pop().map_or_else(|| "0".to_owned(), |c| c.to_string());
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

/// Mantissa bits of the x87 extended format.
const MANT_BITS: u64 = 64;
/// The exponent of the lowest mantissa bit of the smallest subnormal (2^-16445).
const MIN_EXP: i64 = -16445;
/// The largest unbiased exponent (of the integer bit).
const MAX_EXP: i64 = 16383;

/// A finite x87 extended value: `(-1)^neg * mant * 2^exp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    mant: u64,
    exp: i64,
}

/// What rounding an exact value gave.
enum Rounded {
    Finite(LongDouble),
    /// Too large for the format (strtold's HUGE_VAL).
    Overflow,
}

/// Rounds `num / den * 2^exp2` (positive rationals) to the format, ties to even.
fn round(neg: bool, num: &Big, den: &Big, exp2: i64) -> Rounded {
    if num.is_zero() {
        return Rounded::Finite(LongDouble { neg, mant: 0, exp: 0 });
    }
    let len_diff = i64::try_from(num.bit_len()).unwrap_or(i64::MAX) - i64::try_from(den.bit_len()).unwrap_or(i64::MAX);
    // num/den lies in [2^(len_diff-1), 2^(len_diff+1)): this `e` puts the quotient in
    // [2^62, 2^65), and one step fixes it to [2^63, 2^64).
    let mut e = len_diff + exp2 - 64;
    let quotient = |e: i64| -> (u128, Big, Big) {
        let shift = e - exp2;
        let (n, d) = if shift >= 0 { (num.clone(), den.shl(shift.unsigned_abs())) } else { (num.shl(shift.unsigned_abs()), den.clone()) };
        // The quotient has at most 66 bits: long division bit by bit.
        let mut rem = n;
        let mut q: u128 = 0;
        for bit in (0..67u64).rev() {
            let t = d.shl(bit);
            if rem.cmp(&t) != Ordering::Less {
                rem = rem.sub(&t);
                q |= 1u128 << bit;
            }
        }
        (q, rem, d)
    };
    let (q, _, _) = quotient(e);
    if q >= 1u128 << MANT_BITS {
        e += 1;
    } else if q < 1u128 << (MANT_BITS - 1) {
        e -= 1;
    }
    e = e.max(MIN_EXP);
    let (mut q, rem, d) = quotient(e);
    let twice = rem.shl(1);
    match twice.cmp(&d) {
        Ordering::Greater => q += 1,
        Ordering::Equal if q & 1 == 1 => q += 1,
        _ => {}
    }
    if q == 1u128 << MANT_BITS {
        q >>= 1;
        e += 1;
    }
    if e + 63 > MAX_EXP {
        return Rounded::Overflow;
    }
    Rounded::Finite(LongDouble { neg, mant: q as u64, exp: e })
}

/// Why `parse` refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A finite value.
    Value(LongDouble),
    /// `inf`/`infinity`, either sign: valid input, but any sum with it is refused later.
    Infinite,
}

impl LongDouble {
    /// Zero.
    pub const ZERO: LongDouble = LongDouble { neg: false, mant: 0, exp: 0 };

    fn is_zero(self) -> bool {
        self.mant == 0
    }

    /// Parses `s` as Redis `string2ld` does: `strtold` over the whole text (no leading
    /// space, nothing after the number, shorter than 5 KiB), refusing NaN and values that
    /// overflow or underflow to zero. Decimal, hexadecimal (`0x1p3`) and `inf` forms.
    pub fn parse(s: &[u8]) -> Option<Parsed> {
        if s.is_empty() || s.len() >= 5 * 1024 {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(Parsed::Infinite);
        }
        let rounded = if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            parse_hex(neg, &body[2..])?
        } else {
            parse_decimal(neg, body)?
        };
        match rounded {
            // ERANGE with HUGE_VAL, or with a zero that was not written as zero.
            (Rounded::Overflow, _) => None,
            (Rounded::Finite(v), nonzero) if v.is_zero() && nonzero => None,
            (Rounded::Finite(v), _) => Some(Parsed::Value(v)),
        }
    }

    /// The correctly rounded sum; `None` when it overflows (Redis: "increment would
    /// produce NaN or Infinity").
    pub fn sum(self, other: LongDouble) -> Option<LongDouble> {
        if other.is_zero() {
            // -0 + -0 is -0, otherwise the zero changes nothing.
            return Some(if self.is_zero() { LongDouble { neg: self.neg && other.neg, ..self } } else { self });
        }
        if self.is_zero() {
            return Some(other);
        }
        let low = self.exp.min(other.exp);
        let a = Big::from_u128(u128::from(self.mant)).shl((self.exp - low).unsigned_abs());
        let b = Big::from_u128(u128::from(other.mant)).shl((other.exp - low).unsigned_abs());
        let one = Big::from_u128(1);
        let (neg, sum) = if self.neg == other.neg {
            (self.neg, a.add(&b))
        } else {
            match a.cmp(&b) {
                Ordering::Less => (other.neg, b.sub(&a)),
                // x + (-x) is +0 when rounding to nearest.
                Ordering::Equal => return Some(LongDouble::ZERO),
                Ordering::Greater => (self.neg, a.sub(&b)),
            }
        };
        match round(neg, &sum, &one, low) {
            Rounded::Finite(v) => Some(v),
            Rounded::Overflow => None,
        }
    }

    /// `"%.17Lf"` with trailing zeros (and a bare point) cut, and `-0` written `0`: Redis
    /// `ld2string(.., LD_STR_HUMAN)`.
    pub fn to_human(self) -> String {
        // round(mant * 2^exp * 10^17), ties to even: the digits of "%.17Lf".
        let fixed = {
            let prod = Big::from_u128(u128::from(self.mant)).mul(&Big::pow10(17));
            if self.exp >= 0 {
                prod.shl(self.exp.unsigned_abs())
            } else {
                let k = self.exp.unsigned_abs();
                let mut q = prod.shr(k);
                let half = prod.bit(k - 1);
                let sticky = k > 1 && prod.low_bits_set(k - 1);
                if half && (sticky || q.bit(0)) {
                    q = q.add(&Big::from_u128(1));
                }
                q
            }
        };
        let digits = fixed.to_decimal();
        let digits = if digits.len() < 18 { format!("{digits:0>18}") } else { digits };
        let (int_part, frac) = digits.split_at(digits.len() - 17);
        let frac = frac.trim_end_matches('0');
        let mut out = String::with_capacity(digits.len() + 2);
        let is_zero = int_part == "0" && frac.is_empty();
        if self.neg && !is_zero {
            out.push('-');
        }
        out.push_str(int_part);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        out
    }
}

/// strtold's decimal form: digits with an optional point (at least one digit), an
/// optional exponent. Returns the rounding and whether any digit was not zero.
fn parse_decimal(neg: bool, s: &[u8]) -> Option<(Rounded, bool)> {
    let mut digits = Big(Vec::new());
    let mut exp10: i64 = 0;
    let mut seen_digit = false;
    let mut nonzero = false;
    let mut i = 0;
    let mut point = false;
    while i < s.len() {
        match s[i] {
            c @ b'0'..=b'9' => {
                seen_digit = true;
                nonzero |= c != b'0';
                digits.mul_add_small(10, u32::from(c - b'0'));
                if point {
                    exp10 -= 1;
                }
            }
            b'.' if !point => point = true,
            _ => break,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if i < s.len() {
        if s[i] | 0x20 != b'e' {
            return None;
        }
        let rest = &s[i + 1..];
        let (eneg, edigits) = match rest.first() {
            Some(b'-') => (true, &rest[1..]),
            Some(b'+') => (false, &rest[1..]),
            _ => (false, rest),
        };
        if edigits.is_empty() || !edigits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Saturate: anything beyond a few tens of thousands over/underflows anyway.
        let e = edigits.iter().fold(0i64, |acc, d| (acc * 10 + i64::from(d - b'0')).min(1 << 40));
        exp10 += if eneg { -e } else { e };
    }
    if !nonzero {
        return Some((Rounded::Finite(LongDouble { neg, mant: 0, exp: 0 }), false));
    }
    // Decide the hopeless cases before building huge powers of ten.
    let magnitude = i64::try_from(digits.bit_len()).unwrap_or(i64::MAX) as f64 * std::f64::consts::LOG10_2 + exp10 as f64;
    if magnitude > 4940.0 {
        return Some((Rounded::Overflow, true));
    }
    if magnitude < -4960.0 {
        return Some((Rounded::Finite(LongDouble { neg, mant: 0, exp: 0 }), true));
    }
    let one = Big::from_u128(1);
    let r = if exp10 >= 0 {
        // exp10 is bounded by the magnitude checks above.
        round(neg, &digits.mul(&Big::pow10(exp10.unsigned_abs())), &one, 0)
    } else {
        round(neg, &digits, &Big::pow10(exp10.unsigned_abs()), 0)
    };
    Some((r, true))
}

/// strtold's hexadecimal form after `0x`: hex digits with an optional point, an optional
/// binary exponent `p[+-]digits`.
fn parse_hex(neg: bool, s: &[u8]) -> Option<(Rounded, bool)> {
    let mut mant = Big(Vec::new());
    let mut exp2: i64 = 0;
    let mut seen_digit = false;
    let mut nonzero = false;
    let mut point = false;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if let Some(d) = (c as char).to_digit(16) {
            seen_digit = true;
            nonzero |= d != 0;
            mant.mul_add_small(16, d);
            if point {
                exp2 -= 4;
            }
        } else if c == b'.' && !point {
            point = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if i < s.len() {
        if s[i] | 0x20 != b'p' {
            return None;
        }
        let rest = &s[i + 1..];
        let (eneg, edigits) = match rest.first() {
            Some(b'-') => (true, &rest[1..]),
            Some(b'+') => (false, &rest[1..]),
            _ => (false, rest),
        };
        if edigits.is_empty() || !edigits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let e = edigits.iter().fold(0i64, |acc, d| (acc * 10 + i64::from(d - b'0')).min(1 << 40));
        exp2 += if eneg { -e } else { e };
    }
    if !nonzero {
        return Some((Rounded::Finite(LongDouble { neg, mant: 0, exp: 0 }), false));
    }
    let top = i64::try_from(mant.bit_len()).unwrap_or(0) + exp2;
    if top > MAX_EXP + 1 {
        return Some((Rounded::Overflow, true));
    }
    if top < MIN_EXP - 2 {
        return Some((Rounded::Finite(LongDouble { neg, mant: 0, exp: 0 }), true));
    }
    Some((round(neg, &mant, &Big::from_u128(1), exp2), true))
}

/// INCRBYFLOAT's arithmetic on texts: the sum of `current` (the stored value, `None` for
/// a missing key) and `incr`, formatted as Redis stores it.
///
/// # Errors
/// `NotAFloat` when either text is not a valid float (the stored value is checked
/// first), `NanOrInfinity` when the sum is not finite.
pub fn incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> super::Result<String> {
    use super::Error;
    let value = match current {
        None => Parsed::Value(LongDouble::ZERO),
        Some(s) => LongDouble::parse(s).ok_or(Error::NotAFloat)?,
    };
    let incr = LongDouble::parse(incr).ok_or(Error::NotAFloat)?;
    match (value, incr) {
        (Parsed::Value(a), Parsed::Value(b)) => Ok(a.sum(b).ok_or(Error::NanOrInfinity)?.to_human()),
        _ => Err(Error::NanOrInfinity),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> String {
        incr_by_float(Some(a.as_bytes()), b.as_bytes()).unwrap()
    }

    #[test]
    fn matches_redis_on_x86_64() {
        // Each answer is what redis-server 7.0.15 on x86-64 replied.
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("0", "1e20"), "100000000000000000000");
        assert_eq!(sum("0", "3.0e5"), "300000");
        assert_eq!(sum("0", "-0"), "0");
        assert_eq!(sum("0", "1e-20"), "0");
        assert_eq!(sum("0", "-1e-30"), "0");
        assert_eq!(sum("0", "0x1p3"), "8");
        assert_eq!(sum("10.5", "0.1"), "10.6");
        assert_eq!(sum("5.0e3", "2.0e2"), "5200");
        assert!(sum("0", "1e400").starts_with("10000000000000000000281880683947586514586"));
        assert_eq!(sum("0", "1e400").len(), 401);
    }

    #[test]
    fn refuses_what_strtold_or_redis_refuses() {
        for bad in ["", " 1", "1 ", "abc", "1e", "nan", "1e5000", "1e-5000", ".", "0x", "1.2.3"] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad}");
        }
        assert_eq!(incr_by_float(Some(b"1"), b"inf"), Err(super::super::Error::NanOrInfinity));
        assert_eq!(incr_by_float(Some(b"x"), b"1"), Err(super::super::Error::NotAFloat));
        assert_eq!(sum("1", "+.5"), "1.5");
        assert_eq!(sum("1", "5."), "6");
    }

    #[test]
    fn exact_halfway_cases_round_to_even() {
        // 2^64 + 1 is a tie between 2^64 and 2^64 + 2: even mantissa wins (2^64).
        assert_eq!(sum("18446744073709551616", "1"), "18446744073709551616");
        assert_eq!(sum("18446744073709551616", "3"), "18446744073709551620");
    }
}
