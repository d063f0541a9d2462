//! RESP decoding: [`decode`] for any RESP2/RESP3 frame (replies, the AOF), and
//! [`decode_request`] for client requests, read as Redis's server reads them.
//! Both work in two passes, as mini-redis's `check` then `parse`: the first walks the
//! bytes without allocating and stops at the first missing byte (`Ok(None)`), the second
//! builds the value once all of it is there, so no declared length reserves memory early.

use super::{Frame, Limits};
use std::fmt;

/// Why some bytes are not RESP. The connection or file cannot go on past them.
///
/// `Display` gives the text that follows `Protocol error: `; where Redis's server has a
/// text for the condition (`processMultibulkBuffer`, `processInlineBuffer` in redis
/// `src/networking.c`), it is that text, so the server can reply
/// `-ERR Protocol error: <text>` and close, as Redis does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A `*` count that is not an integer, or is larger than the limit.
    InvalidMultibulkLength,
    /// A `$` length that is not an integer, is negative where it may not be, or is
    /// larger than the limit.
    InvalidBulkLength,
    /// A `*` count line still without its CR past the inline limit.
    TooBigMbulkCountString,
    /// A `$` length line still without its CR past the inline limit.
    TooBigBulkCountString,
    /// An inline request still without its LF past the inline limit.
    TooBigInlineRequest,
    /// An inline request with a quote left open, or a closing quote not followed by a
    /// space.
    UnbalancedQuotes,
    /// A request array element that is not a bulk string; holds the byte found.
    ExpectedDollar(u8),
    /// More than 10 arguments from a client that has yet to authenticate.
    UnauthenticatedMultibulkLength,
    /// An argument over 16 KiB from a client that has yet to authenticate.
    UnauthenticatedBulkLength,
    /// A frame starting with a byte that is no RESP type; holds the byte.
    InvalidTypeByte(u8),
    /// A simple string, error, integer, double, boolean, null or big number line still
    /// without its CR past the inline limit.
    TooBigLine,
    /// A line or a bulk payload not ended by CRLF.
    ExpectedCrlf,
    /// An integer (`:`) that is not one, or does not fit in an i64.
    InvalidInteger,
    /// A double (`,`) that is not one.
    InvalidDouble,
    /// A boolean other than `#t` or `#f`.
    InvalidBoolean,
    /// A null (`_`) with something on its line.
    InvalidNull,
    /// A big number (`(`) that is not an optionally signed run of digits.
    InvalidBigNumber,
    /// A verbatim string (`=`) without its `xxx:` format prefix.
    InvalidVerbatim,
    /// Aggregates nested deeper than the limit.
    TooDeep,
    /// A RESP3 streamed string or aggregate (length `?`), which Redis never sends.
    Streamed,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::InvalidMultibulkLength => f.write_str("invalid multibulk length"),
            ProtocolError::InvalidBulkLength => f.write_str("invalid bulk length"),
            ProtocolError::TooBigMbulkCountString => f.write_str("too big mbulk count string"),
            ProtocolError::TooBigBulkCountString => f.write_str("too big bulk count string"),
            ProtocolError::TooBigInlineRequest => f.write_str("too big inline request"),
            ProtocolError::UnbalancedQuotes => f.write_str("unbalanced quotes in request"),
            ProtocolError::ExpectedDollar(b) => {
                write!(f, "expected '$', got '{}'", ShownByte(*b))
            }
            ProtocolError::UnauthenticatedMultibulkLength => {
                f.write_str("unauthenticated multibulk length")
            }
            ProtocolError::UnauthenticatedBulkLength => f.write_str("unauthenticated bulk length"),
            ProtocolError::InvalidTypeByte(b) => {
                write!(f, "got '{}' as reply type byte", ShownByte(*b))
            }
            ProtocolError::TooBigLine => f.write_str("too big line"),
            ProtocolError::ExpectedCrlf => f.write_str("expected CRLF"),
            ProtocolError::InvalidInteger => f.write_str("invalid integer"),
            ProtocolError::InvalidDouble => f.write_str("invalid double"),
            ProtocolError::InvalidBoolean => f.write_str("invalid boolean"),
            ProtocolError::InvalidNull => f.write_str("invalid null"),
            ProtocolError::InvalidBigNumber => f.write_str("invalid big number"),
            ProtocolError::InvalidVerbatim => f.write_str("invalid verbatim string"),
            ProtocolError::TooDeep => f.write_str("too deep nesting"),
            ProtocolError::Streamed => f.write_str("streamed RESP3 types are not supported"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// A byte quoted in an error text. Redis writes the raw byte, with CR and LF turned
/// into spaces (`addReplyErrorFormat`); other bytes that are not printable ASCII are
/// shown as `\xHH` here, so that the text stays valid UTF-8.
struct ShownByte(u8);

impl fmt::Display for ShownByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            b'\r' | b'\n' => f.write_str(" "),
            b @ 0x20..=0x7e => write!(f, "{}", char::from(b)),
            b => write!(f, "\\x{b:02x}"),
        }
    }
}

/// A request's arguments, the command name first, as [`decode_request`] gives them.
pub type Argv = Vec<Vec<u8>>;

/// Decodes one frame from the start of `buf`.
///
/// Returns the frame and the number of bytes it took, or `Ok(None)` when `buf` holds
/// only the beginning of a frame (read more and call again with the bytes appended).
/// A [`Frame::Attribute`] takes in the frame that follows its map.
///
/// Each call starts again from the beginning of `buf`: a frame arriving in many small
/// reads is walked once per read, which the first pass keeps cheap.
///
/// # Errors
///
/// A [`ProtocolError`] when the bytes cannot be the start of a valid frame within
/// `limits`; nothing after them can be decoded.
pub fn decode(buf: &[u8], limits: &Limits) -> Result<Option<(Frame, usize)>, ProtocolError> {
    let Some(len) = walk(buf, limits, &mut Check)? else {
        return Ok(None);
    };
    let mut build = Build::default();
    let second = walk(buf, limits, &mut build)?;
    debug_assert_eq!(second, Some(len), "the second pass sees what the first saw");
    Ok(build.done.map(|frame| (frame, len)))
}

/// Decodes one client request from the start of `buf`, as Redis's server does.
///
/// A request is either a RESP array of bulk strings (when `buf` starts with `*`) or an
/// inline command: one line, ended by LF or CRLF, split into arguments by the quoting
/// rules of [`split_args`]. Returns the arguments and the number of bytes taken, or
/// `Ok(None)` when the request is not all there yet.
///
/// An empty argv (an empty inline line, `*0`, or any negative count such as `*-1`)
/// means there is nothing to run: consume the bytes and go on, as `resetClient` does.
///
/// Kept from `processMultibulkBuffer`/`processInlineBuffer` on purpose, so that the
/// server accepts and refuses what Redis does: a CR ending a length line is trusted to be
/// followed by LF and the two bytes after a bulk are skipped unchecked; lengths must be
/// in canonical form (`string2ll`: no `+`, no leading zero); the inline limit applies
/// only while the line's LF has not arrived.
///
/// One difference: Redis looks for line ends with `strchr`, which stops at a NUL byte,
/// so there a header or inline line holding a NUL waits until the inline limit refuses
/// it. Here NUL is an ordinary byte when framing; only [`split_args`] stops at it.
///
/// # Errors
///
/// A [`ProtocolError`] with Redis's text; the server replies with it and closes.
pub fn decode_request(buf: &[u8], limits: &Limits) -> Result<Option<(Argv, usize)>, ProtocolError> {
    let mut args = RequestArgs::default();
    Ok(decode_request_in(buf, limits, &mut args)?.map(|used| (args.iter(buf).map(<[u8]>::to_vec).collect(), used)))
}

/// Where the arguments of a request decoded by [`decode_request_in`] are. Reused from
/// one request to the next, it costs no allocation per request: the arguments stay in
/// the input buffer, and only an inline line whose quotes change its bytes is copied.
#[derive(Debug, Default, Clone)]
pub struct RequestArgs {
    /// Each argument as `start..end` of the buffer decoded.
    spans: Vec<(usize, usize)>,
    /// The arguments themselves when an inline line needed unquoting (then `spans` is
    /// empty).
    unquoted: Option<Argv>,
}

impl RequestArgs {
    /// How many arguments, the command name included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.unquoted.as_ref().map_or(self.spans.len(), Vec::len)
    }

    /// Whether there are none (an empty request: nothing to run).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The arguments, read from `buf`: the buffer the request was decoded from.
    pub fn iter<'a>(&'a self, buf: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        let spans = self.spans.iter().map(move |&(start, end)| &buf[start..end]);
        let unquoted = self.unquoted.iter().flatten().map(Vec::as_slice);
        spans.chain(unquoted)
    }

    fn clear(&mut self) {
        self.spans.clear();
        self.unquoted = None;
    }
}

/// [`decode_request`] without copying the arguments: on `Ok(Some(used))`, `args` tells
/// where they are in `buf` ([`RequestArgs::iter`]). Same framing, limits and errors.
///
/// # Errors
///
/// A [`ProtocolError`] with Redis's text; the server replies with it and closes.
pub fn decode_request_in(buf: &[u8], limits: &Limits, args: &mut RequestArgs) -> Result<Option<usize>, ProtocolError> {
    args.clear();
    match buf.first() {
        None => Ok(None),
        Some(b'*') => {
            // One pass: arguments are noted as they are found (never by a declared
            // count), and forgotten if the request turns out not to be all there.
            let spans = &mut args.spans;
            let base = buf.as_ptr() as usize;
            let scanned = scan_multibulk(buf, limits, |arg| {
                let start = arg.as_ptr() as usize - base;
                spans.push((start, start + arg.len()));
            })?;
            Ok(scanned.map(|(len, _)| len))
        }
        Some(_) => decode_inline(buf, limits, args),
    }
}

/// Splits an inline command line into arguments, as `sdssplitargs` in redis `src/sds.c`.
///
/// Arguments are separated by blanks. `"..."` quotes take the escapes `\n`, `\r`, `\t`,
/// `\b`, `\a`, `\xHH` and `\` before any other byte for that byte; `'...'` quotes take
/// only `\'`. A closing quote must be followed by a blank or the end of the line. Quotes
/// may start in the middle of an argument (`a"b c"` is `ab c`), and `""` is an empty
/// argument. As in C, the line ends at its first NUL byte.
///
/// Returns `None` for unbalanced quotes.
#[must_use]
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // sdssplitargs reads a C string.
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while line.get(i).is_some_and(|&b| is_c_space(b)) {
            i += 1;
        }
        if i == line.len() {
            return Some(args);
        }
        let mut arg = Vec::new();
        let mut quote = None;
        loop {
            let b = line.get(i).copied();
            match quote {
                Some(Quote::Double) => match b {
                    None => return None,
                    Some(b'\\') => match (
                        line.get(i + 1),
                        line.get(i + 2).copied().and_then(hex),
                        line.get(i + 3).copied().and_then(hex),
                    ) {
                        (Some(b'x'), Some(hi), Some(lo)) => {
                            arg.push(hi << 4 | lo);
                            i += 4;
                        }
                        (Some(&escaped), _, _) => {
                            arg.push(match escaped {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 0x08,
                                b'a' => 0x07,
                                other => other,
                            });
                            i += 2;
                        }
                        // A lone backslash at the end: the quote is left open.
                        (None, _, _) => return None,
                    },
                    Some(b'"') => {
                        if line.get(i + 1).is_some_and(|&next| !is_c_space(next)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        arg.push(other);
                        i += 1;
                    }
                },
                Some(Quote::Single) => match b {
                    None => return None,
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        arg.push(b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|&next| !is_c_space(next)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        arg.push(other);
                        i += 1;
                    }
                },
                None => match b {
                    None => break,
                    Some(b) if ends_unquoted(b) => break,
                    Some(b'"') => {
                        quote = Some(Quote::Double);
                        i += 1;
                    }
                    Some(b'\'') => {
                        quote = Some(Quote::Single);
                        i += 1;
                    }
                    Some(other) => {
                        arg.push(other);
                        i += 1;
                    }
                },
            }
        }
        args.push(arg);
    }
}

/// The quotes an inline argument may be in.
enum Quote {
    Double,
    Single,
}

/// Whether `b` ends an unquoted inline argument. `\v` and `\f` do not, although they are
/// skipped between arguments (Redis's `switch` in `sdssplitargs` vs its `isspace`).
fn ends_unquoted(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// C's `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Redis's unauthenticated limits (`processMultibulkBuffer`).
const UNAUTHENTICATED_MAX_ARGS: i64 = 10;
const UNAUTHENTICATED_MAX_BULK: usize = 16 * 1024;

fn decode_inline(buf: &[u8], limits: &Limits, args: &mut RequestArgs) -> Result<Option<usize>, ProtocolError> {
    let Some(lf) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > limits.max_inline_len {
            return Err(ProtocolError::TooBigInlineRequest);
        }
        return Ok(None);
    };
    let end = if lf > 0 && buf[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    };
    let line = &buf[..end];
    if line.iter().any(|&b| matches!(b, b'"' | b'\'' | 0)) {
        args.unquoted = Some(split_args(line).ok_or(ProtocolError::UnbalancedQuotes)?);
    } else {
        // Without quotes (or a NUL, where `split_args` stops) the line is cut exactly as
        // `split_args` cuts it, in place.
        let mut i = 0;
        while i < line.len() {
            if is_c_space(line[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < line.len() && !ends_unquoted(line[i]) {
                i += 1;
            }
            args.spans.push((start, i));
        }
    }
    Ok(Some(lf + 1))
}

/// Walks a request array from the start of `buf`, handing each argument to `on_arg`.
///
/// Returns the bytes taken and the argument count, or `None` when incomplete. Run once
/// with a no-op to learn that the request is whole, then again to collect it, so that
/// a request still arriving costs no allocation on each retry.
fn scan_multibulk<'a>(
    buf: &'a [u8],
    limits: &Limits,
    mut on_arg: impl FnMut(&'a [u8]),
) -> Result<Option<(usize, usize)>, ProtocolError> {
    let Some((line, mut pos)) =
        request_line(buf, 0, limits, ProtocolError::TooBigMbulkCountString)?
    else {
        return Ok(None);
    };
    let count = string2ll(line.get(1..).unwrap_or_default())
        .ok_or(ProtocolError::InvalidMultibulkLength)?;
    if count > 0 && usize::try_from(count).map_or(true, |n| n > limits.max_multibulk_len) {
        return Err(ProtocolError::InvalidMultibulkLength);
    }
    if limits.auth_required && count > UNAUTHENTICATED_MAX_ARGS {
        return Err(ProtocolError::UnauthenticatedMultibulkLength);
    }
    // Zero and negative counts are an empty request in Redis, not an error.
    let count = usize::try_from(count).unwrap_or(0);
    for _ in 0..count {
        let Some((line, next)) =
            request_line(buf, pos, limits, ProtocolError::TooBigBulkCountString)?
        else {
            return Ok(None);
        };
        // An empty line means the byte at `pos` was the CR itself.
        let first = line.first().copied().unwrap_or(b'\r');
        if first != b'$' {
            return Err(ProtocolError::ExpectedDollar(first));
        }
        let len = string2ll(line.get(1..).unwrap_or_default())
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n <= limits.max_bulk_len)
            .ok_or(ProtocolError::InvalidBulkLength)?;
        if limits.auth_required && len > UNAUTHENTICATED_MAX_BULK {
            return Err(ProtocolError::UnauthenticatedBulkLength);
        }
        let end = next
            .checked_add(len)
            .ok_or(ProtocolError::InvalidBulkLength)?;
        // Redis skips the two bytes after the data without looking at them.
        match (buf.get(next..end), end.checked_add(2)) {
            (Some(arg), Some(after)) if after <= buf.len() => {
                on_arg(arg);
                pos = after;
            }
            _ => return Ok(None),
        }
    }
    Ok(Some((pos, count)))
}

/// A request header line from `start`: the bytes up to the first CR, and where the next
/// line starts (two bytes after the CR, which Redis assumes is followed by LF).
///
/// `None` while no CR has arrived, or the CR is the last byte; `too_big` once more than
/// the inline limit has arrived without one.
fn request_line<'a>(
    buf: &'a [u8],
    start: usize,
    limits: &Limits,
    too_big: ProtocolError,
) -> Result<Option<(&'a [u8], usize)>, ProtocolError> {
    let rest = buf.get(start..).unwrap_or_default();
    match rest.iter().position(|&b| b == b'\r') {
        Some(cr) if cr + 2 <= rest.len() => Ok(Some((&rest[..cr], start + cr + 2))),
        None if rest.len() > limits.max_inline_len => Err(too_big),
        // No CR yet, or the CR is the last byte so far.
        _ => Ok(None),
    }
}

/// Redis's `string2ll` (redis `src/util.c`): an optional `-`, then digits with no
/// leading zero (`0` alone excepted), fitting in an i64. No `+`, no blanks.
fn string2ll(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    accumulate(negative, digits)
}

/// Lenient integer for reply frames, as hiredis reads them: an optional sign, then at
/// least one digit, fitting in an i64.
fn parse_integer(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    accumulate(negative, digits)
}

/// Digits to an i64, built on the negative side when negative so that `i64::MIN` fits.
fn accumulate(negative: bool, digits: &[u8]) -> Option<i64> {
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = i64::from(d - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(d)?
        } else {
            value.checked_add(d)?
        };
    }
    Some(value)
}

/// A leaf frame as found in the buffer, borrowed.
enum Item<'a> {
    Simple(&'a [u8]),
    Error(&'a [u8]),
    Integer(i64),
    Bulk(&'a [u8]),
    NullBulk,
    NullArray,
    Null,
    Double(f64),
    Boolean(bool),
    BigNumber(&'a [u8]),
    Verbatim([u8; 3], &'a [u8]),
    BlobError(&'a [u8]),
}

impl Item<'_> {
    fn into_frame(self) -> Frame {
        match self {
            Item::Simple(s) => Frame::Simple(s.to_vec()),
            Item::Error(s) => Frame::Error(s.to_vec()),
            Item::Integer(n) => Frame::Integer(n),
            Item::Bulk(b) => Frame::Bulk(b.to_vec()),
            Item::NullBulk => Frame::NullBulk,
            Item::NullArray => Frame::NullArray,
            Item::Null => Frame::Null,
            Item::Double(d) => Frame::Double(d),
            Item::Boolean(b) => Frame::Boolean(b),
            Item::BigNumber(n) => Frame::BigNumber(n.to_vec()),
            Item::Verbatim(format, text) => Frame::Verbatim {
                format,
                text: text.to_vec(),
            },
            Item::BlobError(b) => Frame::BlobError(b.to_vec()),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Aggregate {
    Array,
    Map,
    Set,
    Push,
    Attribute,
}

impl Aggregate {
    /// Builds the frame from its children, in wire order (pairs flattened for maps,
    /// the described frame last for attributes).
    fn build(self, mut children: Vec<Frame>) -> Frame {
        match self {
            Aggregate::Array => Frame::Array(children),
            Aggregate::Set => Frame::Set(children),
            Aggregate::Push => Frame::Push(children),
            Aggregate::Map => Frame::Map(pairs(children)),
            Aggregate::Attribute => {
                debug_assert!(
                    !children.is_empty(),
                    "the walker counts the described frame"
                );
                let frame = children.pop().unwrap_or(Frame::Null);
                Frame::Attribute {
                    attributes: pairs(children),
                    frame: Box::new(frame),
                }
            }
        }
    }
}

fn pairs(children: Vec<Frame>) -> Vec<(Frame, Frame)> {
    let mut pairs = Vec::with_capacity(children.len() / 2);
    let mut children = children.into_iter();
    while let (Some(key), Some(value)) = (children.next(), children.next()) {
        pairs.push((key, value));
    }
    pairs
}

/// What one header (plus payload, for blobs) turned out to be.
enum Token<'a> {
    Leaf(Item<'a>),
    /// An aggregate and how many frames follow as its children.
    Open(Aggregate, usize),
}

/// Receives the walk of a frame: leaves, and aggregates opened and closed around them.
trait Sink<'a> {
    fn leaf(&mut self, item: Item<'a>);
    fn open(&mut self, kind: Aggregate, children: usize);
    fn close(&mut self);
}

/// The first pass: only learns whether the frame is whole.
struct Check;

impl<'a> Sink<'a> for Check {
    fn leaf(&mut self, _: Item<'a>) {}
    fn open(&mut self, _: Aggregate, _: usize) {}
    fn close(&mut self) {}
}

/// The second pass: builds the frame.
#[derive(Default)]
struct Build {
    /// Aggregates still being filled, innermost last.
    open: Vec<(Aggregate, Vec<Frame>)>,
    /// The finished top-level frame.
    done: Option<Frame>,
}

impl Build {
    fn push(&mut self, frame: Frame) {
        match self.open.last_mut() {
            Some((_, children)) => children.push(frame),
            None => self.done = Some(frame),
        }
    }
}

impl<'a> Sink<'a> for Build {
    fn leaf(&mut self, item: Item<'a>) {
        self.push(item.into_frame());
    }

    fn open(&mut self, kind: Aggregate, children: usize) {
        // The first pass saw every child in the buffer (each at least 3 bytes), so this
        // reservation is backed by data already received.
        self.open.push((kind, Vec::with_capacity(children)));
    }

    fn close(&mut self) {
        if let Some((kind, children)) = self.open.pop() {
            let frame = kind.build(children);
            self.push(frame);
        }
    }
}

/// Walks one frame from the start of `buf` without recursion, reporting to `sink`.
///
/// Returns the frame's length, or `None` at the first missing byte.
fn walk<'a>(
    buf: &'a [u8],
    limits: &Limits,
    sink: &mut impl Sink<'a>,
) -> Result<Option<usize>, ProtocolError> {
    let mut pos = 0;
    // Children still expected by each open aggregate, innermost last; never zero.
    let mut expected: Vec<usize> = Vec::new();
    loop {
        let Some((token, next)) = read_token(buf, pos, limits)? else {
            return Ok(None);
        };
        pos = next;
        match token {
            Token::Leaf(item) => sink.leaf(item),
            Token::Open(kind, children) => {
                if expected.len() >= limits.max_depth {
                    return Err(ProtocolError::TooDeep);
                }
                sink.open(kind, children);
                if children > 0 {
                    expected.push(children);
                    continue;
                }
                sink.close();
            }
        }
        // A frame is complete: it counts for its parent, which may complete in turn.
        loop {
            let Some(left) = expected.last_mut() else {
                return Ok(Some(pos));
            };
            *left -= 1;
            if *left > 0 {
                break;
            }
            expected.pop();
            sink.close();
        }
    }
}

/// Reads the header at `buf[pos]` and, for blob types, the payload.
fn read_token<'a>(
    buf: &'a [u8],
    pos: usize,
    limits: &Limits,
) -> Result<Option<(Token<'a>, usize)>, ProtocolError> {
    let Some(&kind) = buf.get(pos) else {
        return Ok(None);
    };
    let too_big = match kind {
        b'*' | b'%' | b'~' | b'>' | b'|' => ProtocolError::TooBigMbulkCountString,
        b'$' | b'!' | b'=' => ProtocolError::TooBigBulkCountString,
        b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => ProtocolError::TooBigLine,
        other => return Err(ProtocolError::InvalidTypeByte(other)),
    };
    let Some((line, next)) = reply_line(buf, pos + 1, limits, too_big)? else {
        return Ok(None);
    };
    let leaf = |item| Ok(Some((Token::Leaf(item), next)));
    match kind {
        b'+' => leaf(Item::Simple(line)),
        b'-' => leaf(Item::Error(line)),
        b':' => leaf(Item::Integer(
            parse_integer(line).ok_or(ProtocolError::InvalidInteger)?,
        )),
        b',' => leaf(Item::Double(parse_double(line)?)),
        b'#' => match line {
            b"t" => leaf(Item::Boolean(true)),
            b"f" => leaf(Item::Boolean(false)),
            _ => Err(ProtocolError::InvalidBoolean),
        },
        b'_' if line.is_empty() => leaf(Item::Null),
        b'_' => Err(ProtocolError::InvalidNull),
        b'(' => {
            let digits = match line.split_first() {
                Some((b'-' | b'+', rest)) => rest,
                _ => line,
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(ProtocolError::InvalidBigNumber);
            }
            leaf(Item::BigNumber(line))
        }
        b'$' | b'!' | b'=' => {
            if line == b"?" {
                return Err(ProtocolError::Streamed);
            }
            let len = parse_integer(line).ok_or(ProtocolError::InvalidBulkLength)?;
            if kind == b'$' && len == -1 {
                return leaf(Item::NullBulk);
            }
            let len = usize::try_from(len)
                .ok()
                .filter(|&n| n <= limits.max_bulk_len)
                .ok_or(ProtocolError::InvalidBulkLength)?;
            let Some((payload, after)) = blob_payload(buf, next, len)? else {
                return Ok(None);
            };
            let item = match kind {
                b'$' => Item::Bulk(payload),
                b'!' => Item::BlobError(payload),
                _ => match payload {
                    [a, b, c, b':', text @ ..] => Item::Verbatim([*a, *b, *c], text),
                    _ => return Err(ProtocolError::InvalidVerbatim),
                },
            };
            Ok(Some((Token::Leaf(item), after)))
        }
        _ => {
            if line == b"?" {
                return Err(ProtocolError::Streamed);
            }
            let count = parse_integer(line).ok_or(ProtocolError::InvalidMultibulkLength)?;
            if kind == b'*' && count == -1 {
                return leaf(Item::NullArray);
            }
            let count = usize::try_from(count)
                .ok()
                .filter(|&n| n <= limits.max_multibulk_len)
                .ok_or(ProtocolError::InvalidMultibulkLength)?;
            let (aggregate, children) = match kind {
                b'*' => (Aggregate::Array, Some(count)),
                b'~' => (Aggregate::Set, Some(count)),
                b'>' => (Aggregate::Push, Some(count)),
                b'%' => (Aggregate::Map, count.checked_mul(2)),
                _ => (
                    Aggregate::Attribute,
                    count.checked_mul(2).and_then(|n| n.checked_add(1)),
                ),
            };
            let children = children.ok_or(ProtocolError::InvalidMultibulkLength)?;
            Ok(Some((Token::Open(aggregate, children), next)))
        }
    }
}

/// A reply line from `start`: the bytes before CRLF, and where the next line starts.
///
/// Only the first `max_inline_len` bytes are searched, so a missing CR is found out at
/// the same point however the bytes arrive.
fn reply_line<'a>(
    buf: &'a [u8],
    start: usize,
    limits: &Limits,
    too_big: ProtocolError,
) -> Result<Option<(&'a [u8], usize)>, ProtocolError> {
    let rest = buf.get(start..).unwrap_or_default();
    let window = &rest[..rest.len().min(limits.max_inline_len.saturating_add(1))];
    match window.iter().position(|&b| b == b'\r') {
        Some(cr) => match rest.get(cr + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some((&rest[..cr], start + cr + 2))),
            Some(_) => Err(ProtocolError::ExpectedCrlf),
        },
        None if rest.len() > limits.max_inline_len => Err(too_big),
        None => Ok(None),
    }
}

/// The `len` bytes at `start` and the CRLF after them; `None` until all have arrived.
fn blob_payload(
    buf: &[u8],
    start: usize,
    len: usize,
) -> Result<Option<(&[u8], usize)>, ProtocolError> {
    let end = start
        .checked_add(len)
        .ok_or(ProtocolError::InvalidBulkLength)?;
    let after = end.checked_add(2).ok_or(ProtocolError::InvalidBulkLength)?;
    match (buf.get(start..end), buf.get(end..after)) {
        (Some(payload), Some(b"\r\n")) => Ok(Some((payload, after))),
        (Some(_), Some(_)) => Err(ProtocolError::ExpectedCrlf),
        _ => Ok(None),
    }
}

/// A RESP3 double: what `strtod` reads in Redis, including `inf`, `-inf` and `nan`.
fn parse_double(line: &[u8]) -> Result<f64, ProtocolError> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or(ProtocolError::InvalidDouble)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn frame(bytes: &[u8]) -> Frame {
        match decode(bytes, &limits()) {
            Ok(Some((frame, used))) => {
                assert_eq!(used, bytes.len(), "whole input used for {bytes:?}");
                frame
            }
            other => panic!("{bytes:?} gave {other:?}"),
        }
    }

    fn error(bytes: &[u8]) -> ProtocolError {
        error_with(bytes, &limits())
    }

    fn error_with(bytes: &[u8], limits: &Limits) -> ProtocolError {
        match decode(bytes, limits) {
            Err(e) => e,
            other => panic!("{bytes:?} gave {other:?}"),
        }
    }

    fn request(bytes: &[u8]) -> (Vec<Vec<u8>>, usize) {
        match decode_request(bytes, &limits()) {
            Ok(Some(decoded)) => decoded,
            other => panic!("{bytes:?} gave {other:?}"),
        }
    }

    fn argv(bytes: &[u8]) -> Vec<String> {
        let (argv, used) = request(bytes);
        assert_eq!(used, bytes.len(), "whole request used for {bytes:?}");
        argv.into_iter()
            .map(|a| String::from_utf8_lossy(&a).into_owned())
            .collect()
    }

    fn request_error(bytes: &[u8]) -> ProtocolError {
        request_error_with(bytes, &limits())
    }

    fn request_error_with(bytes: &[u8], limits: &Limits) -> ProtocolError {
        match decode_request(bytes, limits) {
            Err(e) => e,
            other => panic!("{bytes:?} gave {other:?}"),
        }
    }

    fn split(line: &str) -> Option<Vec<Vec<u8>>> {
        split_args(line.as_bytes())
    }

    fn b(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn decodes_every_leaf_type() {
        assert_eq!(frame(b"+OK\r\n"), Frame::Simple(b("OK")));
        assert_eq!(frame(b"+\r\n"), Frame::Simple(vec![]));
        assert_eq!(frame(b"-ERR unknown\r\n"), Frame::Error(b("ERR unknown")));
        assert_eq!(frame(b":0\r\n"), Frame::Integer(0));
        assert_eq!(frame(b":-42\r\n"), Frame::Integer(-42));
        assert_eq!(frame(b":+7\r\n"), Frame::Integer(7));
        assert_eq!(frame(b":9223372036854775807\r\n"), Frame::Integer(i64::MAX));
        assert_eq!(
            frame(b":-9223372036854775808\r\n"),
            Frame::Integer(i64::MIN)
        );
        assert_eq!(frame(b"$5\r\nhello\r\n"), Frame::Bulk(b("hello")));
        assert_eq!(frame(b"$0\r\n\r\n"), Frame::Bulk(vec![]));
        assert_eq!(frame(b"$4\r\na\r\nb\r\n"), Frame::Bulk(b("a\r\nb")));
        assert_eq!(frame(b"$-1\r\n"), Frame::NullBulk);
        assert_eq!(frame(b"*-1\r\n"), Frame::NullArray);
        assert_eq!(frame(b"_\r\n"), Frame::Null);
        assert_eq!(frame(b",2.75\r\n"), Frame::Double(2.75));
        assert_eq!(frame(b",-2\r\n"), Frame::Double(-2.0));
        assert_eq!(frame(b",1e+20\r\n"), Frame::Double(1e20));
        assert_eq!(frame(b",1.5E-7\r\n"), Frame::Double(1.5e-7));
        assert_eq!(frame(b",inf\r\n"), Frame::Double(f64::INFINITY));
        assert_eq!(frame(b",-inf\r\n"), Frame::Double(f64::NEG_INFINITY));
        assert!(matches!(frame(b",nan\r\n"), Frame::Double(d) if d.is_nan()));
        assert_eq!(frame(b"#t\r\n"), Frame::Boolean(true));
        assert_eq!(frame(b"#f\r\n"), Frame::Boolean(false));
        assert_eq!(
            frame(b"(3492890328409238509324850943850943825024385\r\n"),
            Frame::BigNumber(b("3492890328409238509324850943850943825024385"))
        );
        assert_eq!(frame(b"(-12\r\n"), Frame::BigNumber(b("-12")));
        assert_eq!(
            frame(b"=15\r\ntxt:Some string\r\n"),
            Frame::Verbatim {
                format: *b"txt",
                text: b("Some string")
            }
        );
        assert_eq!(
            frame(b"=4\r\nmkd:\r\n"),
            Frame::Verbatim {
                format: *b"mkd",
                text: vec![]
            }
        );
        assert_eq!(
            frame(b"!21\r\nSYNTAX invalid syntax\r\n"),
            Frame::BlobError(b("SYNTAX invalid syntax"))
        );
    }

    #[test]
    fn decodes_aggregates_and_nesting() {
        assert_eq!(frame(b"*0\r\n"), Frame::Array(vec![]));
        assert_eq!(
            frame(b"*2\r\n$3\r\nfoo\r\n:1\r\n"),
            Frame::Array(vec![Frame::Bulk(b("foo")), Frame::Integer(1)])
        );
        assert_eq!(
            frame(b"*2\r\n*1\r\n*0\r\n$-1\r\n"),
            Frame::Array(vec![
                Frame::Array(vec![Frame::Array(vec![])]),
                Frame::NullBulk
            ])
        );
        assert_eq!(
            frame(b"%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n#t\r\n"),
            Frame::Map(vec![
                (Frame::Simple(b("a")), Frame::Integer(1)),
                (
                    Frame::Simple(b("b")),
                    Frame::Array(vec![Frame::Boolean(true)])
                ),
            ])
        );
        assert_eq!(frame(b"%0\r\n"), Frame::Map(vec![]));
        assert_eq!(
            frame(b"~2\r\n+x\r\n+y\r\n"),
            Frame::Set(vec![Frame::Simple(b("x")), Frame::Simple(b("y"))])
        );
        assert_eq!(
            frame(b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
            Frame::Push(vec![
                Frame::Bulk(b("message")),
                Frame::Bulk(b("ch")),
                Frame::Bulk(b("hi"))
            ])
        );
        assert_eq!(
            frame(b"|1\r\n+ttl\r\n:3600\r\n*2\r\n:1\r\n:2\r\n"),
            Frame::Attribute {
                attributes: vec![(Frame::Simple(b("ttl")), Frame::Integer(3600))],
                frame: Box::new(Frame::Array(vec![Frame::Integer(1), Frame::Integer(2)])),
            }
        );
        assert_eq!(
            frame(b"|0\r\n:5\r\n"),
            Frame::Attribute {
                attributes: vec![],
                frame: Box::new(Frame::Integer(5)),
            }
        );
    }

    #[test]
    fn incomplete_input_is_none_not_an_error() {
        for partial in [
            &b""[..],
            b"+",
            b"+OK",
            b"+OK\r",
            b":12",
            b"$5\r\nhel",
            b"$5\r\nhello",
            b"$5\r\nhello\r",
            b"*2\r\n:1\r\n",
            b"*1\r\n*1\r\n",
            b"%1\r\n+a\r\n",
            b"|1\r\n+a\r\n:1\r\n",
            b"=15\r\ntxt:Some",
        ] {
            assert_eq!(decode(partial, &limits()), Ok(None), "{partial:?}");
        }
    }

    #[test]
    fn pipelined_frames_decode_one_at_a_time() {
        let buf = b"+OK\r\n:1\r\n*2\r\n$1\r\na\r\n_\r\n$-1\r\n";
        let mut pos = 0;
        let mut frames = Vec::new();
        while let Some((frame, used)) = decode(&buf[pos..], &limits()).unwrap() {
            frames.push(frame);
            pos += used;
        }
        assert_eq!(pos, buf.len());
        assert_eq!(
            frames,
            vec![
                Frame::Simple(b("OK")),
                Frame::Integer(1),
                Frame::Array(vec![Frame::Bulk(b("a")), Frame::Null]),
                Frame::NullBulk,
            ]
        );
    }

    #[test]
    fn malformed_frames_give_the_right_error() {
        assert_eq!(error(b"?what\r\n"), ProtocolError::InvalidTypeByte(b'?'));
        assert_eq!(error(b"PING\r\n"), ProtocolError::InvalidTypeByte(b'P'));
        assert_eq!(error(b":12a\r\n"), ProtocolError::InvalidInteger);
        assert_eq!(error(b":\r\n"), ProtocolError::InvalidInteger);
        assert_eq!(error(b":-\r\n"), ProtocolError::InvalidInteger);
        assert_eq!(
            error(b":9223372036854775808\r\n"),
            ProtocolError::InvalidInteger
        );
        assert_eq!(error(b":1 \r\n"), ProtocolError::InvalidInteger);
        assert_eq!(error(b"$x\r\n"), ProtocolError::InvalidBulkLength);
        assert_eq!(error(b"$-2\r\n"), ProtocolError::InvalidBulkLength);
        assert_eq!(error(b"!-1\r\n"), ProtocolError::InvalidBulkLength);
        assert_eq!(error(b"=-1\r\n"), ProtocolError::InvalidBulkLength);
        assert_eq!(error(b"$\r\n"), ProtocolError::InvalidBulkLength);
        assert_eq!(error(b"*x\r\n"), ProtocolError::InvalidMultibulkLength);
        assert_eq!(error(b"*-2\r\n"), ProtocolError::InvalidMultibulkLength);
        assert_eq!(error(b"%-1\r\n"), ProtocolError::InvalidMultibulkLength);
        assert_eq!(error(b"~-1\r\n"), ProtocolError::InvalidMultibulkLength);
        assert_eq!(error(b"$3\r\nabcd\r\n"), ProtocolError::ExpectedCrlf);
        assert_eq!(error(b"$3\r\nab\r\n\r\n"), ProtocolError::ExpectedCrlf);
        assert_eq!(error(b"+OK\rX"), ProtocolError::ExpectedCrlf);
        assert_eq!(error(b",abc\r\n"), ProtocolError::InvalidDouble);
        assert_eq!(error(b",\r\n"), ProtocolError::InvalidDouble);
        assert_eq!(error(b"#x\r\n"), ProtocolError::InvalidBoolean);
        assert_eq!(error(b"#true\r\n"), ProtocolError::InvalidBoolean);
        assert_eq!(error(b"_x\r\n"), ProtocolError::InvalidNull);
        assert_eq!(error(b"(12a\r\n"), ProtocolError::InvalidBigNumber);
        assert_eq!(error(b"(-\r\n"), ProtocolError::InvalidBigNumber);
        assert_eq!(error(b"=3\r\ntxt\r\n"), ProtocolError::InvalidVerbatim);
        assert_eq!(error(b"=5\r\ntxt-x\r\n"), ProtocolError::InvalidVerbatim);
        assert_eq!(error(b"$?\r\n"), ProtocolError::Streamed);
        assert_eq!(error(b"*?\r\n"), ProtocolError::Streamed);
        assert_eq!(
            error(b"*2\r\n:1\r\n;x\r\n"),
            ProtocolError::InvalidTypeByte(b';')
        );
    }

    #[test]
    fn a_bare_lf_does_not_end_a_reply_line() {
        assert_eq!(decode(b"+OK\n", &limits()), Ok(None));
        assert_eq!(frame(b"+a\nb\r\n"), Frame::Simple(b("a\nb")));
    }

    #[test]
    fn limits_are_enforced() {
        let small = Limits {
            max_bulk_len: 4,
            max_multibulk_len: 2,
            max_inline_len: 8,
            max_depth: 2,
            auth_required: false,
        };
        assert_eq!(
            error_with(b"$5\r\nhello\r\n", &small),
            ProtocolError::InvalidBulkLength
        );
        assert_eq!(decode(b"$4\r\nhell\r\n", &small).unwrap().unwrap().1, 10);
        assert_eq!(
            error_with(b"!5\r\n", &small),
            ProtocolError::InvalidBulkLength
        );
        assert_eq!(
            error_with(b"=5\r\n", &small),
            ProtocolError::InvalidBulkLength
        );
        assert_eq!(
            error_with(b"*3\r\n", &small),
            ProtocolError::InvalidMultibulkLength
        );
        assert_eq!(
            error_with(b"%3\r\n", &small),
            ProtocolError::InvalidMultibulkLength
        );
        assert_eq!(
            error_with(b"*1\r\n*1\r\n*0\r\n", &small),
            ProtocolError::TooDeep
        );
        assert!(decode(b"*1\r\n*1\r\n:1\r\n", &small).unwrap().is_some());
        assert_eq!(error_with(b"+123456789", &small), ProtocolError::TooBigLine);
        assert_eq!(decode(b"+12345678", &small), Ok(None));
        assert!(decode(b"+12345678\r\n", &small).unwrap().is_some());
        assert_eq!(
            error_with(b"*123456789", &small),
            ProtocolError::TooBigMbulkCountString
        );
        assert_eq!(
            error_with(b"$123456789", &small),
            ProtocolError::TooBigBulkCountString
        );
        let flat = Limits {
            max_depth: 0,
            ..Limits::default()
        };
        assert_eq!(error_with(b"*0\r\n", &flat), ProtocolError::TooDeep);
        assert_eq!(
            decode(b"*-1\r\n", &flat).unwrap().unwrap().0,
            Frame::NullArray
        );
    }

    #[test]
    fn default_depth_limit_stops_deep_nesting() {
        let deep = b"*1\r\n".repeat(10_000);
        assert_eq!(error(&deep), ProtocolError::TooDeep);
        let mut ok = b"*1\r\n".repeat(128);
        ok.extend_from_slice(b":1\r\n");
        assert!(decode(&ok, &limits()).unwrap().is_some());
    }

    #[test]
    fn huge_declared_lengths_reserve_nothing_until_the_data_is_there() {
        // Reserving for these would take tens of gigabytes and abort the test.
        assert_eq!(decode(b"*2147483647\r\n", &limits()), Ok(None));
        assert_eq!(decode(b"%2147483647\r\n", &limits()), Ok(None));
        assert_eq!(decode(b"|2147483647\r\n", &limits()), Ok(None));
        assert_eq!(decode(b"*2147483647\r\n:1\r\n:2\r\n", &limits()), Ok(None));
        assert_eq!(decode(b"$536870912\r\n", &limits()), Ok(None));
        assert_eq!(decode_request(b"*2147483647\r\n", &limits()), Ok(None));
        assert_eq!(
            decode_request(b"*2147483647\r\n$536870912\r\nxx", &limits()),
            Ok(None)
        );
        assert_eq!(
            error(b"*2147483648\r\n"),
            ProtocolError::InvalidMultibulkLength
        );
        assert_eq!(error(b"$536870913\r\n"), ProtocolError::InvalidBulkLength);
        assert_eq!(
            error(b"$99999999999999999999\r\n"),
            ProtocolError::InvalidBulkLength
        );
    }

    #[test]
    fn error_texts_are_redis_texts() {
        let cases = [
            (
                ProtocolError::InvalidMultibulkLength,
                "invalid multibulk length",
            ),
            (ProtocolError::InvalidBulkLength, "invalid bulk length"),
            (
                ProtocolError::TooBigMbulkCountString,
                "too big mbulk count string",
            ),
            (
                ProtocolError::TooBigBulkCountString,
                "too big bulk count string",
            ),
            (ProtocolError::TooBigInlineRequest, "too big inline request"),
            (
                ProtocolError::UnbalancedQuotes,
                "unbalanced quotes in request",
            ),
            (ProtocolError::ExpectedDollar(b'x'), "expected '$', got 'x'"),
            (
                ProtocolError::ExpectedDollar(b'\r'),
                "expected '$', got ' '",
            ),
            (
                ProtocolError::ExpectedDollar(0x01),
                "expected '$', got '\\x01'",
            ),
            (
                ProtocolError::UnauthenticatedMultibulkLength,
                "unauthenticated multibulk length",
            ),
            (
                ProtocolError::UnauthenticatedBulkLength,
                "unauthenticated bulk length",
            ),
            (
                ProtocolError::InvalidTypeByte(b'?'),
                "got '?' as reply type byte",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn request_arrays_give_argv() {
        assert_eq!(
            argv(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
            ["SET", "k", "v"]
        );
        assert_eq!(argv(b"*1\r\n$0\r\n\r\n"), [""]);
        let (binary, _) = request(b"*1\r\n$3\r\n\x00\r\n\r\n");
        assert_eq!(binary, vec![vec![0u8, b'\r', b'\n']]);
    }

    #[test]
    fn empty_and_negative_counts_are_empty_requests() {
        assert_eq!(request(b"*0\r\n"), (vec![], 4));
        assert_eq!(request(b"*-1\r\n"), (vec![], 5));
        assert_eq!(request(b"*-5\r\nPING\r\n"), (vec![], 5));
    }

    #[test]
    fn inline_requests_split_on_blanks() {
        assert_eq!(argv(b"PING\r\n"), ["PING"]);
        assert_eq!(argv(b"PING\n"), ["PING"]);
        assert_eq!(argv(b"SET k v\r\n"), ["SET", "k", "v"]);
        assert_eq!(argv(b"  SET \t k   v  \r\n"), ["SET", "k", "v"]);
        assert_eq!(argv(b"$3 +x :1\r\n"), ["$3", "+x", ":1"]);
        // A CR not just before the LF is a blank.
        assert_eq!(argv(b"a\rb\n"), ["a", "b"]);
    }

    #[test]
    fn empty_inline_lines_are_consumed_as_empty_requests() {
        assert_eq!(request(b"\r\n"), (vec![], 2));
        assert_eq!(request(b"\n"), (vec![], 1));
        assert_eq!(request(b"   \r\nPING\r\n"), (vec![], 5));
    }

    #[test]
    fn inline_quoting_follows_sdssplitargs() {
        assert_eq!(
            split(r#"SET "a b" 'c d'"#),
            Some(vec![b("SET"), b("a b"), b("c d")])
        );
        assert_eq!(
            split(r#""\n\r\t\b\a\\\"\q""#),
            Some(vec![b"\n\r\t\x08\x07\\\"q".to_vec()])
        );
        assert_eq!(
            split(r#""\x41\x7a\xff""#),
            Some(vec![vec![b'A', b'z', 0xff]])
        );
        assert_eq!(
            split(r#""\x4""#),
            Some(vec![b("x4")]),
            "not two hex digits: plain escape"
        );
        assert_eq!(split(r#""\xg1""#), Some(vec![b("xg1")]));
        assert_eq!(split(r"'it\'s' 'a\b'"), Some(vec![b("it's"), b(r"a\b")]));
        assert_eq!(split(r#"'say "hi"'"#), Some(vec![b(r#"say "hi""#)]));
        assert_eq!(split(r#""it's""#), Some(vec![b("it's")]));
        assert_eq!(
            split(r#"a"b c"d"#),
            None,
            "closing quote must be followed by a blank"
        );
        assert_eq!(split(r#"a"b c""#), Some(vec![b("ab c")]));
        assert_eq!(split(r#"SET k """#), Some(vec![b("SET"), b("k"), vec![]]));
        assert_eq!(split("''"), Some(vec![vec![]]));
        assert_eq!(split(""), Some(vec![]));
        assert_eq!(split("   "), Some(vec![]));
    }

    #[test]
    fn unbalanced_quotes_are_refused() {
        for line in [
            r#""abc"#,
            "'abc",
            r#""a"b"#,
            "'a'b",
            r#""abc\"#,
            r#"ok "open"#,
        ] {
            assert_eq!(split(line), None, "{line}");
        }
        let bytes = b"SET \"a\r\n";
        assert_eq!(request_error(bytes), ProtocolError::UnbalancedQuotes);
    }

    #[test]
    fn vertical_tab_and_form_feed_separate_only_leading_blanks() {
        // `isspace` skips them between arguments, but only ' ', \t, \r, \n end one.
        assert_eq!(
            split("\x0ba\x0bb\x0c c"),
            Some(vec![b("a\x0bb\x0c"), b("c")])
        );
        assert_eq!(split("\"a\"\x0bb"), Some(vec![b("a"), b("b")]));
    }

    #[test]
    fn a_nul_byte_ends_the_inline_line_as_in_c() {
        assert_eq!(split("GET a\0b"), Some(vec![b("GET"), b("a")]));
        assert_eq!(split("\"a\0\""), None);
        assert_eq!(request(b"GET a\0b c\r\n"), (vec![b("GET"), b("a")], 11));
    }

    #[test]
    fn pipelined_requests_decode_one_at_a_time() {
        let buf = b"*1\r\n$4\r\nPING\r\nECHO hi\r\n\r\n*2\r\n$4\r\nECHO\r\n$2\r\nyo\r\n";
        let mut pos = 0;
        let mut all = Vec::new();
        while let Some((argv, used)) = decode_request(&buf[pos..], &limits()).unwrap() {
            all.push(argv);
            pos += used;
        }
        assert_eq!(pos, buf.len());
        assert_eq!(
            all,
            vec![
                vec![b("PING")],
                vec![b("ECHO"), b("hi")],
                vec![],
                vec![b("ECHO"), b("yo")]
            ]
        );
    }

    #[test]
    fn every_prefix_of_a_request_is_incomplete() {
        for whole in [
            &b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"[..],
            b"SET k \"v w\"\r\n",
            b"*0\r\n",
        ] {
            for cut in 0..whole.len() {
                assert_eq!(decode_request(&whole[..cut], &limits()), Ok(None), "{cut}");
            }
            assert_eq!(request(whole).1, whole.len());
        }
    }

    #[test]
    fn bad_request_lengths_give_redis_errors() {
        for bytes in [
            &b"*abc\r\n"[..],
            b"*\r\n",
            b"*01\r\n",
            b"*+1\r\n",
            b"*-0\r\n",
            b"*1 \r\n",
            b"*2147483648\r\n",
            b"*99999999999999999999\r\n",
        ] {
            assert_eq!(
                request_error(bytes),
                ProtocolError::InvalidMultibulkLength,
                "{bytes:?}"
            );
        }
        for bytes in [
            &b"*1\r\n$abc\r\n"[..],
            b"*1\r\n$\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$01\r\n",
            b"*1\r\n$+1\r\n",
            b"*1\r\n$536870913\r\n",
        ] {
            assert_eq!(
                request_error(bytes),
                ProtocolError::InvalidBulkLength,
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn request_elements_must_be_bulk_strings() {
        assert_eq!(
            request_error(b"*1\r\n:1\r\n"),
            ProtocolError::ExpectedDollar(b':')
        );
        assert_eq!(
            request_error(b"*1\r\n+OK\r\n"),
            ProtocolError::ExpectedDollar(b'+')
        );
        assert_eq!(
            request_error(b"*1\r\n*1\r\n"),
            ProtocolError::ExpectedDollar(b'*')
        );
        assert_eq!(
            request_error(b"*1\r\n\r\n"),
            ProtocolError::ExpectedDollar(b'\r')
        );
        assert_eq!(
            request_error(b"*2\r\n$1\r\na\r\nx\r\n"),
            ProtocolError::ExpectedDollar(b'x')
        );
        // Redis looks at the byte only once the line's CR is there.
        assert_eq!(decode_request(b"*1\r\nx", &limits()), Ok(None));
    }

    #[test]
    fn lines_without_end_are_refused_past_the_inline_limit() {
        let limit = limits().max_inline_len;
        let mut count = b"*".to_vec();
        // Redis counts the `*` too: the buffer may hold the limit, not one byte more.
        count.extend(std::iter::repeat_n(b'1', limit - 1));
        assert_eq!(decode_request(&count, &limits()), Ok(None));
        count.push(b'1');
        assert_eq!(request_error(&count), ProtocolError::TooBigMbulkCountString);

        let mut bulk = b"*1\r\n$".to_vec();
        bulk.extend(std::iter::repeat_n(b'1', limit));
        assert_eq!(request_error(&bulk), ProtocolError::TooBigBulkCountString);

        let mut inline = vec![b'a'; limit];
        assert_eq!(decode_request(&inline, &limits()), Ok(None));
        inline.push(b'a');
        assert_eq!(request_error(&inline), ProtocolError::TooBigInlineRequest);
        // As in Redis, a long line whose LF has already arrived is accepted.
        inline.extend_from_slice(b" b\r\n");
        assert_eq!(request(&inline).0.len(), 2);
    }

    #[test]
    fn unauthenticated_clients_get_redis_small_limits() {
        let unauth = Limits {
            auth_required: true,
            ..Limits::default()
        };
        let mut eleven = b"*11\r\n".to_vec();
        assert_eq!(
            request_error_with(&eleven, &unauth),
            ProtocolError::UnauthenticatedMultibulkLength
        );
        eleven[1] = b'9';
        eleven.truncate(2);
        eleven.extend_from_slice(b"\r\n");
        assert_eq!(decode_request(&eleven, &unauth), Ok(None));
        assert_eq!(
            request_error_with(b"*1\r\n$16385\r\n", &unauth),
            ProtocolError::UnauthenticatedBulkLength
        );
        assert_eq!(decode_request(b"*1\r\n$16384\r\n", &unauth), Ok(None));
        assert_eq!(
            decode_request(b"AUTH a b c d e f g h i j k l\r\n", &unauth)
                .unwrap()
                .unwrap()
                .0
                .len(),
            13,
            "inline requests have no unauthenticated limit in Redis"
        );
    }

    #[test]
    fn request_framing_is_as_lenient_as_redis() {
        // Redis trusts a CR to be followed by LF and skips two bytes after a bulk.
        assert_eq!(argv(b"*1\rX$4\rXPING??"), ["PING"]);
    }
}
