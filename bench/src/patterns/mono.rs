//! The `patterns` workloads on monocoque, on its tokio backend's
//! single-thread `LocalRuntime` (its PUB also runs worker threads of its
//! own). Its ROUTER serves one connection (`bind` accepts one peer), so
//! `router-clients` (1,000 clients on one ROUTER) has no monocoque row.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use monocoque::rt::{self, LocalRuntime, TcpListener};
use monocoque::zmq::{DealerSocket, PubSocket, RouterSocket, SubSocket};

use super::{END, Measured, SIZE, Tally, WARM, fan_out_result};

pub fn run(workload: &str, peers: usize, count: u64) -> Measured {
    let rt = LocalRuntime::new().expect("runtime");
    rt.block_on(async move {
        match workload {
            "fanout-1" | "fanout-8" => fan_out(peers, count).await,
            "router-thr" => router_thr(count).await,
            other => panic!("monocoque has no {other} workload (its ROUTER serves one connection)"),
        }
    })
}

fn body(len: usize) -> Vec<Bytes> {
    vec![Bytes::from(vec![7u8; len])]
}

async fn fan_out(peers: usize, count: u64) -> Measured {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let mut publisher = PubSocket::bind(any).await.expect("bind");
    let endpoint = format!("tcp://{}", publisher.local_addr().expect("address"));
    let warmed = Rc::new(Cell::new(0usize));
    let subscribers: Vec<_> = (0..peers)
        .map(|_| {
            let (endpoint, warmed) = (endpoint.clone(), warmed.clone());
            rt::spawn(async move {
                let mut sub = SubSocket::connect(&endpoint).await.expect("connect");
                sub.subscribe(b"").await.expect("subscribe");
                let mut tally = Tally::default();
                loop {
                    let msg = sub.recv().await.expect("recv").expect("publisher gone");
                    match tally.see(msg.last().map_or(0, Bytes::len)) {
                        Some(true) => warmed.set(warmed.get() + 1),
                        Some(false) => return tally.seen(),
                        None => {}
                    }
                }
            })
        })
        .collect();
    for _ in 0..peers {
        publisher.accept_subscriber().await.expect("accept");
    }
    while warmed.get() < peers {
        publisher.send(body(WARM)).await.expect("send");
        rt::sleep(Duration::from_millis(1)).await;
    }
    let payload = body(SIZE);
    for _ in 0..count {
        publisher.send(payload.clone()).await.expect("send");
    }
    let mut results = Vec::new();
    for subscriber in subscribers {
        while !subscriber.is_finished() {
            publisher.send(body(END)).await.expect("send");
            rt::sleep(Duration::from_millis(1)).await;
        }
        results.push(rt::join(subscriber).await);
    }
    fan_out_result(&results, count)
}

async fn router_thr(count: u64) -> Measured {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let listener = TcpListener::bind(any).await.expect("bind");
    let endpoint = format!("tcp://{}", listener.local_addr().expect("address"));
    let connecting =
        rt::spawn(async move { DealerSocket::connect(&endpoint).await.expect("connect") });
    let (stream, _) = listener.accept().await.expect("accept");
    let mut router = RouterSocket::from_tcp(stream).await.expect("handshake");
    let mut dealer = rt::join(connecting).await;
    let sender = rt::spawn(async move {
        let payload = body(SIZE);
        for _ in 0..count {
            dealer.send(payload.clone()).await.expect("send");
        }
        dealer
    });
    let mut frames = Vec::new();
    assert!(router.recv_into(&mut frames).await.expect("recv"));
    let start = Instant::now();
    for _ in 1..count {
        assert!(
            router.recv_into(&mut frames).await.expect("recv"),
            "peer gone"
        );
    }
    let elapsed = start.elapsed();
    drop(rt::join(sender).await);
    Measured {
        msg_per_s: count as f64 / elapsed.as_secs_f64(),
        ..Measured::default()
    }
}
