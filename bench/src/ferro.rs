//! ferrozmq, with its blocking API (threads and a context per end, laid
//! out like the libzmq side) and with its async API (both ends as tasks on
//! one tokio runtime, which runs their connections too).

use std::thread;
use std::time::{Duration, Instant};

use ferrozmq::{AsyncSocket, Bytes, Context, Message, Socket, SocketType};

use crate::{LINGER, Library, Params};

pub(crate) struct Blocking;
pub(crate) struct Async;

fn socket(ctx: &Context, kind: SocketType, p: Params) -> Socket {
    let s = ctx.socket(kind).expect("socket");
    s.set_sndhwm(p.hwm).expect("sndhwm");
    s.set_rcvhwm(p.hwm).expect("rcvhwm");
    s.set_linger(Some(LINGER)).expect("linger");
    s
}

fn async_socket(ctx: &Context, kind: SocketType, p: Params) -> AsyncSocket {
    let s = ctx.async_socket(kind).expect("socket");
    s.set_sndhwm(p.hwm).expect("sndhwm");
    s.set_rcvhwm(p.hwm).expect("rcvhwm");
    s.set_linger(Some(LINGER)).expect("linger");
    s
}

impl Library for Blocking {
    fn name(&self) -> &'static str {
        "ferrozmq"
    }

    fn throughput(&self, p: Params) -> Duration {
        let mut pull = socket(&Context::new(), SocketType::Pull, p);
        pull.bind("tcp://127.0.0.1:*").expect("bind");
        let mut push = socket(&Context::new(), SocketType::Push, p);
        push.connect(&pull.last_endpoint().expect("endpoint"))
            .expect("connect");
        let payload = Bytes::from(vec![7u8; p.size]);
        let sender = thread::spawn(move || {
            for _ in 0..p.count {
                push.send(payload.clone()).expect("send");
            }
            push
        });
        pull.recv().expect("recv");
        let start = Instant::now();
        for _ in 1..p.count {
            let m = pull.recv().expect("recv");
            assert_eq!(m.size(), p.size, "message size");
        }
        let elapsed = start.elapsed();
        drop(sender.join().expect("sender"));
        elapsed
    }

    fn latency(&self, p: Params) -> Vec<Duration> {
        let mut rep = socket(&Context::new(), SocketType::Rep, p);
        rep.bind("tcp://127.0.0.1:*").expect("bind");
        let ep = rep.last_endpoint().expect("endpoint");
        let server = thread::spawn(move || {
            for _ in 0..p.count {
                let m = rep.recv().expect("recv");
                rep.send(m).expect("send");
            }
            rep
        });
        let mut req = socket(&Context::new(), SocketType::Req, p);
        req.connect(&ep).expect("connect");
        let payload = Bytes::from(vec![7u8; p.size]);
        let samples = (0..p.count)
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

    fn throughput(&self, p: Params) -> Duration {
        let ctx = Context::new();
        runtime().block_on(async move {
            let mut pull = async_socket(&ctx, SocketType::Pull, p);
            pull.bind("tcp://127.0.0.1:*").await.expect("bind");
            let mut push = async_socket(&ctx, SocketType::Push, p);
            push.connect(&pull.last_endpoint().expect("endpoint"))
                .await
                .expect("connect");
            let payload = Bytes::from(vec![7u8; p.size]);
            let sender = tokio::spawn(async move {
                for _ in 0..p.count {
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
                for _ in 1..p.count {
                    let m = pull.recv().await.expect("recv");
                    assert_eq!(m.size(), p.size, "message size");
                }
                start.elapsed()
            });
            let elapsed = receiver.await.expect("receiver");
            drop(sender.await.expect("sender"));
            elapsed
        })
    }

    fn latency(&self, p: Params) -> Vec<Duration> {
        let ctx = Context::new();
        runtime().block_on(async move {
            let mut rep = async_socket(&ctx, SocketType::Rep, p);
            rep.bind("tcp://127.0.0.1:*").await.expect("bind");
            let ep = rep.last_endpoint().expect("endpoint");
            let server = tokio::spawn(async move {
                for _ in 0..p.count {
                    let m = rep.recv().await.expect("recv");
                    rep.send(m).await.expect("send");
                }
                rep
            });
            let mut req = async_socket(&ctx, SocketType::Req, p);
            req.connect(&ep).await.expect("connect");
            let payload = Bytes::from(vec![7u8; p.size]);
            let client = tokio::spawn(async move {
                let mut samples = Vec::with_capacity(p.count as usize);
                for _ in 0..p.count {
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
