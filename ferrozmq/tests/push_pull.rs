//! PUSH/PULL semantics (RFC 30) between ferrozmq sockets over TCP.

use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use ferrozmq::{AsyncSocket, Context, Error, Event, Socket, SocketType};

fn socket(ctx: &Context, t: SocketType) -> Socket {
    let s = ctx.socket(t).unwrap();
    s.set_recv_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_send_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

#[test]
fn order_is_kept_across_many_messages_and_sizes() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    let sizes = [0usize, 1, 255, 256, 8191, 8192, 70_000, 1 << 20];
    let sender = std::thread::spawn(move || {
        for i in 0..20_000u32 {
            let size = sizes[i as usize % sizes.len()].max(4);
            let size = if i % 1000 == 0 { size } else { size.min(300) };
            let mut body = vec![(i % 251) as u8; size];
            body[..4].copy_from_slice(&i.to_be_bytes());
            push.send(body).unwrap();
        }
        push
    });
    for i in 0..20_000u32 {
        let m = pull.recv().unwrap();
        let body = m.first().unwrap();
        assert_eq!(body[..4], i.to_be_bytes());
        assert!(body[4..].iter().all(|&b| b == (i % 251) as u8));
    }
    sender.join().unwrap();
}

/// RFC 30: PUSH "SHALL route outgoing messages to connected peers using a
/// round-robin strategy"; PULL fair-queues.
#[test]
fn push_load_balances_and_pull_fair_queues() {
    let ctx = Context::new();
    let mut pulls: Vec<Socket> = (0..2).map(|_| socket(&ctx, SocketType::Pull)).collect();
    let mut push = socket(&ctx, SocketType::Push);
    for p in &pulls {
        p.bind("tcp://127.0.0.1:*").unwrap();
        push.connect(&p.last_endpoint().unwrap()).unwrap();
    }
    for i in 0..10 {
        push.send(format!("{i}")).unwrap();
    }
    let a: Vec<_> = (0..5).map(|_| pulls[0].recv().unwrap()).collect();
    let b: Vec<_> = (0..5).map(|_| pulls[1].recv().unwrap()).collect();
    let got: Vec<String> = a
        .iter()
        .chain(&b)
        .map(|m| String::from_utf8_lossy(m.first().unwrap()).into_owned())
        .collect();
    assert_eq!(got, ["0", "2", "4", "6", "8", "1", "3", "5", "7", "9"]);

    // Fair queuing: two pushers each with a backlog are served in turn.
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint().unwrap();
    let mut pushers: Vec<Socket> = (0..2).map(|_| socket(&ctx, SocketType::Push)).collect();
    for p in &pushers {
        p.connect(&ep).unwrap();
    }
    for (n, p) in pushers.iter_mut().enumerate() {
        p.send(format!("hello {n}")).unwrap();
    }
    let mut seen: Vec<String> = (0..2)
        .map(|_| String::from_utf8_lossy(pull.recv().unwrap().first().unwrap()).into_owned())
        .collect();
    seen.sort();
    assert_eq!(seen, ["hello 0", "hello 1"]);
    for (n, p) in pushers.iter_mut().enumerate() {
        for i in 0..50 {
            p.send(format!("{n}:{i}")).unwrap();
        }
    }
    let mut per_sender = [0u32; 2];
    for _ in 0..100 {
        let m = pull.recv().unwrap();
        let s = String::from_utf8_lossy(m.first().unwrap()).into_owned();
        let (n, i) = s.split_once(':').unwrap();
        let n: usize = n.parse().unwrap();
        assert_eq!(i.parse::<u32>().unwrap(), per_sender[n], "order per sender");
        per_sender[n] += 1;
    }
}

/// RFC 30 and libzmq: at the high-water mark PUSH blocks (or says
/// WouldBlock), never drops.
#[test]
fn push_blocks_at_the_high_water_mark_and_resumes() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(10).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.set_sndhwm(10).unwrap();
    let mut monitor = push.monitor();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    while !matches!(
        monitor.recv_timeout(Some(Duration::from_secs(10))),
        Some(Event::HandshakeSucceeded { .. })
    ) {}
    // Messages fill the pipes and the kernel's buffers (the receiver stops
    // reading at its HWM), then the send would block.
    let body = |i: u32| {
        let mut b = vec![0u8; 16 * 1024];
        b[..4].copy_from_slice(&i.to_be_bytes());
        b
    };
    let mut sent = 0u32;
    let blocked = loop {
        match push.try_send(body(sent)) {
            Ok(()) => sent += 1,
            Err(e) => break e.error,
        }
        assert!(
            sent < 100_000,
            "the high-water mark never stopped the sender"
        );
    };
    assert!(matches!(blocked, Error::WouldBlock), "{blocked}");
    for i in 0..sent {
        assert_eq!(pull.recv().unwrap().first().unwrap()[..], body(i));
    }
    push.send("after").unwrap();
    assert_eq!(pull.recv().unwrap().first().unwrap(), "after");
}

/// libzmq: a high-water mark of 0 is no limit. A PUSH towards a PULL that
/// reads nothing takes every message (here 5,000, five times the default
/// mark), and they all arrive once the PULL reads.
#[test]
fn a_high_water_mark_of_zero_is_no_limit() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(0).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.set_sndhwm(0).unwrap();
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    for i in 0..5000u32 {
        push.try_send(i.to_be_bytes().to_vec()).unwrap();
    }
    for i in 0..5000u32 {
        assert_eq!(pull.recv().unwrap().first().unwrap()[..], i.to_be_bytes());
    }
}

#[test]
fn wrong_direction_is_unsupported() {
    let ctx = Context::new();
    let mut push = socket(&ctx, SocketType::Push);
    let mut pull = socket(&ctx, SocketType::Pull);
    assert!(matches!(push.recv(), Err(Error::Unsupported(_))));
    assert!(matches!(
        pull.send("x").unwrap_err().error,
        Error::Unsupported(_)
    ));
}

#[test]
fn queued_messages_are_flushed_within_linger_after_drop() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = pull.last_endpoint().unwrap();
    {
        let mut push = socket(&ctx, SocketType::Push);
        push.connect(&ep).unwrap();
        for i in 0..500u32 {
            push.send(i.to_be_bytes().to_vec()).unwrap();
        }
    }
    for i in 0..500u32 {
        assert_eq!(pull.recv().unwrap().first().unwrap()[..], i.to_be_bytes());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_sockets_run_on_the_callers_runtime() {
    let ctx = Context::new();
    let pull = ctx.async_socket(SocketType::Pull).unwrap();
    pull.set_recv_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let push = ctx.async_socket(SocketType::Push).unwrap();
    push.set_send_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    push.connect(&pull.last_endpoint().unwrap()).await.unwrap();
    let sender = tokio::spawn(async move {
        for i in 0..10_000u32 {
            push.send(i.to_be_bytes().to_vec()).await.unwrap();
        }
        push
    });
    for i in 0..10_000u32 {
        assert_eq!(
            pull.recv().await.unwrap().first().unwrap()[..],
            i.to_be_bytes()
        );
    }
    sender.await.unwrap();
    pull.set_recv_timeout(Some(Duration::ZERO)).unwrap();
    assert!(matches!(pull.recv().await, Err(Error::WouldBlock)));
}

/// An async PULL on an ephemeral port, and an async PUSH with no
/// high-water mark connected to it.
async fn unbounded_async_pipeline(ctx: &Context) -> (AsyncSocket, AsyncSocket) {
    let pull = ctx.async_socket(SocketType::Pull).unwrap();
    pull.set_recv_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let push = ctx.async_socket(SocketType::Push).unwrap();
    push.set_sndhwm(0).unwrap();
    push.connect(&pull.last_endpoint().unwrap()).await.unwrap();
    (pull, push)
}

/// A send loop that never has to wait (no high-water mark) still gives way
/// to the runtime, so that the connection tasks on the same thread get to
/// write (zmq.rs's PUB queued a gigabyte and starved its writer).
#[tokio::test(flavor = "current_thread")]
async fn an_async_send_loop_gives_way_to_other_tasks() {
    let ctx = Context::new();
    let (pull, push) = unbounded_async_pipeline(&ctx).await;
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
    for i in 0..10_000u32 {
        push.send(i.to_be_bytes().to_vec()).await.unwrap();
    }
    assert!(ran.load(Ordering::SeqCst), "the send loop never yielded");
    for i in 0..10_000u32 {
        assert_eq!(
            pull.recv().await.unwrap().first().unwrap()[..],
            i.to_be_bytes()
        );
    }
}

/// Cancel safety: a send dropped while it waits (here: polled once, as a
/// losing `select!` branch would be) has sent nothing, whatever made it
/// wait, so counting completed sends counts what arrives.
#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_async_send_has_sent_nothing() {
    let ctx = Context::new();
    let (pull, push) = unbounded_async_pipeline(&ctx).await;
    let (mut completed, mut cancelled) = (0u32, 0u32);
    for i in 0..5000u32 {
        let mut send = std::pin::pin!(push.send(i.to_be_bytes().to_vec()));
        match poll_fn(|cx| Poll::Ready(send.as_mut().poll(cx))).await {
            Poll::Ready(result) => {
                result.unwrap();
                completed += 1;
            }
            Poll::Pending => cancelled += 1,
        }
    }
    assert!(cancelled > 0, "no send waited: nothing was cancelled");
    push.send("end").await.unwrap();
    let mut arrived = 0;
    while pull.recv().await.unwrap().first().unwrap() != "end" {
        arrived += 1;
    }
    assert_eq!(arrived, completed);
}

/// Cancel safety: a receive dropped while it waits (a losing `select!`
/// branch, again and again while messages flow) has taken nothing: every
/// message arrives, in order, to a later receive.
#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_async_recv_has_taken_nothing() {
    let ctx = Context::new();
    let (pull, push) = unbounded_async_pipeline(&ctx).await;
    let sender = tokio::spawn(async move {
        for i in 0..2000u32 {
            push.send(i.to_be_bytes().to_vec()).await.unwrap();
            if i % 7 == 0 {
                tokio::task::yield_now().await;
            }
        }
        push
    });
    let (mut next, mut cancelled) = (0u32, 0u32);
    while next < 2000 {
        tokio::select! {
            biased;
            msg = pull.recv() => {
                assert_eq!(msg.unwrap().first().unwrap()[..], next.to_be_bytes());
                next += 1;
            }
            () = tokio::task::yield_now() => cancelled += 1,
        }
    }
    assert!(cancelled > 0, "no receive waited: nothing was cancelled");
    drop(sender.await.unwrap());
}

/// `immediate`: a PUSH connected to a live peer and to an endpoint nobody
/// listens on sends everything to the live one (without it, round-robin
/// would queue half for the absent peer); with only the absent one, a send
/// waits.
#[test]
fn immediate_routes_only_to_connections_that_are_up() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let nobody = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("tcp://{}", free.local_addr().unwrap())
    };
    let mut push = socket(&ctx, SocketType::Push);
    push.set_immediate(true).unwrap();
    push.connect(&nobody).unwrap();
    assert!(matches!(
        push.try_send("early").unwrap_err().error,
        Error::WouldBlock
    ));
    push.connect(&pull.last_endpoint().unwrap()).unwrap();
    for i in 0..4 {
        push.send(format!("{i}")).unwrap();
    }
    for i in 0..4 {
        assert_eq!(pull.recv().unwrap().first().unwrap(), &format!("{i}"));
    }
}

/// `conflate`: messages queued for a peer that is not there yet are
/// replaced by each newer one; when the peer comes, it gets the newest.
#[test]
fn conflate_keeps_only_the_newest_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let ctx = Context::new();
    let mut push = socket(&ctx, SocketType::Push);
    push.set_conflate(true).unwrap();
    push.connect(&endpoint).unwrap();
    for i in 0..1000 {
        push.send(format!("update {i}")).unwrap();
    }
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.set_conflate(true).unwrap();
    pull.bind(&endpoint).unwrap();
    assert_eq!(pull.recv().unwrap().first().unwrap(), "update 999");
    push.send("after").unwrap();
    assert_eq!(pull.recv().unwrap().first().unwrap(), "after");
}
