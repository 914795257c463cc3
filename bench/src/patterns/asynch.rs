//! The `patterns` workloads on the async libraries (ferrozmq's
//! `AsyncSocket`, omq, and through `rivals` zmq.rs and rzmq), each end a
//! task on one runtime: current-thread, or multi-thread with 2 workers.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Barrier;

use crate::tokio_rt::Flavor;

use super::{END, Measured, SIZE, Tally, WARM, fan_out_result, percentile_us};

/// The socket types the workloads use.
#[derive(Clone, Copy)]
pub enum Kind {
    Pub,
    Sub,
    Dealer,
    Router,
}

/// What the workloads need from an async library.
pub trait PatternLib: 'static {
    type Sock: Send + Sync + 'static;
    type Msg: Send + 'static;
    fn socket(kind: Kind) -> Self::Sock;
    /// Binds `tcp://127.0.0.1` on an ephemeral port; returns the endpoint.
    fn bind(s: &Self::Sock) -> impl Future<Output = String> + Send;
    fn connect(s: &Self::Sock, endpoint: &str) -> impl Future<Output = ()> + Send;
    /// SUB: subscribes to every message.
    fn subscribe_all(s: &Self::Sock) -> impl Future<Output = ()> + Send;
    fn send(s: &Self::Sock, body: Bytes) -> impl Future<Output = ()> + Send;
    fn recv(s: &Self::Sock) -> impl Future<Output = Self::Msg> + Send;
    /// Sends a received message back as it came (a ROUTER's echo).
    fn send_back(s: &Self::Sock, msg: Self::Msg) -> impl Future<Output = ()> + Send;
    /// The size of a message's last frame (its body).
    fn body_len(msg: &Self::Msg) -> usize;
}

pub struct Ferro;

impl PatternLib for Ferro {
    type Sock = ferrozmq::AsyncSocket;
    type Msg = ferrozmq::Message;

    fn socket(kind: Kind) -> Self::Sock {
        use ferrozmq::SocketType as T;
        let kind = match kind {
            Kind::Pub => T::Pub,
            Kind::Sub => T::Sub,
            Kind::Dealer => T::Dealer,
            Kind::Router => T::Router,
        };
        static CONTEXT: OnceLock<ferrozmq::Context> = OnceLock::new();
        CONTEXT
            .get_or_init(ferrozmq::Context::new)
            .async_socket(kind)
            .expect("socket")
    }

    async fn bind(s: &Self::Sock) -> String {
        s.bind("tcp://127.0.0.1:*").await.expect("bind");
        s.last_endpoint().expect("endpoint")
    }

    async fn connect(s: &Self::Sock, endpoint: &str) {
        s.connect(endpoint).await.expect("connect");
    }

    async fn subscribe_all(s: &Self::Sock) {
        s.subscribe("").expect("subscribe");
    }

    async fn send(s: &Self::Sock, body: Bytes) {
        s.send(body).await.expect("send");
    }

    async fn recv(s: &Self::Sock) -> Self::Msg {
        s.recv().await.expect("recv")
    }

    async fn send_back(s: &Self::Sock, msg: Self::Msg) {
        s.send(msg).await.expect("send");
    }

    fn body_len(msg: &Self::Msg) -> usize {
        msg.last().map_or(0, Bytes::len)
    }
}

pub struct Omq;

impl PatternLib for Omq {
    type Sock = omq_tokio::Socket;
    type Msg = omq_tokio::Message;

    fn socket(kind: Kind) -> Self::Sock {
        use omq_tokio::SocketType as T;
        let kind = match kind {
            Kind::Pub => T::Pub,
            Kind::Sub => T::Sub,
            Kind::Dealer => T::Dealer,
            Kind::Router => T::Router,
        };
        omq_tokio::Socket::new(kind, omq_tokio::Options::default())
    }

    async fn bind(s: &Self::Sock) -> String {
        let any = "tcp://127.0.0.1:0".parse().expect("endpoint");
        s.bind(any).await.expect("bind").to_string()
    }

    async fn connect(s: &Self::Sock, endpoint: &str) {
        s.connect(endpoint.parse().expect("endpoint"))
            .await
            .expect("connect");
    }

    async fn subscribe_all(s: &Self::Sock) {
        s.subscribe(Bytes::new()).await.expect("subscribe");
    }

    async fn send(s: &Self::Sock, body: Bytes) {
        s.send(omq_tokio::Message::single(body))
            .await
            .expect("send");
    }

    async fn recv(s: &Self::Sock) -> Self::Msg {
        s.recv().await.expect("recv")
    }

    async fn send_back(s: &Self::Sock, msg: Self::Msg) {
        s.send(msg).await.expect("send");
    }

    fn body_len(msg: &Self::Msg) -> usize {
        msg.part_bytes(msg.len().saturating_sub(1))
            .map_or(0, |b| b.len())
    }
}

/// Runs `workload` on a runtime of `flavor`.
pub fn run<L: PatternLib>(workload: &str, peers: usize, count: u64, flavor: Flavor) -> Measured {
    let rt = flavor.runtime();
    let measured = rt.block_on(async move {
        let task = match workload {
            "fanout-1" | "fanout-8" => tokio::spawn(fan_out::<L>(peers, count)),
            "router-thr" => tokio::spawn(router_thr::<L>(count)),
            "router-clients" => tokio::spawn(router_clients::<L>(peers, count)),
            other => panic!("no workload {other}"),
        };
        task.await.expect("workload")
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    measured
}

fn body(len: usize) -> Bytes {
    Bytes::from(vec![7u8; len])
}

async fn fan_out<L: PatternLib>(peers: usize, count: u64) -> Measured {
    let publisher = L::socket(Kind::Pub);
    let endpoint = L::bind(&publisher).await;
    let warmed = Arc::new(AtomicUsize::new(0));
    let mut subscribers = Vec::new();
    for _ in 0..peers {
        let sub = L::socket(Kind::Sub);
        L::subscribe_all(&sub).await;
        L::connect(&sub, &endpoint).await;
        let warmed = warmed.clone();
        subscribers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                match tally.see(L::body_len(&L::recv(&sub).await)) {
                    Some(true) => _ = warmed.fetch_add(1, Ordering::Relaxed),
                    Some(false) => return tally.seen(),
                    None => {}
                }
            }
        }));
    }
    while warmed.load(Ordering::Relaxed) < peers {
        L::send(&publisher, body(WARM)).await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let payload = body(SIZE);
    for _ in 0..count {
        L::send(&publisher, payload.clone()).await;
    }
    let mut results = Vec::new();
    for subscriber in subscribers {
        while !subscriber.is_finished() {
            L::send(&publisher, body(END)).await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        results.push(subscriber.await.expect("subscriber"));
    }
    fan_out_result(&results, count)
}

async fn router_thr<L: PatternLib>(count: u64) -> Measured {
    let router = L::socket(Kind::Router);
    let endpoint = L::bind(&router).await;
    let dealer = L::socket(Kind::Dealer);
    L::connect(&dealer, &endpoint).await;
    let sender = tokio::spawn(async move {
        let payload = body(SIZE);
        for _ in 0..count {
            L::send(&dealer, payload.clone()).await;
        }
        dealer
    });
    L::recv(&router).await;
    let start = Instant::now();
    for _ in 1..count {
        L::recv(&router).await;
    }
    let elapsed = start.elapsed();
    drop(sender.await.expect("sender"));
    Measured {
        msg_per_s: count as f64 / elapsed.as_secs_f64(),
        ..Measured::default()
    }
}

async fn router_clients<L: PatternLib>(peers: usize, count: u64) -> Measured {
    let router = L::socket(Kind::Router);
    let endpoint = L::bind(&router).await;
    let server = tokio::spawn(async move {
        loop {
            let msg = L::recv(&router).await;
            L::send_back(&router, msg).await;
        }
    });
    let start = Arc::new(Barrier::new(peers + 1));
    let mut clients = Vec::new();
    for _ in 0..peers {
        let dealer = L::socket(Kind::Dealer);
        L::connect(&dealer, &endpoint).await;
        let start = start.clone();
        clients.push(tokio::spawn(async move {
            // One round trip untimed: every client is connected before the
            // clock starts.
            L::send(&dealer, body(SIZE)).await;
            L::recv(&dealer).await;
            start.wait().await;
            let mut samples = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let t = Instant::now();
                L::send(&dealer, body(SIZE)).await;
                L::recv(&dealer).await;
                samples.push(t.elapsed());
            }
            samples
        }));
    }
    start.wait().await;
    let clock = Instant::now();
    let mut samples = Vec::new();
    for client in clients {
        samples.extend(client.await.expect("client"));
    }
    let elapsed = clock.elapsed();
    server.abort();
    samples.sort();
    Measured {
        msg_per_s: samples.len() as f64 / elapsed.as_secs_f64(),
        delivered: None,
        p50_us: Some(percentile_us(&samples, 0.5)),
        p99_us: Some(percentile_us(&samples, 0.99)),
    }
}
