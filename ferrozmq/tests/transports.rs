//! Every socket type over every transport: the same exchanges over tcp,
//! ipc, inproc and ws, each pair bound on one side and connected on the other.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ferrozmq::{Context, Message, Socket, SocketType};

/// How to name a fresh endpoint of one transport.
#[derive(Clone, Copy, Debug)]
enum Transport {
    Tcp,
    Ipc,
    Inproc,
    Ws,
}

const ALL: [Transport; 4] = [
    Transport::Tcp,
    Transport::Ipc,
    Transport::Inproc,
    Transport::Ws,
];

impl Transport {
    /// An endpoint to bind; the one to connect to is the bound socket's
    /// `last_endpoint`.
    fn fresh(self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        match self {
            Self::Tcp => "tcp://127.0.0.1:*".into(),
            Self::Ipc => format!(
                "ipc://{}",
                std::env::temp_dir()
                    .join(format!("ferrozmq-transports-{pid}-{n}.sock"))
                    .display()
            ),
            Self::Inproc => format!("inproc://transports-{n}"),
            Self::Ws => format!("ws://127.0.0.1:*/transports-{n}"),
        }
    }
}

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_recv_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_send_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// A bound socket of type `bound` and one of type `connected` joined to
/// it over `transport`.
fn pair(
    ctx: &Context,
    transport: Transport,
    bound: SocketType,
    connected: SocketType,
) -> (Socket, Socket) {
    let b = socket(ctx, bound);
    b.bind(&transport.fresh()).unwrap();
    let c = socket(ctx, connected);
    c.connect(&b.last_endpoint().unwrap()).unwrap();
    (b, c)
}

fn parts(texts: &[&str]) -> Message {
    Message::from(
        texts
            .iter()
            .map(|t| bytes::Bytes::copy_from_slice(t.as_bytes()))
            .collect::<Vec<_>>(),
    )
}

fn text(msg: &Message) -> Vec<String> {
    msg.parts()
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

#[test]
fn request_reply() {
    let ctx = Context::new();
    for t in ALL {
        let (mut rep, mut req) = pair(&ctx, t, SocketType::Rep, SocketType::Req);
        req.send("ping").unwrap();
        let got = rep.recv().unwrap();
        assert_eq!(text(&got), ["ping"], "{t:?}");
        assert_eq!(got.property("Socket-Type").unwrap(), "REQ", "{t:?}");
        rep.send("pong").unwrap();
        assert_eq!(text(&req.recv().unwrap()), ["pong"], "{t:?}");
    }
}

/// The ROUTER learns the DEALER's routing id as a handshake tells it.
#[test]
fn dealer_router() {
    let ctx = Context::new();
    for t in ALL {
        let router = socket(&ctx, SocketType::Router);
        router.bind(&t.fresh()).unwrap();
        let mut dealer = socket(&ctx, SocketType::Dealer);
        dealer.set_routing_id("dealer-1").unwrap();
        dealer.connect(&router.last_endpoint().unwrap()).unwrap();
        let mut router = router;
        dealer.send(parts(&["a", "b"])).unwrap();
        let got = router.recv().unwrap();
        assert_eq!(text(&got), ["dealer-1", "a", "b"], "{t:?}");
        router.send(parts(&["dealer-1", "back"])).unwrap();
        assert_eq!(text(&dealer.recv().unwrap()), ["back"], "{t:?}");
    }
}

/// Sends until the subscription has reached the publisher (bounded): a
/// subscriber's first messages are lost until then, as in ZeroMQ.
fn first_published(publisher: &mut Socket, sub: &mut Socket, topic: &str) -> Message {
    sub.set_recv_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    for _ in 0..1000 {
        publisher.send(topic).unwrap();
        if let Ok(msg) = sub.recv() {
            return msg;
        }
    }
    panic!("the subscription never arrived");
}

#[test]
fn publish_subscribe() {
    let ctx = Context::new();
    for t in ALL {
        let (mut publisher, mut sub) = pair(&ctx, t, SocketType::Pub, SocketType::Sub);
        sub.subscribe("news").unwrap();
        let got = first_published(&mut publisher, &mut sub, "news");
        assert_eq!(text(&got), ["news"], "{t:?}");
        publisher.send("weather").unwrap();
        publisher.send("news 2").unwrap();
        sub.set_recv_timeout(Some(Duration::from_secs(20))).unwrap();
        // Those sent while the subscription travelled came first.
        let next = loop {
            let msg = sub.recv().unwrap();
            if text(&msg) != ["news"] {
                break msg;
            }
        };
        assert_eq!(text(&next), ["news 2"], "{t:?}");
    }
}

/// XSUB sends its subscription as a message; XPUB receives it as one.
#[test]
fn xpub_xsub() {
    let ctx = Context::new();
    for t in ALL {
        let (mut xpub, mut xsub) = pair(&ctx, t, SocketType::XPub, SocketType::XSub);
        xsub.send(b"\x01topic".to_vec()).unwrap();
        assert_eq!(xpub.recv().unwrap().first().unwrap()[..], *b"\x01topic");
        xpub.send("topic!").unwrap();
        assert_eq!(text(&xsub.recv().unwrap()), ["topic!"], "{t:?}");
    }
}

/// A SUB that subscribed before it connected tells its publisher at
/// once, though it is not used again until the publisher answers (libzmq
/// queues the subscriptions in `zmq_connect`; waiting for the next call
/// into the socket would deadlock this exchange).
#[test]
fn subscriptions_made_before_connecting_go_out_unprompted() {
    let ctx = Context::new();
    for t in ALL {
        let mut xpub = socket(&ctx, SocketType::XPub);
        xpub.bind(&t.fresh()).unwrap();
        let mut sub = socket(&ctx, SocketType::Sub);
        sub.subscribe("early").unwrap();
        sub.connect(&xpub.last_endpoint().unwrap()).unwrap();
        assert_eq!(
            xpub.recv().unwrap().first().unwrap()[..],
            *b"\x01early",
            "{t:?}"
        );
        xpub.send("early bird").unwrap();
        assert_eq!(text(&sub.recv().unwrap()), ["early bird"], "{t:?}");
    }
}

#[test]
fn pipeline_in_order() {
    let ctx = Context::new();
    for t in ALL {
        let (mut pull, mut push) = pair(&ctx, t, SocketType::Pull, SocketType::Push);
        for i in 0..500u32 {
            push.send(i.to_be_bytes().to_vec()).unwrap();
        }
        for i in 0..500u32 {
            assert_eq!(pull.recv().unwrap().first().unwrap()[..], i.to_be_bytes());
        }
    }
}

#[test]
fn exclusive_pair() {
    let ctx = Context::new();
    for t in ALL {
        let (mut a, mut b) = pair(&ctx, t, SocketType::Pair, SocketType::Pair);
        b.send("to a").unwrap();
        assert_eq!(text(&a.recv().unwrap()), ["to a"], "{t:?}");
        a.send("to b").unwrap();
        assert_eq!(text(&b.recv().unwrap()), ["to b"], "{t:?}");
    }
}
