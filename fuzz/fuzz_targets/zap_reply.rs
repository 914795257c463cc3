//! ZAP replies as a handler might send them: parsing never panics, and
//! what parses follows RFC 27 (six frames, version 1.0, the request id
//! asked for, a status of 200, 300, 400 or 500).
#![no_main]

use bytes::Bytes;
use ferrozmq_proto::ZapReply;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Frames separated by 0xFF bytes; the request id asked for is "7".
    let frames: Vec<Bytes> = data
        .split(|&b| b == 0xFF)
        .map(Bytes::copy_from_slice)
        .collect();
    if let Ok(reply) = ZapReply::parse(&frames, b"7") {
        assert_eq!(frames.len(), 6);
        assert_eq!(&frames[0][..], b"1.0");
        assert_eq!(&frames[1][..], b"7");
        assert!([200, 300, 400, 500].contains(&reply.status_code));
    }
});
