//! `ws://` and `wss://`: paths sharing a port, the upgrade's refusals, a
//! bare `ZWS2.0` client (what a browser is), WebSocket's own rules
//! (masking, fragments, text, ping, close) met by a raw client, and TLS.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ferrozmq::{Context, Error, Event, Socket, SocketType};
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::{Bytes, Message, WebSocket};

const WAIT: Duration = Duration::from_secs(20);

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_recv_timeout(Some(WAIT)).unwrap();
    s.set_send_timeout(Some(WAIT)).unwrap();
    s
}

/// The `host:port` of a bound ws endpoint.
fn authority(endpoint: &str) -> String {
    let rest = endpoint.split_once("://").unwrap().1;
    rest.split('/').next().unwrap().to_owned()
}

/// A raw WebSocket client offering `protocol`.
fn raw_client(url: &str, protocol: &str) -> WebSocket<TcpStream> {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_str(protocol).unwrap(),
    );
    let tcp = TcpStream::connect(authority(url)).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let (ws, _) = tungstenite::client(request, tcp).unwrap();
    ws
}

/// Reads binary messages until one is not a routing id or command.
fn next_binary(ws: &mut WebSocket<TcpStream>) -> Vec<u8> {
    loop {
        match ws.read().unwrap() {
            Message::Binary(b) => return b.to_vec(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Two sockets on one port, each its own path; a third on a taken path
/// is refused.
#[test]
fn paths_share_a_port() {
    let ctx = Context::new();
    let mut a = socket(&ctx, SocketType::Rep);
    a.bind("ws://127.0.0.1:*/a").unwrap();
    let port = authority(&a.last_endpoint().unwrap());
    let mut b = socket(&ctx, SocketType::Rep);
    b.bind(&format!("ws://{port}/b")).unwrap();
    let taken = socket(&ctx, SocketType::Rep);
    assert!(matches!(
        taken.bind(&format!("ws://{port}/a")),
        Err(Error::AddrInUse(_))
    ));
    for (server, path) in [(&mut a, "a"), (&mut b, "b")] {
        let mut req = socket(&ctx, SocketType::Req);
        req.connect(&format!("ws://{port}/{path}")).unwrap();
        req.send(path).unwrap();
        assert_eq!(server.recv().unwrap().first().unwrap(), path);
        server.send(format!("from {path}")).unwrap();
        assert_eq!(
            req.recv().unwrap().first().unwrap(),
            &format!("from {path}")
        );
    }
    // Once both paths are unbound the port is let go.
    a.unbind(&format!("ws://{port}/a")).unwrap();
    drop(b);
    drop(taken);
    let mut again = None;
    for _ in 0..200 {
        let s = socket(&ctx, SocketType::Rep);
        if s.bind(&format!("ws://{port}/c")).is_ok() {
            again = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(again.is_some(), "the port was never let go");
}

/// Answers to requests that are not what a ZWS server takes; a page
/// for a plain GET of a path that has one.
#[test]
fn the_upgrade_refuses_with_a_status() {
    let ctx = Context::new();
    let rep = socket(&ctx, SocketType::Rep);
    rep.add_http_page("/page", "text/plain", "a page").unwrap();
    rep.bind("ws://127.0.0.1:*/zmq").unwrap();
    let at = authority(&rep.last_endpoint().unwrap());
    let ask = |request: String| {
        let mut tcp = TcpStream::connect(&at).unwrap();
        tcp.set_read_timeout(Some(WAIT)).unwrap();
        tcp.write_all(request.as_bytes()).unwrap();
        // The head of the answer, or what came before the end.
        let mut answer = Vec::new();
        let mut byte = [0u8];
        while !answer.ends_with(b"\r\n\r\n") && matches!(tcp.read(&mut byte), Ok(1)) {
            answer.push(byte[0]);
        }
        String::from_utf8(answer).unwrap()
    };
    let upgrade = |path: &str, protocol: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
        )
    };
    assert!(ask("GET / HTTP/1.1\r\nHost: x\r\n\r\n".into()).starts_with("HTTP/1.1 426"));
    let page = ask("GET /page?x HTTP/1.1\r\nHost: x\r\n\r\n".into());
    assert!(
        page.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"),
        "{page}"
    );
    assert!(ask(upgrade("/other", "ZWS2.0")).starts_with("HTTP/1.1 404"));
    assert!(ask(upgrade("/zmq", "chat, ZWS2.0/PLAIN")).starts_with("HTTP/1.1 400"));
    assert!(ask(upgrade("/zmq", "ZWS2.0")).starts_with("HTTP/1.1 101"));
    // A head past the limit is cut off without an answer.
    let huge = format!("GET /zmq HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(20_000));
    assert_eq!(ask(huge), "");
}

/// A browser speaks bare `ZWS2.0`: routing ids first, no handshake.
#[test]
fn a_bare_zws_client_is_served() {
    let ctx = Context::new();
    let mut router = socket(&ctx, SocketType::Router);
    router.bind("ws://127.0.0.1:*/").unwrap();
    let url = router.last_endpoint().unwrap();
    let mut ws = raw_client(&url, "ZWS2.0");
    ws.send(Message::binary(b"\x00browser".to_vec())).unwrap();
    ws.send(Message::binary(b"\x01".to_vec())).unwrap();
    ws.send(Message::binary(b"\x00hello".to_vec())).unwrap();
    let got = router.recv().unwrap();
    let parts: Vec<&[u8]> = got.iter().map(|p| &p[..]).collect();
    assert_eq!(parts, [&b"browser"[..], b"", b"hello"]);
    assert_eq!(got.property("Identity").unwrap(), "browser");
    assert!(
        got.property("Socket-Type").is_none(),
        "a bare peer says none"
    );
    router.send(got).unwrap();
    assert_eq!(next_binary(&mut ws), b"\x00", "the server's routing id");
    assert_eq!(next_binary(&mut ws), b"\x01");
    assert_eq!(next_binary(&mut ws), b"\x00hello");
}

/// RFC 6455 as the framing library keeps it: a fragmented message is one
/// message; a ping is answered; an unmasked client frame or a text frame
/// ends that connection only.
#[test]
fn websocket_rules_hold() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind("ws://127.0.0.1:*/in").unwrap();
    let url = pull.last_endpoint().unwrap();
    let mut ws = raw_client(&url, "ZWS2.0");
    ws.send(Message::binary(b"\x00".to_vec())).unwrap();
    let first = Frame::message(
        Bytes::from_static(b"\x00fra"),
        OpCode::Data(Data::Binary),
        false,
    );
    let rest = Frame::message(
        Bytes::from_static(b"gmented"),
        OpCode::Data(Data::Continue),
        true,
    );
    ws.write(Message::Frame(first)).unwrap();
    ws.write(Message::Frame(rest)).unwrap();
    ws.send(Message::Ping(Bytes::from_static(b"are you there")))
        .unwrap();
    assert_eq!(pull.recv().unwrap().first().unwrap(), "fragmented");
    let pong = loop {
        match ws.read().unwrap() {
            Message::Pong(p) => break p,
            _ => continue,
        }
    };
    assert_eq!(&pong[..], b"are you there");

    let mut events = pull.monitor();
    // An unmasked frame from a client (written past the library, which
    // would mask it): a protocol error, for that client only.
    let mut unmasked = raw_client(&url, "ZWS2.0");
    unmasked.send(Message::binary(b"\x00".to_vec())).unwrap();
    unmasked.get_mut().write_all(b"\x82\x02\x00x").unwrap();
    // A text frame: ZWS is binary only.
    let mut text = raw_client(&url, "ZWS2.0");
    text.send(Message::binary(b"\x00".to_vec())).unwrap();
    text.send(Message::text("not binary")).unwrap();
    // An empty message (no flag byte), unknown flag bits, and a frame
    // that declares a terabyte: each drops its own connection, the last
    // before anything is allocated for it.
    let mut empty = raw_client(&url, "ZWS2.0");
    empty.send(Message::binary(b"\x00".to_vec())).unwrap();
    empty.send(Message::binary(Vec::new())).unwrap();
    let mut flags = raw_client(&url, "ZWS2.0");
    flags.send(Message::binary(b"\x00".to_vec())).unwrap();
    flags.send(Message::binary(b"\x80x".to_vec())).unwrap();
    let mut huge = raw_client(&url, "ZWS2.0");
    huge.send(Message::binary(b"\x00".to_vec())).unwrap();
    let mut header = vec![0x82, 0xFF];
    header.extend_from_slice(&(1u64 << 40).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    huge.get_mut().write_all(&header).unwrap();
    let mut dropped = 0;
    while dropped < 5 {
        match events.recv_timeout(Some(WAIT)) {
            Some(Event::Disconnected { reason, .. }) => {
                assert!(!matches!(reason, ferrozmq::Reason::PeerClosed), "{reason}");
                dropped += 1;
            }
            Some(_) => {}
            None => panic!("no disconnect"),
        }
    }
    // The first client is still served.
    ws.send(Message::binary(b"\x00still here".to_vec()))
        .unwrap();
    assert_eq!(pull.recv().unwrap().first().unwrap(), "still here");
}

/// Closing the socket closes its WebSockets with a close frame.
#[test]
fn closing_sends_a_close_frame() {
    let ctx = Context::new();
    let rep = socket(&ctx, SocketType::Rep);
    rep.bind("ws://127.0.0.1:*/").unwrap();
    let url = rep.last_endpoint().unwrap();
    let mut events = rep.monitor();
    let mut ws = raw_client(&url, "ZWS2.0");
    ws.send(Message::binary(b"\x00".to_vec())).unwrap();
    assert_eq!(next_binary(&mut ws), b"\x00", "the server's routing id");
    while !matches!(
        events.recv_timeout(Some(WAIT)),
        Some(Event::HandshakeSucceeded { .. })
    ) {}
    rep.close();
    let closed = loop {
        match ws.read() {
            Ok(Message::Close(frame)) => break frame.is_none() || frame.is_some(),
            Ok(_) => {}
            Err(e) => panic!("no close frame: {e}"),
        }
    };
    assert!(closed);
}

/// wss with a certificate signed by a test CA: a client trusting that CA
/// gets in; one trusting only the system's roots does not.
#[test]
fn wss_with_a_test_certificate() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/wss/");
    let read = |name: &str| std::fs::read(format!("{dir}{name}")).unwrap();
    let ctx = Context::new();
    let mut rep = socket(&ctx, SocketType::Rep);
    assert!(matches!(
        rep.bind("wss://127.0.0.1:*/secure"),
        Err(Error::InvalidOption(_))
    ));
    rep.set_wss_cert_pem(read("server.pem")).unwrap();
    rep.set_wss_key_pem(read("server.key")).unwrap();
    rep.bind("wss://127.0.0.1:*/secure").unwrap();
    let port = authority(&rep.last_endpoint().unwrap());
    let port = port.rsplit(':').next().unwrap();
    let url = format!("wss://localhost:{port}/secure");

    let mut req = socket(&ctx, SocketType::Req);
    req.set_wss_trust_pem(read("ca.pem")).unwrap();
    req.connect(&url).unwrap();
    req.send("over tls").unwrap();
    assert_eq!(rep.recv().unwrap().first().unwrap(), "over tls");
    rep.send("back over tls").unwrap();
    assert_eq!(req.recv().unwrap().first().unwrap(), "back over tls");

    let untrusting = socket(&ctx, SocketType::Req);
    let mut events = untrusting.monitor();
    untrusting.connect(&url).unwrap();
    loop {
        match events.recv_timeout(Some(WAIT)) {
            Some(Event::HandshakeFailed { .. }) => break,
            Some(Event::HandshakeSucceeded { .. }) | None => panic!("an unknown CA was trusted"),
            Some(_) => {}
        }
    }
}

/// A browser cannot offer `ZWS2.0/CURVE` (`/` is not a token character):
/// `ZWS2.0-CURVE` means the same, and is answered as offered.
#[test]
fn a_browser_spelling_of_a_mechanism_is_answered_as_offered() {
    let ctx = Context::new();
    let rep = socket(&ctx, SocketType::Rep);
    let (_, secret) = ferrozmq::curve_keypair();
    rep.set_curve_server(true).unwrap();
    rep.set_curve_secretkey(&secret).unwrap();
    rep.bind("ws://127.0.0.1:*/").unwrap();
    let url = rep.last_endpoint().unwrap();
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ZWS2.0, ZWS2.0-CURVE"),
    );
    let tcp = TcpStream::connect(authority(&url)).unwrap();
    let (_, response) = tungstenite::client(request, tcp).unwrap();
    assert_eq!(
        response.headers()["Sec-WebSocket-Protocol"],
        "ZWS2.0-CURVE",
        "the CURVE server skips bare ZWS2.0 and takes the browser's name"
    );
}
