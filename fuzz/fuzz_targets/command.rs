//! Command bodies: parsing never panics, and what parses encodes back to
//! something that parses to the same command.
#![no_main]

use bytes::{Bytes, BytesMut};
use ferrozmq_proto::{Command, FrameDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(command) = Command::parse(Bytes::copy_from_slice(data)) else {
        return;
    };
    let mut wire = BytesMut::new();
    command.encode(&mut wire);
    let frame = FrameDecoder
        .decode(&mut wire, u64::MAX)
        .expect("our own frame decodes")
        .expect("our own frame is whole");
    assert!(frame.flags.command() && !frame.flags.more());
    let again = Command::parse(frame.body).expect("our own command parses");
    // A PING or PONG context is echoed at most 16 bytes long, and an ERROR
    // reason at most 255: compare what survives the encoding.
    let mut twice = BytesMut::new();
    again.encode(&mut twice);
    assert_eq!(wire_of(&command), twice, "encode is stable");
});

fn wire_of(command: &Command) -> BytesMut {
    let mut wire = BytesMut::new();
    command.encode(&mut wire);
    wire
}
