//! Fuzzes the RESP decoders with arbitrary bytes, as a peer or a damaged AOF could send.
//!
//! Neither decoder may panic, hang or take more bytes than it was given; a frame that
//! decodes must encode to bytes that decode to the same bytes again.

#![no_main]

use embedis::resp::{decode, decode_request, encode, encode_command, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits reach the limit checks with short inputs; the defaults are what runs.
    let small = Limits {
        max_bulk_len: 64,
        max_multibulk_len: 16,
        max_inline_len: 128,
        max_depth: 8,
        auth_required: true,
    };
    for limits in [&Limits::default(), &small] {
        let mut pos = 0;
        while let Ok(Some((frame, used))) = decode(&data[pos..], limits) {
            assert!(used > 0 && used <= data.len() - pos, "decode took {used} bytes");
            pos += used;
            let mut first = Vec::new();
            encode(&frame, &mut first);
            let again = decode(&first, &Limits::default());
            let Ok(Some((frame, len))) = again else {
                panic!("re-decoding {first:?} gave {again:?}");
            };
            assert_eq!(len, first.len());
            let mut second = Vec::new();
            encode(&frame, &mut second);
            assert_eq!(first, second, "encode is stable after one round");
        }

        let mut pos = 0;
        while let Ok(Some((argv, used))) = decode_request(&data[pos..], limits) {
            assert!(used > 0 && used <= data.len() - pos, "decode_request took {used} bytes");
            pos += used;
            let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            let mut wire = Vec::new();
            encode_command(&args, &mut wire);
            assert_eq!(
                decode_request(&wire, &Limits::default()),
                Ok(Some((argv, wire.len()))),
                "an argv survives encode_command"
            );
        }
    }
});
