//! The workloads for a library with a blocking API (libzmq, ferrozmq's
//! `Socket`): user threads, each socket with a context of its own, as when
//! libzmq's `local_thr` and `remote_thr` run as two processes (over
//! inproc, which joins only the sockets of one context, one context for
//! the process).

use std::thread;
use std::time::{Duration, Instant};

use crate::child::{self, Job, Outcome, Params, Role, Transport};

/// The four socket types the workloads use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Push,
    Pull,
    Req,
    Rep,
}

impl Kind {
    /// Whether it is the bound end of its workload (PULL, REP): with CURVE,
    /// the server; the connecting end (PUSH, REQ) is the client.
    pub fn binds(self) -> bool {
        matches!(self, Kind::Pull | Kind::Rep)
    }
}

/// What the workloads need from a blocking library: one implementation per
/// library, in its own module.
pub trait BlockingLib {
    type Sock: Send + 'static;
    /// What a sender hands to `send`, made once per run.
    type Payload: Send + 'static;
    /// A socket of `kind` with the HWM, linger and CURVE keys (if any) of
    /// `p`, in a context of its own (over inproc, in the process's one).
    fn socket(kind: Kind, p: Params) -> Self::Sock;
    /// Binds a new endpoint of `transport` (see `Transport::endpoint`) and
    /// returns the endpoint bound.
    fn bind(s: &mut Self::Sock, transport: Transport) -> String;
    fn connect(s: &mut Self::Sock, endpoint: &str);
    fn payload(size: usize) -> Self::Payload;
    fn send(s: &mut Self::Sock, payload: &Self::Payload);
    /// Receives one message and returns its size.
    fn recv(s: &mut Self::Sock) -> usize;
    /// REP: receives one request and sends it back.
    fn echo(s: &mut Self::Sock);
    fn close(s: Self::Sock);
}

/// Runs one child's role.
pub fn run<L: BlockingLib>(job: &Job) -> Outcome {
    let p = job.params();
    match job.role {
        Role::ThrOne => Outcome::thr(thr_one::<L>(p)),
        Role::LatOne => Outcome::lat(lat_one::<L>(p)),
        Role::ThrPull => {
            let mut pull = L::socket(Kind::Pull, p);
            child::announce(&L::bind(&mut pull, p.transport));
            let elapsed = receive::<L>(&mut pull, p);
            L::close(pull);
            Outcome::thr(elapsed)
        }
        Role::ThrPush => {
            let mut push = L::socket(Kind::Push, p);
            L::connect(&mut push, job.endpoint());
            let payload = L::payload(p.size);
            for _ in 0..p.count {
                L::send(&mut push, &payload);
            }
            child::wait_exit();
            L::close(push);
            Outcome::none()
        }
        Role::LatRep => {
            let mut rep = L::socket(Kind::Rep, p);
            child::announce(&L::bind(&mut rep, p.transport));
            for _ in 0..p.count {
                L::echo(&mut rep);
            }
            child::wait_exit();
            L::close(rep);
            Outcome::none()
        }
        Role::LatReq => {
            let mut req = L::socket(Kind::Req, p);
            L::connect(&mut req, job.endpoint());
            let samples = round_trips::<L>(&mut req, p);
            L::close(req);
            Outcome::lat(samples)
        }
    }
}

/// Receives `p.count` messages; the clock runs from the first to the last.
fn receive<L: BlockingLib>(pull: &mut L::Sock, p: Params) -> Duration {
    assert_eq!(L::recv(pull), p.size, "message size");
    let start = Instant::now();
    for _ in 1..p.count {
        assert_eq!(L::recv(pull), p.size, "message size");
    }
    start.elapsed()
}

fn round_trips<L: BlockingLib>(req: &mut L::Sock, p: Params) -> Vec<Duration> {
    let payload = L::payload(p.size);
    (0..p.count)
        .map(|_| {
            let t = Instant::now();
            L::send(req, &payload);
            assert_eq!(L::recv(req), p.size, "reply size");
            t.elapsed()
        })
        .collect()
}

fn thr_one<L: BlockingLib>(p: Params) -> Duration {
    let mut pull = L::socket(Kind::Pull, p);
    let endpoint = L::bind(&mut pull, p.transport);
    let mut push = L::socket(Kind::Push, p);
    L::connect(&mut push, &endpoint);
    let sender = thread::spawn(move || {
        let payload = L::payload(p.size);
        for _ in 0..p.count {
            L::send(&mut push, &payload);
        }
        // Handed back, not closed: the receiver may still be reading.
        push
    });
    let elapsed = receive::<L>(&mut pull, p);
    L::close(sender.join().expect("sender"));
    L::close(pull);
    elapsed
}

fn lat_one<L: BlockingLib>(p: Params) -> Vec<Duration> {
    let mut rep = L::socket(Kind::Rep, p);
    let endpoint = L::bind(&mut rep, p.transport);
    let server = thread::spawn(move || {
        for _ in 0..p.count {
            L::echo(&mut rep);
        }
        rep
    });
    let mut req = L::socket(Kind::Req, p);
    L::connect(&mut req, &endpoint);
    let samples = round_trips::<L>(&mut req, p);
    L::close(server.join().expect("server"));
    L::close(req);
    samples
}
