//! rzmq: async sockets on the caller's tokio runtime, set up as its usage
//! guide shows (a `Context`, `ctx.socket(..)`, options by `set_option`,
//! `LAST_ENDPOINT` after a bind to port 0, `close` then `Context::term`).
//! Its default build (no `io-uring` feature): the standard tokio backend.
//! Its default options for both workloads: its session already coalesces
//! queued messages into one write (up to `SNDBATCH_COUNT` 128 messages or
//! `SNDBATCH_BYTES` 512 KB). Its usage guide suggests larger batches for a
//! PUSH with many small messages but says the defaults "typically require
//! no adjustment unless profiling shows syscall overhead in `write_all`";
//! 256 and 1 MiB (the guide's values), `TCP_CORK` and switching its
//! adaptive throttle off were each measured here, and none was faster
//! (see README). Its inproc names belong to a context, so over inproc the
//! process has one context; otherwise each socket has its own. CURVE
//! through its `curve` feature and libzmq's options (`CURVE_SERVER`,
//! `CURVE_SECRET_KEY`, `CURVE_SERVER_KEY`; it derives a public key from
//! the secret one).

use std::sync::OnceLock;

use bytes::Bytes;
use rzmq::socket::{
    CURVE_SECRET_KEY, CURVE_SERVER, CURVE_SERVER_KEY, LAST_ENDPOINT, LINGER as LINGER_OPT, RCVHWM,
    SNDHWM,
};
use rzmq::{Context, Msg, Socket, SocketType};

use crate::blocking::Kind;
use crate::child::{CurveKeys, LINGER, Params, Transport};
use crate::tokio_rt::AsyncLib;
use crate::transports;

pub struct Rzmq;

/// A socket, and its own context, terminated when it closes (none over
/// inproc: the process's context outlives the run).
pub struct Sock {
    ctx: Option<Context>,
    socket: Socket,
}

impl AsyncLib for Rzmq {
    type Sock = Sock;
    type Payload = Bytes;

    async fn socket(kind: Kind, p: Params) -> Sock {
        let socket_type = match kind {
            Kind::Push => SocketType::Push,
            Kind::Pull => SocketType::Pull,
            Kind::Req => SocketType::Req,
            Kind::Rep => SocketType::Rep,
        };
        static SHARED: OnceLock<Context> = OnceLock::new();
        let (ctx, socket) = if transports::in_process(p.transport) {
            let shared = SHARED.get_or_init(|| Context::new().expect("context"));
            (None, shared.socket(socket_type).expect("socket"))
        } else {
            let ctx = Context::new().expect("context");
            let socket = ctx.socket(socket_type).expect("socket");
            (Some(ctx), socket)
        };
        let hwm = i32::try_from(p.hwm).expect("hwm fits an int");
        socket.set_option(SNDHWM, hwm).await.expect("sndhwm");
        socket.set_option(RCVHWM, hwm).await.expect("rcvhwm");
        let linger = LINGER.as_millis() as i32;
        socket.set_option(LINGER_OPT, linger).await.expect("linger");
        set_curve(&socket, kind, p.curve).await;
        Sock { ctx, socket }
    }

    async fn bind(s: &mut Sock, transport: Transport) -> String {
        s.socket.bind(&transport.endpoint("0")).await.expect("bind");
        let bound = s.socket.get_option(LAST_ENDPOINT).await.expect("endpoint");
        String::from_utf8(bound).expect("utf-8")
    }

    async fn connect(s: &mut Sock, endpoint: &str) {
        s.socket.connect(endpoint).await.expect("connect");
    }

    fn payload(size: usize) -> Bytes {
        Bytes::from(crate::child::payload(size))
    }

    async fn send(s: &mut Sock, payload: &Bytes) {
        s.socket
            .send(Msg::from_bytes(payload.clone()))
            .await
            .expect("send");
    }

    async fn recv(s: &mut Sock) -> usize {
        s.socket.recv().await.expect("recv").size()
    }

    async fn echo(s: &mut Sock) {
        let m = s.socket.recv().await.expect("recv");
        s.socket.send(m).await.expect("send");
    }

    async fn close(s: Sock) {
        s.socket.close().await.expect("close");
        if let Some(ctx) = s.ctx {
            ctx.term().await.expect("term");
        }
    }
}

/// With CURVE keys, makes the socket the CURVE server (the bound end) or
/// client (the connecting end).
async fn set_curve(socket: &Socket, kind: Kind, keys: Option<CurveKeys>) {
    let Some(k) = keys else { return };
    let set = |option, value: [u8; 32]| async move {
        socket
            .set_option_raw(option, &value)
            .await
            .expect("curve key");
    };
    if kind.binds() {
        socket
            .set_option(CURVE_SERVER, 1i32)
            .await
            .expect("curve server");
        set(CURVE_SECRET_KEY, k.server_secret).await;
    } else {
        set(CURVE_SECRET_KEY, k.client_secret).await;
        set(CURVE_SERVER_KEY, k.server_public).await;
    }
}
