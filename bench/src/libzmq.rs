//! libzmq through the `zmq` crate: the reference. Threads, as its users
//! write them. Each end has its own context (one I/O thread, the default),
//! as when `local_thr` and `remote_thr` run as two processes.

use std::thread;
use std::time::{Duration, Instant};

use crate::{LINGER, Library, Params};

pub(crate) struct Libzmq;

/// Where the libzmq this process runs comes from: the shared library's
/// path, or a note that zmq-sys linked its vendored static copy.
pub(crate) fn loaded_from() -> String {
    std::fs::read_to_string("/proc/self/maps")
        .ok()
        .and_then(|maps| {
            maps.lines()
                .filter_map(|l| l.split_whitespace().nth(5))
                .find(|path| path.contains("/libzmq.so"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| {
            "zmq-sys's vendored static copy, NOT Debian's libzmq: build in bench/ \
             or with --config bench/.cargo/config.toml (see README)"
                .into()
        })
}

fn socket(ctx: &zmq::Context, kind: zmq::SocketType, p: Params) -> zmq::Socket {
    let s = ctx.socket(kind).expect("socket");
    let hwm = i32::try_from(p.hwm).expect("hwm fits an int");
    s.set_sndhwm(hwm).expect("sndhwm");
    s.set_rcvhwm(hwm).expect("rcvhwm");
    s.set_linger(LINGER.as_millis() as i32).expect("linger");
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

    fn throughput(&self, p: Params) -> Duration {
        let pull = socket(&zmq::Context::new(), zmq::PULL, p);
        let ep = bound(&pull);
        let push = socket(&zmq::Context::new(), zmq::PUSH, p);
        push.connect(&ep).expect("connect");
        let payload = vec![7u8; p.size];
        let sender = thread::spawn(move || {
            for _ in 0..p.count {
                // The crate's way to send a slice: copied into a zmq_msg,
                // as zmq_send does.
                push.send(&payload[..], 0).expect("send");
            }
        });
        // One message object reused, as local_thr does.
        let mut msg = zmq::Message::new();
        pull.recv(&mut msg, 0).expect("recv");
        let start = Instant::now();
        for _ in 1..p.count {
            pull.recv(&mut msg, 0).expect("recv");
            assert_eq!(msg.len(), p.size, "message size");
        }
        let elapsed = start.elapsed();
        sender.join().expect("sender");
        elapsed
    }

    fn latency(&self, p: Params) -> Vec<Duration> {
        let rep = socket(&zmq::Context::new(), zmq::REP, p);
        let ep = bound(&rep);
        let server = thread::spawn(move || {
            for _ in 0..p.count {
                let mut msg = zmq::Message::new();
                rep.recv(&mut msg, 0).expect("recv");
                rep.send(msg, 0).expect("send");
            }
        });
        let req = socket(&zmq::Context::new(), zmq::REQ, p);
        req.connect(&ep).expect("connect");
        let payload = vec![7u8; p.size];
        let mut reply = zmq::Message::new();
        let samples = (0..p.count)
            .map(|_| {
                let t = Instant::now();
                req.send(&payload[..], 0).expect("send");
                req.recv(&mut reply, 0).expect("recv");
                t.elapsed()
            })
            .collect();
        server.join().expect("server");
        samples
    }
}
