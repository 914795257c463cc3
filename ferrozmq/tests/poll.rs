//! `poll` over blocking sockets (libzmq's `zmq_poll`): readable and
//! writable as a user of rust-zmq or pyzmq expects them.

use std::time::Duration;

use ferrozmq::{Context, Events, PollItem, Socket, SocketType, poll};

const LONG: Option<Duration> = Some(Duration::from_secs(20));
const NOW: Option<Duration> = Some(Duration::ZERO);

fn pull(ctx: &Context) -> (Socket, String) {
    let s = ctx.socket(SocketType::Pull).unwrap();
    s.bind("tcp://127.0.0.1:*").unwrap();
    let ep = s.last_endpoint().unwrap();
    (s, ep)
}

/// Of two sockets, the one with a message is readable; the look keeps the
/// message for the next `recv`, however many looks there are.
#[test]
fn the_socket_with_a_message_is_readable_and_keeps_it() {
    let ctx = Context::new();
    let (mut a, _) = pull(&ctx);
    let (mut b, b_ep) = pull(&ctx);
    let mut push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&b_ep).unwrap();
    {
        let mut items = [
            PollItem::new(&a, Events::READABLE),
            PollItem::new(&b, Events::READABLE),
        ];
        assert_eq!(poll(&mut items, NOW).unwrap(), 0, "nothing yet");
        push.send("for b").unwrap();
        assert_eq!(poll(&mut items, LONG).unwrap(), 1);
        assert!(!items[0].is_readable() && items[1].is_readable());
        assert_eq!(poll(&mut items, NOW).unwrap(), 1, "still there");
    }
    assert_eq!(b.recv().unwrap().first().unwrap(), "for b");
    assert!(a.try_recv().is_err());
    let mut items = [PollItem::new(&b, Events::READABLE)];
    assert_eq!(poll(&mut items, NOW).unwrap(), 0, "taken");
}

/// Writable means a send would go now: a PUSH with a peer, a REQ with a
/// peer and no reply awaited, a REP only with a request to answer; a PULL
/// never.
#[test]
fn writable_follows_each_types_rules() {
    let ctx = Context::new();
    let (pull_socket, ep) = pull(&ctx);
    let push = ctx.socket(SocketType::Push).unwrap();
    let mut items = [
        PollItem::new(&push, Events::WRITABLE),
        PollItem::new(&pull_socket, Events::WRITABLE),
    ];
    assert_eq!(poll(&mut items, NOW).unwrap(), 0, "no peer yet");
    push.connect(&ep).unwrap();
    assert_eq!(
        poll(&mut items, LONG).unwrap(),
        1,
        "a connect pipe takes messages at once"
    );
    assert!(items[0].is_writable() && !items[1].is_writable());

    let mut rep = ctx.socket(SocketType::Rep).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let mut req = ctx.socket(SocketType::Req).unwrap();
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    let both = Events::READABLE | Events::WRITABLE;
    let ready = |req: &Socket, rep: &Socket, timeout| {
        let mut items = [PollItem::new(req, both), PollItem::new(rep, both)];
        poll(&mut items, timeout).unwrap();
        (items[0].ready(), items[1].ready())
    };
    assert_eq!(ready(&req, &rep, LONG), (Events::WRITABLE, Events::NONE));
    req.send("q").unwrap();
    assert_eq!(ready(&req, &rep, LONG), (Events::NONE, Events::READABLE));
    assert_eq!(rep.recv().unwrap().first().unwrap(), "q");
    assert_eq!(ready(&req, &rep, NOW).1, Events::WRITABLE, "a reply is due");
    rep.send("a").unwrap();
    assert_eq!(ready(&req, &rep, LONG).0, Events::READABLE);
    // The reply a poll found is still to be received: no new request yet.
    assert!(matches!(
        req.send("too soon").unwrap_err().error,
        ferrozmq::Error::State(_)
    ));
    assert_eq!(req.recv().unwrap().first().unwrap(), "a");
    assert_eq!(ready(&req, &rep, LONG).0, Events::WRITABLE);
}
