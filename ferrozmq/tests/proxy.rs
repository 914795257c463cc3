//! `proxy` and `proxy_steerable` (libzmq's `zmq_proxy`), and the async
//! proxy: a request-reply broker between REQ clients and REP workers,
//! with a capture socket, steered through a control socket.

use std::thread;
use std::time::Duration;

use ferrozmq::{AsyncSocket, Context, Error, Socket, SocketType};

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_recv_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_send_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn bound(ctx: &Context, kind: SocketType) -> (Socket, String) {
    let s = socket(ctx, kind);
    s.bind("tcp://127.0.0.1:*").unwrap();
    let ep = s.last_endpoint().unwrap();
    (s, ep)
}

/// The zguide's request-reply broker: clients' requests reach a worker
/// through ROUTER -> DEALER, replies come back to the right client, and
/// the capture socket sees every message both ways.
#[test]
fn a_router_dealer_proxy_brokers_requests_and_captures_them() {
    let ctx = Context::new();
    let (mut frontend, front_ep) = bound(&ctx, SocketType::Router);
    let (mut backend, back_ep) = bound(&ctx, SocketType::Dealer);
    let (mut capture_in, capture_ep) = bound(&ctx, SocketType::Pull);
    let mut capture = socket(&ctx, SocketType::Push);
    capture.connect(&capture_ep).unwrap();
    let (mut control, control_ep) = bound(&ctx, SocketType::Pair);
    let broker = thread::spawn(move || {
        let capture = Some(&mut capture);
        ferrozmq::proxy_steerable(&mut frontend, &mut backend, capture, &mut control)
    });
    let worker = {
        let ctx = ctx.clone();
        thread::spawn(move || {
            let mut rep = socket(&ctx, SocketType::Rep);
            rep.connect(&back_ep).unwrap();
            for _ in 0..4 {
                let request = rep.recv().unwrap();
                let text = String::from_utf8(request.first().unwrap().to_vec()).unwrap();
                rep.send(format!("re {text}")).unwrap();
            }
        })
    };
    let clients: Vec<_> = (0..2)
        .map(|n| {
            let ctx = ctx.clone();
            let ep = front_ep.clone();
            thread::spawn(move || {
                let mut req = socket(&ctx, SocketType::Req);
                req.connect(&ep).unwrap();
                for i in 0..2 {
                    req.send(format!("{n}.{i}")).unwrap();
                    assert_eq!(req.recv().unwrap().first().unwrap(), &format!("re {n}.{i}"));
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    worker.join().unwrap();
    // Four requests and four replies, each with its envelope.
    let copies: Vec<_> = (0..8).map(|_| capture_in.recv().unwrap()).collect();
    let bodies = copies
        .iter()
        .filter(|m| m.last().unwrap().starts_with(b"re "))
        .count();
    assert_eq!(bodies, 4);
    let mut steer = socket(&ctx, SocketType::Pair);
    steer.connect(&control_ep).unwrap();
    steer.send("TERMINATE").unwrap();
    broker.join().unwrap().unwrap();
}

/// `proxy_steerable`: PAUSE holds messages, RESUME lets them go,
/// STATISTICS counts them, TERMINATE ends the proxy.
#[test]
fn a_steerable_proxy_pauses_resumes_counts_and_terminates() {
    let ctx = Context::new();
    let (mut frontend, front_ep) = bound(&ctx, SocketType::Pull);
    let (mut backend, back_ep) = bound(&ctx, SocketType::Push);
    let (mut control, control_ep) = bound(&ctx, SocketType::Pair);
    let proxy = thread::spawn(move || {
        ferrozmq::proxy_steerable(&mut frontend, &mut backend, None, &mut control)
    });
    let mut steer = socket(&ctx, SocketType::Pair);
    steer.connect(&control_ep).unwrap();
    let mut source = socket(&ctx, SocketType::Push);
    source.connect(&front_ep).unwrap();
    let mut sink = socket(&ctx, SocketType::Pull);
    sink.connect(&back_ep).unwrap();
    let statistics = |steer: &mut Socket| -> Vec<u64> {
        steer.send("STATISTICS").unwrap();
        let answer = steer.recv().unwrap();
        answer
            .iter()
            .map(|f| u64::from_le_bytes(f[..].try_into().unwrap()))
            .collect()
    };

    source.send("one").unwrap();
    assert_eq!(sink.recv().unwrap().first().unwrap(), "one");
    steer.send("PAUSE").unwrap();
    // Commands are taken in order: once this is answered, the proxy is
    // paused.
    assert_eq!(statistics(&mut steer), [1, 3, 0, 0, 0, 0, 1, 3]);
    source.send("two").unwrap();
    assert!(matches!(sink.try_recv(), Err(Error::WouldBlock)));
    steer.send("RESUME").unwrap();
    assert_eq!(sink.recv().unwrap().first().unwrap(), "two");
    assert_eq!(statistics(&mut steer), [2, 6, 0, 0, 0, 0, 2, 6]);
    steer.send("TERMINATE").unwrap();
    proxy.join().unwrap().unwrap();
}

/// The async proxy moves messages between async sockets.
#[test]
fn the_async_proxy_moves_messages_both_ways() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ctx = Context::new();
        let frontend = ctx.async_socket(SocketType::Router).unwrap();
        frontend.bind("tcp://127.0.0.1:*").await.unwrap();
        let backend = ctx.async_socket(SocketType::Dealer).unwrap();
        backend.bind("tcp://127.0.0.1:*").await.unwrap();
        let req = ctx.async_socket(SocketType::Req).unwrap();
        req.connect(&frontend.last_endpoint().unwrap())
            .await
            .unwrap();
        let rep = ctx.async_socket(SocketType::Rep).unwrap();
        rep.connect(&backend.last_endpoint().unwrap())
            .await
            .unwrap();
        let proxy = AsyncSocket::proxy(&frontend, &backend, None);
        let exchange = async {
            req.send("ping").await.unwrap();
            let request = rep.recv().await.unwrap();
            rep.send(request).await.unwrap();
            req.recv().await.unwrap()
        };
        tokio::select! {
            reply = exchange => assert_eq!(reply.first().unwrap(), "ping"),
            result = proxy => panic!("the proxy ended: {result:?}"),
        }
    });
}
