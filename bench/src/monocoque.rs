//! monocoque (`monocoque-rs`), written against its runtime facade
//! (`monocoque::rt`) only, so the same file runs on the tokio backend (in
//! the bench binary) and on the smol backend (in `rivals/monocoque-smol`,
//! which includes this file): the backends are Cargo features and exclusive.
//!
//! Used as its README shows: a thread-per-core design, so one single-thread
//! `LocalRuntime` (tokio: current-thread runtime in a `LocalSet`; smol: a
//! `LocalExecutor`). A monocoque socket is one connection: the bound end
//! accepts one peer on a listener (here one bound to port 0, whose address
//! is announced) and becomes a socket with `from_tcp_with_options`.
//!
//! Each workload in the mode monocoque's docs recommend for it:
//! - throughput (PUSH -> PULL): the PUSH with write coalescing
//!   (`with_write_coalescing(true)`, its throughput mode: encoded messages
//!   gather in a 64 KB buffer, one kernel write when it fills) and a
//!   `flush()` after the last send; the PULL with `recv_into` into one
//!   reused buffer, draining each read with `try_recv_into`.
//! - latency (REQ <-> REP): the default eager mode (one kernel write per
//!   send), which its docs recommend for request-reply and latency.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use monocoque::SocketOptions;
use monocoque::rt::{self, LocalRuntime, TcpListener};
use monocoque::zmq::{PullSocket, PushSocket, RepSocket, ReqSocket};

use crate::child::{self, Job, LINGER, Outcome, Params, Role};

/// Every socket's options. Eager mode (the default: one kernel write per
/// send), which monocoque's docs recommend for request-reply and latency.
fn options(p: Params) -> SocketOptions {
    SocketOptions::default()
        .with_send_hwm(p.hwm)
        .with_recv_hwm(p.hwm)
        .with_linger(Some(LINGER))
}

/// The PUSH of the throughput workload: write coalescing, as monocoque's
/// README, `docs/performance.md` and its throughput bench do for
/// throughput-bound pipelines (encoded messages gather in a 64 KB buffer,
/// one kernel write when it fills; `flush()` after the last send).
fn push_options(p: Params) -> SocketOptions {
    options(p).with_write_coalescing(true)
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
    PushSocket::connect_with_options(address(endpoint), push_options(p))
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
    // `send_one` is monocoque's single-frame hot path (no `Vec` per
    // message), but in 0.4 its coalesced branch copies every body into the
    // buffer, while `send` (the call its coalescing examples use) hands a
    // body at or above `vectored_write_threshold` (32 KB) to the kernel
    // uncopied, as its README says coalesced mode does: `send_one` below
    // the threshold, `send` at or above it.
    let vectored = p.size >= push_options(p).vectored_write_threshold;
    for _ in 0..p.count {
        if vectored {
            push.send(vec![payload.clone()]).await.expect("send");
        } else {
            push.send_one(payload.clone()).await.expect("send");
        }
    }
    // Coalescing keeps up to 64 KB in the socket until the buffer fills:
    // without this the receiver would never see the last messages.
    push.flush().await.expect("flush");
}

fn check(frames: &[Bytes], size: usize) {
    assert_eq!(frames.iter().map(Bytes::len).sum::<usize>(), size);
}

/// `recv_into` into one reused buffer, then `try_recv_into` to drain what
/// the same kernel read decoded, as monocoque's `recv_into_zero_alloc`
/// example and `docs/performance.md` show for a throughput receive loop.
/// The clock starts at the first message, as for every library.
async fn receive(pull: &mut PullSocket, p: Params) -> Duration {
    let mut frames: Vec<Bytes> = Vec::with_capacity(4);
    let mut received = 0;
    let mut start = None;
    while received < p.count {
        assert!(
            pull.recv_into(&mut frames).await.expect("recv"),
            "peer gone"
        );
        check(&frames, p.size);
        received += 1;
        start.get_or_insert_with(Instant::now);
        while received < p.count && pull.try_recv_into(&mut frames).expect("recv") {
            check(&frames, p.size);
            received += 1;
        }
    }
    start.expect("count is at least 1").elapsed()
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
