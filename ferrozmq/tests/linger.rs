//! Closing: linger, reconnection while closing, and what survives a lost
//! connection. Every wait is bounded; none is a synchronisation by sleep.

use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use ferrozmq::{Bytes, Context, Event, Message, Monitor, Reason, Socket, SocketType};

/// Far longer than any step here needs; a bound, so that a hang fails.
const BOUND: Duration = Duration::from_secs(20);

/// Runs `f` on a thread and fails if it does not return within [`BOUND`].
fn finishes(what: &str, f: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    assert!(
        finished.recv_timeout(BOUND).is_ok(),
        "{what} did not finish"
    );
}

fn socket(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_recv_timeout(Some(BOUND)).unwrap();
    s.set_send_timeout(Some(BOUND)).unwrap();
    s
}

/// An endpoint on a port nobody listened on a moment ago.
fn unused_endpoint() -> String {
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp://{}", free.local_addr().unwrap())
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A PULL on an ephemeral port, and its endpoint.
fn bound_pull(ctx: &Context) -> (Socket, String) {
    let pull = socket(ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint().unwrap();
    (pull, ep)
}

/// The reason of the next `Disconnected` event.
fn disconnected(monitor: &mut Monitor) -> Reason {
    loop {
        match monitor.recv_timeout(Some(BOUND)) {
            Some(Event::Disconnected { reason, .. }) => return reason,
            Some(_) => {}
            None => panic!("no disconnection reported"),
        }
    }
}

/// A message of `size` bytes after an 8-byte sequence number; the body is
/// shared, not copied, so thousands of them cost one buffer.
fn numbered(i: u64, body: &Bytes) -> Message {
    Message::from(vec![Bytes::copy_from_slice(&i.to_be_bytes()), body.clone()])
}

fn number(msg: &Message) -> u64 {
    u64::from_be_bytes(msg.first().unwrap()[..8].try_into().unwrap())
}

/// libzmq: a closed socket's queued messages are sent for at most the
/// linger period. A peer that stopped reading must not stretch it: the
/// connection is given up when the period ends, and the monitor says so.
#[test]
fn linger_ends_even_while_the_peer_does_not_read() {
    let ctx = Context::new();
    let pull = socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(1).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.set_sndhwm(1).unwrap();
    push.set_linger(Some(Duration::from_millis(200))).unwrap();
    let mut monitor = push.monitor();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    while !matches!(
        monitor.recv_timeout(Some(BOUND)),
        Some(Event::HandshakeSucceeded { .. })
    ) {}
    // Fill the kernel's buffers and the connection's own until a send
    // waits in vain: the connection is stuck behind a peer that won't read.
    push.set_send_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let body = Bytes::from(vec![7u8; 64 * 1024]);
    let mut sent = 0;
    while push.send(numbered(sent, &body)).is_ok() {
        sent += 1;
        assert!(sent < 100_000, "the peer's high-water mark never held");
    }
    drop(push);
    assert_eq!(disconnected(&mut monitor), Reason::LingerExpired);
    finishes("the context's drop", move || drop((pull, ctx)));
}

/// Closing a socket whose connection is stuck in its handshake (a peer
/// that accepts and says nothing, no handshake timeout) does not wait for
/// the handshake: with nothing to send, there is nothing to linger for.
#[test]
fn close_abandons_a_handshake_that_never_completes() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", silent.local_addr().unwrap());
    let ctx = Context::new();
    let req = socket(&ctx, SocketType::Req);
    req.set_handshake_ivl(None).unwrap();
    let mut monitor = req.monitor();
    req.connect(&ep).unwrap();
    let _accepted = silent.accept().unwrap();
    assert!(matches!(
        monitor.recv_timeout(Some(BOUND)),
        Some(Event::ConnectDelayed { .. })
    ));
    assert!(matches!(
        monitor.recv_timeout(Some(BOUND)),
        Some(Event::Connected { .. })
    ));
    finishes("closing", move || drop((req, ctx)));
    assert!(matches!(
        monitor.recv_timeout(Some(BOUND)),
        Some(Event::HandshakeFailed {
            reason: Reason::Closed,
            ..
        })
    ));
}

/// Closing with a message queued for a peer that is not there waits at
/// most the linger period, however long the reconnect interval is.
#[test]
fn close_does_not_wait_out_the_reconnect_interval() {
    let ep = unused_endpoint();
    let ctx = Context::new();
    let mut push = socket(&ctx, SocketType::Push);
    push.set_reconnect_ivl(Duration::from_secs(3600)).unwrap();
    push.set_linger(Some(Duration::from_millis(100))).unwrap();
    let mut monitor = push.monitor();
    push.connect(&ep).unwrap();
    push.send("never delivered").unwrap();
    assert!(matches!(
        monitor.recv_timeout(Some(BOUND)),
        Some(Event::ConnectDelayed { .. })
    ));
    assert!(matches!(
        monitor.recv_timeout(Some(BOUND)),
        Some(Event::ConnectRetried { .. })
    ));
    finishes("closing", move || drop((push, ctx)));
}

/// `Duration::MAX` as a linger (or any timeout) means "forever", never a
/// panic from clock arithmetic, in `disconnect` or in the socket's drop.
#[test]
fn an_endless_linger_is_not_a_panic() {
    let ctx = Context::new();
    let (mut pull, ep) = bound_pull(&ctx);
    let mut push = socket(&ctx, SocketType::Push);
    push.set_linger(Some(Duration::MAX)).unwrap();
    push.set_send_timeout(Some(Duration::MAX)).unwrap();
    push.connect(&ep).unwrap();
    push.send("flushed").unwrap();
    push.disconnect(&ep).unwrap();
    assert_eq!(pull.recv().unwrap().first().unwrap(), "flushed");
    pull.set_recv_timeout(Some(Duration::MAX)).unwrap();
    push.connect(&ep).unwrap();
    push.send("again").unwrap();
    drop(push);
    assert_eq!(pull.recv().unwrap().first().unwrap(), "again");
}

/// robustness: peer restarts. Messages still queued on the connect side
/// when the connection is lost go to the next connection. A connection only
/// takes what it can write soon; the rest waits in the pipe.
#[test]
fn messages_left_in_the_pipe_survive_a_reconnect() {
    const COUNT: u64 = 1000;
    let ctx = Context::new();
    let ep = unused_endpoint();
    // Everything is queued before the first peer exists.
    let mut push = socket(&ctx, SocketType::Push);
    push.set_sndhwm(0).unwrap();
    push.connect(&ep).unwrap();
    // 64 MB: more than the kernel's buffers and one connection's batch.
    let body = Bytes::from(vec![1u8; 64 * 1024]);
    for i in 0..COUNT {
        push.send(numbered(i, &body)).unwrap();
    }
    let mut first = socket(&ctx, SocketType::Pull);
    let mut listener = first.monitor();
    first.set_rcvhwm(1).unwrap();
    first.bind(&ep).unwrap();
    assert_eq!(number(&first.recv().unwrap()), 0);
    first.set_linger(Some(Duration::ZERO)).unwrap();
    drop(first);
    // The port is free once the listener has closed.
    loop {
        match listener.recv_timeout(Some(BOUND)) {
            Some(Event::Closed { .. }) => break,
            Some(_) => {}
            None => panic!("the listener never closed"),
        }
    }
    let mut second = socket(&ctx, SocketType::Pull);
    second.bind(&ep).unwrap();
    let mut last = number(&second.recv().unwrap());
    while last < COUNT - 1 {
        let next = number(&second.recv().unwrap());
        assert!(next > last, "order kept: {next} after {last}");
        last = next;
    }
}

/// All events a monitor holds right now, without waiting.
fn held(monitor: &mut Monitor) -> Vec<Event> {
    std::iter::from_fn(|| monitor.recv_timeout(Some(Duration::ZERO))).collect()
}

/// `close` returns once the socket's connections have flushed and ended:
/// by then the monitor holds the end of each.
#[test]
fn close_waits_for_the_flush() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    let mut monitor = push.monitor();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    for i in 0..100u64 {
        push.send(i.to_be_bytes().to_vec()).unwrap();
    }
    push.close();
    let events = held(&mut monitor);
    assert!(
        events.contains(&Event::Disconnected {
            endpoint: pull.last_endpoint().unwrap(),
            peer: match events.iter().find(|e| matches!(e, Event::Connected { .. })) {
                Some(Event::Connected { peer, .. }) => peer.clone(),
                _ => panic!("never connected: {events:?}"),
            },
            reason: Reason::Closed,
        }),
        "{events:?}"
    );
    for i in 0..100u64 {
        assert_eq!(pull.recv().unwrap().first().unwrap()[..], i.to_be_bytes());
    }
}

/// A socket made inside a runtime runs its connections on it; `close` lets
/// them flush before the runtime ends.
#[test]
fn an_async_socket_flushes_on_close_before_its_runtime_ends() {
    let ctx = Context::new();
    let (mut pull, ep) = bound_pull(&ctx);
    let runtime = current_thread_runtime();
    runtime.block_on(async {
        let push = ctx.async_socket(SocketType::Push).unwrap();
        push.connect(&ep).await.unwrap();
        for i in 0..10u64 {
            push.send(i.to_be_bytes().to_vec()).await.unwrap();
        }
        push.close().await;
    });
    drop(runtime);
    for i in 0..10u64 {
        assert_eq!(pull.recv().unwrap().first().unwrap()[..], i.to_be_bytes());
    }
}

/// The context waits for its own I/O threads' tasks only: an async socket
/// left lingering on a runtime nobody drives does not hang its drop.
#[test]
fn the_context_does_not_wait_for_tasks_of_another_runtime() {
    let ep = unused_endpoint();
    let ctx = Context::new();
    let runtime = current_thread_runtime();
    let push = runtime.block_on(async {
        let push = ctx.async_socket(SocketType::Push).unwrap();
        push.connect(&ep).await.unwrap();
        push.send("lingers").await.unwrap();
        push
    });
    finishes("dropping the context", move || {
        drop(push);
        drop(ctx);
    });
    drop(runtime);
}

/// A context dropped inside a runtime cannot block there; its sockets'
/// queued messages are still flushed, by a thread of its own.
#[test]
fn a_context_dropped_inside_a_runtime_still_flushes() {
    let receiver = Context::new();
    let (mut pull, ep) = bound_pull(&receiver);
    let runtime = current_thread_runtime();
    runtime.block_on(async {
        let ctx = Context::new();
        let mut push = ctx.socket(SocketType::Push).unwrap();
        push.connect(&ep).unwrap();
        push.send("queued at the drop").unwrap();
        drop(push);
        drop(ctx);
    });
    assert_eq!(pull.recv().unwrap().first().unwrap(), "queued at the drop");
}
