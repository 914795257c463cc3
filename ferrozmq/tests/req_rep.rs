//! REQ/REP semantics (RFC 28) between ferrozmq sockets over TCP.

use std::time::Duration;

use ferrozmq::{Bytes, Context, Error, Event, Message, PeerAddress, Socket, SocketType};

/// A socket whose every wait is bounded, so that a bug fails a test
/// instead of hanging it.
fn socket(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_recv_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_send_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn bound(ctx: &Context, t: SocketType) -> (Socket, String) {
    let s = socket(ctx, t);
    s.bind("tcp://127.0.0.1:*").unwrap();
    let ep = s.last_endpoint().unwrap();
    (s, ep)
}

fn connected(ctx: &Context, t: SocketType, ep: &str) -> Socket {
    let s = socket(ctx, t);
    s.connect(ep).unwrap();
    s
}

/// An endpoint on a port nobody listens on right now.
fn unused_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp://{}", l.local_addr().unwrap())
}

fn text(m: &Message) -> Vec<String> {
    m.iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

#[test]
fn request_and_reply_round_trip_with_multipart_and_empty_frames() {
    let ctx = Context::new();
    let (mut rep, ep) = bound(&ctx, SocketType::Rep);
    let mut req = connected(&ctx, SocketType::Req, &ep);
    for _ in 0..3 {
        req.send(Message::from_iter(["a", "", "c"])).unwrap();
        let got = rep.recv().unwrap();
        assert_eq!(text(&got), ["a", "", "c"]);
        rep.send(Message::from_iter(["", "x"])).unwrap();
        assert_eq!(text(&req.recv().unwrap()), ["", "x"]);
    }
}

/// RFC 28: a REQ socket "SHALL NOT" send a second request before the reply,
/// and a REP socket cannot reply before it has a request.
#[test]
fn out_of_turn_calls_are_state_errors_and_hand_the_message_back() {
    let ctx = Context::new();
    let (mut rep, ep) = bound(&ctx, SocketType::Rep);
    let mut req = connected(&ctx, SocketType::Req, &ep);
    assert!(matches!(req.recv(), Err(Error::State(_))));
    let e = rep.send("too early").unwrap_err();
    assert!(matches!(e.error, Error::State(_)));
    assert_eq!(e.message, Message::from("too early"));
    req.send("one").unwrap();
    let e = req.send("two").unwrap_err();
    assert!(matches!(e.error, Error::State(_)));
    assert_eq!(e.message.first().unwrap(), "two");
    assert_eq!(text(&rep.recv().unwrap()), ["one"]);
    assert!(matches!(rep.recv(), Err(Error::State(_))));
}

/// RFC 28: REQ "SHALL route outgoing messages to connected peers using a
/// round-robin strategy".
#[test]
fn req_round_robins_over_its_servers() {
    let ctx = Context::new();
    let mut servers: Vec<(Socket, String)> = (0..3).map(|_| bound(&ctx, SocketType::Rep)).collect();
    let mut req = socket(&ctx, SocketType::Req);
    for (_, ep) in &servers {
        req.connect(ep).unwrap();
    }
    for round in 0..2 {
        for (i, (rep, _)) in servers.iter_mut().enumerate() {
            req.send(format!("{round}-{i}")).unwrap();
            assert_eq!(text(&rep.recv().unwrap()), [format!("{round}-{i}")]);
            rep.send("ok").unwrap();
            assert_eq!(text(&req.recv().unwrap()), ["ok"]);
        }
    }
}

/// RFC 28: REP "SHALL receive incoming messages from its peers using a
/// fair-queuing strategy" and routes each reply to the peer that asked.
#[test]
fn rep_serves_many_clients_and_routes_each_reply_back() {
    let ctx = Context::new();
    let (mut rep, ep) = bound(&ctx, SocketType::Rep);
    let mut clients: Vec<Socket> = (0..10)
        .map(|_| connected(&ctx, SocketType::Req, &ep))
        .collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.send(format!("client {i}")).unwrap();
    }
    for _ in 0..clients.len() {
        let request = rep.recv().unwrap();
        let mut reply = text(&request)[0].clone();
        reply.push_str(" answered");
        rep.send(reply).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        assert_eq!(text(&c.recv().unwrap()), [format!("client {i} answered")]);
    }
}

#[test]
fn connect_before_bind_delivers_once_the_server_appears() {
    let ctx = Context::new();
    let ep = unused_endpoint();
    let mut req = connected(&ctx, SocketType::Req, &ep);
    req.send("early").unwrap();
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.bind(&ep).unwrap();
    assert_eq!(text(&rep.recv().unwrap()), ["early"]);
    rep.send("late").unwrap();
    assert_eq!(text(&req.recv().unwrap()), ["late"]);
}

#[test]
fn client_reconnects_after_the_server_restarts() {
    let ctx = Context::new();
    let (mut rep, ep) = bound(&ctx, SocketType::Rep);
    let mut listener = rep.monitor();
    let mut req = connected(&ctx, SocketType::Req, &ep);
    let mut monitor = req.monitor();
    req.send("1").unwrap();
    rep.recv().unwrap();
    rep.send("1").unwrap();
    req.recv().unwrap();
    drop(rep);
    wait_for_close(&mut listener);
    // A request sent before REQ has seen the connection go would be lost
    // with it (as with libzmq): wait until it has.
    loop {
        match monitor.recv_timeout(Some(Duration::from_secs(10))) {
            Some(Event::Disconnected { .. }) => break,
            Some(_) => {}
            None => panic!("REQ never saw the server go"),
        }
    }
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.bind(&ep).unwrap();
    req.send("2").unwrap();
    assert_eq!(text(&rep.recv().unwrap()), ["2"]);
    rep.send("2").unwrap();
    assert_eq!(text(&req.recv().unwrap()), ["2"]);
}

#[test]
fn endpoint_errors_are_reported_not_panicked() {
    let ctx = Context::new();
    let (rep, ep) = bound(&ctx, SocketType::Rep);
    let other = ctx.socket(SocketType::Rep).unwrap();
    assert!(matches!(other.bind(&ep), Err(Error::AddrInUse(_))));
    assert!(matches!(
        other.bind("tcp://nope"),
        Err(Error::InvalidEndpoint(_))
    ));
    assert!(matches!(
        other.connect("tcp://[::1%:5"),
        Err(Error::InvalidEndpoint(_))
    ));
    assert!(matches!(other.unbind(&ep), Err(Error::EndpointNotFound(_))));
    assert!(matches!(
        other.disconnect(&ep),
        Err(Error::EndpointNotFound(_))
    ));
    assert!(matches!(rep.subscribe("x"), Err(Error::Unsupported(_))));
    rep.unbind(&ep).unwrap();
    assert!(matches!(rep.unbind(&ep), Err(Error::EndpointNotFound(_))));
}

#[test]
fn timeouts_and_non_blocking_calls() {
    let ctx = Context::new();
    let (mut rep, _ep) = bound(&ctx, SocketType::Rep);
    assert!(matches!(rep.try_recv(), Err(Error::WouldBlock)));
    rep.set_recv_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    assert!(matches!(rep.recv(), Err(Error::Timeout)));
    // A REQ with no peer at all has nowhere to queue a request.
    let mut req = ctx.socket(SocketType::Req).unwrap();
    let e = req.try_send("x").unwrap_err();
    assert!(matches!(e.error, Error::WouldBlock));
    assert_eq!(e.message.first().unwrap(), "x");
}

#[test]
fn unbind_stops_accepting_and_disconnect_stops_connecting() {
    let ctx = Context::new();
    let (mut rep, ep) = bound(&ctx, SocketType::Rep);
    let mut listener = rep.monitor();
    let mut req = connected(&ctx, SocketType::Req, &ep);
    req.send("a").unwrap();
    rep.recv().unwrap();
    rep.send("b").unwrap();
    req.recv().unwrap();
    rep.unbind(&ep).unwrap();
    // The port is free again once the listener has closed.
    wait_for_close(&mut listener);
    ctx.socket(SocketType::Rep).unwrap().bind(&ep).unwrap();
    req.disconnect(&ep).unwrap();
    assert!(matches!(
        req.try_send("c").unwrap_err().error,
        Error::WouldBlock
    ));
}

#[test]
fn connect_resolves_dns_names() {
    let ctx = Context::new();
    let (mut rep, ep) = bound(&ctx, SocketType::Rep);
    let port = ep.rsplit(':').next().unwrap();
    let mut req = connected(&ctx, SocketType::Req, &format!("tcp://localhost:{port}"));
    req.send("by name").unwrap();
    assert_eq!(text(&rep.recv().unwrap()), ["by name"]);
}

/// libzmq's `tcp://source;peer` form: each connection leaves from the
/// source address, and connections to different servers may share its
/// port. The connect string given is the one `disconnect` takes.
#[test]
fn connect_from_a_source_address() {
    let ctx = Context::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let source = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let pairs: Vec<_> = (0..2)
        .map(|_| {
            let (rep, ep) = bound(&ctx, SocketType::Rep);
            let monitor = rep.monitor();
            let from = format!("tcp://{source};{}", &ep["tcp://".len()..]);
            (rep, monitor, connected(&ctx, SocketType::Req, &from), from)
        })
        .collect();
    for (mut rep, mut monitor, mut req, from) in pairs {
        let peer = loop {
            if let Event::HandshakeSucceeded { peer, .. } =
                monitor.recv_timeout(Some(Duration::from_secs(10))).unwrap()
            {
                break peer;
            }
        };
        assert_eq!(peer, PeerAddress::Tcp(source));
        req.send("from the source").unwrap();
        assert_eq!(text(&rep.recv().unwrap()), ["from the source"]);
        rep.send("back").unwrap();
        assert_eq!(text(&req.recv().unwrap()), ["back"]);
        req.disconnect(&from).unwrap();
    }
}

/// robustness row 24: option values of the wrong length are errors.
#[test]
fn bad_option_values_are_errors() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Req).unwrap();
    for bad in [&b""[..], b"\0starts-with-zero", &[b'x'; 256]] {
        assert!(matches!(
            s.set_routing_id(bad.to_vec()),
            Err(Error::InvalidOption(_))
        ));
    }
    s.set_routing_id(&b"client-1"[..]).unwrap();
    assert!(matches!(
        s.set_heartbeat_ttl(Some(Duration::from_secs(7000))),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        Context::with_io_threads(0),
        Err(Error::InvalidOption(_))
    ));
}

/// The monitor reports each step of a connection's life, on both sides.
#[test]
fn monitor_reports_the_life_of_a_connection() {
    let ctx = Context::new();
    let rep = ctx.socket(SocketType::Rep).unwrap();
    let mut server = rep.monitor();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let ep = rep.last_endpoint().unwrap();
    let next = next_event;
    assert_eq!(
        next(&mut server),
        Event::Listening {
            endpoint: ep.clone()
        }
    );

    let req = ctx.socket(SocketType::Req).unwrap();
    let mut client = req.monitor();
    req.connect(&ep).unwrap();
    assert_eq!(
        next(&mut client),
        Event::ConnectDelayed {
            endpoint: ep.clone()
        }
    );
    assert!(matches!(next(&mut client), Event::Connected { endpoint, .. } if endpoint == ep));
    assert!(matches!(
        next(&mut client),
        Event::HandshakeSucceeded { .. }
    ));
    let Event::Accepted { peer, .. } = next(&mut server) else {
        panic!("accepted first");
    };
    assert_eq!(
        next(&mut server),
        Event::HandshakeSucceeded {
            endpoint: ep.clone(),
            peer: peer.clone()
        }
    );
    drop(req);
    assert_eq!(
        next(&mut server),
        Event::Disconnected {
            endpoint: ep.clone(),
            peer,
            reason: ferrozmq::Reason::PeerClosed
        }
    );
    let other = ctx.socket(SocketType::Rep).unwrap();
    let mut failures = other.monitor();
    assert!(other.bind(&ep).is_err(), "in use");
    assert!(matches!(next(&mut failures), Event::BindFailed { endpoint, .. } if endpoint == ep));
    drop(other);
    assert_eq!(next(&mut failures), Event::MonitorStopped);
    assert_eq!(failures.recv_timeout(Some(Duration::from_secs(10))), None);
    rep.unbind(&ep).unwrap();
    assert_eq!(next(&mut server), Event::Closed { endpoint: ep });

    let lonely = ctx.socket(SocketType::Req).unwrap();
    let mut retries = lonely.monitor();
    let nobody = unused_endpoint();
    lonely.connect(&nobody).unwrap();
    assert!(matches!(next(&mut retries), Event::ConnectDelayed { .. }));
    assert!(matches!(
        next(&mut retries),
        Event::ConnectRetried { delay, .. }
            if delay >= Duration::from_millis(100) && delay < Duration::from_millis(200)
    ));
}

#[test]
fn one_socket_serves_several_binds() {
    let ctx = Context::new();
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let first = rep.last_endpoint().unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let second = rep.last_endpoint().unwrap();
    assert_ne!(first, second);
    for ep in [&first, &second] {
        let mut req = connected(&ctx, SocketType::Req, ep);
        req.send(ep.as_str()).unwrap();
        assert_eq!(text(&rep.recv().unwrap()), [ep.as_str()]);
        rep.send("ok").unwrap();
        assert_eq!(text(&req.recv().unwrap()), ["ok"]);
    }
}

/// Waits until the monitored socket's listener has closed (its port is
/// free then).
fn wait_for_close(monitor: &mut ferrozmq::Monitor) {
    while !matches!(next_event(monitor), Event::Closed { .. }) {}
}

/// The next event of `monitor`, waiting at most 10 s.
fn next_event(monitor: &mut ferrozmq::Monitor) -> Event {
    monitor
        .recv_timeout(Some(Duration::from_secs(10)))
        .expect("an event within 10 s")
}

/// The wait announced by the next `ConnectRetried`, skipping other events.
fn next_retry(monitor: &mut ferrozmq::Monitor) -> Duration {
    loop {
        if let Event::ConnectRetried { delay, .. } = next_event(monitor) {
            return delay;
        }
    }
}

/// libzmq: failed connects are retried after `reconnect_ivl`, doubling up
/// to `reconnect_ivl_max`, each wait plus random jitter below
/// `reconnect_ivl` (so that many clients do not come back at once).
#[test]
fn reconnect_backs_off_to_the_maximum() {
    let ctx = Context::new();
    let req = ctx.socket(SocketType::Req).unwrap();
    let ivl = Duration::from_millis(10);
    req.set_reconnect_ivl(ivl).unwrap();
    req.set_reconnect_ivl_max(Some(Duration::from_millis(40)))
        .unwrap();
    let mut monitor = req.monitor();
    req.connect(&unused_endpoint()).unwrap();
    for base in [10, 20, 40, 40, 40] {
        let jitter = next_retry(&mut monitor) - Duration::from_millis(base);
        assert!(jitter < ivl, "{base} ms + {jitter:?}");
    }
}

/// A connection that worked starts the backoff over: once it ends, the
/// next attempt waits `reconnect_ivl` (plus jitter), not what the failures
/// before it had grown the wait to.
#[test]
fn reconnect_after_a_working_session_starts_over_from_the_interval() {
    let ctx = Context::new();
    let mut req = socket(&ctx, SocketType::Req);
    let ivl = Duration::from_millis(1);
    req.set_reconnect_ivl(ivl).unwrap();
    req.set_reconnect_ivl_max(Some(Duration::from_secs(5)))
        .unwrap();
    let mut monitor = req.monitor();
    let endpoint = unused_endpoint();
    req.connect(&endpoint).unwrap();
    for _ in 0..7 {
        next_retry(&mut monitor);
    }
    // The wait has grown to 128 ms; now a server comes, and goes.
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.bind(&endpoint).unwrap();
    req.send("hello").unwrap();
    assert_eq!(text(&rep.recv().unwrap()), ["hello"]);
    rep.send("bye").unwrap();
    assert_eq!(text(&req.recv().unwrap()), ["bye"]);
    rep.close();
    while !matches!(next_event(&mut monitor), Event::Disconnected { .. }) {}
    let wait = next_retry(&mut monitor);
    assert!(wait >= ivl && wait < 2 * ivl, "{wait:?}");
}

/// Thousands of round trips in a row, each reply as soon as the request is
/// in: a reply that comes back while the request is still being queued is
/// the answer, not a stale reply to drop (a REQ that drained stale replies
/// after writing its request lost such replies and waited forever, 3 runs
/// in 5 at this count).
#[test]
fn many_round_trips_in_a_row_lose_no_reply() {
    let server_ctx = Context::new();
    let (mut rep, ep) = bound(&server_ctx, SocketType::Rep);
    let server = std::thread::spawn(move || {
        for _ in 0..5000 {
            let request = rep.recv().unwrap();
            rep.send(request).unwrap();
        }
    });
    let ctx = Context::new();
    let mut req = connected(&ctx, SocketType::Req, &ep);
    for i in 0..5000u32 {
        req.send(i.to_be_bytes().to_vec()).unwrap();
        assert_eq!(req.recv().unwrap().first().unwrap()[..], i.to_be_bytes());
    }
    server.join().unwrap();
}

/// A reply sent right after a request arrives is written on the caller's
/// thread; what the kernel does not take at once (a reply far larger than
/// its buffers) the connection's engine must finish, or the client waits
/// forever.
#[test]
fn replies_larger_than_the_kernel_buffers_arrive_whole() {
    let ctx = Context::new();
    let (mut rep, ep) = bound(&ctx, SocketType::Rep);
    let mut req = connected(&ctx, SocketType::Req, &ep);
    let big: Vec<u8> = (0..16 << 20).map(|i: u32| (i % 251) as u8).collect();
    for round in 0..3u8 {
        req.send(vec![round]).unwrap();
        assert_eq!(rep.recv().unwrap().first().unwrap()[..], [round]);
        rep.send(Message::from_iter([vec![round], big.clone(), big.clone()]))
            .unwrap();
        let reply = req.recv().unwrap();
        assert_eq!(reply.len(), 3);
        assert_eq!(reply.first().unwrap()[..], [round]);
        assert!(reply.iter().skip(1).all(|part| part[..] == big[..]));
    }
}

/// A message with no parts has no wire form: sending one is an error that
/// hands it back and leaves the socket's state as it was.
#[test]
fn a_message_with_no_parts_is_refused() {
    let ctx = Context::new();
    let (mut rep, ep) = bound(&ctx, SocketType::Rep);
    let mut req = connected(&ctx, SocketType::Req, &ep);
    let e = req.send(Message::new()).unwrap_err();
    assert!(matches!(e.error, Error::EmptyMessage));
    assert!(e.message.is_empty());
    req.send("").unwrap();
    assert_eq!(text(&rep.recv().unwrap()), [""]);
    assert!(matches!(
        rep.send(Message::new()).unwrap_err().error,
        Error::EmptyMessage
    ));
    rep.send("still my turn").unwrap();
    assert_eq!(text(&req.recv().unwrap()), ["still my turn"]);
}

/// Sockets, their context and their messages move between threads and can
/// be shared (options and endpoints take `&self`).
#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Context>();
    send_sync::<Socket>();
    send_sync::<ferrozmq::AsyncSocket>();
    send_sync::<Message>();
    send_sync::<ferrozmq::Monitor>();
    send_sync::<Error>();
    send_sync::<ferrozmq::SendError>();
}

/// `ipv6`: a bind to `*` listens on both families, so a client over IPv4
/// and one over IPv6 (where the system has an IPv6 loopback) both reach it.
#[test]
fn an_ipv6_wildcard_bind_serves_both_families() {
    let ctx = Context::new();
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.set_ipv6(true).unwrap();
    assert!(rep.ipv6());
    rep.bind("tcp://*:*").unwrap();
    let bound = rep.last_endpoint().unwrap();
    assert!(bound.starts_with("tcp://[::]:"), "{bound}");
    let port = bound.rsplit(':').next().unwrap();
    let mut hosts = vec!["127.0.0.1"];
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        hosts.push("[::1]");
    }
    for host in hosts {
        let mut req = connected(&ctx, SocketType::Req, &format!("tcp://{host}:{port}"));
        req.send(host).unwrap();
        assert_eq!(text(&rep.recv().unwrap()), [host]);
        rep.send("ok").unwrap();
        assert_eq!(text(&req.recv().unwrap()), ["ok"]);
    }
}

/// `connect_routing_id`: a ROUTER names the peer it connects to, and
/// addresses it by that name whatever the peer announces.
#[test]
fn a_router_names_the_peer_it_connects_to() {
    let ctx = Context::new();
    let mut server = socket(&ctx, SocketType::Router);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = socket(&ctx, SocketType::Router);
    client.set_router_mandatory(true).unwrap();
    client.set_connect_routing_id(&b"the-server"[..]).unwrap();
    let mut events = client.monitor();
    client.connect(&server.last_endpoint().unwrap()).unwrap();
    // Once the handshake is reported, the socket's next call routes to it.
    while !matches!(next_event(&mut events), Event::HandshakeSucceeded { .. }) {}
    client
        .send(vec![
            Bytes::from_static(b"the-server"),
            Bytes::from_static(b"hello"),
        ])
        .unwrap();
    let request = server.recv().unwrap();
    assert_eq!(request.parts()[1], "hello");
    let reply = vec![request.parts()[0].clone(), Bytes::from_static(b"hi")];
    server.send(reply).unwrap();
    assert_eq!(text(&client.recv().unwrap()), ["the-server", "hi"]);
    assert!(matches!(
        socket(&ctx, SocketType::Dealer).set_connect_routing_id(&b"x"[..]),
        Err(Error::InvalidOption(_))
    ));
}
