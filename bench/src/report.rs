//! The ratios, and the tables printed on stdout.

use crate::results::{Cell, Ratios, Report};

/// Fills each cell's ratios (of `cells`, `transports` and `curve`): to
/// libzmq's median and to the best rival's (everything but ferrozmq is a
/// rival) in the same mode, transport, mechanism, workload and size.
pub fn compute_ratios(report: &mut Report) {
    let rivals: Vec<String> = report
        .variants
        .iter()
        .filter(|v| v.rival)
        .map(|v| v.name.clone())
        .collect();
    fill_ratios(&mut report.cells, &rivals);
    fill_ratios(&mut report.transports, &rivals);
    fill_ratios(&mut report.curve, &rivals);
}

fn fill_ratios(cells: &mut [Cell], rivals: &[String]) {
    let snapshot = cells.to_vec();
    for cell in cells.iter_mut() {
        let Some(median) = cell.median else { continue };
        let peers: Vec<&Cell> = snapshot
            .iter()
            .filter(|c| {
                c.mode == cell.mode
                    && c.transport == cell.transport
                    && c.mechanism == cell.mechanism
                    && c.workload == cell.workload
                    && c.size == cell.size
                    && c.median.is_some()
            })
            .collect();
        let libzmq = peers.iter().find(|c| c.variant == "libzmq");
        let rival_cells = || peers.iter().filter(|c| rivals.contains(&c.variant));
        let thr = cell.workload == "thr";
        // Throughput: msg/s, higher is better; latency: p50, lower is better.
        let value = |c: &Cell| {
            let m = c.median.expect("filtered");
            if thr {
                m.msg_per_s.unwrap_or(0.0)
            } else {
                m.lat.map_or(f64::INFINITY, |l| l.p50_us)
            }
        };
        let cpu = |c: &Cell| c.median.expect("filtered").cpu_ns_per_msg;
        let best = if thr {
            rival_cells().max_by(|a, b| value(a).total_cmp(&value(b)))
        } else {
            rival_cells().min_by(|a, b| value(a).total_cmp(&value(b)))
        };
        let best_cpu = rival_cells().min_by(|a, b| cpu(a).total_cmp(&cpu(b)));
        let mine = if thr {
            median.msg_per_s.unwrap_or(0.0)
        } else {
            median.lat.map_or(f64::INFINITY, |l| l.p50_us)
        };
        cell.ratios = Some(Ratios {
            vs_libzmq: libzmq.map(|c| mine / value(c)),
            vs_best_rival: best.map(|c| mine / value(c)),
            best_rival: best.map(|c| c.variant.clone()),
            cpu_vs_libzmq: libzmq.map(|c| median.cpu_ns_per_msg / cpu(c)),
            cpu_vs_best_rival: best_cpu.map(|c| median.cpu_ns_per_msg / cpu(c)),
            cpu_best_rival: best_cpu.map(|c| c.variant.clone()),
        });
    }
}

/// 1234567 -> "1.23M", 45678 -> "45.7k".
pub fn si(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

pub fn ratio(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{r:.2}"))
}

pub fn size_label(size: usize) -> String {
    if size >= 1024 && size.is_multiple_of(1024) {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}

fn find<'a>(
    report: &'a Report,
    mode: &str,
    workload: &str,
    size: usize,
    v: &str,
) -> Option<&'a Cell> {
    report
        .cells
        .iter()
        .find(|c| c.mode == mode && c.workload == workload && c.size == size && c.variant == v)
}

/// A mode (`Cell::mode`) as the tables' headings say it.
pub fn mode_name(mode: &str) -> &'static str {
    if mode == "one" {
        "one process (both ends)"
    } else {
        "two processes (an end each)"
    }
}

/// Prints every table of the report.
pub fn print(report: &Report) {
    for mode in &report.config.modes {
        let sizes: Vec<usize> = report.config.sizes.clone();
        let thr_cells = |f: &dyn Fn(&Cell) -> String| -> Vec<Vec<String>> {
            let mut rows = vec![{
                let mut h = vec!["variant".to_owned()];
                h.extend(sizes.iter().map(|&s| size_label(s)));
                h
            }];
            for v in &report.variants {
                let mut row = vec![v.name.clone()];
                let mut any = false;
                for &s in &sizes {
                    let cell = find(report, mode, "thr", s, &v.name);
                    any |= cell.is_some();
                    row.push(cell.map_or("".into(), f));
                }
                if any {
                    rows.push(row);
                }
            }
            rows
        };
        if report
            .cells
            .iter()
            .any(|c| &c.mode == mode && c.workload == "thr")
        {
            println!(
                "\nPUSH -> PULL throughput, tcp loopback, {}: msg/s  ratio-to-libzmq/ratio-to-best-rival",
                mode_name(mode)
            );
            println!("(ratios of msg/s: above 1 is faster)");
            print_table(&thr_cells(&|c: &Cell| match c.median {
                Some(m) => {
                    let r = c.ratios.clone().unwrap_or_default();
                    format!(
                        "{} {}/{}",
                        si(m.msg_per_s.unwrap_or(0.0)),
                        ratio(r.vs_libzmq),
                        ratio(r.vs_best_rival)
                    )
                }
                None => "FAILED".into(),
            }));
            println!(
                "\nthroughput, {}: MB/s (10^6 payload bytes per second)",
                mode_name(mode)
            );
            print_table(&thr_cells(&|c: &Cell| {
                c.median.map_or("FAILED".into(), |m| {
                    format!("{:.1}", m.mb_per_s.unwrap_or(0.0))
                })
            }));
            println!(
                "\nCPU per message, {}: ns/msg (user+sys, {})  ratio-to-libzmq/ratio-to-lowest-rival",
                mode_name(mode),
                if mode == "one" {
                    "the process"
                } else {
                    "both processes"
                }
            );
            println!(
                "(ratios of CPU: below 1 uses less; CPU s per million messages = ns/msg / 1000)"
            );
            print_table(&thr_cells(&|c: &Cell| match c.median {
                Some(m) => {
                    let r = c.ratios.clone().unwrap_or_default();
                    format!(
                        "{:.0} {}/{}",
                        m.cpu_ns_per_msg,
                        ratio(r.cpu_vs_libzmq),
                        ratio(r.cpu_vs_best_rival)
                    )
                }
                None => "FAILED".into(),
            }));
        }
        let lat: Vec<&Cell> = report
            .cells
            .iter()
            .filter(|c| &c.mode == mode && c.workload == "lat")
            .collect();
        if let Some(first) = lat.first() {
            println!(
                "\nREQ <-> REP round trip, {} B, tcp loopback, {}: µs",
                first.size,
                mode_name(mode)
            );
            println!("(p50 ratios: below 1 is faster; CPU per round trip, all processes)");
            let mut rows = vec![
                [
                    "variant",
                    "p50",
                    "p99",
                    "mean",
                    "CPU µs/rt",
                    "p50/libzmq",
                    "p50/best rival",
                ]
                .map(str::to_owned)
                .to_vec(),
            ];
            for v in &report.variants {
                let Some(c) = lat.iter().find(|c| c.variant == v.name) else {
                    continue;
                };
                let mut row = vec![v.name.clone()];
                match (c.median, c.median.and_then(|m| m.lat)) {
                    (Some(m), Some(l)) => {
                        let r = c.ratios.clone().unwrap_or_default();
                        row.extend([
                            format!("{:.1}", l.p50_us),
                            format!("{:.1}", l.p99_us),
                            format!("{:.1}", l.mean_us),
                            format!("{:.1}", m.cpu_ns_per_msg / 1e3),
                            ratio(r.vs_libzmq),
                            ratio(r.vs_best_rival),
                        ]);
                    }
                    _ => row.extend([
                        "FAILED".into(),
                        "".into(),
                        "".into(),
                        "".into(),
                        "".into(),
                        "".into(),
                    ]),
                }
                rows.push(row);
            }
            print_table(&rows);
        }
    }
    crate::transports::print(report);
    crate::curve::print(report);
    print_modes(report);
    print_failures(report);
    print_extras(report);
}

/// How each workload used each library, where that is not its defaults.
fn print_modes(report: &Report) {
    let tuned: Vec<_> = report
        .variants
        .iter()
        .filter(|v| !v.thr_mode.starts_with("defaults") || !v.lat_mode.starts_with("defaults"))
        .collect();
    if tuned.is_empty() {
        return;
    }
    println!("\nNot the defaults (the rest ran with their defaults):");
    for v in tuned {
        println!(
            "  {}: throughput: {}; latency: {}",
            v.name, v.thr_mode, v.lat_mode
        );
    }
}

fn print_failures(report: &Report) {
    let failed: Vec<&Cell> = report
        .cells
        .iter()
        .chain(&report.transports)
        .chain(&report.curve)
        .filter(|c| c.error.is_some())
        .collect();
    if !report.skipped.is_empty() || !failed.is_empty() {
        println!("\nSkipped and failed:");
    }
    for s in &report.skipped {
        println!("  {}: skipped: {}", s.variant, s.reason);
    }
    for c in failed {
        println!(
            "  {} [{} {} {}] {} {}: {} of {} runs done, then: {}",
            c.variant,
            c.mode,
            c.transport,
            c.mechanism,
            c.workload,
            size_label(c.size),
            c.runs.len(),
            report.config.repeat.max(1),
            c.error.as_deref().unwrap_or("")
        );
    }
}

fn print_extras(report: &Report) {
    if !report.mem.is_empty() {
        let m0 = &report.mem[0];
        println!(
            "\nmem: RSS of a REP server process, {} TCP connections each used once ({} KiB request, short reply), then idle",
            m0.connections,
            m0.request_bytes / 1024
        );
        let mut rows = vec![
            [
                "server",
                "RSS before KiB",
                "RSS after KiB",
                "KiB/connection",
                "client s",
                "note",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        for m in &report.mem {
            let opt = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
            rows.push(vec![
                m.server.clone(),
                opt(m.rss_before_kib),
                opt(m.rss_after_kib),
                m.kib_per_connection
                    .map_or("-".into(), |k| format!("{k:.1}")),
                m.client_secs.map_or("-".into(), |s| format!("{s:.1}")),
                m.error.clone().unwrap_or_default(),
            ]);
        }
        print_table(&rows);
    }
    if !report.hwm.is_empty() {
        let h0 = &report.hwm[0];
        println!(
            "\nhwm: messages a PUSH accepted without blocking, sndhwm = rcvhwm = {}, {} B messages, a PULL that never reads",
            h0.hwm, h0.message_bytes
        );
        let mut header = vec!["library".to_owned()];
        header.extend(
            h0.accepted_by
                .iter()
                .map(|(secs, _)| format!("accepted after {secs} s")),
        );
        header.push("note".into());
        let mut rows = vec![header];
        for h in &report.hwm {
            let mut row = vec![h.lib.clone()];
            row.extend(h.accepted_by.iter().map(|(_, n)| n.to_string()));
            row.push(h.error.clone().unwrap_or_default());
            rows.push(row);
        }
        print_table(&rows);
    }
    print_patterns(report);
}

/// The `patterns` table: each workload's rate on each library, with its
/// ratios to libzmq and to the best rival in the same workload.
fn print_patterns(report: &Report) {
    if report.patterns.is_empty() {
        return;
    }
    println!(
        "\npatterns: one process, {} B messages, HWM 1000 (fan-out: delivered msg/s per subscriber; \
         router-thr: DEALER->ROUTER msg/s; router-clients: requests/s over {} DEALER clients)",
        report.patterns[0].message_bytes,
        crate::patterns::CLIENTS
    );
    let mut rows = vec![
        [
            "workload",
            "library",
            "msg/s",
            "/libzmq",
            "/best rival",
            "delivered",
            "p50 µs",
            "p99 µs",
            "note",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for p in &report.patterns {
        let same = |lib: &str| {
            report
                .patterns
                .iter()
                .find(|q| q.workload == p.workload && q.lib == lib)
                .and_then(|q| q.msg_per_s)
        };
        let best_rival = report
            .patterns
            .iter()
            .filter(|q| q.workload == p.workload && !q.lib.starts_with("ferrozmq"))
            .filter_map(|q| q.msg_per_s)
            .reduce(f64::max);
        let over = |base: Option<f64>| match (p.msg_per_s, base) {
            (Some(v), Some(b)) if b > 0.0 => format!("{:.2}", v / b),
            _ => "-".into(),
        };
        let us = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
        rows.push(vec![
            p.workload.clone(),
            p.lib.clone(),
            p.msg_per_s.map_or("-".into(), si),
            over(same("libzmq")),
            over(best_rival),
            p.delivered
                .map_or("-".into(), |d| format!("{:.1}%", d * 100.0)),
            us(p.p50_us),
            us(p.p99_us),
            p.error.clone().unwrap_or_default(),
        ]);
    }
    print_table(&rows);
}

/// A cell as the grouped tables show it: msg/s (throughput) or p50 µs
/// (latency), then its ratio to libzmq and to the best rival.
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

/// Prints `cells` as a table per mode, under `heading`: a row per group
/// (`groups`, each cell's by `group_of`; a transport or a mechanism, named
/// `group` in the header) and variant, a column per workload.
pub fn print_grouped(
    report: &Report,
    cells: &[Cell],
    heading: &str,
    group: &str,
    groups: &[String],
    group_of: fn(&Cell) -> &str,
) {
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
            "\n{heading}, {}: PUSH -> PULL msg/s, REQ <-> REP p50 µs ({} B); \
             ratio-to-libzmq/ratio-to-best-rival with the same {group}",
            mode_name(mode),
            crate::suite::LAT_SIZE
        );
        println!("(ratios of msg/s: above 1 is faster; of p50: below 1 is faster)");
        let mut header = vec![group.to_owned(), "variant".to_owned()];
        header.extend(columns.iter().map(|&(workload, size)| match workload {
            "thr" => format!("{} msg/s", size_label(size)),
            _ => "p50 µs".to_owned(),
        }));
        let mut rows = vec![header];
        for g in groups {
            let mut first = true;
            for v in &report.variants {
                let of = |workload: &str, size: usize| {
                    cells.iter().find(|c| {
                        &c.mode == mode
                            && group_of(c) == g
                            && c.variant == v.name
                            && c.workload == workload
                            && c.size == size
                    })
                };
                if !columns.iter().any(|&(w, s)| of(w, s).is_some()) {
                    continue;
                }
                let mut row = vec![
                    if first { g.clone() } else { String::new() },
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
}

pub fn print_table(rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                if i == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        println!("{}", cells.join(" | ").trim_end());
    }
}
