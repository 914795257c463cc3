//! The `patterns` workloads on zmq.rs (`zeromq`) and rzmq, through the
//! same interface as ferrozmq and omq (`PatternLib`).

use bytes::Bytes;
use tokio::sync::Mutex;

use super::asynch::{Kind, PatternLib};

/// zmq.rs: its sockets send and receive through `&mut self`, so each is
/// behind an (uncontended: one task uses it) async mutex.
pub struct ZmqRs;

pub enum ZmqRsSock {
    Pub(zeromq::PubSocket),
    Sub(zeromq::SubSocket),
    Dealer(zeromq::DealerSocket),
    Router(zeromq::RouterSocket),
}

macro_rules! each_zmqrs {
    ($s:expr, $p:ident => $e:expr) => {
        match $s {
            ZmqRsSock::Pub($p) => $e,
            ZmqRsSock::Sub($p) => $e,
            ZmqRsSock::Dealer($p) => $e,
            ZmqRsSock::Router($p) => $e,
        }
    };
}

impl PatternLib for ZmqRs {
    type Sock = Mutex<ZmqRsSock>;
    type Msg = zeromq::ZmqMessage;

    fn socket(kind: Kind) -> Self::Sock {
        use zeromq::Socket as _;
        Mutex::new(match kind {
            Kind::Pub => ZmqRsSock::Pub(zeromq::PubSocket::new()),
            Kind::Sub => ZmqRsSock::Sub(zeromq::SubSocket::new()),
            Kind::Dealer => ZmqRsSock::Dealer(zeromq::DealerSocket::new()),
            Kind::Router => ZmqRsSock::Router(zeromq::RouterSocket::new()),
        })
    }

    async fn bind(s: &Self::Sock) -> String {
        use zeromq::Socket as _;
        let mut s = s.lock().await;
        let bound = each_zmqrs!(&mut *s, p => p.bind("tcp://127.0.0.1:0").await);
        bound.expect("bind").to_string()
    }

    async fn connect(s: &Self::Sock, endpoint: &str) {
        use zeromq::Socket as _;
        let mut s = s.lock().await;
        each_zmqrs!(&mut *s, p => p.connect(endpoint).await).expect("connect");
    }

    async fn subscribe_all(s: &Self::Sock) {
        if let ZmqRsSock::Sub(sub) = &mut *s.lock().await {
            sub.subscribe("").await.expect("subscribe");
        }
    }

    async fn send(s: &Self::Sock, body: Bytes) {
        Self::send_back(s, zeromq::ZmqMessage::from(body)).await;
    }

    async fn recv(s: &Self::Sock) -> Self::Msg {
        use zeromq::SocketRecv as _;
        match &mut *s.lock().await {
            ZmqRsSock::Sub(p) => p.recv().await,
            ZmqRsSock::Dealer(p) => p.recv().await,
            ZmqRsSock::Router(p) => p.recv().await,
            ZmqRsSock::Pub(_) => unreachable!("PUB does not receive"),
        }
        .expect("recv")
    }

    async fn send_back(s: &Self::Sock, msg: Self::Msg) {
        use zeromq::SocketSend as _;
        match &mut *s.lock().await {
            ZmqRsSock::Pub(p) => p.send(msg).await,
            ZmqRsSock::Dealer(p) => p.send(msg).await,
            ZmqRsSock::Router(p) => p.send(msg).await,
            ZmqRsSock::Sub(_) => unreachable!("SUB does not send"),
        }
        .expect("send");
    }

    fn body_len(msg: &Self::Msg) -> usize {
        msg.iter().last().map_or(0, Bytes::len)
    }
}

/// rzmq: messages are frames; a multipart message is a `Vec` of them.
pub struct Rzmq;

impl PatternLib for Rzmq {
    type Sock = (rzmq::Context, rzmq::Socket);
    type Msg = Vec<rzmq::Msg>;

    fn socket(kind: Kind) -> Self::Sock {
        use rzmq::SocketType as T;
        let kind = match kind {
            Kind::Pub => T::Pub,
            Kind::Sub => T::Sub,
            Kind::Dealer => T::Dealer,
            Kind::Router => T::Router,
        };
        let ctx = rzmq::Context::new().expect("context");
        let socket = ctx.socket(kind).expect("socket");
        (ctx, socket)
    }

    async fn bind(s: &Self::Sock) -> String {
        s.1.bind("tcp://127.0.0.1:0").await.expect("bind");
        let bound =
            s.1.get_option(rzmq::socket::LAST_ENDPOINT)
                .await
                .expect("endpoint");
        String::from_utf8(bound).expect("utf-8")
    }

    async fn connect(s: &Self::Sock, endpoint: &str) {
        s.1.connect(endpoint).await.expect("connect");
    }

    async fn subscribe_all(s: &Self::Sock) {
        s.1.set_option_raw(rzmq::socket::SUBSCRIBE, b"")
            .await
            .expect("subscribe");
    }

    async fn send(s: &Self::Sock, body: Bytes) {
        s.1.send(rzmq::Msg::from_bytes(body)).await.expect("send");
    }

    async fn recv(s: &Self::Sock) -> Self::Msg {
        s.1.recv_multipart().await.expect("recv")
    }

    async fn send_back(s: &Self::Sock, msg: Self::Msg) {
        s.1.send_multipart(msg).await.expect("send");
    }

    fn body_len(msg: &Self::Msg) -> usize {
        msg.last().map_or(0, rzmq::Msg::size)
    }
}
