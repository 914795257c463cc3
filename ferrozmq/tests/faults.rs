//! Faults a deployment meets: a slow consumer under heartbeats, a peer that
//! never answers a connect, a server that dies mid-request, a client that
//! leaves before its reply. Every wait is bounded.

use std::time::Duration;

use ferrozmq::{Context, Error, Event, Monitor, Reason, Socket, SocketType};

/// Far longer than any step here needs; a bound, so that a hang fails.
const BOUND: Duration = Duration::from_secs(20);

fn socket(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_recv_timeout(Some(BOUND)).unwrap();
    s.set_send_timeout(Some(BOUND)).unwrap();
    s
}

/// The next event that `pick` accepts, skipping others; `None` when none
/// comes within `wait`.
fn next_matching<T>(
    monitor: &mut Monitor,
    wait: Duration,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> Option<T> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let event = monitor.recv_timeout(Some(left))?;
        if let Some(found) = pick(event) {
            return Some(found);
        }
    }
}

fn disconnected(monitor: &mut Monitor, wait: Duration) -> Option<Reason> {
    next_matching(monitor, wait, |e| match e {
        Event::Disconnected { reason, .. } => Some(reason),
        _ => None,
    })
}

fn handshake_done(monitor: &mut Monitor) {
    next_matching(monitor, BOUND, |e| {
        matches!(e, Event::HandshakeSucceeded { .. }).then_some(())
    })
    .expect("a handshake");
}

/// RFC 37 counts any incoming traffic as a sign of life; our own
/// back-pressure is not the peer's silence. A PULL that stops reading has
/// the PUSH's bytes (its PONGs among them) waiting in the kernel: it must
/// not drop that healthy peer for a heartbeat timeout, and no message is
/// lost. (libzmq drops it.)
#[test]
fn a_peer_is_not_dropped_for_our_own_back_pressure() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(10).unwrap();
    pull.set_heartbeat_ivl(Some(Duration::from_millis(20)))
        .unwrap();
    pull.set_heartbeat_timeout(Some(Duration::from_millis(60)))
        .unwrap();
    let mut monitor = pull.monitor();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    handshake_done(&mut monitor);
    let body = vec![7u8; 16 * 1024];
    let mut sent = 0u32;
    while push.try_send(body.clone()).is_ok() {
        sent += 1;
    }
    // Nothing is read for many heartbeat timeouts: the PUSH stays.
    assert_eq!(disconnected(&mut monitor, Duration::from_millis(600)), None);
    for _ in 0..sent {
        pull.recv().unwrap();
    }
    push.send("last").unwrap();
    assert_eq!(pull.recv().unwrap().first().unwrap(), "last");
    assert_eq!(disconnected(&mut monitor, Duration::ZERO), None);
}

/// A listener whose accept queue is full: the kernel drops the SYNs of
/// further connects, which then hang as they would towards a peer that
/// was unplugged. The first connection holds the one place of the queue.
async fn blackhole() -> (tokio::net::TcpListener, tokio::net::TcpStream) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let holder = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    (listener, holder)
}

/// libzmq's `ZMQ_CONNECT_TIMEOUT`: a connect that gets no answer is given
/// up after the timeout and retried, instead of holding the endpoint for
/// the system's SYN timeout (about two minutes on Linux).
#[tokio::test]
async fn a_connect_that_gets_no_answer_gives_up_at_the_connect_timeout() {
    let (listener, _holder) = blackhole().await;
    let ctx = Context::new();
    let req = ctx.async_socket(SocketType::Req).unwrap();
    req.set_connect_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut monitor = req.monitor();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    req.connect(&endpoint).await.unwrap();
    let retried = tokio::time::timeout(BOUND, async {
        while let Some(event) = monitor.recv().await {
            match event {
                Event::ConnectRetried { .. } => return true,
                Event::Connected { .. } => return false,
                _ => {}
            }
        }
        false
    })
    .await;
    assert_eq!(retried, Ok(true), "given up and retried, not connected");
}

/// A REQ whose server dies with the request in hand: the reply never
/// comes, so the receive times out (libzmq's REQ stays waiting, and so
/// does this one: it refuses a second request); the loss is reported, and
/// the socket closes without hanging.
#[test]
fn a_req_whose_server_dies_mid_request_times_out() {
    let server_ctx = Context::new();
    let mut rep = socket(&server_ctx, SocketType::Rep);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let ctx = Context::new();
    let mut req = socket(&ctx, SocketType::Req);
    let mut monitor = req.monitor();
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    req.send("work").unwrap();
    assert_eq!(rep.recv().unwrap().first().unwrap(), "work");
    drop(rep);
    drop(server_ctx);
    assert_eq!(disconnected(&mut monitor, BOUND), Some(Reason::PeerClosed));
    req.set_recv_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    assert!(matches!(req.recv(), Err(Error::Timeout)));
    let again = req.send("again").unwrap_err();
    assert!(matches!(again.error, Error::State(_)));
    req.close();
}

/// A client that leaves before its reply: the reply is dropped (RFC 28:
/// it has nowhere to go), and the REP goes on to serve the next client.
#[test]
fn a_rep_whose_client_left_drops_the_reply_and_serves_the_next() {
    let ctx = Context::new();
    let mut rep = socket(&ctx, SocketType::Rep);
    let mut monitor = rep.monitor();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let ep = rep.last_endpoint().unwrap();
    let mut gone = socket(&ctx, SocketType::Req);
    gone.connect(&ep).unwrap();
    gone.send("ask and leave").unwrap();
    assert_eq!(rep.recv().unwrap().first().unwrap(), "ask and leave");
    gone.close();
    assert_eq!(disconnected(&mut monitor, BOUND), Some(Reason::PeerClosed));
    rep.send("nobody hears this").unwrap();
    let mut next = socket(&ctx, SocketType::Req);
    next.connect(&ep).unwrap();
    next.send("and me?").unwrap();
    assert_eq!(rep.recv().unwrap().first().unwrap(), "and me?");
    rep.send("you, yes").unwrap();
    assert_eq!(next.recv().unwrap().first().unwrap(), "you, yes");
}
