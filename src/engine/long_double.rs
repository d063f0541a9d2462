//! Redis's `long double` arithmetic for INCRBYFLOAT and HINCRBYFLOAT: on x86-64 Linux a C
//! `long double` is the x87 80-bit format (64-bit significand), so `0.1 + 0.2` prints as
//! `0.3` there where an f64 would give `0.30000000000000004`. To answer with Redis's bytes,
//! the numbers are parsed, added and printed in that format, in software
//! (`rustc_apfloat`'s `X87DoubleExtended`, LLVM's APFloat: correctly rounded), with:
//!
//! - [`parse`]: Redis `string2ld` (`strtold`, refusing a leading space, trailing bytes,
//!   NaN, and values out of range);
//! - [`format_human`]: Redis `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, printed exactly as
//!   glibc does (the exact binary value, rounded half to even), trailing zeros and point
//!   dropped, `-0` written `0`.
//!
//! Knows nothing of keys, RESP or Python.

use rustc_apfloat::ieee::X87DoubleExtended;
use rustc_apfloat::{Float, Round, Status};

/// An x87 extended-precision number.
pub type LongDouble = X87DoubleExtended;

/// Redis's `MAX_LONG_DOUBLE_CHARS`: longer inputs are refused.
const MAX_CHARS: usize = 5 * 1024;

/// Whether `s` (no sign) is a decimal float in strtold's grammar.
fn is_decimal(s: &[u8]) -> bool {
    let digits = |s: &[u8], i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut i = 0;
    let mut n = digits(s, &mut i);
    if i < s.len() && s[i] == b'.' {
        i += 1;
        n += digits(s, &mut i);
    }
    if n == 0 {
        return false;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        if digits(s, &mut i) == 0 {
            return false;
        }
    }
    i == s.len()
}

/// Whether `s` (no sign, no `0x`) is the rest of a hexadecimal float in strtold's grammar.
fn is_hex(s: &[u8]) -> bool {
    let mut i = 0;
    let mut n = 0;
    while i < s.len() && s[i].is_ascii_hexdigit() {
        i += 1;
        n += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_hexdigit() {
            i += 1;
            n += 1;
        }
    }
    if n == 0 {
        return false;
    }
    if i < s.len() && (s[i] == b'p' || s[i] == b'P') {
        i += 1;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == s.len()
}

/// Parses `s` as Redis `string2ld`: `None` for anything it refuses.
pub fn parse(s: &[u8]) -> Option<LongDouble> {
    if s.is_empty() || s.len() >= MAX_CHARS {
        return None;
    }
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        let inf = LongDouble::INFINITY;
        return Some(if neg { -inf } else { inf });
    }
    let text = if body.len() > 2 && body[0] == b'0' && (body[1] == b'x' || body[1] == b'X') {
        let rest = &body[2..];
        if !is_hex(rest) {
            return None;
        }
        // strtold takes a hex float without a binary exponent; APFloat wants one.
        let mut t = String::from("0x");
        t.push_str(std::str::from_utf8(rest).ok()?);
        if !rest.iter().any(|&b| b == b'p' || b == b'P') {
            t.push_str("p0");
        }
        t
    } else {
        if !is_decimal(body) {
            return None;
        }
        std::str::from_utf8(body).ok()?.to_owned()
    };
    let parsed = LongDouble::from_str_r(&text, Round::NearestTiesToEven).ok()?;
    let v = parsed.value;
    // strtold's ERANGE: an overflow to infinity, or an underflow all the way to zero.
    if parsed.status.contains(Status::OVERFLOW) || v.is_infinite() {
        return None;
    }
    if v.is_zero() && parsed.status.contains(Status::UNDERFLOW) {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// `a + b`, rounded to nearest as the x87 unit does.
pub fn add(a: LongDouble, b: LongDouble) -> LongDouble {
    a.add_r(b, Round::NearestTiesToEven).value
}

/// The value of an integer (exact: every i64 fits in a 64-bit significand).
pub fn from_i64(n: i64) -> LongDouble {
    let v = LongDouble::from_u128(u128::from(n.unsigned_abs())).value;
    if n < 0 {
        -v
    } else {
        v
    }
}

/// Whether `v` is NaN or infinite.
pub fn is_nan_or_inf(v: LongDouble) -> bool {
    v.is_nan() || v.is_infinite()
}

// ---- exact decimal printing --------------------------------------------------------------

/// A non-negative big integer, 64-bit limbs, least significant first.
#[derive(Debug, Clone)]
struct Big(Vec<u64>);

impl Big {
    /// `self * m + add`.
    fn mul_small(&mut self, m: u64, add: u64) {
        let mut carry = u128::from(add);
        for limb in &mut self.0 {
            let t = u128::from(*limb) * u128::from(m) + carry;
            *limb = t as u64;
            carry = t >> 64;
        }
        if carry > 0 {
            self.0.push(carry as u64);
        }
    }

    /// `self /= d`, returning the remainder.
    fn div_small(&mut self, d: u64) -> u64 {
        let mut rem = 0u128;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        rem as u64
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|&l| l == 0)
    }

    /// `self >> k`, as a u64 (the caller knows it fits) and `self` keeps its low `k` bits.
    fn split_at_bit(&mut self, k: usize) -> u64 {
        let (limb, bit) = (k / 64, k % 64);
        let mut high = 0u64;
        if limb < self.0.len() {
            high = self.0[limb] >> bit;
            if bit > 0 && limb + 1 < self.0.len() {
                high |= self.0[limb + 1] << (64 - bit);
            }
            self.0[limb] &= if bit == 0 { 0 } else { (1u64 << bit) - 1 };
            self.0.truncate(limb + 1);
        }
        high
    }

    /// Compares `self` with `2^k`.
    fn cmp_pow2(&self, k: usize) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let (limb, bit) = (k / 64, k % 64);
        let Some(top) = self.0.iter().rposition(|&l| l != 0) else { return Ordering::Less };
        if top != limb {
            return top.cmp(&limb);
        }
        match self.0[limb].cmp(&(1u64 << bit)) {
            Ordering::Equal if self.0[..limb].iter().any(|&l| l != 0) => Ordering::Greater,
            other => other,
        }
    }

    /// Decimal digits.
    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".to_owned();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_small(10_000_000_000_000_000_000));
        }
        let mut out = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
        for c in chunks.iter().rev() {
            out.push_str(&format!("{c:019}"));
        }
        out
    }
}

/// `printf("%.*Lf", frac_digits, v)` for a finite `v`, exactly.
fn format_fixed(v: LongDouble, frac_digits: usize) -> String {
    let bits = v.to_bits();
    let neg = bits >> 79 & 1 == 1;
    let sig = bits as u64;
    let biased = (bits >> 64 & 0x7fff) as i64;
    // value = sig * 2^e2 (a denormal has the smallest normal exponent, integer bit 0).
    let e2 = if biased == 0 { 1 - 16383 - 63 } else { biased - 16383 - 63 };
    let (int_part, mut frac, k) = if e2 >= 0 {
        let mut n = Big(vec![sig]);
        for _ in 0..e2 / 32 {
            n.mul_small(1 << 32, 0);
        }
        n.mul_small(1 << (e2 % 32), 0);
        (n, Big(vec![0]), 0usize)
    } else {
        let k = usize::try_from(-e2).unwrap_or(0);
        let mut f = Big(vec![sig]);
        let int = f.split_at_bit(k);
        (Big(vec![int]), f, k)
    };
    let mut digits: Vec<u8> = Vec::with_capacity(frac_digits);
    for _ in 0..frac_digits {
        if k == 0 {
            digits.push(0);
            continue;
        }
        frac.mul_small(10, 0);
        digits.push(frac.split_at_bit(k) as u8);
    }
    // Round half to even on what is left: frac / 2^k against one half.
    let round_up = k > 0
        && match frac.cmp_pow2(k - 1) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => {
                let last = digits.last().copied().map_or_else(|| int_part.0[0] & 1 == 1, |d| d & 1 == 1);
                last
            }
            std::cmp::Ordering::Less => false,
        };
    let mut int_part = int_part;
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                int_part.mul_small(1, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&int_part.to_decimal());
    if frac_digits > 0 {
        out.push('.');
        out.extend(digits.iter().map(|d| char::from(b'0' + d)));
    }
    out
}

/// Redis `ld2string(..., LD_STR_HUMAN)` for a finite `v`.
pub fn format_human(v: LongDouble) -> Vec<u8> {
    if v.is_infinite() {
        return if v.is_negative() { b"-inf".to_vec() } else { b"inf".to_vec() };
    }
    let mut s = format_fixed(v, 17);
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> String {
        let v = add(parse(a.as_bytes()).expect("a"), parse(b.as_bytes()).expect("b"));
        String::from_utf8(format_human(v)).expect("ascii")
    }

    #[test]
    fn sums_print_as_redis_prints_them() {
        // Each pair checked against redis-server 7.0.15 on x86-64.
        assert_eq!(incr("0.1", "0.2"), "0.3");
        assert_eq!(incr("10.5", "0.1"), "10.6");
        assert_eq!(incr("0", "1.0e2"), "100");
        assert_eq!(incr("100", "3.0000"), "103");
        assert_eq!(incr("0", "123456789012345678901234567890"), "123456789012345678899921813504");
        assert_eq!(incr("0", "-0.00000000000000000001"), "0");
        assert_eq!(incr("0", "0x10"), "16");
        assert_eq!(incr("16", "1e-4940"), "16");
        assert_eq!(incr("5", "-5"), "0");
        assert_eq!(incr("0", "-1.5"), "-1.5");
        assert_eq!(incr("0", "0.000000000000000005"), "0");
        assert_eq!(incr("0.125", "1e-17"), "0.12500000000000001");
        assert_eq!(incr("0", "1.00000000000000005"), "1.00000000000000005");
        assert_eq!(incr("0", "0.000000000000000015"), "0.00000000000000002");
        assert!(incr("0.3", "1e300").starts_with("10000000000000000000089973240795591938705239442732907479382600823"));
    }

    #[test]
    fn parse_refuses_what_string2ld_refuses() {
        for bad in ["", " 1", "1 ", "nan", "NaN", "abc", "1e", "1e5000", "-1e5000", "1e-5000", "0x", "--1", "+-1", "1.2.3"] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad}");
        }
        for good in ["inf", "-Infinity", "+1", ".5", "5.", "1E+3", "0x1.8p1", "0X1P-2", "1e-4940"] {
            assert!(parse(good.as_bytes()).is_some(), "{good}");
        }
        assert!(parse(b"inf").is_some_and(is_nan_or_inf));
        assert_eq!(format_human(from_i64(-42)), b"-42");
    }
}
