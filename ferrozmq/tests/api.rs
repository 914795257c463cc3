//! The socket API itself: options read back, what a received message
//! tells of its sender, async sockets shared between tasks, contexts with
//! several I/O threads.

use std::sync::Arc;
use std::time::Duration;

use ferrozmq::{Bytes, Context, Error, Socket, SocketType};

const BOUND: Duration = Duration::from_secs(20);

fn socket(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_recv_timeout(Some(BOUND)).unwrap();
    s.set_send_timeout(Some(BOUND)).unwrap();
    s
}

/// Every option has a getter that returns what was set, and libzmq's
/// default before that.
#[test]
fn every_option_reads_back_what_was_set() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Req).unwrap();
    assert_eq!((s.sndhwm(), s.rcvhwm()), (1000, 1000));
    assert_eq!(s.reconnect_ivl(), Duration::from_millis(100));
    assert_eq!(s.handshake_ivl(), Some(Duration::from_secs(30)));
    assert_eq!(s.routing_id(), Bytes::new());
    assert_eq!(
        s.linger(),
        Some(Duration::from_secs(30)),
        "ours, not libzmq's forever"
    );
    let ms = Duration::from_millis;
    s.set_sndhwm(5).unwrap();
    s.set_rcvhwm(6).unwrap();
    s.set_linger(Some(ms(7))).unwrap();
    s.set_send_timeout(Some(ms(8))).unwrap();
    s.set_recv_timeout(None).unwrap();
    s.set_reconnect_ivl(ms(9)).unwrap();
    s.set_reconnect_ivl_max(Some(ms(10))).unwrap();
    s.set_routing_id(&b"me"[..]).unwrap();
    s.set_heartbeat_ivl(Some(ms(11))).unwrap();
    s.set_heartbeat_timeout(Some(ms(12))).unwrap();
    s.set_heartbeat_ttl(Some(ms(1300))).unwrap();
    s.set_max_msg_size(Some(14)).unwrap();
    s.set_handshake_ivl(None).unwrap();
    s.set_connect_timeout(Some(ms(15))).unwrap();
    assert_eq!((s.sndhwm(), s.rcvhwm()), (5, 6));
    assert_eq!(s.linger(), Some(ms(7)));
    assert_eq!((s.send_timeout(), s.recv_timeout()), (Some(ms(8)), None));
    assert_eq!(
        (s.reconnect_ivl(), s.reconnect_ivl_max()),
        (ms(9), Some(ms(10)))
    );
    assert_eq!(s.routing_id(), "me");
    assert_eq!(s.heartbeat_ivl(), Some(ms(11)));
    assert_eq!(s.heartbeat_timeout(), Some(ms(12)));
    assert_eq!(s.heartbeat_ttl(), Some(ms(1300)));
    assert_eq!(s.max_msg_size(), Some(14));
    assert_eq!(s.handshake_ivl(), None);
    assert_eq!(s.connect_timeout(), Some(ms(15)));
    assert_eq!(
        (s.sndbuf(), s.rcvbuf(), s.tos(), s.tcp_keepalive()),
        (None, None, None, None)
    );
    s.set_sndbuf(Some(1 << 20)).unwrap();
    s.set_rcvbuf(Some(1 << 19)).unwrap();
    s.set_tos(Some(0x10)).unwrap();
    s.set_tcp_keepalive(Some(true)).unwrap();
    s.set_tcp_keepalive_idle(Some(ms(16_000))).unwrap();
    s.set_tcp_keepalive_intvl(Some(ms(17_000))).unwrap();
    s.set_tcp_keepalive_cnt(Some(18)).unwrap();
    assert_eq!((s.sndbuf(), s.rcvbuf()), (Some(1 << 20), Some(1 << 19)));
    assert_eq!((s.tos(), s.tcp_keepalive()), (Some(0x10), Some(true)));
    assert_eq!(s.tcp_keepalive_idle(), Some(ms(16_000)));
    assert_eq!(s.tcp_keepalive_intvl(), Some(ms(17_000)));
    assert_eq!(s.tcp_keepalive_cnt(), Some(18));
}

/// The routing options of one socket type read back what was set, and
/// are refused (as libzmq's EINVAL) on a type that does not have them.
#[test]
fn routing_options_read_back_and_belong_to_their_types() {
    let ctx = Context::new();
    let router = ctx.socket(SocketType::Router).unwrap();
    assert!(!router.router_mandatory() && !router.router_handover() && !router.probe_router());
    router.set_router_mandatory(true).unwrap();
    router.set_router_handover(true).unwrap();
    router.set_probe_router(true).unwrap();
    assert!(router.router_mandatory() && router.router_handover() && router.probe_router());
    let req = ctx.socket(SocketType::Req).unwrap();
    req.set_req_correlate(true).unwrap();
    req.set_req_relaxed(true).unwrap();
    assert!(req.req_correlate() && req.req_relaxed());
    let xpub = ctx.socket(SocketType::XPub).unwrap();
    xpub.set_xpub_verbose(true).unwrap();
    xpub.set_xpub_verboser(true).unwrap();
    xpub.set_invert_matching(true).unwrap();
    xpub.set_xpub_welcome_msg(Some(Bytes::from_static(b"hi")))
        .unwrap();
    assert!(xpub.xpub_verbose() && xpub.xpub_verboser() && xpub.invert_matching());
    assert_eq!(xpub.xpub_welcome_msg(), Some(Bytes::from_static(b"hi")));
    for refused in [
        req.set_router_mandatory(true),
        router.set_req_correlate(true),
        router.set_xpub_verbose(true),
        req.set_invert_matching(true),
        xpub.set_probe_router(true),
    ] {
        assert!(
            matches!(refused, Err(Error::InvalidOption(_))),
            "{refused:?}"
        );
    }
}

/// libzmq's `zmq_msg_gets` (pyzmq's `Frame.get`): a received message
/// names its peer's address and every property of its handshake.
#[test]
fn a_message_tells_who_sent_it() {
    let ctx = Context::new();
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let mut req = socket(&ctx, SocketType::Req);
    req.set_routing_id(&b"client-7"[..]).unwrap();
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    req.send("hi").unwrap();
    let request = rep.recv().unwrap();
    assert_eq!(request.property("Socket-Type").unwrap(), "REQ");
    assert_eq!(request.property("identity").unwrap(), "client-7");
    assert_eq!(request.property("Peer-Address").unwrap(), "127.0.0.1");
    assert_eq!(request.property("User-Id"), None, "no ZAP, no user");
    rep.send("hello").unwrap();
    let reply = req.recv().unwrap();
    assert_eq!(reply.property("Socket-Type").unwrap(), "REP");
    assert_eq!(ferrozmq::Message::from("x").property("Socket-Type"), None);
}

/// An async socket in an `Arc` serves several tasks at once: two wait to
/// receive while two send, with a high-water mark of one so that senders
/// wait too, and every message arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_socket_serves_several_tasks_at_once() {
    let ctx = Context::new();
    let pull = Arc::new(ctx.async_socket(SocketType::Pull).unwrap());
    pull.set_rcvhwm(1).unwrap();
    pull.set_recv_timeout(Some(BOUND)).unwrap();
    pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let push = Arc::new(ctx.async_socket(SocketType::Push).unwrap());
    push.set_sndhwm(1).unwrap();
    push.connect(&pull.last_endpoint().unwrap()).await.unwrap();
    let receivers: Vec<_> = (0..2)
        .map(|_| {
            let pull = pull.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..500 {
                    let msg = pull.recv().await.unwrap();
                    got.push(u32::from_be_bytes(
                        msg.first().unwrap()[..].try_into().unwrap(),
                    ));
                }
                got
            })
        })
        .collect();
    let senders: Vec<_> = (0..2u32)
        .map(|k| {
            let push = push.clone();
            tokio::spawn(async move {
                for i in 0..500u32 {
                    push.send((k * 500 + i).to_be_bytes().to_vec())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    let mut all = Vec::new();
    for r in receivers {
        all.extend(r.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, (0..1000).collect::<Vec<u32>>());
}

/// A task waiting to receive holds nothing another task needs: a send on
/// the same socket goes on at once (here, to its answer that a PULL does
/// not send).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_does_not_wait_behind_a_receive() {
    let ctx = Context::new();
    let pull = Arc::new(ctx.async_socket(SocketType::Pull).unwrap());
    pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let waiting = tokio::spawn({
        let pull = pull.clone();
        async move { pull.recv().await }
    });
    tokio::task::yield_now().await;
    let refused = tokio::time::timeout(BOUND, pull.send("x")).await;
    assert!(matches!(refused, Ok(Err(e)) if matches!(e.error, Error::Unsupported(_))));
    waiting.abort();
}

/// A context with two I/O threads serves its sockets as one with one does.
#[test]
fn a_context_with_two_io_threads() {
    let ctx = Context::with_io_threads(2).unwrap();
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let ep = rep.last_endpoint().unwrap();
    let mut clients: Vec<Socket> = (0..4)
        .map(|_| {
            let req = socket(&ctx, SocketType::Req);
            req.connect(&ep).unwrap();
            req
        })
        .collect();
    for round in 0..50 {
        for (i, req) in clients.iter_mut().enumerate() {
            req.send(format!("{round}-{i}")).unwrap();
            let request = rep.recv().unwrap();
            rep.send(request).unwrap();
            assert_eq!(
                req.recv().unwrap().first().unwrap(),
                &format!("{round}-{i}")[..]
            );
        }
    }
}
