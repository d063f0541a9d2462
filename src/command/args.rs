//! `Args`: the cursor handlers read their arguments through (mini-redis `parse.rs`), with
//! Redis's rules for numbers (`string2ll`, `strtod`, `getTimeoutFromObjectOrReply`) and
//! its error replies. argv arrives as byte slices; nothing here knows RESP or Python.

use std::time::Duration;

use crate::engine::clock::unix_ms;
use crate::engine::strings::parse_i64;
use crate::engine::{End, Error, Result};

/// The arguments of one command after its name, consumed front to back (and, for the
/// trailing timeout of BLPOP, from the back).
#[derive(Debug, Clone)]
pub struct Args<'a> {
    /// The command's lower-case name, for errors that quote it.
    cmd: &'static str,
    /// What is left to read.
    rest: &'a [&'a [u8]],
}

/// Whether `arg` is the keyword `kw`, ignoring ASCII case (Redis `strcasecmp`).
pub fn is_keyword(arg: &[u8], kw: &str) -> bool {
    arg.eq_ignore_ascii_case(kw.as_bytes())
}

/// How a float literal fitted in an f64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// Represented (possibly rounded, possibly subnormal).
    Exact,
    /// Too large: became ±infinity though not written as `inf` (strtod's ERANGE).
    Overflow,
    /// Too small: became zero though a digit was not zero (strtod's ERANGE).
    Underflow,
}

/// Parses a float the way C `strtod` does for Redis: an optional sign, decimal digits with
/// an optional point and exponent, a C99 hexadecimal float (`0x1.8p3`), or `inf`/`infinity`
/// in any case. Leading or trailing spaces and NaN are refused, as in Redis `string2d`.
fn parse_float(s: &[u8]) -> Option<(f64, Fit)> {
    let text = std::str::from_utf8(s).ok()?;
    // Rust's grammar is strtod's decimal one, but it refuses any space, as Redis does.
    let v: f64 = match text.parse() {
        Ok(v) => v,
        Err(_) => parse_hex_float(text)?,
    };
    if v.is_nan() {
        return None;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let fit = if v.is_infinite()
        && !unsigned.eq_ignore_ascii_case("inf")
        && !unsigned.eq_ignore_ascii_case("infinity")
    {
        Fit::Overflow
    } else if v == 0.0 && unsigned.split(['e', 'E']).next().is_some_and(|m| m.bytes().any(|b| matches!(b, b'1'..=b'9'))) {
        Fit::Underflow
    } else {
        Fit::Exact
    };
    Some((v, fit))
}

/// A C99 hexadecimal float as strtod reads it: `[+-]0x` hex digits, an optional `.` and
/// more hex digits (at least one digit in all), an optional `p[+-]decimal` binary exponent.
fn parse_hex_float(text: &str) -> Option<f64> {
    let (neg, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let rest = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X"))?;
    let (mantissa, exp) = match rest.find(['p', 'P']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0.0_f64;
    for c in int_part.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let e: i32 = e.parse().unwrap_or(if e.starts_with('-') { i32::MIN } else { i32::MAX });
        value *= 2f64.powi(e);
    }
    Some(if neg { -value } else { value })
}

/// Parses a float argument as Redis `getDoubleFromObject` (`string2d`) does: `inf`,
/// `+inf`, `-inf` are accepted; NaN, spaces, trailing bytes, and values that overflow or
/// underflow a double are not. Hexadecimal floats are, as strtod reads them.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    match parse_float(s)? {
        (v, Fit::Exact) => Some(v),
        _ => None,
    }
}

/// Parses a float as C's `strtod` with an end check (Redis `zslParseRange`): leading
/// spaces skipped, overflow becomes ±inf, the empty string reads 0; NaN is returned (the
/// caller refuses it). Trailing bytes are refused.
pub fn parse_strtod(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return Some(0.0);
    }
    let t = s.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).map_or(&s[s.len()..], |i| &s[i..]);
    if t.is_empty() {
        return None;
    }
    parse_float(t).map(|(v, _)| v)
}

/// Parses a blocking timeout in seconds, as Redis `getTimeoutFromObjectOrReply` does.
/// `None` means block forever (a timeout of 0).
///
/// Redis 7.0 rounds up to whole milliseconds (`ceill(t * 1000)`), so `0.0001` waits 1 ms
/// and `-0.0001` rounds to 0 and blocks forever. Values too large for a millisecond
/// `long long` get 7.0's "timeout is negative" (its cast turns them negative); a deadline
/// past i64 milliseconds blocks for good, as 7.0 does.
///
/// # Errors
/// `TimeoutNotFloat`, `TimeoutNegative`, `TimeoutOutOfRange`.
pub fn parse_timeout(s: &[u8]) -> Result<Option<Duration>> {
    let (secs, fit) = parse_float(s).ok_or(Error::TimeoutNotFloat)?;
    timeout_from_parts(secs, fit == Fit::Underflow)
}

/// `parse_timeout` for a number the caller already holds (a Python int or float), so it
/// need not be formatted and parsed again. NaN is refused as Redis refuses it.
///
/// # Errors
/// As `parse_timeout`.
pub fn timeout_from_secs(secs: f64) -> Result<Option<Duration>> {
    if secs.is_nan() {
        return Err(Error::TimeoutNotFloat);
    }
    timeout_from_parts(secs, false)
}

fn timeout_from_parts(secs: f64, underflow: bool) -> Result<Option<Duration>> {
    let mut ms = (secs * 1000.0).ceil();
    if underflow && secs.is_sign_positive() {
        // A long double holds what a double cannot; ceill of a tiny positive value is 1.
        ms = 1.0;
    }
    if ms < 0.0 {
        return Err(Error::TimeoutNegative);
    }
    // 2^63: the first value above LLONG_MAX. Redis 7.0 (the version CI compares against)
    // casts such values to a negative `long long` and answers "timeout is negative".
    if ms >= 9_223_372_036_854_775_808.0 {
        return Err(Error::TimeoutNegative);
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = ms as u64;
    if ms == 0 {
        return Ok(None);
    }
    // A deadline past i64 milliseconds: Redis 7.0 blocks (as good as forever), so do we.
    let now = u64::try_from(unix_ms()).unwrap_or(0);
    if ms > (i64::MAX as u64).saturating_sub(now) {
        return Ok(None);
    }
    Ok(Some(Duration::from_millis(ms)))
}

impl<'a> Args<'a> {
    /// A cursor over `rest`, the arguments after the name of command `cmd` (lower case).
    pub fn new(cmd: &'static str, rest: &'a [&'a [u8]]) -> Args<'a> {
        Args { cmd, rest }
    }

    /// The command's lower-case name.
    pub fn cmd(&self) -> &'static str {
        self.cmd
    }

    /// How many arguments are left.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether every argument has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next argument, without consuming it.
    pub fn peek(&self) -> Option<&'a [u8]> {
        self.rest.first().copied()
    }

    /// The next argument if there is one (option loops: `while let Some(opt) = ...`).
    pub fn next_opt(&mut self) -> Option<&'a [u8]> {
        let (first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    /// The next argument.
    ///
    /// # Errors
    /// `Syntax` when there is none (an option missing its value).
    pub fn next_bytes(&mut self) -> Result<&'a [u8]> {
        self.next_opt().ok_or(Error::Syntax)
    }

    /// The next argument, read as a key name.
    ///
    /// # Errors
    /// `Syntax` when there is none.
    pub fn next_key(&mut self) -> Result<&'a [u8]> {
        self.next_bytes()
    }

    /// The last argument (BLPOP's trailing timeout).
    ///
    /// # Errors
    /// `Syntax` when there is none.
    pub fn next_back_bytes(&mut self) -> Result<&'a [u8]> {
        let (last, rest) = self.rest.split_last().ok_or(Error::Syntax)?;
        self.rest = rest;
        Ok(last)
    }

    /// The next `n` arguments (the keys of LMPOP).
    ///
    /// # Errors
    /// `Syntax` when fewer are left.
    pub fn take(&mut self, n: usize) -> Result<&'a [&'a [u8]]> {
        if n > self.rest.len() {
            return Err(Error::Syntax);
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    /// Every argument left.
    pub fn rest(&mut self) -> &'a [&'a [u8]] {
        std::mem::take(&mut self.rest)
    }

    /// The next argument as an i64 (Redis `string2ll`: no sign `+`, no spaces, no leading
    /// zeros).
    ///
    /// # Errors
    /// `NotAnInteger`; `Syntax` when there is none.
    pub fn next_i64(&mut self) -> Result<i64> {
        self.next_i64_or(Error::NotAnInteger)
    }

    /// The next argument as an i64, `err` if it is not one (Redis `getLongLongFromObjectOrReply`
    /// with a message).
    ///
    /// # Errors
    /// `err`; `Syntax` when there is none.
    pub fn next_i64_or(&mut self, err: Error) -> Result<i64> {
        parse_i64(self.next_bytes()?).ok_or(err)
    }

    /// The next argument as an i64 in `min..=max`; `err` if it is not one or out of range
    /// (Redis `getRangeLongFromObjectOrReply` with a message).
    ///
    /// # Errors
    /// `err`; `Syntax` when there is none.
    pub fn next_i64_in(&mut self, min: i64, max: i64, err: Error) -> Result<i64> {
        parse_i64(self.next_bytes()?).filter(|n| (min..=max).contains(n)).ok_or(err)
    }

    /// The next argument as a count `0..=i64::MAX`; `err` if it is not an integer or is
    /// negative (Redis `getPositiveLongFromObjectOrReply`: COUNT of LPOP, LPOS).
    ///
    /// # Errors
    /// `err`; `Syntax` when there is none.
    pub fn next_usize_or(&mut self, err: Error) -> Result<usize> {
        let n = self.next_i64_in(0, i64::MAX, err)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// The next argument as a float (see `parse_f64`).
    ///
    /// # Errors
    /// `NotAFloat`; `Syntax` when there is none.
    pub fn next_f64(&mut self) -> Result<f64> {
        parse_f64(self.next_bytes()?).ok_or(Error::NotAFloat)
    }

    /// The next argument as a blocking timeout in seconds (see `parse_timeout`).
    ///
    /// # Errors
    /// The timeout errors; `Syntax` when there is none.
    pub fn next_timeout(&mut self) -> Result<Option<Duration>> {
        parse_timeout(self.next_bytes()?)
    }

    /// The next argument as a list end, `LEFT` or `RIGHT` in any case (Redis
    /// `getListPositionFromObjectOrReply`).
    ///
    /// # Errors
    /// `Syntax` for anything else or nothing.
    pub fn next_end(&mut self) -> Result<End> {
        let arg = self.next_bytes()?;
        if is_keyword(arg, "left") {
            Ok(End::Left)
        } else if is_keyword(arg, "right") {
            Ok(End::Right)
        } else {
            Err(Error::Syntax)
        }
    }

    /// Consumes the next argument if it is the keyword `kw` (any case).
    pub fn eat(&mut self, kw: &str) -> bool {
        if self.peek().is_some_and(|a| is_keyword(a, kw)) {
            self.rest = &self.rest[1..];
            true
        } else {
            false
        }
    }

    /// Ends parsing.
    ///
    /// # Errors
    /// `Syntax` if arguments are left over.
    pub fn finish(&self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::Syntax)
        }
    }

    /// The wrong-arity error for this command, for arities the table cannot express
    /// (MSET's pairs, LPOP's at most one count, PING's at most one message).
    pub fn arity_error(&self) -> Error {
        Error::WrongArity { cmd: self.cmd.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_follow_strtod_without_spaces_or_nan() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"+.5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"1E3"), Some(1000.0));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"infinity"), Some(f64::INFINITY));
        for bad in [&b"nan"[..], b"NaN", b"", b" 1", b"1 ", b"1e", b"abc", b"1e400", b"1e-400", b"--1"] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        // Subnormal: strtod sets ERANGE but Redis keeps a non-zero value.
        assert!(parse_f64(b"1e-310").is_some_and(|v| v > 0.0));
        assert_eq!(parse_f64(b"0e-400"), Some(0.0));
    }

    #[test]
    fn timeouts_round_up_to_milliseconds() {
        assert_eq!(parse_timeout(b"0"), Ok(None));
        assert_eq!(parse_timeout(b"0.0001"), Ok(Some(Duration::from_millis(1))));
        assert_eq!(parse_timeout(b"1e-400"), Ok(Some(Duration::from_millis(1))));
        assert_eq!(parse_timeout(b"1.5"), Ok(Some(Duration::from_millis(1500))));
        // ceil(-0.1) is -0: zero, i.e. forever, as in Redis 7.0.
        assert_eq!(parse_timeout(b"-0.0001"), Ok(None));
        assert_eq!(parse_timeout(b"-0"), Ok(None));
    }
}
