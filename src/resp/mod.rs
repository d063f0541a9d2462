//! RESP2 and RESP3 frames, shared by the server (requests and replies) and the AOF.
//!
//! `decode` turns bytes into a [`Frame`] (or a request's argv); `encode` turns frames and
//! commands into bytes. No engine, socket or file here: callers bring buffers.
//! An incomplete buffer is a state (`Ok(None)`), never an error.

pub mod decode;
pub mod encode;

pub use decode::{decode, decode_request, decode_request_in, Argv, ProtocolError, RequestArgs};
pub use encode::{encode, encode_command, format_double};

/// One RESP value, as it travels on the wire.
///
/// Every RESP2 and RESP3 type has its own variant, so that encoding then decoding gives
/// back the same frame, and the bytes Redis writes decode and encode back to themselves.
/// The encoder writes each variant as its own type: a caller talking to a RESP2 client
/// builds RESP2 frames (`Array` for maps, `NullBulk` for a missing value, `Bulk` for a
/// double), as Redis chooses per client in its `addReply*` functions.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// Simple string `+OK\r\n`; holds the text without the `+`. Contains no CR or LF.
    Simple(Vec<u8>),
    /// Simple error `-ERR unknown command\r\n`; holds the text without the `-`, its
    /// first word being the error code. Contains no CR or LF.
    Error(Vec<u8>),
    /// Integer `:42\r\n`.
    Integer(i64),
    /// Bulk string `$5\r\nhello\r\n`, binary safe.
    Bulk(Vec<u8>),
    /// RESP2 null bulk string `$-1\r\n`: a missing value (GET of no key).
    NullBulk,
    /// RESP2 null array `*-1\r\n`: a missing aggregate (BLPOP timing out).
    NullArray,
    /// RESP3 null `_\r\n`, which stands for both RESP2 nulls.
    Null,
    /// Array `*N\r\n` followed by `N` frames.
    Array(Vec<Frame>),
    /// RESP3 map `%N\r\n` followed by `N` key/value pairs, in wire order.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 set `~N\r\n` followed by `N` frames, in wire order.
    Set(Vec<Frame>),
    /// RESP3 push `>N\r\n` (pub/sub messages, invalidations) followed by `N` frames.
    Push(Vec<Frame>),
    /// RESP3 attribute `|N\r\n` followed by `N` key/value pairs, then the frame they
    /// describe. Redis does not send these to clients; they are here so that any RESP3
    /// input decodes.
    Attribute {
        /// The attribute map, in wire order.
        attributes: Vec<(Frame, Frame)>,
        /// The reply the attributes belong to.
        frame: Box<Frame>,
    },
    /// RESP3 double `,3.14\r\n` (also `,inf`, `,-inf`, `,nan`).
    Double(f64),
    /// RESP3 boolean `#t\r\n` or `#f\r\n`.
    Boolean(bool),
    /// RESP3 big number `(3492890328409238509324850943850943825024385\r\n`; holds the
    /// digits, with an optional leading sign.
    BigNumber(Vec<u8>),
    /// RESP3 verbatim string `=15\r\ntxt:Some string\r\n`.
    Verbatim {
        /// Three-byte format, `txt` or `mkd`.
        format: [u8; 3],
        /// The text after `format:`.
        text: Vec<u8>,
    },
    /// RESP3 blob error `!21\r\nSYNTAX invalid syntax\r\n`, binary safe.
    BlobError(Vec<u8>),
}

impl Frame {
    /// Whether this is one of the three nulls (`$-1`, `*-1`, `_`).
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Frame::NullBulk | Frame::NullArray | Frame::Null)
    }
}

/// Bounds on what a decoder accepts, so that no peer and no damaged file can make it
/// hold or expect unbounded memory or nest without end.
///
/// Defaults are Redis's: `proto-max-bulk-len` 512 MiB, multibulk counts up to `INT_MAX`
/// (`processMultibulkBuffer`), `PROTO_INLINE_MAX_SIZE` 64 KiB for a line still waiting
/// for its end. Redis clients send no nesting; 128 levels is plenty for replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string (and blob error, verbatim string) accepted, in bytes.
    pub max_bulk_len: usize,
    /// Largest element count of an array, set, push, map or attribute (a map counts
    /// its pairs, as on the wire).
    pub max_multibulk_len: usize,
    /// Longest line that may still be waiting for its CRLF (inline request, length
    /// header, simple value) before the input is refused.
    pub max_inline_len: usize,
    /// Deepest nesting of aggregates: a top-level array is depth 1; 0 refuses every
    /// aggregate. Keep it modest: a decoded frame is encoded and dropped recursively.
    pub max_depth: usize,
    /// Apply Redis's limits for clients that have yet to authenticate
    /// (`authRequired` in `processMultibulkBuffer`): at most 10 arguments of at most
    /// 16 KiB each. Only [`decode_request`] reads it.
    pub auth_required: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            // INT_MAX, as `processMultibulkBuffer` in Redis 7.
            max_multibulk_len: 0x7fff_ffff,
            max_inline_len: 64 * 1024,
            max_depth: 128,
            auth_required: false,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Properties that tie the decoder and the encoder together.

    use super::decode::split_args;
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Bytes a simple string or error may hold.
    fn line_bytes() -> impl Strategy<Value = Vec<u8>> {
        vec(
            any::<u8>().prop_filter("no CR or LF", |b| *b != b'\r' && *b != b'\n'),
            0..24,
        )
    }

    fn leaf() -> impl Strategy<Value = Frame> {
        prop_oneof![
            line_bytes().prop_map(Frame::Simple),
            line_bytes().prop_map(Frame::Error),
            any::<i64>().prop_map(Frame::Integer),
            vec(any::<u8>(), 0..40).prop_map(Frame::Bulk),
            Just(Frame::NullBulk),
            Just(Frame::NullArray),
            Just(Frame::Null),
            any::<f64>()
                .prop_filter("NaN never equals itself", |d| !d.is_nan())
                .prop_map(Frame::Double),
            any::<bool>().prop_map(Frame::Boolean),
            "[+-]?[0-9]{1,50}".prop_map(|s| Frame::BigNumber(s.into_bytes())),
            (any::<[u8; 3]>(), vec(any::<u8>(), 0..24))
                .prop_map(|(format, text)| Frame::Verbatim { format, text }),
            vec(any::<u8>(), 0..24).prop_map(Frame::BlobError),
        ]
    }

    fn any_frame() -> impl Strategy<Value = Frame> {
        leaf().prop_recursive(5, 96, 6, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Frame::Array),
                vec(inner.clone(), 0..6).prop_map(Frame::Set),
                vec(inner.clone(), 0..6).prop_map(Frame::Push),
                vec((inner.clone(), inner.clone()), 0..4).prop_map(Frame::Map),
                (vec((inner.clone(), inner.clone()), 0..3), inner).prop_map(
                    |(attributes, frame)| Frame::Attribute {
                        attributes,
                        frame: Box::new(frame),
                    }
                ),
            ]
        })
    }

    fn encoded(frame: &Frame) -> Vec<u8> {
        let mut out = Vec::new();
        encode(frame, &mut out);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn encode_then_decode_gives_the_frame_back(frame in any_frame()) {
            let wire = encoded(&frame);
            let decoded = decode(&wire, &Limits::default());
            prop_assert_eq!(decoded, Ok(Some((frame, wire.len()))));
        }

        #[test]
        fn every_prefix_of_a_frame_is_incomplete(frame in any_frame()) {
            let wire = encoded(&frame);
            for cut in 0..wire.len() {
                prop_assert_eq!(decode(&wire[..cut], &Limits::default()), Ok(None), "cut at {}", cut);
            }
        }

    }

    proptest! {
        // Each case decodes several frames; fewer cases keep debug builds quick.
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn pipelined_frames_decode_in_order(frames in vec(any_frame(), 1..6), tail in any_frame()) {
            let mut wire = Vec::new();
            for frame in &frames {
                encode(frame, &mut wire);
            }
            // A partial frame after the whole ones must not disturb them.
            let whole = wire.len();
            let tail = encoded(&tail);
            wire.extend_from_slice(&tail[..tail.len() - 1]);
            let mut pos = 0;
            for frame in &frames {
                let (decoded, used) = decode(&wire[pos..], &Limits::default())?.unwrap_or((Frame::Null, 0));
                prop_assert_eq!(&decoded, frame);
                prop_assert_eq!(used, encoded(frame).len());
                pos += used;
            }
            prop_assert_eq!(pos, whole);
            prop_assert_eq!(decode(&wire[pos..], &Limits::default()), Ok(None));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn encode_command_then_decode_request_gives_argv_back(
            argv in vec(vec(any::<u8>(), 0..30), 0..8),
        ) {
            let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            let mut wire = Vec::new();
            encode_command(&args, &mut wire);
            prop_assert_eq!(decode_request(&wire, &Limits::default()), Ok(Some((argv.clone(), wire.len()))));
            for cut in 0..wire.len() {
                prop_assert_eq!(decode_request(&wire[..cut], &Limits::default()), Ok(None));
            }
            // The generic decoder reads the same bytes as an array of bulks.
            let array = Frame::Array(argv.into_iter().map(Frame::Bulk).collect());
            prop_assert_eq!(decode(&wire, &Limits::default()), Ok(Some((array, wire.len()))));
        }

        #[test]
        fn inline_lines_split_as_split_args(
            line in vec(prop_oneof![Just(b' '), Just(b'\t'), Just(b'"'), Just(b'\''), Just(b'\\'), Just(0u8), any::<u8>()], 0..40)
                .prop_filter("not an array, one line", |l| l.first() != Some(&b'*') && !l.contains(&b'\n')),
        ) {
            let mut wire = line.clone();
            wire.extend_from_slice(b"\r\n");
            let expected = split_args(&line);
            let got = decode_request(&wire, &Limits::default());
            match expected {
                Some(argv) => prop_assert_eq!(got, Ok(Some((argv, wire.len())))),
                None => prop_assert_eq!(got, Err(ProtocolError::UnbalancedQuotes)),
            }
        }

        #[test]
        fn reused_request_args_read_each_request_whole(
            requests in vec(vec(vec(any::<u8>(), 0..12), 0..5), 1..6),
        ) {
            // One `RequestArgs` through a pipeline of array and inline requests, as the
            // server reuses it: each request gives its own arguments, none of the last's.
            let mut wire = Vec::new();
            for (i, argv) in requests.iter().enumerate() {
                let inline_ok = i % 2 == 1 && argv.iter().all(|a| !a.is_empty() && a.iter().all(u8::is_ascii_alphanumeric));
                if inline_ok && !argv.is_empty() {
                    wire.extend_from_slice(&argv.join(&b' '));
                    wire.extend_from_slice(b"\r\n");
                } else {
                    let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
                    encode_command(&args, &mut wire);
                }
            }
            let mut args = RequestArgs::default();
            let mut pos = 0;
            for argv in &requests {
                let used = decode_request_in(&wire[pos..], &Limits::default(), &mut args)?;
                let Some(used) = used else { return Err(TestCaseError::fail("a whole request read as incomplete")) };
                let got: Vec<Vec<u8>> = args.iter(&wire[pos..]).map(<[u8]>::to_vec).collect();
                prop_assert_eq!(&got, argv);
                prop_assert_eq!(args.len(), argv.len());
                pos += used;
            }
            prop_assert_eq!(pos, wire.len());
        }

        #[test]
        fn decoders_never_panic_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..256)) {
            let limits = Limits { max_inline_len: 64, max_depth: 8, ..Limits::default() };
            for l in [&limits, &Limits::default()] {
                if let Ok(Some((_, used))) = decode(&bytes, l) {
                    prop_assert!(used > 0 && used <= bytes.len());
                }
                if let Ok(Some((_, used))) = decode_request(&bytes, l) {
                    prop_assert!(used > 0 && used <= bytes.len());
                }
            }
        }

        #[test]
        fn decoders_never_panic_on_near_valid_bytes(
            frame in any_frame(),
            edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut wire = encoded(&frame);
            for (at, byte) in edits {
                let i = at.index(wire.len());
                wire[i] = byte;
            }
            let _ = decode(&wire, &Limits::default());
            let _ = decode_request(&wire, &Limits::default());
        }

        #[test]
        fn doubles_round_trip_bit_for_bit(d in any::<f64>().prop_filter("not NaN", |d| !d.is_nan())) {
            let mut text = Vec::new();
            format_double(d, &mut text);
            let back: f64 = std::str::from_utf8(&text).unwrap().parse().unwrap();
            prop_assert_eq!(back.to_bits(), d.to_bits());
        }
    }

    #[test]
    fn nan_round_trips_as_nan() {
        let wire = encoded(&Frame::Double(f64::NAN));
        assert_eq!(wire, b",nan\r\n");
        assert!(matches!(
            decode(&wire, &Limits::default()),
            Ok(Some((Frame::Double(d), 6))) if d.is_nan()
        ));
    }

    #[test]
    fn default_limits_are_redis_defaults() {
        let limits = Limits::default();
        assert_eq!(limits.max_bulk_len, 512 * 1024 * 1024);
        assert_eq!(limits.max_multibulk_len, i32::MAX as usize);
        assert_eq!(limits.max_inline_len, 64 * 1024);
        assert_eq!(limits.max_depth, 128);
        assert!(!limits.auth_required);
    }

    #[test]
    fn is_null_covers_the_three_nulls() {
        assert!(Frame::Null.is_null());
        assert!(Frame::NullBulk.is_null());
        assert!(Frame::NullArray.is_null());
        assert!(!Frame::Bulk(vec![]).is_null());
        assert!(!Frame::Array(vec![]).is_null());
    }
}
