//! Stream IDs (`<ms>-<seq>`): the type, its successor/predecessor, and the parsers for each
//! place a command takes an ID, with the rules of `streamGenericParseIDOrReply` in redis
//! `src/t_stream.c`. Knows nothing of RESP or Python: input is the argument's raw bytes.

use std::fmt;

use crate::engine::error::{Error, Result};

/// A stream entry ID: Unix milliseconds and a sequence number within that millisecond.
///
/// Ordered as the 128-bit number `ms:seq`, as Redis orders its radix-tree keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`: below every entry an XADD can create; also what "-" stands for.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615`: what "+" stands for.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// The ID `ms-seq`.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// True for `0-0` (`streamIDEqZero`).
    pub const fn is_zero(self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID (`streamIncrID`): the sequence rolls over into the next millisecond.
    /// `None` past [`StreamId::MAX`].
    pub const fn incr(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId {
                ms: self.ms,
                seq: self.seq + 1,
            })
        } else if self.ms < u64::MAX {
            Some(StreamId {
                ms: self.ms + 1,
                seq: 0,
            })
        } else {
            None
        }
    }

    /// The previous ID (`streamDecrID`). `None` below [`StreamId::MIN`].
    pub const fn decr(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId {
                ms: self.ms,
                seq: self.seq - 1,
            })
        } else if self.ms > 0 {
            Some(StreamId {
                ms: self.ms - 1,
                seq: u64::MAX,
            })
        } else {
            None
        }
    }

    /// Parses a full ID where "-" and "+" are refused (XDEL, XACK, XCLAIM, MINID, XSETID,
    /// XGROUP CREATE, XREAD's explicit IDs): `ms-seq`, or `ms` meaning `ms-0`.
    ///
    /// # Errors
    /// [`Error::InvalidStreamId`] for anything else.
    pub fn parse(arg: &[u8]) -> Result<StreamId> {
        if let Some(id) = parse_plain(arg) {
            return Ok(id);
        }
        match parse_generic(arg, 0, true, false)? {
            Parsed::Id(id) => Ok(id),
            Parsed::AutoSeq(_) => Err(Error::InvalidStreamId),
        }
    }

    /// Parses an ID where "-" is `0-0` and "+" is [`StreamId::MAX`] (XGROUP SETID), a
    /// missing sequence meaning `missing_seq`.
    ///
    /// # Errors
    /// [`Error::InvalidStreamId`].
    pub fn parse_lenient(arg: &[u8], missing_seq: u64) -> Result<StreamId> {
        match parse_generic(arg, missing_seq, false, false)? {
            Parsed::Id(id) => Ok(id),
            Parsed::AutoSeq(_) => Err(Error::InvalidStreamId),
        }
    }

    /// Parses the start of an XRANGE/XREVRANGE/XPENDING/XAUTOCLAIM interval into the first
    /// ID it includes: "-", "+", `ms` (seq 0), `ms-seq`, or `(ms-seq` (exclusive, so the ID
    /// after it).
    ///
    /// # Errors
    /// [`Error::InvalidStreamId`]; [`Error::InvalidStartInterval`] for an exclusive start
    /// at [`StreamId::MAX`].
    pub fn parse_range_start(arg: &[u8]) -> Result<StreamId> {
        let (id, exclusive) = parse_interval(arg, 0)?;
        if exclusive {
            id.incr().ok_or(Error::InvalidStartInterval)
        } else {
            Ok(id)
        }
    }

    /// Parses the end of an XRANGE/XREVRANGE/XPENDING interval into the last ID it
    /// includes: as [`StreamId::parse_range_start`], but a missing sequence is `u64::MAX`
    /// and an exclusive end is the ID before it.
    ///
    /// # Errors
    /// [`Error::InvalidStreamId`]; [`Error::InvalidEndInterval`] for an exclusive end at
    /// `0-0`.
    pub fn parse_range_end(arg: &[u8]) -> Result<StreamId> {
        let (id, exclusive) = parse_interval(arg, u64::MAX)?;
        if exclusive {
            id.decr().ok_or(Error::InvalidEndInterval)
        } else {
            Ok(id)
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Writes IDs as `ms-seq` text (as `Display`) without allocating. Consecutive IDs of a read
/// mostly share their millisecond, whose digits are kept from one ID to the next.
#[derive(Debug, Clone)]
pub struct IdText {
    /// The text of the last ID: `ms-` then the sequence.
    buf: [u8; 41],
    /// The millisecond whose digits (and dash) `buf` starts with; `None` before the first.
    ms: Option<u64>,
    /// Length of `ms-` in `buf`.
    prefix: usize,
}

impl Default for IdText {
    fn default() -> IdText {
        IdText::new()
    }
}

impl IdText {
    /// A writer with nothing written yet.
    pub fn new() -> IdText {
        IdText { buf: [0; 41], ms: None, prefix: 0 }
    }

    /// The text of `id`.
    pub fn text(&mut self, id: StreamId) -> &[u8] {
        if self.ms != Some(id.ms) {
            let n = write_decimal(id.ms, &mut self.buf[..]);
            self.buf[n] = b'-';
            self.prefix = n + 1;
            self.ms = Some(id.ms);
        }
        let n = write_decimal(id.seq, &mut self.buf[self.prefix..]);
        &self.buf[..self.prefix + n]
    }
}

/// Writes `n` in decimal at the start of `out` (room for 20 digits); returns the length.
fn write_decimal(mut n: u64, out: &mut [u8]) -> usize {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = tmp.len() - i;
    out[..len].copy_from_slice(&tmp[i..]);
    len
}

/// The ID argument of XADD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSpec {
    /// `*`: the current time, or the last ID's next sequence if the clock is behind.
    Auto,
    /// `ms-*`: this millisecond, with the next free sequence in it.
    AutoSeq(u64),
    /// `ms-seq`, or `ms` (sequence 0).
    Explicit(StreamId),
}

impl IdSpec {
    /// Parses XADD's ID argument.
    ///
    /// # Errors
    /// [`Error::InvalidStreamId`], including for "-" and "+".
    pub fn parse(arg: &[u8]) -> Result<IdSpec> {
        // XADD tests for "*" on the C string, before any length check.
        if c_str(arg) == b"*" {
            return Ok(IdSpec::Auto);
        }
        Ok(match parse_generic(arg, 0, true, true)? {
            Parsed::Id(id) => IdSpec::Explicit(id),
            Parsed::AutoSeq(ms) => IdSpec::AutoSeq(ms),
        })
    }
}

/// An ID after STREAMS in XREAD or XREADGROUP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadId {
    /// `$` (XREAD only): entries added after the stream's current last ID.
    Last,
    /// `>` (XREADGROUP only): entries never delivered to the group.
    New,
    /// Entries after this ID (XREAD), or this consumer's pending entries after it
    /// (XREADGROUP).
    After(StreamId),
}

impl ReadId {
    /// Parses one ID of XREAD (`group == false`) or XREADGROUP (`group == true`).
    ///
    /// # Errors
    /// [`Error::XreadgroupDollarId`] for `$` with a group, [`Error::XreadGreaterIdWithoutGroup`]
    /// for `>` without one, [`Error::InvalidStreamId`] otherwise.
    pub fn parse(arg: &[u8], group: bool) -> Result<ReadId> {
        match (c_str(arg), group) {
            (b"$", false) => Ok(ReadId::Last),
            (b"$", true) => Err(Error::XreadgroupDollarId),
            (b">", true) => Ok(ReadId::New),
            (b">", false) => Err(Error::XreadGreaterIdWithoutGroup),
            _ => StreamId::parse(arg).map(ReadId::After),
        }
    }
}

/// Where XGROUP CREATE / SETID put a group's last delivered ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStart {
    /// `$`: the stream's last ID (`0-0` for a stream created by MKSTREAM).
    Last,
    /// An explicit ID; `0` delivers the whole stream.
    Id(StreamId),
}

impl GroupStart {
    /// Parses XGROUP CREATE's ID: `$` or a strict ID.
    ///
    /// # Errors
    /// [`Error::InvalidStreamId`].
    pub fn parse_create(arg: &[u8]) -> Result<GroupStart> {
        if c_str(arg) == b"$" {
            return Ok(GroupStart::Last);
        }
        StreamId::parse(arg).map(GroupStart::Id)
    }

    /// Parses XGROUP SETID's ID: `$`, or an ID where "-" and "+" are accepted (Redis parses
    /// this one leniently, unlike CREATE).
    ///
    /// # Errors
    /// [`Error::InvalidStreamId`].
    pub fn parse_setid(arg: &[u8]) -> Result<GroupStart> {
        if c_str(arg) == b"$" {
            return Ok(GroupStart::Last);
        }
        StreamId::parse_lenient(arg, 0).map(GroupStart::Id)
    }
}

/// What `parse_generic` found.
enum Parsed {
    Id(StreamId),
    AutoSeq(u64),
}

/// Redis copies the argument into a 128-byte buffer and refuses anything longer.
const MAX_ID_ARG_LEN: usize = 127;

/// The argument as C sees it: Redis parses IDs with C string functions, so an embedded NUL
/// ends the string.
fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(end) => &arg[..end],
        None => arg,
    }
}

/// `ms-seq` in plain digits, at most 19 on each side (no sign, space or overflow to
/// handle): what a client sends back of the IDs it was given (XACK), in one pass. `None`
/// for anything else, which the general path parses; where both parse, they agree.
fn parse_plain(arg: &[u8]) -> Option<StreamId> {
    let mut parts = [0u64; 2];
    let mut part = 0;
    let mut len = 0;
    for &b in arg {
        match b {
            b'0'..=b'9' if len < 19 => {
                parts[part] = parts[part] * 10 + u64::from(b - b'0');
                len += 1;
            }
            b'-' if part == 0 && len > 0 => {
                part = 1;
                len = 0;
            }
            _ => return None,
        }
    }
    (part == 1 && len > 0).then(|| StreamId::new(parts[0], parts[1]))
}

/// `streamGenericParseIDOrReply`: "-"/"+" unless `strict`, `ms-*` when `auto_seq`,
/// `ms-seq`, or `ms` with `missing_seq`.
fn parse_generic(arg: &[u8], missing_seq: u64, strict: bool, auto_seq: bool) -> Result<Parsed> {
    if arg.len() > MAX_ID_ARG_LEN {
        return Err(Error::InvalidStreamId);
    }
    let s = c_str(arg);
    match s {
        b"-" if !strict => return Ok(Parsed::Id(StreamId::MIN)),
        b"+" if !strict => return Ok(Parsed::Id(StreamId::MAX)),
        b"-" | b"+" => return Err(Error::InvalidStreamId),
        _ => {}
    }
    let (ms_part, seq_part) = match s.iter().position(|&b| b == b'-') {
        Some(dash) => (&s[..dash], Some(&s[dash + 1..])),
        None => (s, None),
    };
    let ms = string2ull(ms_part).ok_or(Error::InvalidStreamId)?;
    match seq_part {
        None => Ok(Parsed::Id(StreamId::new(ms, missing_seq))),
        Some(b"*") if auto_seq => Ok(Parsed::AutoSeq(ms)),
        Some(seq) => {
            let seq = string2ull(seq).ok_or(Error::InvalidStreamId)?;
            Ok(Parsed::Id(StreamId::new(ms, seq)))
        }
    }
}

/// The interval forms: a leading "(" (on an argument longer than one byte) makes the bound
/// exclusive and the rest is parsed strictly; otherwise "-" and "+" are allowed.
fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        match parse_generic(&arg[1..], missing_seq, true, false)? {
            Parsed::Id(id) => Ok((id, true)),
            Parsed::AutoSeq(_) => Err(Error::InvalidStreamId),
        }
    } else {
        Ok((StreamId::parse_lenient(arg, missing_seq)?, false))
    }
}

/// Redis's `string2ull` (`src/util.c`), quirks included, because XADD accepts exactly what it
/// accepts: a strict `string2ll` first (a negative result is refused), then C's `strtoull`,
/// which takes leading white space, a sign (a "-" negates modulo 2^64), and leading zeros,
/// but no trailing bytes and no overflow.
fn string2ull(s: &[u8]) -> Option<u64> {
    // Plain digits (every ID a client sends back): no sign, space or overflow to handle.
    if !s.is_empty() && s.len() <= 19 && s.iter().all(u8::is_ascii_digit) {
        return Some(s.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')));
    }
    if strict_negative_i64(s) {
        return None;
    }
    strtoull(s)
}

/// True if `string2ll` would parse `s` as a negative number: "-", a digit 1-9, more digits,
/// and no less than `i64::MIN`.
fn strict_negative_i64(s: &[u8]) -> bool {
    let Some((b'-', digits)) = s.split_first() else {
        return false;
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut magnitude: u64 = 0;
    for &d in digits {
        magnitude = match magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(d - b'0')))
        {
            Some(m) => m,
            None => return false,
        };
    }
    magnitude <= i64::MIN.unsigned_abs()
}

/// C's `strtoull(s, &end, 10)` with Redis's checks: non-empty, fully consumed, no `ERANGE`.
fn strtoull(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    while let Some((&b, tail)) = rest.split_first() {
        if matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
            rest = tail;
        } else {
            break;
        }
    }
    let negative = match rest.first() {
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        _ => false,
    };
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &d in rest {
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_parse_as_the_general_path_does() {
        let nines = "9".repeat(19);
        let twenty = "1".repeat(20);
        let cases = [
            "1-0".to_owned(),
            "0-0".to_owned(),
            "01-002".to_owned(),
            "1795553441754-17".to_owned(),
            format!("{nines}-{nines}"),
            format!("{twenty}-0"),
            format!("0-{twenty}"),
            "18446744073709551615-18446744073709551615".to_owned(),
            "18446744073709551616-0".to_owned(),
            "5".to_owned(),
            "".to_owned(),
            "-".to_owned(),
            "+".to_owned(),
            "1-".to_owned(),
            "-1".to_owned(),
            "1--1".to_owned(),
            "1-2-3".to_owned(),
            " 1-2".to_owned(),
            "1-2 ".to_owned(),
            "+1-2".to_owned(),
            "1-2\0x".to_owned(),
            "1-*".to_owned(),
        ];
        for arg in &cases {
            let general = match parse_generic(arg.as_bytes(), 0, true, false) {
                Ok(Parsed::Id(id)) => Ok(id),
                Ok(Parsed::AutoSeq(_)) | Err(_) => Err(Error::InvalidStreamId),
            };
            if let Some(id) = parse_plain(arg.as_bytes()) {
                assert_eq!(Ok(id), general, "{arg:?}");
            }
            assert_eq!(StreamId::parse(arg.as_bytes()), general, "{arg:?}");
        }
        assert_eq!(parse_plain(format!("{nines}-{nines}").as_bytes()), Some(StreamId::new(9_999_999_999_999_999_999, 9_999_999_999_999_999_999)));
        assert_eq!(parse_plain(format!("{twenty}-0").as_bytes()), None);
    }

    #[test]
    fn id_text_matches_display_across_millisecond_changes() {
        let mut t = IdText::new();
        for id in [
            StreamId::new(1_795_553_441_754, 0),
            StreamId::new(1_795_553_441_754, 17),
            StreamId::new(1_795_553_441_755, 3),
            StreamId::new(0, 0),
            StreamId::new(5, u64::MAX),
            StreamId::MAX,
            StreamId::new(10, 9),
        ] {
            assert_eq!(t.text(id), id.to_string().as_bytes());
        }
    }

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn display_is_ms_dash_seq() {
        assert_eq!(id(1526919030474, 55).to_string(), "1526919030474-55");
        assert_eq!(
            StreamId::MAX.to_string(),
            "18446744073709551615-18446744073709551615"
        );
    }

    #[test]
    fn ids_order_by_ms_then_seq() {
        assert!(id(1, u64::MAX) < id(2, 0));
        assert!(id(2, 0) < id(2, 1));
        assert!(StreamId::MIN < id(0, 1));
    }

    #[test]
    fn incr_rolls_sequence_into_next_millisecond_and_stops_at_max() {
        assert_eq!(id(1, 2).incr(), Some(id(1, 3)));
        assert_eq!(id(1, u64::MAX).incr(), Some(id(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
    }

    #[test]
    fn decr_borrows_from_millisecond_and_stops_at_zero() {
        assert_eq!(id(1, 2).decr(), Some(id(1, 1)));
        assert_eq!(id(2, 0).decr(), Some(id(1, u64::MAX)));
        assert_eq!(StreamId::MIN.decr(), None);
    }

    #[test]
    fn strict_parse_accepts_full_and_ms_only_forms() {
        assert_eq!(StreamId::parse(b"1-2"), Ok(id(1, 2)));
        assert_eq!(StreamId::parse(b"5"), Ok(id(5, 0)));
        assert_eq!(StreamId::parse(b"0"), Ok(id(0, 0)));
        assert_eq!(
            StreamId::parse(b"18446744073709551615-18446744073709551615"),
            Ok(StreamId::MAX)
        );
    }

    #[test]
    fn strict_parse_follows_string2ull_quirks_as_redis_7_0_does() {
        // Checked against redis-server 7.0.15 with XADD.
        assert_eq!(StreamId::parse(b"01-1"), Ok(id(1, 1)));
        assert_eq!(StreamId::parse(b"+1-2"), Ok(id(1, 2)));
        assert_eq!(StreamId::parse(b"1-+3"), Ok(id(1, 3)));
        assert_eq!(StreamId::parse(b" 1-4"), Ok(id(1, 4)));
        assert_eq!(StreamId::parse(b"6- 1"), Ok(id(6, 1)));
        assert_eq!(StreamId::parse(b"1--0"), Ok(id(1, 0)));
        assert_eq!(StreamId::parse(b"9--18446744073709551615"), Ok(id(9, 1)));
        assert_eq!(StreamId::parse(b"3-4\0junk"), Ok(id(3, 4)));
    }

    #[test]
    fn strict_parse_refuses_every_invalid_form() {
        for bad in [
            &b""[..],
            b"-",
            b"+",
            b"*",
            b"5-",
            b"-5",
            b"1--5",
            b"7-1 ",
            b"1e3",
            b"0x10",
            b"10-0-0",
            b"(1",
            b"1-*",
            b"12-**",
            b"abc",
            b"1-abc",
            b"18446744073709551616",
            b"8-18446744073709551616",
            b"1--9223372036854775808",
            b"\0",
        ] {
            assert_eq!(StreamId::parse(bad), Err(Error::InvalidStreamId), "{bad:?}");
        }
        let long = vec![b'1'; 128];
        assert_eq!(StreamId::parse(&long), Err(Error::InvalidStreamId));
    }

    #[test]
    fn lenient_parse_maps_dash_and_plus_to_extremes() {
        assert_eq!(StreamId::parse_lenient(b"-", 0), Ok(StreamId::MIN));
        assert_eq!(StreamId::parse_lenient(b"+", 0), Ok(StreamId::MAX));
        assert_eq!(StreamId::parse_lenient(b"7", u64::MAX), Ok(id(7, u64::MAX)));
        assert_eq!(
            StreamId::parse_lenient(b"-1", 0),
            Err(Error::InvalidStreamId)
        );
    }

    #[test]
    fn xadd_id_spec_has_auto_auto_seq_and_explicit_forms() {
        assert_eq!(IdSpec::parse(b"*"), Ok(IdSpec::Auto));
        assert_eq!(IdSpec::parse(b"12-*"), Ok(IdSpec::AutoSeq(12)));
        assert_eq!(IdSpec::parse(b"12-3"), Ok(IdSpec::Explicit(id(12, 3))));
        assert_eq!(IdSpec::parse(b"12"), Ok(IdSpec::Explicit(id(12, 0))));
        assert_eq!(IdSpec::parse(b"0-0"), Ok(IdSpec::Explicit(id(0, 0))));
        for bad in [&b"-"[..], b"+", b"**", b"*-1", b"1-**", b"1-*1", b"", b"x"] {
            assert_eq!(IdSpec::parse(bad), Err(Error::InvalidStreamId), "{bad:?}");
        }
    }

    #[test]
    fn range_start_defaults_seq_to_zero_and_exclusive_moves_up() {
        assert_eq!(StreamId::parse_range_start(b"-"), Ok(StreamId::MIN));
        assert_eq!(StreamId::parse_range_start(b"+"), Ok(StreamId::MAX));
        assert_eq!(StreamId::parse_range_start(b"5"), Ok(id(5, 0)));
        assert_eq!(StreamId::parse_range_start(b"5-3"), Ok(id(5, 3)));
        assert_eq!(StreamId::parse_range_start(b"(5-3"), Ok(id(5, 4)));
        assert_eq!(StreamId::parse_range_start(b"(5"), Ok(id(5, 1)));
        assert_eq!(
            StreamId::parse_range_start(b"(5-18446744073709551615"),
            Ok(id(6, 0))
        );
        assert_eq!(
            StreamId::parse_range_start(b"(18446744073709551615-18446744073709551615"),
            Err(Error::InvalidStartInterval)
        );
    }

    #[test]
    fn range_end_defaults_seq_to_max_and_exclusive_moves_down() {
        assert_eq!(StreamId::parse_range_end(b"+"), Ok(StreamId::MAX));
        assert_eq!(StreamId::parse_range_end(b"5"), Ok(id(5, u64::MAX)));
        assert_eq!(StreamId::parse_range_end(b"(5-3"), Ok(id(5, 2)));
        assert_eq!(StreamId::parse_range_end(b"(5"), Ok(id(5, u64::MAX - 1)));
        assert_eq!(StreamId::parse_range_end(b"(5-0"), Ok(id(4, u64::MAX)));
        assert_eq!(
            StreamId::parse_range_end(b"(0-0"),
            Err(Error::InvalidEndInterval)
        );
    }

    #[test]
    fn exclusive_bounds_refuse_dash_plus_and_a_lone_paren() {
        assert_eq!(
            StreamId::parse_range_start(b"(-"),
            Err(Error::InvalidStreamId)
        );
        assert_eq!(
            StreamId::parse_range_end(b"(+"),
            Err(Error::InvalidStreamId)
        );
        assert_eq!(
            StreamId::parse_range_start(b"("),
            Err(Error::InvalidStreamId)
        );
        assert_eq!(
            StreamId::parse_range_end(b"((1"),
            Err(Error::InvalidStreamId)
        );
    }

    #[test]
    fn read_ids_depend_on_the_command() {
        assert_eq!(ReadId::parse(b"$", false), Ok(ReadId::Last));
        assert_eq!(ReadId::parse(b">", true), Ok(ReadId::New));
        assert_eq!(ReadId::parse(b"0", true), Ok(ReadId::After(id(0, 0))));
        assert_eq!(ReadId::parse(b"3-1", false), Ok(ReadId::After(id(3, 1))));
        assert_eq!(ReadId::parse(b"$", true), Err(Error::XreadgroupDollarId));
        assert_eq!(
            ReadId::parse(b">", false),
            Err(Error::XreadGreaterIdWithoutGroup)
        );
        assert_eq!(ReadId::parse(b"+", false), Err(Error::InvalidStreamId));
        assert_eq!(ReadId::parse(b"-", true), Err(Error::InvalidStreamId));
    }

    #[test]
    fn group_start_is_strict_for_create_and_lenient_for_setid() {
        assert_eq!(GroupStart::parse_create(b"$"), Ok(GroupStart::Last));
        assert_eq!(GroupStart::parse_create(b"0"), Ok(GroupStart::Id(id(0, 0))));
        assert_eq!(GroupStart::parse_create(b"-"), Err(Error::InvalidStreamId));
        assert_eq!(GroupStart::parse_setid(b"$"), Ok(GroupStart::Last));
        assert_eq!(
            GroupStart::parse_setid(b"-"),
            Ok(GroupStart::Id(StreamId::MIN))
        );
        assert_eq!(
            GroupStart::parse_setid(b"+"),
            Ok(GroupStart::Id(StreamId::MAX))
        );
        assert_eq!(GroupStart::parse_setid(b"x"), Err(Error::InvalidStreamId));
    }

    #[test]
    fn stream_error_texts_are_redis_7_0s() {
        // Captured from redis-server 7.0.15 replies.
        for (err, text) in [
            (Error::InvalidStartInterval, "ERR invalid start ID for the interval"),
            (Error::InvalidEndInterval, "ERR invalid end ID for the interval"),
            (Error::StreamElementsTooLarge, "ERR Elements are too large to be stored"),
            (
                Error::XreadgroupDollarId,
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
            ),
            (
                Error::XreadGreaterIdWithoutGroup,
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
            ),
            (
                Error::XsetidSmallerThanProvidedMaxDeleted,
                "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
            ),
            (
                Error::XsetidEntriesAddedTooSmall,
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ),
        ] {
            assert_eq!(err.to_string(), text);
        }
    }
}
