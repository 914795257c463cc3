//! READY property blocks: parsing never panics, and a parsed block encodes
//! back to exactly the bytes it came from.
#![no_main]

use bytes::{Bytes, BytesMut};
use ferrozmq_proto::Metadata;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(metadata) = Metadata::parse(Bytes::copy_from_slice(data)) else {
        return;
    };
    let mut wire = BytesMut::new();
    metadata.encode(&mut wire);
    assert_eq!(metadata.encoded_len(), wire.len());
    assert_eq!(&wire[..], data, "a parsed block encodes to its own bytes");
});
