//! monocoque (`monocoque-rs`), written against its runtime facade
//! (`monocoque::rt`) only, so the same file runs on the tokio backend (in
//! the bench binary) and on the smol backend (in `rivals/monocoque-smol`,
//! which includes this file): the backends are Cargo features and exclusive.
//!
//! Used as its README shows: a thread-per-core design, so one single-thread
//! `LocalRuntime` (tokio: current-thread runtime in a `LocalSet`; smol: a
//! `LocalExecutor`). A monocoque socket is one connection: the bound end
//! accepts one peer on a listener (here one bound to port 0, whose address
//! is announced) and becomes a socket with `from_tcp_with_options`. Default
//! eager mode (one write per send; write coalescing is opt-in and needs
//! `flush`), `send_one` for single-frame messages and `recv_into` for the
//! receive loop, both documented for hot paths.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use monocoque::SocketOptions;
use monocoque::rt::{self, LocalRuntime, TcpListener};
use monocoque::zmq::{PullSocket, PushSocket, RepSocket, ReqSocket};

use crate::child::{self, Job, LINGER, Outcome, Params, Role};

fn options(p: Params) -> SocketOptions {
    SocketOptions::default()
        .with_send_hwm(p.hwm)
        .with_recv_hwm(p.hwm)
        .with_linger(Some(LINGER))
}

fn address(endpoint: &str) -> SocketAddr {
    let addr = endpoint.strip_prefix("tcp://").unwrap_or(endpoint);
    addr.parse().expect("endpoint address")
}

async fn listen() -> (TcpListener, String) {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let listener = TcpListener::bind(any).await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    (listener, format!("tcp://{addr}"))
}

async fn accept_pull(listener: &TcpListener, p: Params) -> PullSocket {
    let (stream, _) = listener.accept().await.expect("accept");
    PullSocket::from_tcp_with_options(stream, options(p))
        .await
        .expect("handshake")
}

async fn accept_rep(listener: &TcpListener, p: Params) -> RepSocket {
    let (stream, _) = listener.accept().await.expect("accept");
    RepSocket::from_tcp_with_options(stream, options(p))
        .await
        .expect("handshake")
}

async fn connect_push(endpoint: &str, p: Params) -> PushSocket {
    PushSocket::connect_with_options(address(endpoint), options(p))
        .await
        .expect("connect")
}

async fn connect_req(endpoint: &str, p: Params) -> ReqSocket {
    ReqSocket::connect_with_options(endpoint, options(p))
        .await
        .expect("connect")
}

async fn send_all(push: &mut PushSocket, p: Params) {
    let payload = Bytes::from(child::payload(p.size));
    for _ in 0..p.count {
        push.send_one(payload.clone()).await.expect("send");
    }
}

async fn recv_one(pull: &mut PullSocket, frames: &mut Vec<Bytes>, size: usize) {
    frames.clear();
    assert!(pull.recv_into(frames).await.expect("recv"), "peer gone");
    assert_eq!(frames.iter().map(Bytes::len).sum::<usize>(), size);
}

async fn receive(pull: &mut PullSocket, p: Params) -> Duration {
    let mut frames = Vec::new();
    recv_one(pull, &mut frames, p.size).await;
    let start = Instant::now();
    for _ in 1..p.count {
        recv_one(pull, &mut frames, p.size).await;
    }
    start.elapsed()
}

async fn echo_all(rep: &mut RepSocket, p: Params) {
    for _ in 0..p.count {
        let request = rep.recv().await.expect("recv").expect("peer gone");
        rep.send(request).await.expect("send");
    }
}

async fn round_trips(req: &mut ReqSocket, p: Params) -> Vec<Duration> {
    let payload = Bytes::from(child::payload(p.size));
    let mut samples = Vec::with_capacity(p.count as usize);
    for _ in 0..p.count {
        let t = Instant::now();
        req.send_one(payload.clone()).await.expect("send");
        let reply = req.recv().await.expect("recv").expect("peer gone");
        assert_eq!(reply.iter().map(Bytes::len).sum::<usize>(), p.size);
        samples.push(t.elapsed());
    }
    samples
}

/// Runs one child's role on a `LocalRuntime` of the backend built in.
pub fn run(job: &Job) -> Outcome {
    let p = job.params();
    let rt = LocalRuntime::new().expect("runtime");
    rt.block_on(async {
        match job.role {
            Role::ThrOne => {
                let (listener, endpoint) = listen().await;
                let connecting = rt::spawn(async move { connect_push(&endpoint, p).await });
                let mut pull = accept_pull(&listener, p).await;
                let mut push = rt::join(connecting).await;
                let sender = rt::spawn(async move {
                    send_all(&mut push, p).await;
                    // Handed back, not closed: the receiver may still read.
                    push
                });
                let elapsed = receive(&mut pull, p).await;
                drop(rt::join(sender).await);
                Outcome::thr(elapsed)
            }
            Role::LatOne => {
                let (listener, endpoint) = listen().await;
                let server = rt::spawn(async move {
                    let mut rep = accept_rep(&listener, p).await;
                    echo_all(&mut rep, p).await;
                    rep
                });
                let mut req = connect_req(&endpoint, p).await;
                let samples = round_trips(&mut req, p).await;
                drop(rt::join(server).await);
                Outcome::lat(samples)
            }
            Role::ThrPull => {
                let (listener, endpoint) = listen().await;
                child::announce(&endpoint);
                let mut pull = accept_pull(&listener, p).await;
                Outcome::thr(receive(&mut pull, p).await)
            }
            Role::ThrPush => {
                let mut push = connect_push(job.endpoint(), p).await;
                send_all(&mut push, p).await;
                let _ = child::exit_signal().await;
                Outcome::none()
            }
            Role::LatRep => {
                let (listener, endpoint) = listen().await;
                child::announce(&endpoint);
                let mut rep = accept_rep(&listener, p).await;
                echo_all(&mut rep, p).await;
                let _ = child::exit_signal().await;
                Outcome::none()
            }
            Role::LatReq => {
                let mut req = connect_req(job.endpoint(), p).await;
                Outcome::lat(round_trips(&mut req, p).await)
            }
        }
    })
}
