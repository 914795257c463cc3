//! The `curve` measurement: PUSH -> PULL throughput at 64 B and 4 KiB and
//! the REQ <-> REP round trip over tcp, with the NULL mechanism and with
//! CURVE (RFC 26: every message encrypted and authenticated), on every
//! variant that has CURVE, in one process and in two. The workloads,
//! counts and child processes are the suite's (`suite.rs`); the job
//! carries the keys (`CurveKeys`), and each library's `socket` makes the
//! bound end (PULL, REP) the CURVE server and the connecting end (PUSH,
//! REQ) its client. Each cell's ratios are to libzmq and to the best rival
//! with the same mechanism and mode.

use std::time::Duration;

use crate::child::{CurveKeys, Job, Transport};
use crate::report::print_grouped;
use crate::results::Report;
use crate::suite::{Mode, Plan};

/// Message sizes for throughput.
pub const SIZES: &[usize] = &[64, 4096];

/// A ZMTP security mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// No security: the default, what every other measurement uses.
    Null,
    /// CURVE, with the keys of the job.
    Curve,
}

impl Mechanism {
    /// Its name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Null => "null",
            Mechanism::Curve => "curve",
        }
    }

    /// The mechanism `job` runs with.
    pub fn of(job: &Job) -> Self {
        if job.curve.is_some() {
            Mechanism::Curve
        } else {
            Mechanism::Null
        }
    }
}

/// New keys, a pair for each side, from ferrozmq's `curve_keypair` (what
/// libzmq's `zmq_curve_keypair` gives: Z85 text), as raw bytes.
pub fn keys() -> CurveKeys {
    let pair = || {
        let (public, secret) = ferrozmq::curve_keypair();
        let raw = |z85: &str| -> [u8; 32] {
            ferrozmq_proto::z85::decode(z85)
                .expect("a Z85 key")
                .try_into()
                .expect("a 32-byte key")
        };
        (raw(&public), raw(&secret))
    };
    let (server_public, server_secret) = pair();
    let (client_public, client_secret) = pair();
    CurveKeys {
        server_public,
        server_secret,
        client_public,
        client_secret,
    }
}

/// The suite's plan for this measurement: NULL, then CURVE, over tcp.
pub fn plan(modes: Vec<Mode>, repeat: usize, hwm: usize, quick: bool, timeout: Duration) -> Plan {
    Plan {
        modes,
        transports: vec![Transport::Tcp],
        mechanisms: vec![Mechanism::Null, Mechanism::Curve],
        sizes: SIZES.to_vec(),
        thr: true,
        lat: true,
        repeat,
        hwm,
        quick,
        timeout,
    }
}

/// Prints a table per mode: a row per mechanism and variant, a column per
/// workload; then which variants lack CURVE.
pub fn print(report: &Report) {
    if report.curve.is_empty() {
        return;
    }
    let mechanisms = [Mechanism::Null, Mechanism::Curve].map(|m| m.name().to_owned());
    print_grouped(
        report,
        &report.curve,
        "curve, tcp",
        "mechanism",
        &mechanisms,
        |c| &c.mechanism,
    );
    let lacking: Vec<&str> = report
        .variants
        .iter()
        .filter(|v| !v.curve)
        .map(|v| v.name.as_str())
        .collect();
    if !lacking.is_empty() {
        println!("no CURVE: {}", lacking.join(", "));
    }
}
