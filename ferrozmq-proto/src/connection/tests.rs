//! Two connections driven against each other in memory with a virtual
//! clock: no sockets, no sleeps.

use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::*;

/// Moves bytes between two connections, like a perfect network.
struct Pair {
    a: Connection,
    b: Connection,
    a_in: BytesMut,
    b_in: BytesMut,
    now: Instant,
}

impl Pair {
    fn new(a: Config, b: Config) -> Self {
        let now = Instant::now();
        Self {
            a: Connection::new(a, now),
            b: Connection::new(b, now),
            a_in: BytesMut::new(),
            b_in: BytesMut::new(),
            now,
        }
    }

    fn req_rep() -> Self {
        Self::new(Config::new(SocketType::Req), Config::new(SocketType::Rep))
    }

    /// Takes everything `from` wants written.
    fn drain(from: &mut Connection) -> Vec<u8> {
        let out = from.out();
        let mut slices = [std::io::IoSlice::new(&[]); 64];
        let n = out.io_slices(&mut slices);
        let bytes: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
        out.advance(bytes.len());
        bytes
    }

    /// Delivers bytes both ways, `chunk` bytes per read, until quiet.
    fn run(&mut self, chunk: usize) -> Result<(), ProtocolError> {
        loop {
            let to_b = Self::drain(&mut self.a);
            let to_a = Self::drain(&mut self.b);
            if to_a.is_empty() && to_b.is_empty() {
                return Ok(());
            }
            for piece in to_b.chunks(chunk) {
                self.b_in.extend_from_slice(piece);
                self.b.handle_input(&mut self.b_in, self.now)?;
            }
            for piece in to_a.chunks(chunk) {
                self.a_in.extend_from_slice(piece);
                self.a.handle_input(&mut self.a_in, self.now)?;
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
    }
}

fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn message(parts: &[&'static str]) -> Message {
    parts.iter().copied().collect()
}

#[test]
fn handshake_then_multipart_messages_both_ways() {
    let mut p = Pair::req_rep();
    p.run(usize::MAX).unwrap();
    assert!(p.a.is_ready() && p.b.is_ready());
    let [Event::Ready(peer)] = &events(&mut p.b)[..] else {
        panic!("one READY");
    };
    assert_eq!(peer.socket_type, SocketType::Req);
    assert_eq!(peer.minor_version, 1);
    assert_eq!(peer.routing_id, None, "empty Identity means none");
    assert_eq!(peer.metadata.get("identity").map(|v| v.len()), Some(0));
    events(&mut p.a);
    p.a.send_message(&message(&["", "hello", "world"]));
    p.b.send_message(&message(&["", "reply"]));
    p.run(usize::MAX).unwrap();
    assert_eq!(
        events(&mut p.b),
        [Event::Message(message(&["", "hello", "world"]))]
    );
    assert_eq!(events(&mut p.a), [Event::Message(message(&["", "reply"]))]);
}

#[test]
fn one_byte_at_a_time_gives_the_same_result() {
    let mut p = Pair::req_rep();
    p.run(1).unwrap();
    assert!(p.a.is_ready() && p.b.is_ready());
    events(&mut p.b);
    let big = Bytes::from(vec![9u8; 300]);
    p.a.send_message(&Message::from(vec![Bytes::new(), big.clone()]));
    p.run(1).unwrap();
    assert_eq!(
        events(&mut p.b),
        [Event::Message(Message::from(vec![Bytes::new(), big]))]
    );
}

#[test]
fn many_frames_in_one_read_all_decode() {
    let mut p = Pair::req_rep();
    p.run(usize::MAX).unwrap();
    events(&mut p.b);
    for i in 0..1000u32 {
        p.a.send_message(&Message::from(i.to_be_bytes().to_vec()));
    }
    p.run(usize::MAX).unwrap();
    let got = events(&mut p.b);
    assert_eq!(got.len(), 1000);
    assert_eq!(
        got[999],
        Event::Message(Message::from(999u32.to_be_bytes().to_vec()))
    );
}

/// RFC 37: "When a peer receives a PING command it SHALL reply with a PONG
/// command" echoing the context.
#[test]
fn heartbeats_exchange_ping_and_pong_and_keep_the_link() {
    let mut a = Config::new(SocketType::Push);
    a.heartbeat_ivl = Some(Duration::from_millis(100));
    a.heartbeat_timeout = Some(Duration::from_millis(300));
    let mut p = Pair::new(a, Config::new(SocketType::Pull));
    p.run(usize::MAX).unwrap();
    for _ in 0..20 {
        let due = p.a.poll_timeout().expect("a ping is scheduled");
        p.now = due;
        p.a.handle_timeout(p.now).unwrap();
        p.run(usize::MAX).unwrap();
    }
    assert!(p.a.is_ready());
}

/// RFC 37: a peer that stops answering is dropped after the heartbeat
/// timeout.
#[test]
fn silent_peer_is_dropped_at_the_heartbeat_timeout() {
    let mut a = Config::new(SocketType::Push);
    a.heartbeat_ivl = Some(Duration::from_millis(100));
    a.heartbeat_timeout = Some(Duration::from_millis(250));
    let mut p = Pair::new(a, Config::new(SocketType::Pull));
    p.run(usize::MAX).unwrap();
    let mut result = Ok(());
    for _ in 0..10 {
        let Some(due) = p.a.poll_timeout() else { break };
        p.now = due;
        result = p.a.handle_timeout(p.now);
        if result.is_err() {
            break;
        }
        Pair::drain(&mut p.a); // the peer never answers
    }
    assert_eq!(result, Err(ProtocolError::HeartbeatTimeout));
}

/// RFC 37: the TTL of a PING bounds how long the receiver waits for more.
#[test]
fn peer_ttl_expires_without_traffic() {
    let mut a = Config::new(SocketType::Push);
    a.heartbeat_ivl = Some(Duration::from_secs(1));
    a.heartbeat_ttl = Some(Duration::from_millis(2000));
    let mut p = Pair::new(a, Config::new(SocketType::Pull));
    p.run(usize::MAX).unwrap();
    p.advance(Duration::from_secs(1));
    p.a.handle_timeout(p.now).unwrap();
    p.run(usize::MAX).unwrap();
    assert_eq!(p.b.poll_timeout(), Some(p.now + Duration::from_secs(2)));
    p.advance(Duration::from_secs(2));
    assert_eq!(
        p.b.handle_timeout(p.now),
        Err(ProtocolError::HeartbeatTimeout)
    );
}

#[test]
fn handshake_times_out() {
    let mut c = Config::new(SocketType::Req);
    c.handshake_ivl = Some(Duration::from_secs(5));
    let now = Instant::now();
    let mut conn = Connection::new(c, now);
    assert_eq!(conn.poll_timeout(), Some(now + Duration::from_secs(5)));
    conn.handle_timeout(now + Duration::from_secs(4)).unwrap();
    assert_eq!(
        conn.handle_timeout(now + Duration::from_secs(5)),
        Err(ProtocolError::HandshakeTimeout)
    );
}

/// RFC 23: incompatible socket types SHALL NOT connect; the refusing side
/// sends ERROR with a reason.
#[test]
fn incompatible_types_are_refused_with_an_error_command() {
    let mut p = Pair::new(Config::new(SocketType::Req), Config::new(SocketType::Push));
    let err = p.run(usize::MAX).unwrap_err();
    assert!(
        matches!(err, ProtocolError::IncompatibleSocketType { .. }),
        "{err}"
    );
}

/// The signature goes out at once and the rest of the greeting only after
/// the peer's signature (libzmq waits for ours before sending its version).
#[test]
fn greeting_is_sent_in_two_steps() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Rep), now);
    assert_eq!(Pair::drain(&mut c), SIGNATURE);
    let mut input = BytesMut::from(&SIGNATURE[..9]);
    c.handle_input(&mut input, now).unwrap();
    assert!(Pair::drain(&mut c).is_empty());
    input.extend_from_slice(&SIGNATURE[9..]);
    c.handle_input(&mut input, now).unwrap();
    assert_eq!(Pair::drain(&mut c).len(), GREETING_LEN - SIGNATURE.len());
}

/// RELIABILITY 2: a ZMTP 2.0 peer sends 12 bytes and waits; it is refused
/// from its version byte, not left to time out.
#[test]
fn zmtp_2_peer_is_refused_from_its_version_byte() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Rep), now);
    let mut input = BytesMut::from(&SIGNATURE[..]);
    input.extend_from_slice(&[1, 3]);
    assert_eq!(
        c.handle_input(&mut input, now),
        Err(ProtocolError::UnsupportedVersion { major: 1 })
    );
}

fn after_greeting(socket_type: SocketType) -> (Connection, BytesMut) {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(socket_type), now);
    let mut input = BytesMut::from(&Greeting::new(Mechanism::Null, false).encode()[..]);
    c.handle_input(&mut input, now).unwrap();
    Pair::drain(&mut c);
    (c, input)
}

fn ready_frame(props: &[(&str, &[u8])]) -> Vec<u8> {
    let mut m = Metadata::new();
    for (n, v) in props {
        m.insert(*n, Bytes::copy_from_slice(v));
    }
    let mut dst = BytesMut::new();
    Command::Ready(m).encode(&mut dst);
    dst.to_vec()
}

/// RELIABILITY 9: wrong, duplicate or incompatible Socket-Type and bad
/// identities get an ERROR and the drop.
#[test]
fn bad_ready_commands_are_refused() {
    let cases: Vec<(Vec<u8>, ProtocolError)> = vec![
        (ready_frame(&[]), ProtocolError::MissingSocketType),
        (
            ready_frame(&[("Socket-Type", b"NOPE")]),
            ProtocolError::UnknownSocketType,
        ),
        (
            ready_frame(&[("Socket-Type", b"REQ"), ("socket-type", b"REQ")]),
            ProtocolError::DuplicateProperty("Socket-Type".into()),
        ),
        (
            ready_frame(&[("Socket-Type", b"PUB")]),
            ProtocolError::IncompatibleSocketType {
                ours: SocketType::Rep,
                peer: SocketType::Pub,
            },
        ),
        (
            ready_frame(&[("Socket-Type", b"REQ"), ("Identity", b"\0abc")]),
            ProtocolError::InvalidIdentity,
        ),
        (
            ready_frame(&[("Socket-Type", b"REQ"), ("Identity", &[7u8; 256])]),
            ProtocolError::InvalidIdentity,
        ),
    ];
    for (frame, expected) in cases {
        let (mut c, mut input) = after_greeting(SocketType::Rep);
        input.extend_from_slice(&frame);
        assert_eq!(
            c.handle_input(&mut input, Instant::now()),
            Err(expected.clone())
        );
        let sent = Pair::drain(&mut c);
        assert_eq!(sent[2..8], *b"\x05ERROR", "{expected}");
        assert_eq!(
            c.handle_input(&mut BytesMut::new(), Instant::now()),
            Err(expected),
            "stays failed"
        );
    }
}

#[test]
fn identity_is_passed_through() {
    let (mut c, mut input) = after_greeting(SocketType::Rep);
    input.extend_from_slice(&ready_frame(&[
        ("Socket-Type", b"DEALER"),
        ("Identity", b"abc"),
        ("X-Custom", b"v"),
    ]));
    c.handle_input(&mut input, Instant::now()).unwrap();
    let peer = c.peer().unwrap();
    assert_eq!(peer.routing_id.as_deref(), Some(&b"abc"[..]));
    assert_eq!(peer.metadata.get("x-custom").unwrap(), "v");
}

/// RELIABILITY 7, 10: data before READY, commands with MORE, and a
/// non-READY command during the handshake are refused.
#[test]
fn handshake_phase_violations_are_refused() {
    let cases: [(&[u8], ProtocolError); 4] = [
        (b"\x00\x01x", ProtocolError::DataBeforeReady),
        (b"\x05\x01x", ProtocolError::CommandWithMore),
        (
            b"\x04\x05\x04PONG",
            ProtocolError::UnexpectedCommand("expected READY"),
        ),
        (
            b"\x04\x08\x05ERROR\x01x",
            ProtocolError::PeerError("x".into()),
        ),
    ];
    for (bytes, expected) in cases {
        let (mut c, mut input) = after_greeting(SocketType::Rep);
        input.extend_from_slice(bytes);
        assert_eq!(c.handle_input(&mut input, Instant::now()), Err(expected));
    }
    let (mut c, mut input) = after_greeting(SocketType::Rep);
    input.extend_from_slice(&[0x06]);
    input.extend_from_slice(&(HANDSHAKE_FRAME_LIMIT + 1).to_be_bytes());
    assert!(matches!(
        c.handle_input(&mut input, Instant::now()),
        Err(ProtocolError::FrameTooLarge { .. })
    ));
}

/// RELIABILITY 4: a peer with another mechanism gets an ERROR.
#[test]
fn mechanism_mismatch_is_refused() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Req), now);
    let mut input = BytesMut::from(&Greeting::new(Mechanism::Plain, false).encode()[..]);
    assert!(matches!(
        c.handle_input(&mut input, now),
        Err(ProtocolError::MechanismMismatch { .. })
    ));
    assert!(Pair::drain(&mut c).windows(6).any(|w| w == b"\x05ERROR"));
}

/// RELIABILITY 15: `max_message_size` bounds the whole message, so a flood
/// of empty MORE frames is cut off, and the frame that crosses it is
/// refused from its header.
#[test]
fn max_message_size_bounds_the_whole_message() {
    let mut rep = Config::new(SocketType::Rep);
    rep.max_message_size = Some(10);
    let mut p = Pair::new(Config::new(SocketType::Req), rep);
    p.run(usize::MAX).unwrap();
    let mut flood = BytesMut::new();
    for _ in 0..100_000 {
        flood.extend_from_slice(&[0x01, 0x00]);
    }
    p.b.handle_input(&mut flood, p.now).unwrap();
    assert!(
        flood.is_empty(),
        "empty frames cost nothing against the limit"
    );
    let mut input = BytesMut::from(&[0x01, 0x06, 1, 2, 3, 4, 5, 6, 0x00, 0x05][..]);
    assert_eq!(
        p.b.handle_input(&mut input, p.now),
        Err(ProtocolError::FrameTooLarge { size: 5, limit: 4 })
    );
}

/// RELIABILITY 11: a PING body shorter than its TTL is refused; a long
/// context is echoed as 16 bytes.
#[test]
fn ping_limits_after_the_handshake() {
    let mut p = Pair::req_rep();
    p.run(usize::MAX).unwrap();
    let mut long = BytesMut::from(&b"\x04\x1b\x04PING\x00\x00abcdefghijklmnopqrstu"[..]);
    long[1] = (long.len() - 2) as u8;
    p.b.handle_input(&mut long, p.now).unwrap();
    let pong = Pair::drain(&mut p.b);
    assert_eq!(pong, b"\x04\x15\x04PONGabcdefghijklmnop");
    let mut short = BytesMut::from(&b"\x04\x06\x04PING\x00"[..]);
    assert!(matches!(
        p.b.handle_input(&mut short, p.now),
        Err(ProtocolError::MalformedCommand(_))
    ));
}

#[test]
fn subscriptions_and_unknown_commands() {
    let mut p = Pair::new(Config::new(SocketType::Sub), Config::new(SocketType::Pub));
    p.run(usize::MAX).unwrap();
    events(&mut p.b);
    p.a.send_subscribe(b"topic");
    p.a.send_command(&Command::Unknown {
        name: Bytes::from_static(b"X-NEW"),
        body: Bytes::from_static(b"whatever"),
    });
    p.a.send_cancel(b"topic");
    p.run(usize::MAX).unwrap();
    assert_eq!(
        events(&mut p.b),
        [
            Event::Subscribe(Bytes::from_static(b"topic")),
            Event::Cancel(Bytes::from_static(b"topic"))
        ]
    );
}

/// Under ZMTP 3.0, subscriptions travel as `\x01topic` messages.
#[test]
fn zmtp_3_0_peer_gets_subscriptions_as_messages() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Sub), now);
    let mut greeting = Greeting::new(Mechanism::Null, false).encode();
    greeting[11] = 0;
    let mut input = BytesMut::from(&greeting[..]);
    input.extend_from_slice(&ready_frame(&[("Socket-Type", b"PUB")]));
    c.handle_input(&mut input, now).unwrap();
    assert_eq!(c.peer().unwrap().minor_version, 0);
    Pair::drain(&mut c);
    c.send_subscribe(b"ab");
    assert_eq!(Pair::drain(&mut c), b"\x00\x03\x01ab");
}
