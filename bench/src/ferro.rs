//! ferrozmq, with its blocking API (threads and a context per end, laid
//! out like the libzmq side; over inproc one context for the process) and
//! with its async API (tasks on a tokio runtime, which runs their
//! connections too).

use std::sync::OnceLock;

use ferrozmq::{AsyncSocket, Bytes, Context, Error, Message, Socket, SocketType};

use crate::blocking::{BlockingLib, Kind};
use crate::child::{CurveKeys, LINGER, Params, Transport};
use crate::tokio_rt::AsyncLib;
use crate::transports;

pub struct Blocking;
pub struct Async;

fn socket_type(kind: Kind) -> SocketType {
    match kind {
        Kind::Push => SocketType::Push,
        Kind::Pull => SocketType::Pull,
        Kind::Req => SocketType::Req,
        Kind::Rep => SocketType::Rep,
    }
}

/// With CURVE keys, makes a socket of either API (both have the same
/// options) the CURVE server (the bound end) or client (the connecting
/// end, whose public key ferrozmq derives from its secret one).
macro_rules! set_curve {
    ($s:expr, $kind:expr, $keys:expr) => {
        let keys: Option<CurveKeys> = $keys;
        if let Some(k) = keys {
            if $kind.binds() {
                $s.set_curve_server(true).expect("curve server");
                $s.set_curve_secretkey(k.server_secret).expect("secret key");
            } else {
                $s.set_curve_secretkey(k.client_secret).expect("secret key");
                $s.set_curve_serverkey(k.server_public).expect("server key");
            }
        }
    };
}

/// A blocking socket in a context of its own, or over inproc (which joins
/// only the sockets of one context) in the process's one.
fn socket(kind: SocketType, hwm: usize, transport: Transport) -> Socket {
    static SHARED: OnceLock<Context> = OnceLock::new();
    let s = if transports::in_process(transport) {
        SHARED.get_or_init(Context::new).socket(kind)
    } else {
        Context::new().socket(kind)
    }
    .expect("socket");
    s.set_sndhwm(hwm).expect("sndhwm");
    s.set_rcvhwm(hwm).expect("rcvhwm");
    s.set_linger(Some(LINGER)).expect("linger");
    s
}

fn bind(s: &mut Socket, transport: Transport) -> String {
    s.bind(&transport.endpoint("*")).expect("bind");
    s.last_endpoint().expect("endpoint")
}

impl BlockingLib for Blocking {
    type Sock = Socket;
    /// Sent as a clone of one `Bytes` (a reference count), as users do.
    type Payload = Bytes;

    fn socket(kind: Kind, p: Params) -> Socket {
        let s = socket(socket_type(kind), p.hwm, p.transport);
        set_curve!(s, kind, p.curve);
        s
    }

    fn bind(s: &mut Socket, transport: Transport) -> String {
        bind(s, transport)
    }

    fn connect(s: &mut Socket, endpoint: &str) {
        s.connect(endpoint).expect("connect");
    }

    fn payload(size: usize) -> Bytes {
        Bytes::from(crate::child::payload(size))
    }

    fn send(s: &mut Socket, payload: &Bytes) {
        s.send(payload.clone()).expect("send");
    }

    fn recv(s: &mut Socket) -> usize {
        s.recv().expect("recv").size()
    }

    fn echo(s: &mut Socket) {
        let m = s.recv().expect("recv");
        s.send(m).expect("send");
    }

    fn close(s: Socket) {
        s.close();
    }
}

impl AsyncLib for Async {
    type Sock = AsyncSocket;
    type Payload = Bytes;

    async fn socket(kind: Kind, p: Params) -> AsyncSocket {
        // One context for the process (as inproc needs): an async socket's
        // connections run on the runtime it is created in, not on the
        // context's I/O thread.
        static CONTEXT: OnceLock<Context> = OnceLock::new();
        let s = CONTEXT
            .get_or_init(Context::new)
            .async_socket(socket_type(kind))
            .expect("socket");
        s.set_sndhwm(p.hwm).expect("sndhwm");
        s.set_rcvhwm(p.hwm).expect("rcvhwm");
        s.set_linger(Some(LINGER)).expect("linger");
        set_curve!(s, kind, p.curve);
        s
    }

    async fn bind(s: &mut AsyncSocket, transport: Transport) -> String {
        s.bind(&transport.endpoint("*")).await.expect("bind");
        s.last_endpoint().expect("endpoint")
    }

    async fn connect(s: &mut AsyncSocket, endpoint: &str) {
        s.connect(endpoint).await.expect("connect");
    }

    fn payload(size: usize) -> Bytes {
        Bytes::from(crate::child::payload(size))
    }

    async fn send(s: &mut AsyncSocket, payload: &Bytes) {
        s.send(Message::from(payload.clone())).await.expect("send");
    }

    async fn recv(s: &mut AsyncSocket) -> usize {
        s.recv().await.expect("recv").size()
    }

    async fn echo(s: &mut AsyncSocket) {
        let m = s.recv().await.expect("recv");
        s.send(m).await.expect("send");
    }

    async fn close(s: AsyncSocket) {
        s.close().await;
    }
}

/// The `hwm` measurement on the blocking API (see `libzmq::hwm_accepted`).
pub fn hwm_accepted(hwm: usize) -> Vec<u64> {
    let mut pull = socket(SocketType::Pull, hwm, Transport::Tcp);
    let endpoint = bind(&mut pull, Transport::Tcp);
    let mut push = socket(SocketType::Push, hwm, Transport::Tcp);
    push.connect(&endpoint).expect("connect");
    let payload = Bytes::from_static(&[7u8; 16]);
    crate::hwm::fill(|| match push.try_send(payload.clone()) {
        Ok(()) => true,
        Err(e) if matches!(e.error, Error::WouldBlock) => false,
        Err(e) => panic!("send: {}", e.error),
    })
}

/// The `mem` server: a REP that answers every request with a short reply,
/// until the process is stopped.
pub fn mem_server() {
    let mut rep = socket(SocketType::Rep, 1000, Transport::Tcp);
    crate::child::announce(&bind(&mut rep, Transport::Tcp));
    let reply = Bytes::from_static(b"ok");
    loop {
        rep.recv().expect("recv");
        rep.send(reply.clone()).expect("send");
    }
}
