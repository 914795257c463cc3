//! `inproc://`: what is particular to sockets of one context joined with
//! no engine: connect before bind, messages moved by value, each way's
//! high-water mark the sum of both sockets', what a handshake would check,
//! and the life of a bound name.

use std::time::Duration;

use ferrozmq::{Context, Error, Event, Message, Socket, SocketType};

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_recv_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_send_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// What the connecter sent before anything was bound is delivered once
/// something is.
#[test]
fn connect_before_bind() {
    let ctx = Context::new();
    let mut push = socket(&ctx, SocketType::Push);
    push.connect("inproc://later").unwrap();
    for i in 0..3 {
        push.send(format!("early {i}")).unwrap();
    }
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind("inproc://later").unwrap();
    for i in 0..3 {
        assert_eq!(pull.recv().unwrap().first().unwrap(), &format!("early {i}"));
    }
    push.send("after").unwrap();
    assert_eq!(pull.recv().unwrap().first().unwrap(), "after");
}

/// The receiver gets the very buffers the sender gave: nothing is copied
/// or encoded on the way.
#[test]
fn messages_move_by_value() {
    let ctx = Context::new();
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind("inproc://zero-copy").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.connect("inproc://zero-copy").unwrap();
    let body = bytes::Bytes::from(vec![7u8; 1 << 20]);
    let address = body.as_ptr();
    push.send(Message::from(body)).unwrap();
    let got = pull.recv().unwrap();
    assert_eq!(got.first().unwrap().as_ptr(), address);
}

/// Each way holds the sender's send mark plus the receiver's receive mark
/// (libzmq's rule for inproc), whichever side bound.
#[test]
fn the_high_water_mark_is_the_sum_of_both_sides() {
    let ctx = Context::new();
    for push_binds in [false, true] {
        let name = format!("inproc://hwm-{push_binds}");
        let mut push = socket(&ctx, SocketType::Push);
        push.set_sndhwm(2).unwrap();
        let mut pull = socket(&ctx, SocketType::Pull);
        pull.set_rcvhwm(3).unwrap();
        if push_binds {
            push.bind(&name).unwrap();
            pull.connect(&name).unwrap();
        } else {
            pull.bind(&name).unwrap();
            push.connect(&name).unwrap();
        }
        let mut accepted = 0;
        while push.try_send("x").is_ok() {
            accepted += 1;
            assert!(accepted <= 5, "more than 2 + 3 accepted");
        }
        assert_eq!(accepted, 5, "push binds: {push_binds}");
        // Room comes back at the low-water mark (5 / 2), as for any pipe.
        for _ in 0..4 {
            pull.recv().unwrap();
        }
        assert!(push.try_send("y").is_ok());
    }
}

/// A connecter before the bind is held to its own marks, and gets the
/// sum once the binder joins.
#[test]
fn a_connect_before_bind_gets_the_sum_when_the_binder_joins() {
    let ctx = Context::new();
    let mut push = socket(&ctx, SocketType::Push);
    push.set_sndhwm(2).unwrap();
    push.connect("inproc://hwm-later").unwrap();
    assert!(push.try_send("1").is_ok());
    assert!(push.try_send("2").is_ok());
    assert!(matches!(push.try_send("3"), Err(e) if matches!(e.error, Error::WouldBlock)));
    let pull = socket(&ctx, SocketType::Pull);
    pull.set_rcvhwm(2).unwrap();
    pull.bind("inproc://hwm-later").unwrap();
    assert!(push.try_send("3").is_ok());
    assert!(push.try_send("4").is_ok());
    assert!(push.try_send("5").is_err());
}

/// Each side reads the other's READY properties from its messages.
#[test]
fn each_side_sees_the_others_properties() {
    let ctx = Context::new();
    let mut router = socket(&ctx, SocketType::Router);
    router.set_routing_id("the-router").unwrap();
    router.bind("inproc://properties").unwrap();
    let mut dealer = socket(&ctx, SocketType::Dealer);
    dealer.set_routing_id("the-dealer").unwrap();
    dealer.connect("inproc://properties").unwrap();
    dealer.send("hello").unwrap();
    let got = router.recv().unwrap();
    assert_eq!(got.property("Socket-Type").unwrap(), "DEALER");
    assert_eq!(got.property("Identity").unwrap(), "the-dealer");
    assert_eq!(got.property("Peer-Address").unwrap(), "");
    let mut reply = got.clone();
    reply.parts_mut().truncate(1);
    reply.parts_mut().push("back".into());
    router.send(reply).unwrap();
    let back = dealer.recv().unwrap();
    assert_eq!(back.property("Socket-Type").unwrap(), "ROUTER");
    assert_eq!(back.property("Identity").unwrap(), "the-router");
}

/// Types that cannot talk are refused as a handshake refuses them: both
/// monitors say why, and nothing flows.
#[test]
fn incompatible_types_are_refused() {
    let ctx = Context::new();
    let publisher = socket(&ctx, SocketType::Pub);
    let mut bound_events = publisher.monitor();
    publisher.bind("inproc://mismatch").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.set_immediate(true).unwrap();
    let mut events = push.monitor();
    push.connect("inproc://mismatch").unwrap();
    for monitor in [&mut events, &mut bound_events] {
        loop {
            match monitor.recv_timeout(Some(Duration::from_secs(20))) {
                Some(Event::HandshakeFailed { reason, .. }) => {
                    assert!(reason.to_string().contains("PUSH"), "{reason}");
                    break;
                }
                Some(Event::HandshakeSucceeded { .. }) | None => panic!("not refused"),
                Some(_) => {}
            }
        }
    }
    assert!(push.try_send("nowhere").is_err());
}

#[test]
fn a_name_is_bound_once_per_context() {
    let ctx = Context::new();
    let first = socket(&ctx, SocketType::Pull);
    first.bind("inproc://once").unwrap();
    let second = socket(&ctx, SocketType::Pull);
    assert!(matches!(
        second.bind("inproc://once"),
        Err(Error::AddrInUse(_))
    ));
    // Another context has names of its own.
    let other = Context::new();
    socket(&other, SocketType::Pull)
        .bind("inproc://once")
        .unwrap();
    // Once the first lets it go, the second may take it.
    first.unbind("inproc://once").unwrap();
    second.bind("inproc://once").unwrap();
    drop(second);
    socket(&ctx, SocketType::Pull)
        .bind("inproc://once")
        .unwrap();
}

/// Unbinding closes the pipes the name gave: the connecter's pipe ends
/// and its messages go elsewhere.
#[test]
fn unbind_closes_the_pipes_of_the_name() {
    let ctx = Context::new();
    let mut first = socket(&ctx, SocketType::Pull);
    first.bind("inproc://a").unwrap();
    let mut second = socket(&ctx, SocketType::Pull);
    second.bind("inproc://b").unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.connect("inproc://a").unwrap();
    push.connect("inproc://b").unwrap();
    push.send("1").unwrap();
    push.send("2").unwrap();
    assert_eq!(first.recv().unwrap().first().unwrap(), "1");
    assert_eq!(second.recv().unwrap().first().unwrap(), "2");
    first.unbind("inproc://a").unwrap();
    for i in 0..4 {
        push.send(format!("after {i}")).unwrap();
    }
    for i in 0..4 {
        assert_eq!(
            second.recv().unwrap().first().unwrap(),
            &format!("after {i}")
        );
    }
    assert!(matches!(first.try_recv(), Err(Error::WouldBlock)));
}

/// A socket that goes away ends its pipes: a REQ waiting for a reply from
/// it is not stuck with a dead peer forever (its next request goes to the
/// other server).
#[test]
fn a_closed_peer_ends_its_pipe() {
    let ctx = Context::new();
    let mut dealer = socket(&ctx, SocketType::Dealer);
    let rep = socket(&ctx, SocketType::Rep);
    rep.bind("inproc://gone").unwrap();
    let mut spare = socket(&ctx, SocketType::Rep);
    spare.bind("inproc://spare").unwrap();
    dealer.connect("inproc://gone").unwrap();
    dealer.connect("inproc://spare").unwrap();
    drop(rep);
    for _ in 0..4 {
        dealer
            .send(Message::from(vec![bytes::Bytes::new(), "q".into()]))
            .unwrap();
    }
    for _ in 0..4 {
        assert_eq!(spare.recv().unwrap().first().unwrap(), "q");
        spare.send("a").unwrap();
    }
}

#[test]
fn stream_sockets_do_not_take_inproc() {
    let ctx = Context::new();
    let stream = socket(&ctx, SocketType::Stream);
    assert!(matches!(
        stream.bind("inproc://raw"),
        Err(Error::Unsupported(_))
    ));
    assert!(matches!(
        stream.connect("inproc://raw"),
        Err(Error::Unsupported(_))
    ));
}

/// The async API over inproc, across tasks of a caller's runtime.
#[tokio::test]
async fn async_sockets_talk_over_inproc() {
    let ctx = Context::new();
    let rep = ctx.async_socket(SocketType::Rep).unwrap();
    rep.bind("inproc://async").await.unwrap();
    let req = ctx.async_socket(SocketType::Req).unwrap();
    req.connect("inproc://async").await.unwrap();
    let server = tokio::spawn(async move {
        for _ in 0..100 {
            let msg = rep.recv().await.unwrap();
            rep.send(msg).await.unwrap();
        }
    });
    for i in 0..100u32 {
        req.send(i.to_be_bytes().to_vec()).await.unwrap();
        let back = req.recv().await.unwrap();
        assert_eq!(back.first().unwrap()[..], i.to_be_bytes());
    }
    server.await.unwrap();
}
