//! The `transports` measurement: PUSH -> PULL throughput at 64 B and
//! 4 KiB and the REQ <-> REP round trip, over each transport (tcp, ipc,
//! inproc, ws) on every variant that has it, in one process and (all but
//! inproc) in two. The workloads, counts and child processes are the
//! suite's (`suite.rs`); each cell also names its transport, and its ratios
//! are to libzmq and to the best rival on the same transport and mode.

use std::time::Duration;

use crate::child::Transport;
use crate::report::{mode_name, print_table, ratio, si, size_label};
use crate::results::{Cell, Report};
use crate::suite::{LAT_SIZE, Mode, Plan};

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
        sizes: SIZES.to_vec(),
        thr: true,
        lat: true,
        repeat,
        hwm,
        quick,
        timeout,
    }
}

/// A cell as the table shows it: msg/s (throughput) or p50 µs (latency),
/// then its ratio to libzmq and to the best rival.
fn shown(c: &Cell) -> String {
    let Some(m) = c.median else {
        return "FAILED".into();
    };
    let value = if c.workload == "thr" {
        si(m.msg_per_s.unwrap_or(0.0))
    } else {
        m.lat.map_or("-".into(), |l| format!("{:.1}", l.p50_us))
    };
    let r = c.ratios.clone().unwrap_or_default();
    format!("{value} {}/{}", ratio(r.vs_libzmq), ratio(r.vs_best_rival))
}

/// Prints a table per mode: a row per transport and variant, a column per
/// workload; then which variants lack which transport.
pub fn print(report: &Report) {
    let cells = &report.transports;
    if cells.is_empty() {
        return;
    }
    // The workloads in the order measured: throughput by size, latency.
    let mut columns: Vec<(&str, usize)> = Vec::new();
    for c in cells {
        if !columns.contains(&(c.workload.as_str(), c.size)) {
            columns.push((c.workload.as_str(), c.size));
        }
    }
    for mode in &report.config.modes {
        if !cells.iter().any(|c| &c.mode == mode) {
            continue;
        }
        println!(
            "\ntransports, {}: PUSH -> PULL msg/s, REQ <-> REP p50 µs ({} B); \
             ratio-to-libzmq/ratio-to-best-rival on the same transport",
            mode_name(mode),
            LAT_SIZE
        );
        println!("(ratios of msg/s: above 1 is faster; of p50: below 1 is faster)");
        let mut header = vec!["transport".to_owned(), "variant".to_owned()];
        header.extend(columns.iter().map(|&(workload, size)| match workload {
            "thr" => format!("{} msg/s", size_label(size)),
            _ => "p50 µs".to_owned(),
        }));
        let mut rows = vec![header];
        for transport in &report.config.transports {
            let mut first = true;
            for v in &report.variants {
                let of = |workload: &str, size: usize| {
                    cells.iter().find(|c| {
                        &c.mode == mode
                            && &c.transport == transport
                            && c.variant == v.name
                            && c.workload == workload
                            && c.size == size
                    })
                };
                if !columns.iter().any(|&(w, s)| of(w, s).is_some()) {
                    continue;
                }
                let mut row = vec![
                    if first {
                        transport.clone()
                    } else {
                        String::new()
                    },
                    v.name.clone(),
                ];
                row.extend(
                    columns
                        .iter()
                        .map(|&(w, s)| of(w, s).map_or(String::new(), shown)),
                );
                rows.push(row);
                first = false;
            }
        }
        print_table(&rows);
    }
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
