//! omq.rs (`omq-tokio`): `Socket::new` puts the socket's driver on the
//! caller's tokio runtime (its docs: "Use `Socket::new(...)` when you want
//! the socket driver on the caller's active tokio runtime"), so it runs on
//! both the current-thread and the multi-thread runtime. Its inproc names
//! are the process's (every `Socket::new` shares one registry). CURVE
//! through its `curve` feature: `Options::curve_server` with the server's
//! key pair, `Options::curve_client` with the client's and the server's
//! public key.

use bytes::Bytes;
use omq_tokio::{
    CurveKeypair, CurvePublicKey, CurveSecretKey, Message, Options, Socket, SocketType,
};

use crate::blocking::Kind;
use crate::child::{CurveKeys, LINGER, Params, Transport};
use crate::tokio_rt::AsyncLib;

pub struct Omq;

impl AsyncLib for Omq {
    type Sock = Socket;
    type Payload = Bytes;

    async fn socket(kind: Kind, p: Params) -> Socket {
        let socket_type = match kind {
            Kind::Push => SocketType::Push,
            Kind::Pull => SocketType::Pull,
            Kind::Req => SocketType::Req,
            Kind::Rep => SocketType::Rep,
        };
        let hwm = u32::try_from(p.hwm).expect("hwm fits a u32");
        let options = Options::default()
            .send_hwm(hwm)
            .recv_hwm(hwm)
            .linger(LINGER);
        Socket::new(socket_type, with_curve(options, kind, p.curve))
    }

    async fn bind(s: &mut Socket, transport: Transport) -> String {
        let any = transport.endpoint("0").parse().expect("endpoint");
        s.bind(any).await.expect("bind").to_string()
    }

    async fn connect(s: &mut Socket, endpoint: &str) {
        s.connect(endpoint.parse().expect("endpoint"))
            .await
            .expect("connect");
    }

    fn payload(size: usize) -> Bytes {
        Bytes::from(crate::child::payload(size))
    }

    async fn send(s: &mut Socket, payload: &Bytes) {
        s.send(Message::single(payload.clone()))
            .await
            .expect("send");
    }

    async fn recv(s: &mut Socket) -> usize {
        s.recv().await.expect("recv").byte_len()
    }

    async fn echo(s: &mut Socket) {
        let m = s.recv().await.expect("recv");
        s.send(m).await.expect("send");
    }

    async fn close(s: Socket) {
        s.close().await.expect("close");
    }
}

/// With CURVE keys, the options of the CURVE server (the bound end) or
/// client (the connecting end).
fn with_curve(options: Options, kind: Kind, keys: Option<CurveKeys>) -> Options {
    let Some(k) = keys else { return options };
    let pair = |public, secret| CurveKeypair {
        public: CurvePublicKey::from_bytes(public),
        secret: CurveSecretKey::from_bytes(secret),
    };
    if kind.binds() {
        options.curve_server(pair(k.server_public, k.server_secret))
    } else {
        let server = CurvePublicKey::from_bytes(k.server_public);
        options.curve_client(pair(k.client_public, k.client_secret), server)
    }
}
