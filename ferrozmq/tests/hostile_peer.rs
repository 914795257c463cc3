//! A raw TCP peer that writes hand-built ZMTP bytes: our greeting and
//! handshake byte for byte, and the bad inputs of docs/robustness.md. Each
//! bad peer is dropped while a good client goes on being served.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ferrozmq::{Context, Event, Monitor, PeerAddress, ProtocolError, Reason, Socket, SocketType};

const SIGNATURE: [u8; 10] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F];

fn greeting_rest() -> Vec<u8> {
    let mut g = vec![3, 1];
    let mut mechanism = b"NULL".to_vec();
    mechanism.resize(20, 0);
    g.extend(mechanism);
    g.push(0);
    g.extend([0; 31]);
    g
}

fn command(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend(name.as_bytes());
    body.extend(data);
    let mut frame = vec![0x04, body.len() as u8];
    frame.extend(body);
    frame
}

fn ready(socket_type: &str) -> Vec<u8> {
    let mut props = vec![11];
    props.extend(b"Socket-Type");
    props.extend((socket_type.len() as u32).to_be_bytes());
    props.extend(socket_type.as_bytes());
    command("READY", &props)
}

fn raw(ep: &str) -> TcpStream {
    let s = TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Reads until the server closes the connection; returns what it sent.
fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    s.read_to_end(&mut all)
        .expect("server must close the connection, not hang");
    all
}

struct Server {
    ctx: Context,
    rep: Socket,
    ep: String,
    monitor: Monitor,
}

fn server() -> Server {
    server_with(|_| {})
}

fn server_with(configure: impl FnOnce(&Socket)) -> Server {
    let ctx = Context::new();
    let rep = ctx.socket(SocketType::Rep).unwrap();
    configure(&rep);
    rep.set_handshake_ivl(Some(Duration::from_millis(300)))
        .unwrap();
    rep.set_recv_timeout(Some(Duration::from_secs(10))).unwrap();
    let monitor = rep.monitor();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let ep = rep.last_endpoint().unwrap();
    Server {
        ctx,
        rep,
        ep,
        monitor,
    }
}

/// Why the server dropped the connection from `raw`, as its monitor says.
fn why(monitor: &mut Monitor, raw: &TcpStream) -> Reason {
    let ours = raw.local_addr().unwrap();
    loop {
        match monitor.recv_timeout(Some(Duration::from_secs(20))) {
            Some(
                Event::HandshakeFailed { peer, reason, .. }
                | Event::Disconnected { peer, reason, .. },
            ) if peer == PeerAddress::Tcp(ours) => return reason,
            Some(_) => {}
            None => panic!("no monitor event for the dropped connection"),
        }
    }
}

/// The good client that must still be served after each bad one.
fn still_serves(ctx: &Context, rep: &mut Socket, ep: &str) {
    let mut req = ctx.socket(SocketType::Req).unwrap();
    req.set_recv_timeout(Some(Duration::from_secs(10))).unwrap();
    req.connect(ep).unwrap();
    req.send("still there?").unwrap();
    assert_eq!(rep.recv().unwrap().first().unwrap(), "still there?");
    rep.send("yes").unwrap();
    assert_eq!(req.recv().unwrap().first().unwrap(), "yes");
}

/// RFC 23: the greeting starts with the signature; libzmq waits for ours
/// before it sends its version, so ours must come without waiting for the
/// peer's. Then READY carries Socket-Type, and REQ frames carry an empty
/// delimiter.
#[test]
fn greeting_handshake_and_envelope_byte_for_byte() {
    let Server { mut rep, ep, .. } = server();
    let mut s = raw(&ep);
    let mut sig = [0u8; 10];
    s.read_exact(&mut sig).unwrap();
    assert_eq!(sig, SIGNATURE, "signature sent before the peer's");
    s.write_all(&SIGNATURE).unwrap();
    let mut rest = [0u8; 54];
    s.read_exact(&mut rest).unwrap();
    assert_eq!(rest.to_vec(), greeting_rest());
    s.write_all(&greeting_rest()).unwrap();
    let expected = ready("REP");
    let mut got = vec![0u8; expected.len()];
    s.read_exact(&mut got).unwrap();
    assert_eq!(got, expected);
    s.write_all(&ready("REQ")).unwrap();
    s.write_all(&[0x01, 0x00, 0x00, 0x02, b'h', b'i']).unwrap();
    assert_eq!(rep.recv().unwrap().first().unwrap(), "hi");
    rep.send("ok").unwrap();
    let mut reply = [0u8; 6];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(reply, [0x01, 0x00, 0x00, 0x02, b'o', b'k']);
}

/// Sends `bytes` from a raw socket to a fresh server (configured by
/// `configure`), then half-closes. Returns what the server sent before it
/// dropped the connection and the reason its monitor gave, once a good
/// client has been served after it.
fn refused(configure: impl FnOnce(&Socket), bytes: &[u8]) -> (Vec<u8>, Reason) {
    let Server {
        ctx,
        mut rep,
        ep,
        mut monitor,
    } = server_with(configure);
    let mut s = raw(&ep);
    s.write_all(bytes).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let sent = read_to_close(&mut s);
    let reason = why(&mut monitor, &s);
    still_serves(&ctx, &mut rep, &ep);
    (sent, reason)
}

/// A valid greeting and READY from a peer of `socket_type`, then `frames`.
fn after_handshake(socket_type: &str, frames: &[u8]) -> Vec<u8> {
    let mut bytes = SIGNATURE.to_vec();
    bytes.extend(greeting_rest());
    bytes.extend(ready(socket_type));
    bytes.extend(frames);
    bytes
}

#[test]
fn garbage_instead_of_a_greeting_is_dropped() {
    let (_, reason) = refused(|_| {}, &[0x42; 64]);
    assert_eq!(reason, Reason::Protocol(ProtocolError::BadSignature));
}

/// robustness row 2: a ZMTP 2.0 peer (major version 1) is refused.
#[test]
fn zmtp_2_greeting_is_dropped() {
    let mut bytes = SIGNATURE.to_vec();
    bytes.extend([1, 3]);
    let (_, reason) = refused(|_| {}, &bytes);
    assert_eq!(
        reason,
        Reason::Protocol(ProtocolError::UnsupportedVersion { major: 1 })
    );
}

/// robustness row 1: a truncated greeting then silence is dropped at
/// `handshake_ivl`, and holds no pipe meanwhile: a good client is served
/// while it hangs.
#[test]
fn truncated_greeting_then_silence_is_dropped_at_the_handshake_interval() {
    let Server {
        ctx,
        mut rep,
        ep,
        mut monitor,
    } = server();
    let mut s = raw(&ep);
    s.write_all(&SIGNATURE[..5]).unwrap();
    still_serves(&ctx, &mut rep, &ep);
    read_to_close(&mut s);
    assert_eq!(
        why(&mut monitor, &s),
        Reason::Protocol(ProtocolError::HandshakeTimeout)
    );
}

/// robustness row 5: a frame declaring 2^63 bytes is refused before
/// anything is allocated for it.
#[test]
fn frame_declaring_2_pow_63_bytes_is_dropped() {
    let mut frame = vec![0x02];
    frame.extend((1u64 << 63).to_be_bytes());
    let (_, reason) = refused(|_| {}, &after_handshake("REQ", &frame));
    assert!(matches!(
        reason,
        Reason::Protocol(ProtocolError::FrameTooLarge { size, .. }) if size == 1 << 63
    ));
}

/// robustness row 5: over `max_msg_size` is refused the same way.
#[test]
fn frame_over_max_msg_size_is_dropped() {
    let mut frame = vec![0x03];
    frame.extend(1001u64.to_be_bytes());
    let limit = |s: &Socket| s.set_max_msg_size(Some(1000)).unwrap();
    let (_, reason) = refused(limit, &after_handshake("REQ", &frame));
    assert_eq!(
        reason,
        Reason::Protocol(ProtocolError::FrameTooLarge {
            size: 1001,
            limit: 1000
        })
    );
}

/// robustness row 9: an incompatible socket type gets an ERROR, then the
/// drop.
#[test]
fn incompatible_socket_type_gets_an_error_command() {
    let (sent, reason) = refused(|_| {}, &after_handshake("PUB", &[]));
    assert!(matches!(
        reason,
        Reason::Protocol(ProtocolError::IncompatibleSocketType { .. })
    ));
    let tail = &sent[64..];
    let error_at = tail
        .windows(6)
        .position(|w| w == b"\x05ERROR")
        .expect("an ERROR command before the close");
    assert_eq!(tail[error_at - 2], 0x04, "ERROR travels as a command frame");
}

/// robustness row 10: data before READY is never delivered.
#[test]
fn data_before_ready_is_dropped() {
    let mut bytes = SIGNATURE.to_vec();
    bytes.extend(greeting_rest());
    bytes.extend([0x01, 0x00, 0x00, 0x03, b'b', b'a', b'd']);
    let (_, reason) = refused(|_| {}, &bytes);
    assert_eq!(reason, Reason::Protocol(ProtocolError::DataBeforeReady));
}

/// robustness row 14: half a multipart message, then EOF: the part is never
/// delivered; the next message the socket gets is a whole one (checked by
/// the good client that follows).
#[test]
fn half_a_multipart_message_then_eof_is_discarded() {
    let half = [0x01, 0x00, 0x01, 0x04, b'h', b'a', b'l', b'f'];
    let (_, reason) = refused(|_| {}, &after_handshake("REQ", &half));
    assert_eq!(reason, Reason::PeerClosed);
}

/// Completes the handshake as a REQ from a raw socket, then sends `then`;
/// returns the connection, with what the server sent so far read.
fn handshaken_raw(ep: &str, then: &[u8]) -> TcpStream {
    let mut s = raw(ep);
    s.write_all(&after_handshake("REQ", then)).unwrap();
    let mut opening = vec![0u8; 64 + ready("REP").len()];
    s.read_exact(&mut opening).unwrap();
    s
}

/// RFC 37, end to end: a peer that completes its handshake and then says
/// nothing more, not even a PONG, is dropped at the heartbeat timeout; a
/// good client is still served.
#[test]
fn a_peer_that_falls_silent_is_dropped_at_the_heartbeat_timeout() {
    let heartbeats = |s: &Socket| {
        s.set_heartbeat_ivl(Some(Duration::from_millis(50)))
            .unwrap();
        s.set_heartbeat_timeout(Some(Duration::from_millis(150)))
            .unwrap();
    };
    let Server {
        ctx,
        mut rep,
        ep,
        mut monitor,
    } = server_with(heartbeats);
    let s = handshaken_raw(&ep, &[]);
    assert_eq!(
        why(&mut monitor, &s),
        Reason::Protocol(ProtocolError::HeartbeatTimeout)
    );
    still_serves(&ctx, &mut rep, &ep);
}

/// RFC 37, end to end: a PING's TTL is how long its sender may stay
/// silent; past it, the receiver drops the connection.
#[test]
fn a_peer_silent_past_its_ping_ttl_is_dropped() {
    let Server {
        ctx,
        mut rep,
        ep,
        mut monitor,
    } = server();
    // TTL 2 deciseconds, and nothing after it.
    let s = handshaken_raw(&ep, &command("PING", &[0x00, 0x02]));
    assert_eq!(
        why(&mut monitor, &s),
        Reason::Protocol(ProtocolError::TtlExpired)
    );
    still_serves(&ctx, &mut rep, &ep);
}

/// RFC 37: our PINGs carry `heartbeat_ttl` in deciseconds, and a PING from
/// the peer gets a PONG with its context.
#[test]
fn our_pings_carry_the_ttl_and_pings_get_pongs() {
    let heartbeats = |s: &Socket| {
        s.set_heartbeat_ivl(Some(Duration::from_millis(50)))
            .unwrap();
        s.set_heartbeat_ttl(Some(Duration::from_millis(1500)))
            .unwrap();
    };
    let server = server_with(heartbeats);
    let mut s = handshaken_raw(&server.ep, &command("PING", b"\x00\x00ctx"));
    let mut frames = [0u8; 10 + 9];
    s.read_exact(&mut frames).unwrap();
    let pong = b"\x04\x08\x04PONGctx";
    let ping = b"\x04\x07\x04PING\x00\x0f";
    let either = [
        [&pong[..], &ping[..]].concat(),
        [&ping[..], &pong[..]].concat(),
    ];
    assert!(either.contains(&frames.to_vec()), "{frames:?}");
}

/// Robustness row 1: a connection stuck in its handshake gets no pipe, so
/// a PUSH load-balancing over its peers sends it nothing; every message
/// goes to the peer that completed its handshake.
#[test]
fn a_half_open_connection_is_sent_nothing() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_send_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut monitor = push.monitor();
    push.bind("tcp://127.0.0.1:*").unwrap();
    let ep = push.last_endpoint().unwrap();
    let mut stuck = raw(&ep);
    stuck.write_all(&SIGNATURE[..5]).unwrap();
    let mut pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_recv_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    pull.connect(&ep).unwrap();
    while !matches!(
        monitor.recv_timeout(Some(Duration::from_secs(10))),
        Some(Event::HandshakeSucceeded { .. })
    ) {}
    let mut push = push;
    for i in 0..100u32 {
        push.send(i.to_be_bytes().to_vec()).unwrap();
    }
    for i in 0..100u32 {
        assert_eq!(pull.recv().unwrap().first().unwrap()[..], i.to_be_bytes());
    }
}

/// Robustness: partition without RST, on the connecting side. The server
/// completes its handshake, then falls silent: the client's heartbeats
/// find it dead, it reconnects, and the message it had queued goes out on
/// the new connection.
#[test]
fn a_connecting_side_detects_a_silent_server_and_reconnects() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", listener.local_addr().unwrap());
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_heartbeat_ivl(Some(Duration::from_millis(50)))
        .unwrap();
    push.set_heartbeat_timeout(Some(Duration::from_millis(150)))
        .unwrap();
    push.set_reconnect_ivl(Duration::from_millis(10)).unwrap();
    let mut monitor = push.monitor();
    push.connect(&ep).unwrap();
    // First connection: a PULL that says who it is, then nothing more.
    let (mut silent, _) = listener.accept().unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    silent.write_all(&after_handshake("PULL", &[])).unwrap();
    loop {
        match monitor.recv_timeout(Some(Duration::from_secs(20))) {
            Some(Event::Disconnected { reason, .. }) => {
                assert_eq!(reason, Reason::Protocol(ProtocolError::HeartbeatTimeout));
                break;
            }
            Some(_) => {}
            None => panic!("the silent server was never given up"),
        }
    }
    let mut push = push;
    push.send("after the partition").unwrap();
    // Second connection: a PULL that answers; the message arrives on it.
    let (mut fresh, _) = listener.accept().unwrap();
    fresh
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    fresh.write_all(&after_handshake("PULL", &[])).unwrap();
    let mut opening = vec![0u8; 64 + ready("PUSH").len()];
    fresh.read_exact(&mut opening).unwrap();
    let expected = b"\x00\x13after the partition";
    let mut got = vec![0u8; expected.len()];
    fresh.read_exact(&mut got).unwrap();
    assert_eq!(got, expected);
    drop(silent);
}

/// Robustness row 12: a subscriber's topics as long as it likes never
/// overflow the publisher's stack (CVE-2021-20236: libzmq's trie
/// recursed once per byte). A raw peer subscribes to a megabyte-long
/// prefix and leaves; the XPUB hears of both, and goes on serving.
#[test]
fn a_megabyte_long_subscription_then_leaving_is_taken_in_stride() {
    let ctx = Context::new();
    let mut xpub = ctx.socket(SocketType::XPub).unwrap();
    xpub.set_recv_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let ep = xpub.last_endpoint().unwrap();

    let prefix = vec![b'x'; 1 << 20];
    let mut body = vec![9];
    body.extend(b"SUBSCRIBE");
    body.extend(&prefix);
    let mut subscribe = vec![0x06];
    subscribe.extend((body.len() as u64).to_be_bytes());
    subscribe.extend(body);
    let mut s = raw(&ep);
    s.write_all(&after_handshake("SUB", &subscribe)).unwrap();
    let mut heard = xpub.recv().unwrap();
    assert_eq!(
        heard.first().unwrap().as_ref(),
        [&[1][..], &prefix].concat()
    );
    drop(s);
    heard = xpub.recv().unwrap();
    assert_eq!(
        heard.first().unwrap().as_ref(),
        [&[0][..], &prefix].concat()
    );

    let mut sub = ctx.socket(SocketType::Sub).unwrap();
    sub.set_recv_timeout(Some(Duration::from_secs(20))).unwrap();
    sub.subscribe("t").unwrap();
    sub.connect(&ep).unwrap();
    assert_eq!(xpub.recv().unwrap().first().unwrap().as_ref(), b"\x01t");
    xpub.send("topic").unwrap();
    assert_eq!(sub.recv().unwrap().first().unwrap(), "topic");
}
