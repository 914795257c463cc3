//! ferrozmq, with its blocking API (threads, like libzmq's) and with its
//! async API (both ends as tasks on one tokio runtime).

use std::thread;
use std::time::{Duration, Instant};

use ferrozmq::{Bytes, Context, Message, SocketType};

use crate::Library;

pub(crate) struct Blocking;
pub(crate) struct Async;

impl Library for Blocking {
    fn name(&self) -> &'static str {
        "ferrozmq"
    }

    fn throughput(&self, size: usize, count: u64) -> Duration {
        let ctx = Context::new();
        let mut pull = ctx.socket(SocketType::Pull).expect("socket");
        pull.bind("tcp://127.0.0.1:*").expect("bind");
        let mut push = ctx.socket(SocketType::Push).expect("socket");
        push.connect(&pull.last_endpoint().expect("endpoint"))
            .expect("connect");
        let payload = Bytes::from(vec![7u8; size]);
        let sender = thread::spawn(move || {
            for _ in 0..count {
                push.send(payload.clone()).expect("send");
            }
            push
        });
        pull.recv().expect("recv");
        let start = Instant::now();
        for _ in 1..count {
            pull.recv().expect("recv");
        }
        let elapsed = start.elapsed();
        drop(sender.join().expect("sender"));
        elapsed
    }

    fn latency(&self, size: usize, count: u64) -> Vec<Duration> {
        let ctx = Context::new();
        let mut rep = ctx.socket(SocketType::Rep).expect("socket");
        rep.bind("tcp://127.0.0.1:*").expect("bind");
        let ep = rep.last_endpoint().expect("endpoint");
        let server = thread::spawn(move || {
            for _ in 0..count {
                let m = rep.recv().expect("recv");
                rep.send(m).expect("send");
            }
            rep
        });
        let mut req = ctx.socket(SocketType::Req).expect("socket");
        req.connect(&ep).expect("connect");
        let payload = Bytes::from(vec![7u8; size]);
        let samples = (0..count)
            .map(|_| {
                let t = Instant::now();
                req.send(payload.clone()).expect("send");
                req.recv().expect("recv");
                t.elapsed()
            })
            .collect();
        drop(server.join().expect("server"));
        samples
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

impl Library for Async {
    fn name(&self) -> &'static str {
        "ferrozmq-async"
    }

    fn throughput(&self, size: usize, count: u64) -> Duration {
        let ctx = Context::new();
        runtime().block_on(async move {
            let mut pull = ctx.async_socket(SocketType::Pull).expect("socket");
            pull.bind("tcp://127.0.0.1:*").await.expect("bind");
            let mut push = ctx.async_socket(SocketType::Push).expect("socket");
            push.connect(&pull.last_endpoint().expect("endpoint"))
                .await
                .expect("connect");
            let payload = Bytes::from(vec![7u8; size]);
            let sender = tokio::spawn(async move {
                for _ in 0..count {
                    push.send(Message::from(payload.clone()))
                        .await
                        .expect("send");
                }
                push
            });
            // Spawned, not run by `block_on`: on a multi-thread runtime that
            // future runs on the calling thread, outside the workers.
            let receiver = tokio::spawn(async move {
                pull.recv().await.expect("recv");
                let start = Instant::now();
                for _ in 1..count {
                    pull.recv().await.expect("recv");
                }
                start.elapsed()
            });
            let elapsed = receiver.await.expect("receiver");
            drop(sender.await.expect("sender"));
            elapsed
        })
    }

    fn latency(&self, size: usize, count: u64) -> Vec<Duration> {
        let ctx = Context::new();
        runtime().block_on(async move {
            let mut rep = ctx.async_socket(SocketType::Rep).expect("socket");
            rep.bind("tcp://127.0.0.1:*").await.expect("bind");
            let ep = rep.last_endpoint().expect("endpoint");
            let server = tokio::spawn(async move {
                for _ in 0..count {
                    let m = rep.recv().await.expect("recv");
                    rep.send(m).await.expect("send");
                }
                rep
            });
            let mut req = ctx.async_socket(SocketType::Req).expect("socket");
            req.connect(&ep).await.expect("connect");
            let payload = Bytes::from(vec![7u8; size]);
            let client = tokio::spawn(async move {
                let mut samples = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    let t = Instant::now();
                    req.send(payload.clone()).await.expect("send");
                    req.recv().await.expect("recv");
                    samples.push(t.elapsed());
                }
                samples
            });
            let samples = client.await.expect("client");
            drop(server.await.expect("server"));
            samples
        })
    }
}
