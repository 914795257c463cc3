//! PLAIN and CURVE handshakes, server and client, fed commands made of
//! random bytes (a HELLO, WELCOME, INITIATE or READY of any length and
//! content) directly: never a panic, never an allocation past what came
//! in, and never "ready" from garbage. Keys are fixed: random bytes never
//! open a box, so what is fuzzed is everything around the boxes.
#![no_main]

use bytes::Bytes;
use ferrozmq_proto::{
    CurveClient, CurveSecret, CurveServer, Mechanism, Metadata, PlainClient, PlainServer, Status,
    ZapReply,
};
use libfuzzer_sys::fuzz_target;

const NAMES: [&[u8]; 5] = [b"HELLO", b"WELCOME", b"INITIATE", b"READY", b"MESSAGE"];

fuzz_target!(|data: &[u8]| {
    let [which, rest @ ..] = data else {
        return;
    };
    let server_secret = CurveSecret::new([7; 32]);
    let client_secret = CurveSecret::new([8; 32]);
    let mut mechanism: Box<dyn Mechanism> = match which % 4 {
        0 => Box::new(PlainServer::new(Metadata::new(), which & 0x80 != 0)),
        1 => Box::new(PlainClient::new("u".into(), "p".into(), Metadata::new())),
        2 => Box::new(CurveServer::new(
            server_secret,
            Metadata::new(),
            which & 0x80 != 0,
        )),
        _ => Box::new(CurveClient::new(
            client_secret.public(),
            client_secret,
            CurveSecret::new([7; 32]).public(),
            Metadata::new(),
        )),
    };
    // Commands: a name byte, a length byte (times 4), that many bytes.
    let mut input = rest;
    while let [name, len, tail @ ..] = input {
        while mechanism.next_command().is_some() {}
        let len = (usize::from(*len) * 4).min(tail.len());
        let (body, next) = tail.split_at(len);
        input = next;
        let name = NAMES[usize::from(*name) % NAMES.len()];
        if mechanism
            .handle_command(name, Bytes::copy_from_slice(body))
            .is_err()
        {
            return;
        }
        if mechanism.zap_request().is_some() {
            let _ = mechanism.handle_zap_reply(ZapReply::new(200));
        }
    }
    // A client never gets ready from random bytes: READY must open a box.
    if which % 4 == 3 {
        assert_eq!(mechanism.status(), Status::Handshaking);
    }
});
