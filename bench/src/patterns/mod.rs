//! The `patterns` measurement: the socket patterns beyond PUSH/PULL and
//! REQ/REP, one process per run, 64-byte messages, HWM 1000.
//!
//! - `fanout-1`, `fanout-8`: a PUB sends N messages to 1 or 8 SUBs
//!   subscribed to everything. Each subscriber times from its first message
//!   to the end marker; the result is the messages delivered per second per
//!   subscriber (the mean over subscribers) and the share of the N each
//!   received (a PUB drops what a full subscriber cannot take).
//! - `router-thr`: a DEALER sends N messages to a ROUTER (which receives
//!   them with the DEALER's identity); messages per second.
//! - `router-clients`: 1,000 DEALER clients each make round trips to one
//!   ROUTER that echoes every message; requests per second over all the
//!   clients, and the p50 and p99 of a round trip.
//!
//! Libraries: ferrozmq's async API, omq, zmq.rs and rzmq, each on a
//! current-thread and on a multi-thread (2 workers) tokio runtime, monocoque on its single-thread runtime
//! (no `router-clients`: its ROUTER serves one connection), and libzmq
//! (threads; the clients through `zmq::poll` on one thread).

mod asynch;
mod libzmq;
mod mono;
mod rivals;

use std::time::{Duration, Instant};

use crate::process::{Proc, Program};
use crate::results::PatternResult;

/// Message size.
pub const SIZE: usize = 64;
/// Clients in `router-clients`.
pub const CLIENTS: usize = 1000;

/// The workloads, each with its peers (subscribers or clients).
pub const WORKLOADS: &[(&str, usize)] = &[
    ("fanout-1", 1),
    ("fanout-8", 8),
    ("router-thr", 1),
    ("router-clients", CLIENTS),
];

/// The libraries measured.
pub const LIBS: &[&str] = &[
    "libzmq",
    "ferrozmq-async-ct",
    "ferrozmq-async-mt",
    "omq-ct",
    "omq-mt",
    "zeromq-ct",
    "zeromq-mt",
    "rzmq-ct",
    "rzmq-mt",
    "monocoque-tokio",
];

/// Messages per run (per publisher, per DEALER; round trips per client
/// for `router-clients`).
pub fn count(workload: &str, quick: bool) -> u64 {
    let full = match workload {
        "fanout-1" | "fanout-8" => 200_000,
        "router-thr" => 500_000,
        _ => 20,
    };
    if quick { (full / 20).max(5) } else { full }
}

/// What a run measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Measured {
    pub msg_per_s: f64,
    pub delivered: Option<f64>,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
}

impl Measured {
    fn line(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v}"));
        format!(
            "{} {} {} {}",
            self.msg_per_s,
            opt(self.delivered),
            opt(self.p50_us),
            opt(self.p99_us)
        )
    }

    fn parse(line: &str) -> Result<Self, String> {
        let fields: Vec<&str> = line.split(' ').collect();
        let opt = |s: &str| (s != "-").then(|| s.parse::<f64>()).transpose();
        let bad = |e: std::num::ParseFloatError| format!("bad result {line:?}: {e}");
        match fields[..] {
            [rate, delivered, p50, p99] => Ok(Measured {
                msg_per_s: rate.parse().map_err(bad)?,
                delivered: opt(delivered).map_err(bad)?,
                p50_us: opt(p50).map_err(bad)?,
                p99_us: opt(p99).map_err(bad)?,
            }),
            _ => Err(format!("bad result {line:?}")),
        }
    }
}

/// The warm-up message's size (sent until every subscriber has one) and
/// the end marker's: a subscriber tells them from the messages by size.
pub const WARM: usize = SIZE + 1;
pub const END: usize = SIZE + 2;

/// A subscriber's count in a fan-out run.
#[derive(Default)]
pub struct Tally {
    received: u64,
    first: Option<Instant>,
    warm: bool,
}

/// What a subscriber saw of a fan-out run.
pub type Seen = (u64, Option<Duration>);

impl Tally {
    /// Counts a message of `len` bytes. `Some(true)` the first time a
    /// warm-up message comes (the subscriber is ready), `Some(false)` at the
    /// end marker (stop), `None` otherwise.
    pub fn see(&mut self, len: usize) -> Option<bool> {
        match len {
            WARM if !self.warm => {
                self.warm = true;
                Some(true)
            }
            SIZE => {
                self.first.get_or_insert_with(Instant::now);
                self.received += 1;
                None
            }
            END => Some(false),
            _ => None,
        }
    }

    /// How many messages came, and the time from the first to now.
    pub fn seen(&self) -> Seen {
        (self.received, self.first.map(|t| t.elapsed()))
    }
}

/// A fan-out run's result from what each subscriber saw.
pub fn fan_out_result(seen: &[Seen], count: u64) -> Measured {
    let rate: f64 = seen
        .iter()
        .map(|&(n, t)| t.map_or(0.0, |t| n as f64 / t.as_secs_f64()))
        .sum();
    let delivered: u64 = seen.iter().map(|s| s.0).sum();
    let peers = seen.len().max(1);
    Measured {
        msg_per_s: rate / peers as f64,
        delivered: Some(delivered as f64 / (count * peers as u64) as f64),
        ..Measured::default()
    }
}

/// Percentile `q` of sorted samples, in microseconds.
pub fn percentile_us(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

/// In the child: runs one workload of one library and prints
/// `RESULT <msg/s> <delivered> <p50> <p99>` (`-` where it does not apply).
pub fn child(lib: &str, workload: &str, peers: usize, count: u64) {
    use crate::tokio_rt::Flavor::{Current, Multi};
    let measured = match lib {
        "libzmq" => libzmq::run(workload, peers, count),
        "ferrozmq-async-ct" => asynch::run::<asynch::Ferro>(workload, peers, count, Current),
        "ferrozmq-async-mt" => asynch::run::<asynch::Ferro>(workload, peers, count, Multi),
        "omq-ct" => asynch::run::<asynch::Omq>(workload, peers, count, Current),
        "omq-mt" => asynch::run::<asynch::Omq>(workload, peers, count, Multi),
        "zeromq-ct" => asynch::run::<rivals::ZmqRs>(workload, peers, count, Current),
        "zeromq-mt" => asynch::run::<rivals::ZmqRs>(workload, peers, count, Multi),
        "rzmq-ct" => asynch::run::<rivals::Rzmq>(workload, peers, count, Current),
        "rzmq-mt" => asynch::run::<rivals::Rzmq>(workload, peers, count, Multi),
        "monocoque-tokio" => mono::run(workload, peers, count),
        other => panic!("no patterns measurement for {other}"),
    };
    println!("RESULT {}", measured.line());
}

/// In the parent: every workload on every library `wanted` accepts, each
/// `repeat` times (the run with the median rate is kept).
pub fn measure(wanted: impl Fn(&str) -> bool, repeat: usize, quick: bool) -> Vec<PatternResult> {
    let mut results = Vec::new();
    for &(workload, peers) in WORKLOADS {
        let runs_it = |lib: &str| !(lib.starts_with("monocoque") && workload == "router-clients");
        for &lib in LIBS.iter().filter(|l| wanted(l) && runs_it(l)) {
            let count = count(workload, quick);
            let mut runs = Vec::new();
            let mut error = None;
            for _ in 0..repeat.max(1) {
                match run_child(lib, workload, peers, count) {
                    Ok(m) => runs.push(m),
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            runs.sort_by(|a, b| a.msg_per_s.total_cmp(&b.msg_per_s));
            let median = runs.get(runs.len() / 2).copied();
            eprintln!(
                "[patterns] {workload} {lib}: {}",
                median.map_or_else(|| format!("FAILED: {error:?}"), |m| m.line())
            );
            results.push(PatternResult {
                workload: workload.to_owned(),
                lib: lib.to_owned(),
                peers,
                count,
                message_bytes: SIZE,
                msg_per_s: median.map(|m| m.msg_per_s),
                delivered: median.and_then(|m| m.delivered),
                p50_us: median.and_then(|m| m.p50_us),
                p99_us: median.and_then(|m| m.p99_us),
                error,
            });
        }
    }
    results
}

fn run_child(lib: &str, workload: &str, peers: usize, count: u64) -> Result<Measured, String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let args = [
        "patterns-child".into(),
        lib.into(),
        workload.into(),
        peers.to_string(),
        count.to_string(),
    ];
    let mut child = Proc::spawn(&Program::this(), &args)?;
    let line = child.expect("RESULT ", deadline)?;
    child.finish(Instant::now() + Duration::from_secs(5));
    Measured::parse(&line)
}
