//! RESP encoding: frames to bytes, and commands as the AOF and clients write them.
//!
//! Each [`Frame`] variant is written as its own wire type; choosing RESP2-compatible
//! frames for a RESP2 client is the caller's business. Encoding cannot fail.

use super::Frame;

/// Appends the wire form of `frame` to `out`.
///
/// Simple strings, simple errors and big numbers cannot hold CR or LF on the wire; any
/// there are written as spaces (as Redis's `addReplyErrorFormat` does), so that the
/// output is always exactly one frame.
pub fn encode(frame: &Frame, out: &mut Vec<u8>) {
    match frame {
        Frame::Simple(text) => put_line(out, b'+', text),
        Frame::Error(text) => put_line(out, b'-', text),
        Frame::Integer(n) => {
            out.push(b':');
            put_i64(out, *n);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Bulk(bytes) => put_blob(out, b'$', bytes),
        Frame::NullBulk => out.extend_from_slice(b"$-1\r\n"),
        Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Frame::Null => out.extend_from_slice(b"_\r\n"),
        Frame::Array(items) => put_items(out, b'*', items),
        Frame::Set(items) => put_items(out, b'~', items),
        Frame::Push(items) => put_items(out, b'>', items),
        Frame::Map(pairs) => put_pairs(out, b'%', pairs),
        Frame::Attribute { attributes, frame } => {
            put_pairs(out, b'|', attributes);
            encode(frame, out);
        }
        Frame::Double(d) => {
            out.push(b',');
            format_double(*d, out);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Boolean(true) => out.extend_from_slice(b"#t\r\n"),
        Frame::Boolean(false) => out.extend_from_slice(b"#f\r\n"),
        Frame::BigNumber(digits) => put_line(out, b'(', digits),
        Frame::Verbatim { format, text } => {
            put_header(out, b'=', text.len() + 4);
            out.extend_from_slice(format);
            out.push(b':');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
        Frame::BlobError(bytes) => put_blob(out, b'!', bytes),
    }
}

/// Appends a command as a RESP array of bulk strings: `*N\r\n` then `$len\r\narg\r\n`
/// for each argument. This is the request form every Redis server reads and the record
/// format of the AOF.
pub fn encode_command(argv: &[&[u8]], out: &mut Vec<u8>) {
    put_header(out, b'*', argv.len());
    for arg in argv {
        put_blob(out, b'$', arg);
    }
}

/// Appends `d` as Redis writes a double (`d2string` in redis `src/util.c`, Redis 7.2+).
///
/// `nan`, `inf`, `-inf`; `0` and `-0`; an integral value within ±2^62 as an integer
/// (`double2ll`); anything else as the shortest digits that read back to the same
/// double, laid out by fpconv's rules (`emit_digits` in redis `deps/fpconv`): plain
/// digits unless the exponent is far out, then `1.5e-7`, `1e+300` (exponent without
/// padding). RESP2 replies carry this text in a bulk string, RESP3 after `,`.
pub fn format_double(d: f64, out: &mut Vec<u8>) {
    if d.is_nan() {
        out.extend_from_slice(b"nan");
    } else if d.is_infinite() {
        out.extend_from_slice(if d > 0.0 { b"inf" } else { b"-inf" });
    } else if d == 0.0 {
        out.extend_from_slice(if d.is_sign_negative() { b"-0" } else { b"0" });
    } else if let Some(n) = as_integer(d) {
        put_i64(out, n);
    } else {
        put_shortest(d, out);
    }
}

/// `double2ll`: the i64 equal to `d`, if `d` is integral and within `LLONG_MAX / 2`.
fn as_integer(d: f64) -> Option<i64> {
    // LLONG_MAX / 2 rounds to 2^62 as a double.
    const LIMIT: f64 = 4_611_686_018_427_387_904.0;
    if !(-LIMIT..=LIMIT).contains(&d) || d.fract() != 0.0 {
        return None;
    }
    // Exact: `d` is integral and |d| <= 2^62.
    #[allow(clippy::cast_possible_truncation)]
    Some(d as i64)
}

/// Shortest round-trip digits of `d`, laid out as fpconv's `emit_digits`.
fn put_shortest(d: f64, out: &mut Vec<u8>) {
    if d.is_sign_negative() {
        out.push(b'-');
    }
    // Rust's `{:e}` gives the shortest digits that read back to `d`: "1.2345e-7".
    let sci = format!("{:e}", d.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let Ok(point) = exponent.parse::<i64>() else {
        // Not reachable for a finite double; keep Rust's own form rather than panic.
        out.extend_from_slice(sci.as_bytes());
        return;
    };
    // `d` = digits * 10^k, and |point| is the decimal exponent of the first digit.
    let ndigits = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let k = point - (ndigits - 1);
    let exp = point.abs();
    if k >= 0 && exp < ndigits + 7 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', usize::try_from(k).unwrap_or(0)));
    } else if k < 0 && (k > -7 || exp < 4) {
        let int_digits = ndigits + k;
        if int_digits <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(
                b'0',
                usize::try_from(-int_digits).unwrap_or(0),
            ));
            out.extend_from_slice(&digits);
        } else {
            let (int, frac) = digits.split_at(usize::try_from(int_digits).unwrap_or(0));
            out.extend_from_slice(int);
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        out.push(if point < 0 { b'-' } else { b'+' });
        put_u64(out, exp.unsigned_abs());
    }
}

fn put_line(out: &mut Vec<u8>, kind: u8, text: &[u8]) {
    out.push(kind);
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        out.extend(
            text.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
    } else {
        out.extend_from_slice(text);
    }
    out.extend_from_slice(b"\r\n");
}

fn put_blob(out: &mut Vec<u8>, kind: u8, bytes: &[u8]) {
    put_header(out, kind, bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

fn put_items(out: &mut Vec<u8>, kind: u8, items: &[Frame]) {
    put_header(out, kind, items.len());
    for item in items {
        encode(item, out);
    }
}

fn put_pairs(out: &mut Vec<u8>, kind: u8, pairs: &[(Frame, Frame)]) {
    put_header(out, kind, pairs.len());
    for (key, value) in pairs {
        encode(key, out);
        encode(value, out);
    }
}

fn put_header(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.push(kind);
    put_u64(out, len as u64);
    out.extend_from_slice(b"\r\n");
}

fn put_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    put_u64(out, n.unsigned_abs());
}

fn put_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b"0123456789"[(n % 10) as usize];
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(frame: &Frame) -> Vec<u8> {
        let mut out = Vec::new();
        encode(frame, &mut out);
        out
    }

    fn double(d: f64) -> String {
        let mut out = Vec::new();
        format_double(d, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn b(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn encodes_every_frame_type_byte_exact() {
        let cases: Vec<(Frame, &[u8])> = vec![
            (Frame::Simple(b("OK")), b"+OK\r\n"),
            (Frame::Simple(vec![]), b"+\r\n"),
            (
                Frame::Error(b("ERR unknown command 'x'")),
                b"-ERR unknown command 'x'\r\n",
            ),
            (Frame::Integer(0), b":0\r\n"),
            (Frame::Integer(-42), b":-42\r\n"),
            (Frame::Integer(i64::MAX), b":9223372036854775807\r\n"),
            (Frame::Integer(i64::MIN), b":-9223372036854775808\r\n"),
            (Frame::Bulk(b("hello")), b"$5\r\nhello\r\n"),
            (Frame::Bulk(vec![]), b"$0\r\n\r\n"),
            (Frame::Bulk(b("a\r\nb")), b"$4\r\na\r\nb\r\n"),
            (Frame::NullBulk, b"$-1\r\n"),
            (Frame::NullArray, b"*-1\r\n"),
            (Frame::Null, b"_\r\n"),
            (Frame::Array(vec![]), b"*0\r\n"),
            (
                Frame::Array(vec![
                    Frame::Bulk(b("a")),
                    Frame::Integer(1),
                    Frame::NullBulk,
                ]),
                b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n",
            ),
            (
                Frame::Array(vec![Frame::Array(vec![Frame::Null])]),
                b"*1\r\n*1\r\n_\r\n",
            ),
            (
                Frame::Map(vec![
                    (Frame::Simple(b("first")), Frame::Integer(1)),
                    (Frame::Simple(b("second")), Frame::Integer(2)),
                ]),
                b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
            ),
            (Frame::Set(vec![Frame::Simple(b("x"))]), b"~1\r\n+x\r\n"),
            (
                Frame::Push(vec![Frame::Bulk(b("message")), Frame::Bulk(b("ch"))]),
                b">2\r\n$7\r\nmessage\r\n$2\r\nch\r\n",
            ),
            (
                Frame::Attribute {
                    attributes: vec![(Frame::Simple(b("ttl")), Frame::Integer(3600))],
                    frame: Box::new(Frame::Integer(1)),
                },
                b"|1\r\n+ttl\r\n:3600\r\n:1\r\n",
            ),
            (Frame::Double(2.75), b",2.75\r\n"),
            (Frame::Double(f64::INFINITY), b",inf\r\n"),
            (Frame::Double(f64::NEG_INFINITY), b",-inf\r\n"),
            (Frame::Double(f64::NAN), b",nan\r\n"),
            (Frame::Double(10.0), b",10\r\n"),
            (Frame::Boolean(true), b"#t\r\n"),
            (Frame::Boolean(false), b"#f\r\n"),
            (
                Frame::BigNumber(b("3492890328409238509324850943850943825024385")),
                b"(3492890328409238509324850943850943825024385\r\n",
            ),
            (
                Frame::Verbatim {
                    format: *b"txt",
                    text: b("Some string"),
                },
                b"=15\r\ntxt:Some string\r\n",
            ),
            (
                Frame::BlobError(b("SYNTAX invalid syntax")),
                b"!21\r\nSYNTAX invalid syntax\r\n",
            ),
        ];
        for (frame, wire) in cases {
            assert_eq!(
                bytes(&frame),
                wire,
                "{frame:?} gave {:?}",
                String::from_utf8_lossy(&bytes(&frame))
            );
        }
    }

    #[test]
    fn line_frames_never_carry_cr_or_lf() {
        assert_eq!(bytes(&Frame::Error(b("ERR a\r\nb"))), b"-ERR a  b\r\n");
        assert_eq!(bytes(&Frame::Simple(b("x\ny"))), b"+x y\r\n");
    }

    #[test]
    fn encodes_commands_as_arrays_of_bulks() {
        let mut out = Vec::new();
        encode_command(&[b"SET", b"key", b""], &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n");
        out.clear();
        encode_command(&[], &mut out);
        assert_eq!(out, b"*0\r\n");
        out.clear();
        encode_command(&[b"RPUSH", b"q", &[0, b'\r', b'\n', 0xff]], &mut out);
        assert_eq!(
            out,
            b"*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$4\r\n\x00\r\n\xff\r\n"
        );
    }

    #[test]
    fn encoding_appends_to_what_is_there() {
        let mut out = b"prefix".to_vec();
        encode(&Frame::Integer(1), &mut out);
        assert_eq!(out, b"prefix:1\r\n");
    }

    #[test]
    fn doubles_are_written_as_redis_writes_them() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (1.5, "1.5"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (2.75, "2.75"),
            (123.456, "123.456"),
            (1234.5, "1234.5"),
            (0.001, "0.001"),
            (1e-6, "0.000001"),
            (1.5e-6, "1.5e-6"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (12_345.678_901_234, "1.2345678901234e+4"),
            (1e15, "1000000000000000"),
            (1e16, "10000000000000000"),
            (4_611_686_018_427_387_904.0, "4611686018427387904"),
            (-4_611_686_018_427_387_904.0, "-4611686018427387904"),
            (9_223_372_036_854_775_808.0, "9223372036854776000"),
            (1e20, "1e+20"),
            (1e22, "1e+22"),
            (1.5e300, "1.5e+300"),
            (-1e100, "-1e+100"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (0.300_000_000_000_000_04, "0.30000000000000004"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(d, text) in cases {
            assert_eq!(double(d), text, "{d:e}");
        }
    }

    #[test]
    fn doubles_read_back_exactly() {
        let samples = [
            0.1,
            1.0 / 3.0,
            2.0f64.powi(70),
            -7.25e-12,
            6.022_140_76e23,
            f64::EPSILON,
            123_456_789.123_456_79,
            -0.0,
        ];
        for d in samples {
            let text = double(d);
            let back: f64 = text.parse().unwrap();
            assert_eq!(back.to_bits(), d.to_bits(), "{d:e} wrote {text}");
        }
    }
}
