//! zmq.rs (the `zeromq` crate): async sockets on the caller's tokio runtime
//! (its default `tokio-runtime` feature). It has no HWM and no linger
//! option: its queues are its own, so `--hwm` does not apply to it. It has
//! tcp and ipc, no inproc (its `endpoint::Transport` has `Tcp` and `Ipc`).

use bytes::Bytes;
use zeromq::prelude::*;
use zeromq::{PullSocket, PushSocket, RepSocket, ReqSocket, ZmqMessage};

use crate::blocking::Kind;
use crate::child::{Params, Transport};
use crate::tokio_rt::AsyncLib;

pub struct ZmqRs;

/// The crate has one type per socket type.
pub enum Sock {
    Push(PushSocket),
    Pull(PullSocket),
    Req(ReqSocket),
    Rep(RepSocket),
}

fn size(m: &ZmqMessage) -> usize {
    m.iter().map(Bytes::len).sum()
}

impl AsyncLib for ZmqRs {
    type Sock = Sock;
    type Payload = Bytes;

    async fn socket(kind: Kind, _p: Params) -> Sock {
        match kind {
            Kind::Push => Sock::Push(PushSocket::new()),
            Kind::Pull => Sock::Pull(PullSocket::new()),
            Kind::Req => Sock::Req(ReqSocket::new()),
            Kind::Rep => Sock::Rep(RepSocket::new()),
        }
    }

    async fn bind(s: &mut Sock, transport: Transport) -> String {
        let any = &transport.endpoint("0");
        let bound = match s {
            Sock::Push(s) => s.bind(any).await,
            Sock::Pull(s) => s.bind(any).await,
            Sock::Req(s) => s.bind(any).await,
            Sock::Rep(s) => s.bind(any).await,
        };
        bound.expect("bind").to_string()
    }

    async fn connect(s: &mut Sock, endpoint: &str) {
        match s {
            Sock::Push(s) => s.connect(endpoint).await,
            Sock::Pull(s) => s.connect(endpoint).await,
            Sock::Req(s) => s.connect(endpoint).await,
            Sock::Rep(s) => s.connect(endpoint).await,
        }
        .expect("connect");
    }

    fn payload(size: usize) -> Bytes {
        Bytes::from(crate::child::payload(size))
    }

    async fn send(s: &mut Sock, payload: &Bytes) {
        let m = ZmqMessage::from(payload.clone());
        match s {
            Sock::Push(s) => s.send(m).await,
            Sock::Req(s) => s.send(m).await,
            Sock::Rep(s) => s.send(m).await,
            Sock::Pull(_) => unreachable!("PULL does not send"),
        }
        .expect("send");
    }

    async fn recv(s: &mut Sock) -> usize {
        let m = match s {
            Sock::Pull(s) => s.recv().await,
            Sock::Req(s) => s.recv().await,
            Sock::Rep(s) => s.recv().await,
            Sock::Push(_) => unreachable!("PUSH does not receive"),
        };
        size(&m.expect("recv"))
    }

    async fn echo(s: &mut Sock) {
        let Sock::Rep(s) = s else {
            unreachable!("only REP echoes")
        };
        let m = s.recv().await.expect("recv");
        s.send(m).await.expect("send");
    }

    async fn close(s: Sock) {
        let errors = match s {
            Sock::Push(s) => s.close().await,
            Sock::Pull(s) => s.close().await,
            Sock::Req(s) => s.close().await,
            Sock::Rep(s) => s.close().await,
        };
        assert!(errors.is_empty(), "close: {errors:?}");
    }
}
