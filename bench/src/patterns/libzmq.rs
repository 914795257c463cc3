//! The `patterns` workloads on libzmq (the `zmq` crate): threads, one
//! context; the 1,000 clients of `router-clients` on one thread through
//! `zmq::poll`, as a libzmq program with many sockets is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::{END, Measured, SIZE, Tally, WARM, fan_out_result, percentile_us};

pub fn run(workload: &str, peers: usize, count: u64) -> Measured {
    let ctx = zmq::Context::new();
    match workload {
        "fanout-1" | "fanout-8" => fan_out(&ctx, peers, count),
        "router-thr" => router_thr(&ctx, count),
        "router-clients" => router_clients(&ctx, peers, count),
        other => panic!("no workload {other}"),
    }
}

fn bound(ctx: &zmq::Context, kind: zmq::SocketType) -> (zmq::Socket, String) {
    let s = ctx.socket(kind).expect("socket");
    s.set_linger(0).expect("linger");
    s.bind("tcp://127.0.0.1:*").expect("bind");
    let ep = s.get_last_endpoint().expect("endpoint").expect("utf-8");
    (s, ep)
}

fn connected(ctx: &zmq::Context, kind: zmq::SocketType, ep: &str) -> zmq::Socket {
    let s = ctx.socket(kind).expect("socket");
    s.set_linger(0).expect("linger");
    s.connect(ep).expect("connect");
    s
}

fn fan_out(ctx: &zmq::Context, peers: usize, count: u64) -> Measured {
    let (publisher, ep) = bound(ctx, zmq::PUB);
    let warmed = Arc::new(AtomicUsize::new(0));
    let subscribers: Vec<_> = (0..peers)
        .map(|_| {
            let sub = connected(ctx, zmq::SUB, &ep);
            sub.set_subscribe(b"").expect("subscribe");
            let warmed = warmed.clone();
            thread::spawn(move || {
                let mut tally = Tally::default();
                let mut msg = zmq::Message::new();
                loop {
                    sub.recv(&mut msg, 0).expect("recv");
                    match tally.see(msg.len()) {
                        Some(true) => _ = warmed.fetch_add(1, Ordering::Relaxed),
                        Some(false) => return tally.seen(),
                        None => {}
                    }
                }
            })
        })
        .collect();
    while warmed.load(Ordering::Relaxed) < peers {
        publisher.send(&[7u8; WARM][..], 0).expect("send");
        thread::sleep(Duration::from_millis(1));
    }
    let payload = [7u8; SIZE];
    for _ in 0..count {
        publisher.send(&payload[..], 0).expect("send");
    }
    let mut results = Vec::new();
    for subscriber in subscribers {
        while !subscriber.is_finished() {
            publisher.send(&[7u8; END][..], 0).expect("send");
            thread::sleep(Duration::from_millis(1));
        }
        results.push(subscriber.join().expect("subscriber"));
    }
    fan_out_result(&results, count)
}

fn router_thr(ctx: &zmq::Context, count: u64) -> Measured {
    let (router, ep) = bound(ctx, zmq::ROUTER);
    let dealer = connected(ctx, zmq::DEALER, &ep);
    let sender = thread::spawn(move || {
        let payload = [7u8; SIZE];
        for _ in 0..count {
            dealer.send(&payload[..], 0).expect("send");
        }
        dealer
    });
    router.recv_multipart(0).expect("recv");
    let start = Instant::now();
    for _ in 1..count {
        router.recv_multipart(0).expect("recv");
    }
    let elapsed = start.elapsed();
    drop(sender.join().expect("sender"));
    Measured {
        msg_per_s: count as f64 / elapsed.as_secs_f64(),
        ..Measured::default()
    }
}

fn router_clients(ctx: &zmq::Context, peers: usize, count: u64) -> Measured {
    let (router, ep) = bound(ctx, zmq::ROUTER);
    let server = thread::spawn(move || {
        while let Ok(msg) = router.recv_multipart(0) {
            if router.send_multipart(msg, 0).is_err() {
                return;
            }
        }
    });
    let clients: Vec<zmq::Socket> = (0..peers)
        .map(|_| connected(ctx, zmq::DEALER, &ep))
        .collect();
    let payload = [7u8; SIZE];
    // One untimed round trip each: every client connected before the clock.
    round_trips(&clients, 1, &payload);
    let clock = Instant::now();
    let mut samples = round_trips(&clients, count, &payload);
    let elapsed = clock.elapsed();
    drop(clients);
    drop(server);
    samples.sort();
    Measured {
        msg_per_s: samples.len() as f64 / elapsed.as_secs_f64(),
        delivered: None,
        p50_us: Some(percentile_us(&samples, 0.5)),
        p99_us: Some(percentile_us(&samples, 0.99)),
    }
}

/// Every client makes `count` round trips, all at once, driven by polling.
fn round_trips(clients: &[zmq::Socket], count: u64, payload: &[u8]) -> Vec<Duration> {
    let mut left = vec![count; clients.len()];
    let mut sent_at = vec![Instant::now(); clients.len()];
    for (client, at) in clients.iter().zip(&mut sent_at) {
        client.send(payload, 0).expect("send");
        *at = Instant::now();
    }
    let mut samples = Vec::with_capacity(clients.len() * count as usize);
    let mut busy = clients.len();
    while busy > 0 {
        let mut items: Vec<zmq::PollItem> = clients
            .iter()
            .map(|c| c.as_poll_item(zmq::POLLIN))
            .collect();
        zmq::poll(&mut items, -1).expect("poll");
        let ready: Vec<usize> = (0..clients.len())
            .filter(|&i| items[i].is_readable())
            .collect();
        drop(items);
        for i in ready {
            while clients[i]
                .get_events()
                .expect("events")
                .contains(zmq::POLLIN)
            {
                clients[i].recv_bytes(0).expect("recv");
                samples.push(sent_at[i].elapsed());
                left[i] -= 1;
                if left[i] == 0 {
                    busy -= 1;
                } else {
                    clients[i].send(payload, 0).expect("send");
                    sent_at[i] = Instant::now();
                }
            }
        }
    }
    samples
}
