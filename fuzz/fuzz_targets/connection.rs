//! A whole connection fed hostile bytes: greeting, handshake and traffic,
//! in reads of any size, with timers firing in between. Nothing may
//! panic, a failed connection stays failed, no message is delivered larger
//! than `max_message_size`, and no call delivers more messages than it was
//! given room for.
//!
//! The third input byte picks the reads' size (low six bits) and a mode
//! (high two bits): 0 decodes everything; 1 gives room for a few messages
//! per call; 2 asks a ZAP handler, answered from the input; 3 runs with no
//! greeting (as over ZWS), the input split into frames.
#![no_main]

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrozmq_proto::{
    Config, Connection, CurveSecret, Event, FrameDecoder, ProtocolError, Security, SocketType,
    ZapReply, Zws,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [kind, limit, cut, rest @ ..] = data else {
        return;
    };
    let socket_type = SocketType::ALL[usize::from(*kind) % SocketType::ALL.len()];
    let mut config = Config::new(socket_type);
    config.max_message_size = (*limit != 0).then(|| u64::from(*limit) * 16);
    config.heartbeat_ivl = Some(Duration::from_millis(100));
    // NULL, PLAIN or CURVE, server or client, as three bits of the kind
    // say (CURVE with fixed keys: random bytes never open a box anyway).
    config.security = match (kind >> 4) & 7 {
        2 => Security::PlainServer,
        3 => Security::PlainClient {
            username: Bytes::from_static(b"user"),
            password: Bytes::from_static(b"password"),
        },
        4 => Security::CurveServer {
            secret: CurveSecret::new([7; 32]),
        },
        5 => Security::CurveClient {
            public: CurveSecret::new([8; 32]).public(),
            secret: CurveSecret::new([8; 32]),
            server: CurveSecret::new([7; 32]).public(),
        },
        _ => Security::Null,
    };
    let mode = cut >> 6;
    config.zap = mode == 2;
    let room = if mode == 1 {
        usize::from(*kind % 4)
    } else {
        usize::MAX
    };
    let start = Instant::now();
    let mut conn = if mode == 3 {
        // ZWS, with the NULL handshake or bare, as the kind's top bit says.
        let zws = if kind & 0x80 == 0 {
            Zws::Mechanism(config.security.name())
        } else {
            Zws::Bare
        };
        Connection::zws(config.clone(), zws, start)
    } else {
        Connection::new(config.clone(), start)
    };
    let mut input = BytesMut::new();
    let mut failed: Option<ProtocolError> = None;
    // Reads of 1 to 64 bytes, their sizes taken from the input itself.
    let step = usize::from(*cut % 64) + 1;
    for (i, chunk) in rest.chunks(step).enumerate() {
        input.extend_from_slice(chunk);
        let now = start + Duration::from_millis(i as u64 * 10);
        let result = if mode == 3 {
            match feed_frames(&mut conn, &mut input, now) {
                Some(result) => result,
                // The transport itself could not frame the bytes: it
                // drops the connection, the connection is not asked.
                None => return,
            }
        } else {
            conn.handle_input_upto(&mut input, now, room).map(drop)
        }
        .and_then(|()| conn.handle_timeout(now));
        match (&failed, result) {
            (None, Ok(())) => {}
            (None, Err(e)) => failed = Some(e),
            (Some(first), Err(e)) => assert_eq!(&e, first, "stays failed"),
            (Some(_), Ok(())) => panic!("a failed connection recovered"),
        }
        let mut messages = 0;
        let mut zap = None;
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Message(msg) => {
                    messages += 1;
                    assert!(!msg.is_empty(), "a message with no parts");
                    if let Some(max) = config.max_message_size {
                        assert!(msg.size() as u64 <= max, "message over the limit");
                    }
                }
                Event::ZapRequest(_) => zap = Some(()),
                _ => {}
            }
        }
        if mode != 3 {
            assert!(messages <= room, "{messages} messages for room {room}");
        }
        if zap.is_some() && failed.is_none() {
            // The handler answers with a status taken from this chunk.
            let status = [200, 300, 400, 500][usize::from(chunk[0]) % 4];
            let mut reply = ZapReply::new(status);
            reply.user_id = Bytes::copy_from_slice(chunk);
            if let Err(e) = conn.handle_zap_reply(reply, now) {
                failed = Some(e);
            }
        }
        let out = conn.out();
        let n = out.len();
        out.advance(n);
    }
});

/// Splits whole frames off `input` and hands them over one by one, as a
/// message-framed transport does; `None` when the bytes do not frame.
fn feed_frames(
    conn: &mut Connection,
    input: &mut BytesMut,
    now: Instant,
) -> Option<Result<(), ProtocolError>> {
    while let Some(frame) = FrameDecoder.decode(input, 1 << 20).ok()? {
        if let Err(e) = conn.handle_frame(frame, now) {
            return Some(Err(e));
        }
    }
    Some(Ok(()))
}
