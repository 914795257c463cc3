//! Two connections driven against each other in memory with a virtual
//! clock: no sockets, no sleeps.

use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::*;
use crate::{CurveSecret, MechanismName, ZapReply, ZapRequest, Zws};

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
        let bytes = out.to_vec();
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
    assert_eq!(peer.socket_type, Some(SocketType::Req));
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
    assert_eq!(p.b.handle_timeout(p.now), Err(ProtocolError::TtlExpired));
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

/// robustness row 2: a ZMTP 2.0 peer sends 12 bytes and waits; it is
/// refused from its version byte, not left to time out.
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
    let mut input = BytesMut::from(&Greeting::new(MechanismName::Null, false).encode()[..]);
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

/// robustness row 9: wrong, duplicate or incompatible Socket-Type, and bad
/// identities where the identity is used (a ROUTER), get an ERROR and the
/// drop.
#[test]
fn bad_ready_commands_are_refused() {
    let cases: Vec<(SocketType, Vec<u8>, ProtocolError)> = vec![
        (
            SocketType::Rep,
            ready_frame(&[]),
            ProtocolError::MissingSocketType,
        ),
        (
            SocketType::Rep,
            ready_frame(&[("Socket-Type", b"NOPE")]),
            ProtocolError::UnknownSocketType,
        ),
        (
            SocketType::Rep,
            ready_frame(&[("Socket-Type", b"REQ"), ("socket-type", b"REQ")]),
            ProtocolError::DuplicateProperty("Socket-Type".into()),
        ),
        (
            SocketType::Rep,
            ready_frame(&[("Socket-Type", b"PUB")]),
            ProtocolError::IncompatibleSocketType {
                ours: SocketType::Rep,
                peer: SocketType::Pub,
            },
        ),
        (
            SocketType::Router,
            ready_frame(&[("Socket-Type", b"REQ"), ("Identity", b"\0abc")]),
            ProtocolError::InvalidIdentity,
        ),
        (
            SocketType::Router,
            ready_frame(&[("Socket-Type", b"REQ"), ("Identity", &[7u8; 256])]),
            ProtocolError::InvalidIdentity,
        ),
        (
            SocketType::Router,
            ready_frame(&[
                ("Socket-Type", b"DEALER"),
                ("Identity", b"a"),
                ("Identity", b"b"),
            ]),
            ProtocolError::DuplicateProperty("Identity".into()),
        ),
    ];
    for (ours, frame, expected) in cases {
        let (mut c, mut input) = after_greeting(ours);
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

/// A ROUTER learns the peer's identity; any type sees every property.
#[test]
fn identity_is_passed_through() {
    let (mut c, mut input) = after_greeting(SocketType::Router);
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

/// RFC 37: "For all other socket types, the Identity property shall be
/// ignored": a REP serves a peer whose identity starts with a zero octet,
/// is too long or comes twice, as libzmq's REP does.
#[test]
fn identity_is_ignored_where_it_is_not_used() {
    for identity in [&b"\0abc"[..], &[7u8; 300]] {
        let (mut c, mut input) = after_greeting(SocketType::Rep);
        input.extend_from_slice(&ready_frame(&[
            ("Socket-Type", b"REQ"),
            ("Identity", identity),
            ("Identity", b"again"),
        ]));
        c.handle_input(&mut input, Instant::now()).unwrap();
        assert!(c.is_ready());
        assert_eq!(c.peer().unwrap().routing_id, None);
    }
}

/// robustness rows 7 and 10: data before READY, commands with MORE, and a
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

/// robustness row 4: a peer with another mechanism gets an ERROR.
#[test]
fn mechanism_mismatch_is_refused() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Req), now);
    let mut input = BytesMut::from(&Greeting::new(MechanismName::Plain, false).encode()[..]);
    assert!(matches!(
        c.handle_input(&mut input, now),
        Err(ProtocolError::MechanismMismatch { .. })
    ));
    assert!(Pair::drain(&mut c).windows(6).any(|w| w == b"\x05ERROR"));
}

/// robustness row 15: `max_message_size` bounds the whole message, and the
/// parts an incomplete message may hold, so a flood of empty MORE frames is
/// cut off instead of growing a vector forever.
#[test]
fn empty_frame_flood_is_bounded_by_max_message_size() {
    let mut rep = Config::new(SocketType::Rep);
    rep.max_message_size = Some(1000);
    let mut p = Pair::new(Config::new(SocketType::Req), rep);
    p.run(usize::MAX).unwrap();
    let mut flood = BytesMut::new();
    for _ in 0..1_000_000 {
        flood.extend_from_slice(&[0x01, 0x00]);
    }
    assert_eq!(
        p.b.handle_input(&mut flood, p.now),
        Err(ProtocolError::MessageTooLarge)
    );
    assert_eq!(flood.len(), 2 * (1_000_000 - 1001), "stopped at part 1001");
    assert!(
        events(&mut p.b)
            .iter()
            .all(|e| matches!(e, Event::Ready(_)))
    );
}

/// robustness row 5: the frame that would cross the message's budget is
/// refused from its header alone, before its body is awaited; a frame over
/// the limit by itself says so; commands are bounded one by one.
#[test]
fn max_message_size_is_checked_from_the_header() {
    let mut rep = Config::new(SocketType::Rep);
    rep.max_message_size = Some(10);
    let ready = |rep: Config| {
        let mut p = Pair::new(Config::new(SocketType::Req), rep);
        p.run(usize::MAX).unwrap();
        events(&mut p.b);
        p
    };
    let mut p = ready(rep.clone());
    // 6 bytes, then a header declaring 5 more: no body sent.
    let mut input = BytesMut::from(&[0x01, 0x06, 1, 2, 3, 4, 5, 6, 0x00, 0x05][..]);
    assert_eq!(
        p.b.handle_input(&mut input, p.now),
        Err(ProtocolError::MessageTooLarge)
    );
    let mut p = ready(rep.clone());
    let mut input = BytesMut::from(&[0x02][..]);
    input.extend_from_slice(&11u64.to_be_bytes());
    assert_eq!(
        p.b.handle_input(&mut input, p.now),
        Err(ProtocolError::FrameTooLarge {
            size: 11,
            limit: 10
        })
    );
    // Exactly the limit, split over parts, with a command in between that
    // is judged on its own.
    let mut p = ready(rep.clone());
    let mut input = BytesMut::from(&[0x01, 0x06, 1, 2, 3, 4, 5, 6][..]);
    input.extend_from_slice(b"\x04\x07\x04PONGab");
    input.extend_from_slice(&[0x00, 0x04, 7, 8, 9, 10]);
    p.b.handle_input(&mut input, p.now).unwrap();
    assert_eq!(
        events(&mut p.b),
        [Event::Message(Message::from(vec![
            Bytes::from_static(&[1, 2, 3, 4, 5, 6]),
            Bytes::from_static(&[7, 8, 9, 10]),
        ]))]
    );
    let mut p = ready(rep);
    let mut input = BytesMut::from(&b"\x04\x0c\x09SUBSCRIBEab"[..]);
    assert_eq!(
        p.b.handle_input(&mut input, p.now),
        Err(ProtocolError::FrameTooLarge {
            size: 12,
            limit: 10
        })
    );
}

/// robustness row 5: sizes of 2^64-1 and 2^63 are refused at once even with
/// no `max_message_size`, with nothing allocated.
#[test]
fn absurd_sizes_are_refused_without_a_limit() {
    for size in [u64::MAX, 1 << 63] {
        let mut p = Pair::req_rep();
        p.run(usize::MAX).unwrap();
        let mut input = BytesMut::from(&[0x02][..]);
        input.extend_from_slice(&size.to_be_bytes());
        assert!(matches!(
            p.b.handle_input(&mut input, p.now),
            Err(ProtocolError::FrameTooLarge { size: s, .. }) if s == size
        ));
    }
}

/// robustness row 11: a PING body shorter than its TTL is refused; a long
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
    let mut greeting = Greeting::new(MechanismName::Null, false).encode();
    greeting[11] = 0;
    let mut input = BytesMut::from(&greeting[..]);
    input.extend_from_slice(&ready_frame(&[("Socket-Type", b"PUB")]));
    c.handle_input(&mut input, now).unwrap();
    assert_eq!(c.peer().unwrap().minor_version, 0);
    Pair::drain(&mut c);
    c.send_subscribe(b"ab");
    assert_eq!(Pair::drain(&mut c), b"\x00\x03\x01ab");
}

fn greeting_bytes(edit: impl FnOnce(&mut [u8; GREETING_LEN])) -> BytesMut {
    let mut g = Greeting::new(MechanismName::Null, false).encode();
    edit(&mut g);
    BytesMut::from(&g[..])
}

fn ready_peer(ours: SocketType, theirs: &[u8]) -> Connection {
    let (mut c, mut input) = after_greeting(ours);
    input.extend_from_slice(&ready_frame(&[("Socket-Type", theirs)]));
    c.handle_input(&mut input, Instant::now()).unwrap();
    events(&mut c);
    c
}

/// RFC 37 "Worked Example": a DEALER's READY is flags %x04, size 41,
/// "READY", Socket-Type "DEALER" and an empty Identity.
#[test]
fn dealer_ready_matches_the_rfc_worked_example() {
    let (mut c, _) = {
        let now = Instant::now();
        let mut c = Connection::new(Config::new(SocketType::Dealer), now);
        Pair::drain(&mut c);
        let mut input = greeting_bytes(|_| {});
        c.handle_input(&mut input, now).unwrap();
        (c, input)
    };
    let mut expected = vec![0x04, 41, 5];
    expected.extend_from_slice(b"READY\x0bSocket-Type\x00\x00\x00\x06DEALER");
    expected.extend_from_slice(b"\x08Identity\x00\x00\x00\x00");
    let sent = Pair::drain(&mut c);
    assert_eq!(sent[GREETING_LEN - SIGNATURE.len()..], expected[..]);
}

/// RFC 37: "a ZMTP peer MUST accept protocol versions greater or equal to
/// 3.1"; "A peer SHALL NOT assign any significance to the padding field".
#[test]
fn higher_versions_and_odd_padding_are_accepted() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Pull), now);
    let mut input = greeting_bytes(|g| {
        g[1..9].copy_from_slice(&[0xAB; 8]);
        g[10] = 4;
        g[11] = 9;
        g[40] = 0xEE;
    });
    input.extend_from_slice(&ready_frame(&[("Socket-Type", b"PUSH")]));
    c.handle_input(&mut input, now).unwrap();
    assert_eq!(c.peer().unwrap().minor_version, 1);
}

/// RFC 23 says a NULL peer's as-server "MUST be zero" but asks nothing of
/// the receiver; libzmq ignores it, and so do we.
#[test]
fn as_server_under_null_is_ignored() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Pull), now);
    let mut input = greeting_bytes(|g| g[32] = 1);
    input.extend_from_slice(&ready_frame(&[("Socket-Type", b"PUSH")]));
    c.handle_input(&mut input, now).unwrap();
    assert!(c.is_ready());
}

/// robustness row 2: a ZMTP 1.0 peer is known from its first byte (not
/// 0xFF) or from a tenth byte with the low bit clear.
#[test]
fn zmtp_1_0_framing_is_refused_early() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Rep), now);
    let mut input = BytesMut::from(&[0x01][..]);
    assert_eq!(
        c.handle_input(&mut input, now),
        Err(ProtocolError::BadSignature)
    );
    let mut c = Connection::new(Config::new(SocketType::Rep), now);
    let mut input = BytesMut::from(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7E][..]);
    assert_eq!(
        c.handle_input(&mut input, now),
        Err(ProtocolError::BadSignature)
    );
}

/// RFC 23: "If the mechanism that the peer received does not exactly match
/// the mechanism it sent, it MUST close the connection"; an unknown name
/// is no match either.
#[test]
fn unknown_mechanism_is_refused_with_an_error_command() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Req), now);
    let mut input = greeting_bytes(|g| g[12..16].copy_from_slice(b"GSSA"));
    assert_eq!(
        c.handle_input(&mut input, now),
        Err(ProtocolError::UnknownMechanism)
    );
    assert!(Pair::drain(&mut c).windows(6).any(|w| w == b"\x05ERROR"));
}

/// The peer's whole opening (greeting, READY, messages) in one read is
/// all consumed by one call.
#[test]
fn greeting_ready_and_messages_in_one_read() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Pull), now);
    let mut input = greeting_bytes(|_| {});
    input.extend_from_slice(&ready_frame(&[("Socket-Type", b"PUSH")]));
    input.extend_from_slice(b"\x01\x01a\x00\x01b\x00\x00\x00\x01c");
    c.handle_input(&mut input, now).unwrap();
    assert!(input.is_empty());
    let got = events(&mut c);
    assert!(matches!(got[0], Event::Ready(_)));
    assert_eq!(
        got[1..],
        [
            Event::Message(message(&["a", "b"])),
            Event::Message(message(&[""])),
            Event::Message(message(&["c"])),
        ]
    );
}

/// robustness row 14: half a message is never delivered, whatever ends the
/// connection.
#[test]
fn half_a_message_is_never_delivered() {
    let mut c = ready_peer(SocketType::Pull, b"PUSH");
    let mut input = BytesMut::from(&b"\x01\x01a\x05\x01x"[..]);
    assert_eq!(
        c.handle_input(&mut input, Instant::now()),
        Err(ProtocolError::CommandWithMore)
    );
    assert_eq!(events(&mut c), []);
}

/// Under ZMTP 3.0 a subscription is a message `\x01topic`: it reaches the
/// library as a message, which interprets it.
#[test]
fn zmtp_3_0_subscription_messages_are_delivered_as_messages() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::XPub), now);
    let mut input = greeting_bytes(|g| g[11] = 0);
    input.extend_from_slice(&ready_frame(&[("Socket-Type", b"SUB")]));
    input.extend_from_slice(b"\x00\x03\x01ab\x00\x01\x00");
    c.handle_input(&mut input, now).unwrap();
    let got = events(&mut c);
    assert_eq!(
        got[1..],
        [
            Event::Message(Message::from(&b"\x01ab"[..])),
            Event::Message(Message::from(&b"\x00"[..])),
        ]
    );
}

/// RFC 23: "The peer SHALL treat an incoming ERROR command as fatal"; a
/// second READY is out of place; PONG and unknown commands change nothing.
#[test]
fn commands_after_the_handshake() {
    let mut c = ready_peer(SocketType::Pull, b"PUSH");
    let mut input = BytesMut::from(&b"\x04\x05\x04PONG\x04\x04\x03XYZ"[..]);
    c.handle_input(&mut input, Instant::now()).unwrap();
    assert!(c.is_ready());
    assert!(Pair::drain(&mut c).is_empty());
    let mut input = BytesMut::from(&b"\x04\x0b\x05ERROR\x04gone"[..]);
    assert_eq!(
        c.handle_input(&mut input, Instant::now()),
        Err(ProtocolError::PeerError("gone".into()))
    );
    assert!(!c.is_ready());
    assert_eq!(c.poll_timeout(), None);
    let mut c = ready_peer(SocketType::Pull, b"PUSH");
    let mut input = BytesMut::from(&ready_frame(&[("Socket-Type", b"PUSH")])[..]);
    assert!(matches!(
        c.handle_input(&mut input, Instant::now()),
        Err(ProtocolError::UnexpectedCommand(_))
    ));
}

/// RFC 37: "a peer SHOULD treat any incoming traffic (not just a PONG
/// reply) as a sign of life".
#[test]
fn any_frame_cancels_the_heartbeat_timeout() {
    let mut cfg = Config::new(SocketType::Pull);
    cfg.heartbeat_ivl = Some(Duration::from_secs(1));
    cfg.heartbeat_timeout = Some(Duration::from_secs(5));
    let mut p = Pair::new(cfg, Config::new(SocketType::Push));
    p.run(usize::MAX).unwrap();
    let start = p.now;
    p.now = start + Duration::from_secs(1);
    p.a.handle_timeout(p.now).unwrap();
    assert!(Pair::drain(&mut p.a).windows(5).any(|w| w == b"\x04PING"));
    // Swallow the PING; the peer sends a message instead of a PONG.
    p.b.send_message(&message(&["alive"]));
    p.run(usize::MAX).unwrap();
    for s in 2..=10 {
        p.now = start + Duration::from_secs(s);
        p.a.handle_timeout(p.now).unwrap();
        Pair::drain(&mut p.a);
        if s == 5 {
            p.b.send_message(&message(&["still"]));
            p.run(usize::MAX).unwrap();
        }
    }
    // Last traffic at 5 s; the PING at 6 s armed a timeout for 11 s.
    p.now = start + Duration::from_secs(11);
    assert_eq!(
        p.a.handle_timeout(p.now),
        Err(ProtocolError::HeartbeatTimeout)
    );
}

/// Our PING carries `heartbeat_ttl` in deciseconds, capped at 0xFFFF.
#[test]
fn our_ping_ttl_on_the_wire() {
    for (ttl, wire) in [(2_050, [0x00, 0x14]), (10_000_000, [0xFF, 0xFF])] {
        let mut cfg = Config::new(SocketType::Push);
        cfg.heartbeat_ivl = Some(Duration::from_millis(100));
        cfg.heartbeat_ttl = Some(Duration::from_millis(ttl));
        let mut p = Pair::new(cfg, Config::new(SocketType::Pull));
        p.run(usize::MAX).unwrap();
        p.advance(Duration::from_millis(100));
        p.a.handle_timeout(p.now).unwrap();
        let sent = Pair::drain(&mut p.a);
        assert_eq!(sent[..7], *b"\x04\x07\x04PING");
        assert_eq!(sent[7..], wire);
    }
}

/// Zero durations switch timers off (libzmq's 0); enormous ones never
/// overflow `Instant`.
#[test]
fn zero_and_huge_durations() {
    let now = Instant::now();
    let mut cfg = Config::new(SocketType::Push);
    cfg.handshake_ivl = Some(Duration::ZERO);
    cfg.heartbeat_ivl = Some(Duration::ZERO);
    let mut p = Pair::new(cfg, Config::new(SocketType::Pull));
    assert_eq!(p.a.poll_timeout(), None);
    p.run(usize::MAX).unwrap();
    assert_eq!(p.a.poll_timeout(), None);
    let mut cfg = Config::new(SocketType::Push);
    cfg.handshake_ivl = Some(Duration::MAX);
    cfg.heartbeat_ivl = Some(Duration::MAX);
    let mut c = Connection::new(cfg, now);
    c.handle_timeout(now).unwrap();
}

/// The read hint is what the frame in progress still needs.
#[test]
fn read_hint_counts_the_missing_body() {
    let mut c = ready_peer(SocketType::Pull, b"PUSH");
    assert_eq!(c.read_hint(), 0);
    let mut input = BytesMut::from(&[0x02][..]);
    input.extend_from_slice(&1000u64.to_be_bytes());
    input.extend_from_slice(&[0; 100]);
    c.handle_input(&mut input, Instant::now()).unwrap();
    assert_eq!(c.read_hint(), 900);
    input.extend_from_slice(&[0; 900]);
    c.handle_input(&mut input, Instant::now()).unwrap();
    assert_eq!(c.read_hint(), 0);
    assert_eq!(events(&mut c).len(), 1);
}

/// Fuzz-style: mutated and random input after a valid opening never
/// panics, and a failed connection stays failed.
#[test]
fn random_input_never_panics() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut good = greeting_bytes(|_| {}).to_vec();
    good.extend_from_slice(&ready_frame(&[
        ("Socket-Type", b"PUSH"),
        ("Identity", b"x"),
    ]));
    good.extend_from_slice(b"\x01\x01a\x00\x01b\x04\x08\x04PING\x00\x01z\x04\x06\x04PONGz");
    for round in 0..3000 {
        let mut bytes = good.clone();
        let flips = 1 + next() % 4;
        for _ in 0..flips {
            let i = (next() % bytes.len() as u64) as usize;
            bytes[i] = next() as u8;
        }
        if round % 3 == 0 {
            bytes.truncate(GREETING_LEN);
            bytes.extend((0..next() % 200).map(|_| next() as u8));
        }
        let now = Instant::now();
        let mut cfg = Config::new(SocketType::Pull);
        cfg.max_message_size = Some(1 << 16);
        let mut c = Connection::new(cfg, now);
        let mut input = BytesMut::new();
        let mut failed = None;
        for chunk in bytes.chunks(1 + (next() % 17) as usize) {
            input.extend_from_slice(chunk);
            match c.handle_input(&mut input, now) {
                Ok(()) => assert!(failed.is_none()),
                Err(e) => {
                    if let Some(first) = &failed {
                        assert_eq!(&e, first);
                    }
                    failed = Some(e);
                }
            }
            events(&mut c);
        }
    }
}

/// robustness row 11 and libzmq: one PONG at a time. A peer that floods
/// PINGs and never reads gets one PONG until that one is written; our
/// output does not grow with its flood.
#[test]
fn a_ping_flood_queues_one_pong_until_it_is_written() {
    let mut c = ready_peer(SocketType::Pull, b"PUSH");
    let ping = b"\x04\x07\x04PING\x00\x00";
    let mut flood = BytesMut::new();
    for _ in 0..10_000 {
        flood.extend_from_slice(ping);
    }
    c.handle_input(&mut flood, Instant::now()).unwrap();
    assert_eq!(Pair::drain(&mut c), b"\x04\x05\x04PONG");
    let mut more = BytesMut::from(&ping[..]);
    c.handle_input(&mut more, Instant::now()).unwrap();
    assert_eq!(
        Pair::drain(&mut c),
        b"\x04\x05\x04PONG",
        "answered again once written"
    );
}

/// robustness: partition without RST. Any received byte counts as
/// liveness, so a frame larger than what arrives within a heartbeat
/// timeout still gets through.
#[test]
fn part_of_a_frame_is_a_sign_of_life() {
    let mut cfg = Config::new(SocketType::Pull);
    cfg.heartbeat_ivl = Some(Duration::from_millis(100));
    cfg.heartbeat_timeout = Some(Duration::from_millis(300));
    let mut p = Pair::new(cfg, Config::new(SocketType::Push));
    p.run(usize::MAX).unwrap();
    events(&mut p.a);
    let mut header = BytesMut::from(&[0x02][..]);
    header.extend_from_slice(&100_000u64.to_be_bytes());
    p.a_in.extend_from_slice(&header);
    p.a.handle_input(&mut p.a_in, p.now).unwrap();
    for _ in 0..50 {
        // A PING goes out, then 100 bytes of the frame come in, every 100 ms.
        p.advance(Duration::from_millis(100));
        p.a.handle_timeout(p.now).unwrap();
        Pair::drain(&mut p.a);
        p.a_in.extend_from_slice(&[0; 100]);
        p.a.handle_input(&mut p.a_in, p.now).unwrap();
    }
    assert!(p.a.is_ready());
    // Silence now: the timeout applies again.
    p.advance(Duration::from_millis(100));
    p.a.handle_timeout(p.now).unwrap();
    p.advance(Duration::from_millis(300));
    assert_eq!(
        p.a.handle_timeout(p.now),
        Err(ProtocolError::HeartbeatTimeout)
    );
}

/// A pair whose REP side asks a ZAP handler (as libzmq's NULL does with a
/// ZAP domain): returns it after the REQ side's READY has come in.
fn zap_pair() -> Pair {
    let mut rep = Config::new(SocketType::Rep);
    rep.zap = true;
    let mut p = Pair::new(Config::new(SocketType::Req), rep);
    p.run(usize::MAX).unwrap();
    p
}

fn zap_requests(c: &mut Connection) -> Vec<ZapRequest> {
    events(c)
        .into_iter()
        .filter_map(|e| match e {
            Event::ZapRequest(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// libzmq's NULL mechanism with a ZAP domain asks the handler first and
/// sends READY only once it allowed the peer; the handler's user id and
/// properties then describe the peer.
#[test]
fn null_handshake_pauses_for_zap_then_goes_on() {
    let mut p = zap_pair();
    assert!(!p.a.is_ready() && !p.b.is_ready(), "paused for ZAP");
    let requests = zap_requests(&mut p.b);
    assert_eq!(
        requests,
        [ZapRequest {
            mechanism: MechanismName::Null,
            credentials: vec![]
        }]
    );
    let mut reply = ZapReply::new(200);
    reply.user_id = Bytes::from_static(b"alice");
    reply.metadata.insert("X-Role", "admin");
    p.b.handle_zap_reply(reply, p.now).unwrap();
    p.run(usize::MAX).unwrap();
    assert!(p.a.is_ready() && p.b.is_ready());
    let peer = p.b.peer().unwrap();
    assert_eq!(peer.user_id.as_deref(), Some(&b"alice"[..]));
    assert_eq!(peer.metadata.get("x-role").unwrap(), "admin");
    assert_eq!(peer.metadata.get("socket-type").unwrap(), "REQ");
    assert_eq!(
        p.b.handle_zap_reply(ZapReply::new(200), p.now),
        Err(ProtocolError::UnexpectedZapReply),
        "one answer per request"
    );
}

/// PLAIN over the wire: the server asks ZAP about the credentials, and
/// both sides end ready with the client's User-Id; two clients refuse
/// each other's HELLO, two servers never get ready, and NULL meets PLAIN
/// with a mismatch.
#[test]
fn plain_handshake_over_zmtp() {
    let mut client = Config::new(SocketType::Req);
    client.security = Security::PlainClient {
        username: Bytes::from_static(b"admin"),
        password: Bytes::from_static(b"secret"),
    };
    let mut server = Config::new(SocketType::Rep);
    server.security = Security::PlainServer;
    server.zap = true;
    let mut p = Pair::new(client.clone(), server.clone());
    p.run(usize::MAX).unwrap();
    let requests = zap_requests(&mut p.b);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].mechanism, MechanismName::Plain);
    assert_eq!(requests[0].credentials, [&b"admin"[..], b"secret"]);
    let mut reply = ZapReply::new(200);
    reply.user_id = Bytes::from_static(b"admin");
    p.b.handle_zap_reply(reply, p.now).unwrap();
    p.run(usize::MAX).unwrap();
    assert!(p.a.is_ready() && p.b.is_ready());
    assert_eq!(p.b.peer().unwrap().user_id.as_deref(), Some(&b"admin"[..]));
    assert_eq!(
        p.a.peer().unwrap().metadata.get("Socket-Type").unwrap(),
        "REP"
    );

    let mut clients = Pair::new(client.clone(), client);
    assert!(clients.run(usize::MAX).is_err(), "a HELLO to a client");
    let mut servers = Pair::new(server.clone(), server);
    servers.run(usize::MAX).unwrap();
    assert!(!servers.a.is_ready() && !servers.b.is_ready());
    let mut null = Pair::new(Config::new(SocketType::Req), {
        let mut c = Config::new(SocketType::Rep);
        c.security = Security::PlainServer;
        c
    });
    assert!(matches!(
        null.run(usize::MAX),
        Err(ProtocolError::MechanismMismatch { .. })
    ));
}

/// A CURVE pair of configs: a DEALER client and a ROUTER server with
/// fresh keys; the client's public key is returned too.
fn curve_configs() -> (Config, Config, [u8; 32]) {
    let (server_public, server_secret) = CurveSecret::generate();
    let (client_public, client_secret) = CurveSecret::generate();
    let mut client = Config::new(SocketType::Dealer);
    client.security = Security::CurveClient {
        public: client_public,
        secret: client_secret,
        server: server_public,
    };
    let mut server = Config::new(SocketType::Router);
    server.security = Security::CurveServer {
        secret: server_secret,
    };
    (client, server, client_public)
}

/// CURVE over the wire: the handshake (ZAP asked with the client's public
/// key), then messages and a PING boxed as MESSAGE commands, their flags
/// inside; a replayed MESSAGE (its nonce not going up) ends the
/// connection.
#[test]
fn curve_handshake_and_boxed_traffic() {
    let (client, mut server, client_public) = curve_configs();
    server.zap = true;
    let mut p = Pair::new(client, server);
    p.run(usize::MAX).unwrap();
    let requests = zap_requests(&mut p.b);
    assert_eq!(requests[0].mechanism, MechanismName::Curve);
    assert_eq!(
        requests[0].credentials,
        [Bytes::copy_from_slice(&client_public)]
    );
    p.b.handle_zap_reply(ZapReply::new(200), p.now).unwrap();
    p.run(usize::MAX).unwrap();
    assert!(p.a.is_ready() && p.b.is_ready());
    events(&mut p.a);
    events(&mut p.b);
    p.a.send_message(&message(&["secret", "stuff"]));
    let wire = Pair::drain(&mut p.a);
    assert!(!wire.windows(6).any(|w| w == b"secret"), "not in clear");
    assert!(wire.windows(8).any(|w| w == b"\x07MESSAGE"));
    p.b_in.extend_from_slice(&wire);
    p.b.handle_input(&mut p.b_in, p.now).unwrap();
    assert_eq!(
        events(&mut p.b),
        [Event::Message(message(&["secret", "stuff"]))]
    );
    // The same bytes again: a nonce already seen.
    p.b_in.extend_from_slice(&wire);
    assert!(p.b.handle_input(&mut p.b_in, p.now).is_err());
}

/// A server's key of low order (all zeros here) is refused: no HELLO
/// goes out that anyone could read.
#[test]
fn curve_refuses_a_low_order_server_key() {
    let (mut client, _, _) = curve_configs();
    if let Security::CurveClient { server, .. } = &mut client.security {
        *server = [0; 32];
    }
    let mut c = Connection::new(client, Instant::now());
    let mut greeting = BytesMut::new();
    greeting.extend_from_slice(&Greeting::new(MechanismName::Curve, true).encode());
    c.handle_input(&mut greeting, Instant::now()).unwrap();
    let sent = Pair::drain(&mut c);
    assert!(!sent.windows(5).any(|w| w == b"HELLO"), "no HELLO");
}

/// RFC 27 and libzmq: a refusal (400, 500) sends ERROR with the status
/// code and ends the handshake; a temporary failure (300) sends none.
#[test]
fn zap_refusal_ends_the_handshake() {
    for (status, error_sent) in [(400, true), (500, true), (300, false)] {
        let mut p = zap_pair();
        zap_requests(&mut p.b);
        assert_eq!(
            p.b.handle_zap_reply(ZapReply::new(status), p.now),
            Err(ProtocolError::AuthenticationFailed {
                status_code: status
            })
        );
        let sent = Pair::drain(&mut p.b);
        let expected = format!("\x04\x0a\x05ERROR\x03{status}");
        assert_eq!(sent == expected.as_bytes(), error_sent, "{status}");
        if error_sent {
            p.a_in.extend_from_slice(&sent);
            assert_eq!(
                p.a.handle_input(&mut p.a_in, p.now),
                Err(ProtocolError::PeerError(status.to_string()))
            );
        }
        assert!(!p.b.is_ready());
    }
}

/// robustness row 21: an answer that never comes fails the handshake at
/// `handshake_ivl`.
#[test]
fn an_unanswered_zap_request_times_out() {
    let mut p = zap_pair();
    zap_requests(&mut p.b);
    let due = p.b.poll_timeout().expect("the handshake deadline");
    assert_eq!(
        p.b.handle_timeout(due),
        Err(ProtocolError::HandshakeTimeout)
    );
}

/// Moves frames between two greeting-less connections, as ZWS does: one
/// frame per message of the transport.
fn exchange_frames(from: &mut Connection, to: &mut Connection, now: Instant) {
    let mut bytes = BytesMut::from(&Pair::drain(from)[..]);
    while let Some(frame) = FrameDecoder.decode(&mut bytes, u64::MAX).unwrap() {
        to.handle_frame(frame, now).unwrap();
    }
    assert!(bytes.is_empty());
}

const NULL_ZWS: Zws = Zws::Mechanism(MechanismName::Null);

/// RFC 45: ZWS has no greeting; the handshake starts with the mechanism's
/// first command, and frames come one by one.
#[test]
fn without_a_greeting_the_handshake_starts_at_once() {
    let now = Instant::now();
    let mut a = Connection::zws(Config::new(SocketType::Dealer), NULL_ZWS, now);
    let mut b = Connection::zws(Config::new(SocketType::Router), NULL_ZWS, now);
    let first = Pair::drain(&mut a);
    assert_eq!(first[..9], *b"\x04\x29\x05READY\x0b", "READY, no greeting");
    let mut bytes = BytesMut::from(&first[..]);
    let ready = FrameDecoder.decode(&mut bytes, u64::MAX).unwrap().unwrap();
    b.handle_frame(ready, now).unwrap();
    exchange_frames(&mut b, &mut a, now);
    assert!(a.is_ready() && b.is_ready());
    a.send_message(&message(&["x", "y"]));
    exchange_frames(&mut a, &mut b, now);
    let got = events(&mut b);
    assert_eq!(got[1..], [Event::Message(message(&["x", "y"]))]);
}

/// Bare ZWS (`ZWS2.0`, as browsers speak it): each side's first message
/// is its routing id, no socket type is said, and subscriptions go as
/// `\x01topic` messages, as libzmq's ws engine sends them.
#[test]
fn a_bare_zws_connection_exchanges_routing_ids_only() {
    let now = Instant::now();
    let mut dealer_cfg = Config::new(SocketType::Dealer);
    dealer_cfg.routing_id = Bytes::from_static(b"me");
    let mut dealer = Connection::zws(dealer_cfg, Zws::Bare, now);
    let mut router = Connection::zws(Config::new(SocketType::Router), Zws::Bare, now);
    assert_eq!(Pair::drain(&mut router), b"\x00\x00", "an empty routing id");
    let first = Pair::drain(&mut dealer);
    assert_eq!(first, b"\x00\x02me");
    let mut bytes = BytesMut::from(&first[..]);
    router.handle_input(&mut bytes, now).unwrap();
    let Some(Event::Ready(peer)) = router.poll_event() else {
        panic!("not ready");
    };
    assert_eq!(peer.socket_type, None);
    assert_eq!(peer.routing_id.as_deref(), Some(&b"me"[..]));
    let mut sub = Connection::zws(Config::new(SocketType::Sub), Zws::Bare, now);
    let mut bytes = BytesMut::from(&b"\x00\x00"[..]);
    sub.handle_input(&mut bytes, now).unwrap();
    assert!(sub.is_ready());
    Pair::drain(&mut sub);
    sub.send_subscribe(b"t");
    assert_eq!(Pair::drain(&mut sub), b"\x00\x02\x01t");
    let mut late = Connection::zws(Config::new(SocketType::Pull), Zws::Bare, now);
    let mut command = BytesMut::from(&b"\x04\x06\x05READY"[..]);
    assert!(
        late.handle_input(&mut command, now).is_err(),
        "no command first"
    );
}

/// Frames handed over whole (ZWS) meet the same limits as frames read
/// from a byte stream: `max_message_size` for the message, the small cap
/// during the handshake.
#[test]
fn whole_frames_are_bounded_as_read_ones_are() {
    let now = Instant::now();
    let frame = |flags: u8, size: usize| Frame {
        flags: FrameFlags(flags),
        body: Bytes::from(vec![b'x'; size]),
    };
    let mut early = Connection::zws(Config::new(SocketType::Pull), NULL_ZWS, now);
    assert!(matches!(
        early.handle_frame(frame(FrameFlags::COMMAND, 70_000), now),
        Err(ProtocolError::FrameTooLarge { .. })
    ));
    let mut cfg = Config::new(SocketType::Pull);
    cfg.max_message_size = Some(10);
    let mut c = Connection::zws(cfg, NULL_ZWS, now);
    let mut push = Connection::zws(Config::new(SocketType::Push), NULL_ZWS, now);
    exchange_frames(&mut push, &mut c, now);
    exchange_frames(&mut c, &mut push, now);
    assert!(c.is_ready());
    c.handle_frame(frame(FrameFlags::MORE, 6), now).unwrap();
    assert_eq!(
        c.handle_frame(frame(0, 5), now),
        Err(ProtocolError::MessageTooLarge)
    );
    let mut c2 = Connection::zws(Config::new(SocketType::Pull), NULL_ZWS, now);
    c2.handle_frame(frame(0, 1), now).unwrap_err();
}

/// A receiver with room for `n` messages decodes `n` and leaves the rest
/// in the buffer; commands on the way are still answered.
#[test]
fn decoding_stops_where_the_receiver_has_no_room() {
    let mut c = ready_peer(SocketType::Pull, b"PUSH");
    let mut input =
        BytesMut::from(&b"\x00\x01a\x04\x07\x04PING\x00\x00\x01\x01b\x00\x01c\x00\x01d"[..]);
    let now = Instant::now();
    assert_eq!(c.handle_input_upto(&mut input, now, 1), Ok(1));
    assert_eq!(events(&mut c), [Event::Message(message(&["a"]))]);
    assert_eq!(
        Pair::drain(&mut c),
        b"\x04\x05\x04PONG",
        "the PING was read"
    );
    assert_eq!(input[..], *b"\x01\x01b\x00\x01c\x00\x01d", "left undecoded");
    c.handle_input_upto(&mut input, now, 0).unwrap();
    assert_eq!(events(&mut c), []);
    c.handle_input_upto(&mut input, now, 1).unwrap();
    assert_eq!(events(&mut c), [Event::Message(message(&["b", "c"]))]);
    c.handle_input(&mut input, now).unwrap();
    assert_eq!(events(&mut c), [Event::Message(message(&["d"]))]);
    assert!(input.is_empty());
}

/// The peer's bytes waiting unread (we stopped reading) keep it alive: our
/// back-pressure is not its silence.
#[test]
fn unread_input_is_a_sign_of_life() {
    let mut cfg = Config::new(SocketType::Pull);
    cfg.heartbeat_ivl = Some(Duration::from_millis(100));
    cfg.heartbeat_timeout = Some(Duration::from_millis(300));
    let mut p = Pair::new(cfg, Config::new(SocketType::Push));
    p.run(usize::MAX).unwrap();
    for _ in 0..20 {
        p.advance(Duration::from_millis(100));
        p.a.handle_timeout(p.now).unwrap();
        Pair::drain(&mut p.a);
        p.a.handle_unread_input();
    }
    p.advance(Duration::from_millis(100));
    p.a.handle_timeout(p.now).unwrap();
    p.advance(Duration::from_millis(300));
    assert_eq!(
        p.a.handle_timeout(p.now),
        Err(ProtocolError::HeartbeatTimeout),
        "silence again once nothing waits"
    );
}

/// A STREAM socket's raw connection: ready at once with no greeting sent,
/// each read one message of its bytes, each message's parts written as
/// they are, and no timer.
#[test]
fn a_raw_connection_moves_bytes_as_they_are() {
    let mut c = Connection::raw(Config::new(SocketType::Stream), Instant::now());
    assert!(c.out().is_empty(), "no greeting");
    assert!(matches!(c.poll_event(), Some(Event::Ready(_))));
    assert!(c.is_ready());
    assert_eq!(c.poll_timeout(), None);
    let mut input = BytesMut::from(&b"\xff\x00raw bytes"[..]);
    c.handle_input(&mut input, Instant::now()).unwrap();
    assert!(input.is_empty());
    let Some(Event::Message(msg)) = c.poll_event() else {
        panic!("a message");
    };
    assert_eq!(msg.parts(), [Bytes::from_static(b"\xff\x00raw bytes")]);
    let reply: Message = [&b"HTTP/1.0 200 OK\r\n"[..], b"\r\nhi"]
        .into_iter()
        .map(Bytes::from_static)
        .collect();
    c.send_message(&reply);
    assert_eq!(Pair::drain(&mut c), b"HTTP/1.0 200 OK\r\n\r\nhi");
}
