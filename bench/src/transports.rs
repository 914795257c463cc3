//! The `transports` measurement: PUSH -> PULL throughput at 64 B and
//! 4 KiB and the REQ <-> REP round trip, over each transport (tcp, ipc,
//! inproc, ws) on every variant that has it, in one process and (all but
//! inproc) in two. The workloads, counts and child processes are the
//! suite's (`suite.rs`); each cell also names its transport, and its ratios
//! are to libzmq and to the best rival on the same transport and mode.

use std::time::Duration;

use crate::child::Transport;
use crate::curve::Mechanism;
use crate::report::print_grouped;
use crate::results::Report;
use crate::suite::{Mode, Plan};

/// Message sizes for throughput.
pub const SIZES: &[usize] = &[64, 4096];

/// Every transport, in table order.
pub const ALL: &[Transport] = &[
    Transport::Tcp,
    Transport::Ipc,
    Transport::Inproc,
    Transport::Ws,
];

/// Whether `transport` joins only the sockets of one context: both ends in
/// one process, and a library with contexts gives them one.
pub fn in_process(transport: Transport) -> bool {
    transport == Transport::Inproc
}

/// The suite's plan for this measurement.
pub fn plan(
    modes: Vec<Mode>,
    transports: Vec<Transport>,
    repeat: usize,
    hwm: usize,
    quick: bool,
    timeout: Duration,
) -> Plan {
    Plan {
        modes,
        transports,
        mechanisms: vec![Mechanism::Null],
        sizes: SIZES.to_vec(),
        thr: true,
        lat: true,
        repeat,
        hwm,
        quick,
        timeout,
    }
}

/// Prints a table per mode: a row per transport and variant, a column per
/// workload; then which variants lack which transport.
pub fn print(report: &Report) {
    if report.transports.is_empty() {
        return;
    }
    print_grouped(
        report,
        &report.transports,
        "transports",
        "transport",
        &report.config.transports,
        |c| &c.transport,
    );
    for transport in &report.config.transports {
        let lacking: Vec<&str> = report
            .variants
            .iter()
            .filter(|v| !v.transports.contains(transport))
            .map(|v| v.name.as_str())
            .collect();
        if !lacking.is_empty() {
            println!("no {transport} transport: {}", lacking.join(", "));
        }
    }
}
