//! A whole connection fed hostile bytes: greeting, handshake and traffic,
//! in reads of any size, with timers firing in between. Nothing may
//! panic, a failed connection stays failed, and no message is delivered
//! larger than `max_message_size`.
#![no_main]

use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrozmq_proto::{Config, Connection, Event, SocketType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [kind, limit, cut, rest @ ..] = data else {
        return;
    };
    let socket_type = SocketType::ALL[usize::from(*kind) % SocketType::ALL.len()];
    let mut config = Config::new(socket_type);
    config.max_message_size = (*limit != 0).then(|| u64::from(*limit) * 16);
    config.heartbeat_ivl = Some(Duration::from_millis(100));
    let start = Instant::now();
    let mut conn = Connection::new(config.clone(), start);
    let mut input = BytesMut::new();
    let mut failed = None;
    // Reads of 1 to 64 bytes, their sizes taken from the input itself.
    let step = usize::from(*cut % 64) + 1;
    for (i, chunk) in rest.chunks(step).enumerate() {
        input.extend_from_slice(chunk);
        let now = start + Duration::from_millis(i as u64 * 10);
        let result = conn
            .handle_input(&mut input, now)
            .and_then(|()| conn.handle_timeout(now));
        match (&failed, result) {
            (None, Ok(())) => {}
            (None, Err(e)) => failed = Some(e),
            (Some(first), Err(e)) => assert_eq!(&e, first, "stays failed"),
            (Some(_), Ok(())) => panic!("a failed connection recovered"),
        }
        while let Some(event) = conn.poll_event() {
            if let (Event::Message(msg), Some(max)) = (event, config.max_message_size) {
                assert!(msg.size() as u64 <= max, "message over the limit");
                assert!(!msg.is_empty(), "a message with no parts");
            }
        }
        let out = conn.out();
        let n = out.len();
        out.advance(n);
    }
});
