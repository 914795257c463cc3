//! Z85: decoding any text never panics; what decodes encodes back to the
//! same text, and any binary of a multiple of 4 bytes round-trips.
#![no_main]

use ferrozmq_proto::z85;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(binary) = z85::decode(text)
    {
        assert_eq!(z85::encode(&binary).unwrap(), text);
    }
    let whole = &data[..data.len() - data.len() % 4];
    let text = z85::encode(whole).unwrap();
    assert_eq!(z85::decode(&text).unwrap(), whole);
});
