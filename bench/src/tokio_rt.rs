//! The workloads for a library with an async API on tokio (ferrozmq's
//! `AsyncSocket`, omq, zmq.rs, rzmq), on a current-thread runtime or on a
//! multi-thread runtime with two workers. Every end is a spawned task: on a
//! multi-thread runtime a future run by `block_on` stays on the calling
//! thread, outside the workers, and would add a thread hand-off per message.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::blocking::Kind;
use crate::child::{self, Job, Outcome, Params, Role, Transport};

/// Which tokio runtime a variant runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `new_current_thread`: every task and every connection on one thread.
    Current,
    /// `new_multi_thread` with two workers.
    Multi,
}

impl Flavor {
    pub fn runtime(self) -> tokio::runtime::Runtime {
        match self {
            Flavor::Current => tokio::runtime::Builder::new_current_thread(),
            Flavor::Multi => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                b
            }
        }
        .enable_all()
        .build()
        .expect("runtime")
    }
}

/// What the workloads need from an async library on tokio: one
/// implementation per library, in its own module.
pub trait AsyncLib: 'static {
    type Sock: Send + 'static;
    /// What a sender hands to `send`, made once per run.
    type Payload: Send + Sync + 'static;
    /// A socket of `kind` with the HWM and linger of `p` (where the library
    /// has them) and its CURVE keys (if any), created on the current
    /// runtime.
    fn socket(kind: Kind, p: Params) -> impl Future<Output = Self::Sock> + Send;
    /// Binds a new endpoint of `transport` (see `Transport::endpoint`) and
    /// returns the endpoint bound.
    fn bind(s: &mut Self::Sock, transport: Transport) -> impl Future<Output = String> + Send;
    fn connect(s: &mut Self::Sock, endpoint: &str) -> impl Future<Output = ()> + Send;
    fn payload(size: usize) -> Self::Payload;
    fn send(s: &mut Self::Sock, payload: &Self::Payload) -> impl Future<Output = ()> + Send;
    /// Receives one message and returns its size.
    fn recv(s: &mut Self::Sock) -> impl Future<Output = usize> + Send;
    /// REP: receives one request and sends it back.
    fn echo(s: &mut Self::Sock) -> impl Future<Output = ()> + Send;
    fn close(s: Self::Sock) -> impl Future<Output = ()> + Send;
}

/// Runs one child's role on a runtime of `flavor`.
pub fn run<L: AsyncLib>(job: &Job, flavor: Flavor) -> Outcome {
    let p = job.params();
    let endpoint = job.endpoint.clone();
    let rt = flavor.runtime();
    let role = job.role;
    let outcome = rt.block_on(async move {
        tokio::spawn(async move {
            match role {
                Role::ThrOne => Outcome::thr(thr_one::<L>(p).await),
                Role::LatOne => Outcome::lat(lat_one::<L>(p).await),
                Role::ThrPull => {
                    let mut pull = L::socket(Kind::Pull, p).await;
                    child::announce(&L::bind(&mut pull, p.transport).await);
                    let elapsed = receive::<L>(&mut pull, p).await;
                    L::close(pull).await;
                    Outcome::thr(elapsed)
                }
                Role::ThrPush => {
                    let mut push = L::socket(Kind::Push, p).await;
                    L::connect(&mut push, endpoint.as_deref().expect("endpoint")).await;
                    let payload = L::payload(p.size);
                    for _ in 0..p.count {
                        L::send(&mut push, &payload).await;
                    }
                    let _ = child::exit_signal().await;
                    L::close(push).await;
                    Outcome::none()
                }
                Role::LatRep => {
                    let mut rep = L::socket(Kind::Rep, p).await;
                    child::announce(&L::bind(&mut rep, p.transport).await);
                    for _ in 0..p.count {
                        L::echo(&mut rep).await;
                    }
                    let _ = child::exit_signal().await;
                    L::close(rep).await;
                    Outcome::none()
                }
                Role::LatReq => {
                    let mut req = L::socket(Kind::Req, p).await;
                    L::connect(&mut req, endpoint.as_deref().expect("endpoint")).await;
                    let samples = round_trips::<L>(&mut req, p).await;
                    L::close(req).await;
                    Outcome::lat(samples)
                }
            }
        })
        .await
        .expect("role task")
    });
    // Background tasks a library left behind must not hold the process.
    rt.shutdown_timeout(Duration::from_millis(100));
    outcome
}

async fn receive<L: AsyncLib>(pull: &mut L::Sock, p: Params) -> Duration {
    assert_eq!(L::recv(pull).await, p.size, "message size");
    let start = Instant::now();
    for _ in 1..p.count {
        assert_eq!(L::recv(pull).await, p.size, "message size");
    }
    start.elapsed()
}

async fn round_trips<L: AsyncLib>(req: &mut L::Sock, p: Params) -> Vec<Duration> {
    let payload = L::payload(p.size);
    let mut samples = Vec::with_capacity(p.count as usize);
    for _ in 0..p.count {
        let t = Instant::now();
        L::send(req, &payload).await;
        assert_eq!(L::recv(req).await, p.size, "reply size");
        samples.push(t.elapsed());
    }
    samples
}

async fn thr_one<L: AsyncLib>(p: Params) -> Duration {
    let mut pull = L::socket(Kind::Pull, p).await;
    let endpoint = L::bind(&mut pull, p.transport).await;
    let mut push = L::socket(Kind::Push, p).await;
    L::connect(&mut push, &endpoint).await;
    let sender = tokio::spawn(async move {
        let payload = L::payload(p.size);
        for _ in 0..p.count {
            L::send(&mut push, &payload).await;
        }
        // Handed back, not closed: the receiver may still be reading.
        push
    });
    let receiver = tokio::spawn(async move {
        let elapsed = receive::<L>(&mut pull, p).await;
        (elapsed, pull)
    });
    let (elapsed, pull) = receiver.await.expect("receiver");
    L::close(sender.await.expect("sender")).await;
    L::close(pull).await;
    elapsed
}

async fn lat_one<L: AsyncLib>(p: Params) -> Vec<Duration> {
    let mut rep = L::socket(Kind::Rep, p).await;
    let endpoint = L::bind(&mut rep, p.transport).await;
    let server = tokio::spawn(async move {
        for _ in 0..p.count {
            L::echo(&mut rep).await;
        }
        rep
    });
    let mut req = L::socket(Kind::Req, p).await;
    L::connect(&mut req, &endpoint).await;
    let samples = round_trips::<L>(&mut req, p).await;
    L::close(server.await.expect("server")).await;
    L::close(req).await;
    samples
}
