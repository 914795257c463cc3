//! monocoque (`monocoque-rs`), written against its runtime facade
//! (`monocoque::rt`) only, so the same file runs on the tokio backend (in
//! the bench binary) and on the smol backend (in `rivals/monocoque-smol`,
//! which includes this file): the backends are Cargo features and exclusive.
//!
//! Used as its README shows: a thread-per-core design, so one single-thread
//! `LocalRuntime` (tokio: current-thread runtime in a `LocalSet`; smol: a
//! `LocalExecutor`). A monocoque socket is one connection: the bound end
//! accepts one peer on a listener (here one bound to port 0, whose address
//! is announced, or an ipc path) and becomes a socket with
//! `from_tcp_with_options` or `from_unix_stream_with_options`.
//!
//! Each workload in the mode monocoque's docs recommend for it:
//! - throughput (PUSH -> PULL): the PUSH with write coalescing
//!   (`with_write_coalescing(true)`, its throughput mode: encoded messages
//!   gather in a 64 KB buffer, one kernel write when it fills) and a
//!   `flush()` after the last send; the PULL with `recv_into` into one
//!   reused buffer, draining each read with `try_recv_into`.
//! - latency (REQ <-> REP): the default eager mode (one kernel write per
//!   send), which its docs recommend for request-reply and latency.
//!
//! CURVE (built in, no feature): `with_curve_server` and
//! `with_curve_keypair` on the accepting end, `with_curve_keypair` and
//! `with_curve_serverkey` on the connecting one; no `zap_domain`, so (its
//! handshake says) any client key is accepted.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use compio_io::{AsyncRead, AsyncWrite};
use monocoque::SocketOptions;
use monocoque::rt::{self, LocalRuntime, TcpListener, TcpStream, UnixStream};
use monocoque::zmq::ipc::{self, IpcListener};
use monocoque::zmq::{PullSocket, PushSocket, RepSocket, ReqSocket};

use crate::child::{self, Job, LINGER, Outcome, Params, Role, Transport};

/// Every socket's options, with CURVE's keys (if any) of the accepting
/// end (the server) or of the connecting one (the client). Eager mode (the
/// default: one kernel write per send), which monocoque's docs recommend
/// for request-reply and latency.
fn options(p: Params, accepting: bool) -> SocketOptions {
    let options = SocketOptions::default()
        .with_send_hwm(p.hwm)
        .with_recv_hwm(p.hwm)
        .with_linger(Some(LINGER));
    match p.curve {
        None => options,
        Some(k) if accepting => options
            .with_curve_server(true)
            .with_curve_keypair(k.server_public, k.server_secret),
        Some(k) => options
            .with_curve_keypair(k.client_public, k.client_secret)
            .with_curve_serverkey(k.server_public),
    }
}

/// The PUSH of the throughput workload: write coalescing, as monocoque's
/// README, `docs/performance.md` and its throughput bench do for
/// throughput-bound pipelines (encoded messages gather in a 64 KB buffer,
/// one kernel write when it fills; `flush()` after the last send).
fn push_options(p: Params) -> SocketOptions {
    options(p, false).with_write_coalescing(true)
}

/// What monocoque's sockets run over: TCP, or a Unix socket for ipc (its
/// `monocoque::zmq::ipc` listener and streams). It has no inproc for these
/// socket types: only its `PairSocket` has `bind_inproc`.
trait Net: 'static {
    /// The stream a socket owns (monocoque's sockets are generic over it).
    type Stream: AsyncRead + AsyncWrite + Unpin + 'static;
    type Listener: 'static;
    /// Listens on a new endpoint; returns the listener and the endpoint.
    async fn listen() -> (Self::Listener, String);
    async fn accept_pull(l: &Self::Listener, p: Params) -> PullSocket<Self::Stream>;
    async fn accept_rep(l: &Self::Listener, p: Params) -> RepSocket<Self::Stream>;
    async fn connect_push(endpoint: &str, p: Params) -> PushSocket<Self::Stream>;
    async fn connect_req(endpoint: &str, p: Params) -> ReqSocket<Self::Stream>;
}

/// TCP loopback: a listener on port 0, `from_tcp_with_options` and
/// `connect_with_options` (which set up the TCP options too).
struct Tcp;

impl Net for Tcp {
    type Stream = TcpStream;
    type Listener = TcpListener;

    async fn listen() -> (TcpListener, String) {
        let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
        let listener = TcpListener::bind(any).await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        (listener, format!("tcp://{addr}"))
    }

    async fn accept_pull(listener: &TcpListener, p: Params) -> PullSocket {
        let (stream, _) = listener.accept().await.expect("accept");
        PullSocket::from_tcp_with_options(stream, options(p, true))
            .await
            .expect("handshake")
    }

    async fn accept_rep(listener: &TcpListener, p: Params) -> RepSocket {
        let (stream, _) = listener.accept().await.expect("accept");
        RepSocket::from_tcp_with_options(stream, options(p, true))
            .await
            .expect("handshake")
    }

    async fn connect_push(endpoint: &str, p: Params) -> PushSocket {
        let addr = endpoint.strip_prefix("tcp://").unwrap_or(endpoint);
        let addr: SocketAddr = addr.parse().expect("endpoint address");
        PushSocket::connect_with_options(addr, push_options(p))
            .await
            .expect("connect")
    }

    async fn connect_req(endpoint: &str, p: Params) -> ReqSocket {
        ReqSocket::connect_with_options(endpoint, options(p, false))
            .await
            .expect("connect")
    }
}

/// ipc: `ipc::bind` on a new path (the listener unlinks it when dropped),
/// `ipc::connect`, and the sockets' `from_unix_stream_with_options`.
struct Ipc;

/// The path of an `ipc://` endpoint.
fn ipc_path(endpoint: &str) -> &str {
    endpoint.strip_prefix("ipc://").expect("an ipc endpoint")
}

impl Net for Ipc {
    type Stream = UnixStream;
    type Listener = IpcListener;

    async fn listen() -> (IpcListener, String) {
        let endpoint = Transport::Ipc.endpoint("");
        let listener = ipc::bind(ipc_path(&endpoint)).await.expect("bind");
        (listener, endpoint)
    }

    async fn accept_pull(listener: &IpcListener, p: Params) -> PullSocket<UnixStream> {
        let stream = ipc::accept(listener).await.expect("accept");
        PullSocket::from_unix_stream_with_options(stream, options(p, true))
            .await
            .expect("handshake")
    }

    async fn accept_rep(listener: &IpcListener, p: Params) -> RepSocket<UnixStream> {
        let stream = ipc::accept(listener).await.expect("accept");
        RepSocket::from_unix_stream_with_options(stream, options(p, true))
            .await
            .expect("handshake")
    }

    async fn connect_push(endpoint: &str, p: Params) -> PushSocket<UnixStream> {
        let stream = ipc::connect(ipc_path(endpoint)).await.expect("connect");
        PushSocket::from_unix_stream_with_options(stream, push_options(p))
            .await
            .expect("handshake")
    }

    async fn connect_req(endpoint: &str, p: Params) -> ReqSocket<UnixStream> {
        let stream = ipc::connect(ipc_path(endpoint)).await.expect("connect");
        ReqSocket::from_unix_stream_with_options(stream, options(p, false))
            .await
            .expect("handshake")
    }
}

async fn send_all<S: AsyncRead + AsyncWrite + Unpin>(push: &mut PushSocket<S>, p: Params) {
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
async fn receive<S: AsyncRead + AsyncWrite + Unpin>(
    pull: &mut PullSocket<S>,
    p: Params,
) -> Duration {
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

async fn echo_all<S: AsyncRead + AsyncWrite + Unpin>(rep: &mut RepSocket<S>, p: Params) {
    for _ in 0..p.count {
        let request = rep.recv().await.expect("recv").expect("peer gone");
        rep.send(request).await.expect("send");
    }
}

async fn round_trips<S: AsyncRead + AsyncWrite + Unpin>(
    req: &mut ReqSocket<S>,
    p: Params,
) -> Vec<Duration> {
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
    match job.params().transport {
        Transport::Tcp => run_over::<Tcp>(job),
        Transport::Ipc => run_over::<Ipc>(job),
        other => panic!("monocoque has no {} transport", other.name()),
    }
}

fn run_over<N: Net>(job: &Job) -> Outcome {
    let p = job.params();
    let rt = LocalRuntime::new().expect("runtime");
    rt.block_on(async {
        match job.role {
            Role::ThrOne => {
                let (listener, endpoint) = N::listen().await;
                let connecting = rt::spawn(async move { N::connect_push(&endpoint, p).await });
                let mut pull = N::accept_pull(&listener, p).await;
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
                let (listener, endpoint) = N::listen().await;
                let server = rt::spawn(async move {
                    let mut rep = N::accept_rep(&listener, p).await;
                    echo_all(&mut rep, p).await;
                    rep
                });
                let mut req = N::connect_req(&endpoint, p).await;
                let samples = round_trips(&mut req, p).await;
                drop(rt::join(server).await);
                Outcome::lat(samples)
            }
            Role::ThrPull => {
                let (listener, endpoint) = N::listen().await;
                child::announce(&endpoint);
                let mut pull = N::accept_pull(&listener, p).await;
                Outcome::thr(receive(&mut pull, p).await)
            }
            Role::ThrPush => {
                let mut push = N::connect_push(job.endpoint(), p).await;
                send_all(&mut push, p).await;
                let _ = child::exit_signal().await;
                Outcome::none()
            }
            Role::LatRep => {
                let (listener, endpoint) = N::listen().await;
                child::announce(&endpoint);
                let mut rep = N::accept_rep(&listener, p).await;
                echo_all(&mut rep, p).await;
                let _ = child::exit_signal().await;
                Outcome::none()
            }
            Role::LatReq => {
                let mut req = N::connect_req(job.endpoint(), p).await;
                Outcome::lat(round_trips(&mut req, p).await)
            }
        }
    })
}
