//! libzmq through the `zmq` crate: the reference.

use std::thread;
use std::time::{Duration, Instant};

use crate::Library;

pub(crate) struct Libzmq;

fn socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(kind).expect("socket");
    s.set_sndhwm(1000).expect("sndhwm");
    s.set_rcvhwm(1000).expect("rcvhwm");
    s.set_linger(1000).expect("linger");
    s
}

fn bound(s: &zmq::Socket) -> String {
    s.bind("tcp://127.0.0.1:*").expect("bind");
    s.get_last_endpoint().expect("endpoint").expect("utf-8")
}

impl Library for Libzmq {
    fn name(&self) -> &'static str {
        "libzmq"
    }

    fn throughput(&self, size: usize, count: u64) -> Duration {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        let ep = bound(&pull);
        let push = socket(&ctx, zmq::PUSH);
        push.connect(&ep).expect("connect");
        let payload = vec![7u8; size];
        let sender = thread::spawn(move || {
            for _ in 0..count {
                push.send(&payload[..], 0).expect("send");
            }
        });
        pull.recv_bytes(0).expect("recv");
        let start = Instant::now();
        for _ in 1..count {
            pull.recv_bytes(0).expect("recv");
        }
        let elapsed = start.elapsed();
        sender.join().expect("sender");
        elapsed
    }

    fn latency(&self, size: usize, count: u64) -> Vec<Duration> {
        let ctx = zmq::Context::new();
        let rep = socket(&ctx, zmq::REP);
        let ep = bound(&rep);
        let server = thread::spawn(move || {
            for _ in 0..count {
                let m = rep.recv_bytes(0).expect("recv");
                rep.send(m, 0).expect("send");
            }
        });
        let req = socket(&ctx, zmq::REQ);
        req.connect(&ep).expect("connect");
        let payload = vec![7u8; size];
        let samples = (0..count)
            .map(|_| {
                let t = Instant::now();
                req.send(&payload[..], 0).expect("send");
                req.recv_bytes(0).expect("recv");
                t.elapsed()
            })
            .collect();
        server.join().expect("server");
        samples
    }
}
