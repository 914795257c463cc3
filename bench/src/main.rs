//! `ferrozmq-bench`: the same workloads on ferrozmq and on libzmq, in one
//! run, with the ratios.
//!
//! Throughput: PUSH→PULL over TCP loopback, both ends in one process; the
//! clock runs from the first message received to the last (libzmq's
//! `local_thr` convention). Latency: REQ→REP round trips over TCP loopback,
//! both ends in one process; one-way latency is half the round trip.

mod ferro;
mod libzmq;

use std::time::Duration;

use clap::Parser;

/// One library under test: each runs the same two workloads.
trait Library {
    fn name(&self) -> &'static str;
    /// Time to receive `count` messages of `size` bytes, first to last.
    fn throughput(&self, size: usize, count: u64) -> Duration;
    /// The duration of each of `count` round trips of `size` bytes.
    fn latency(&self, size: usize, count: u64) -> Vec<Duration>;
}

#[derive(Parser)]
#[command(about = "ferrozmq against libzmq: PUSH/PULL throughput and REQ/REP latency")]
struct Args {
    /// Runs per workload; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Only one kind of workload.
    #[arg(long, value_parser = ["thr", "lat"])]
    only: Option<String>,
    /// Message sizes for throughput, in bytes.
    #[arg(long, value_delimiter = ',', default_values_t = [16usize, 256, 4096, 65536])]
    sizes: Vec<usize>,
    /// Small counts, for a smoke run of a few seconds.
    #[arg(long)]
    quick: bool,
}

fn main() {
    let args = Args::parse();
    let libraries: Vec<Box<dyn Library>> = vec![
        Box::new(libzmq::Libzmq),
        Box::new(ferro::Blocking),
        Box::new(ferro::Async),
    ];
    println!(
        "libzmq {:?} (zmq crate, system library); {} run(s) per cell, median",
        zmq::version(),
        args.repeat
    );
    if args.only.as_deref() != Some("lat") {
        println!("\nPUSH -> PULL throughput, tcp loopback, one process (msg/s; MB/s)");
        header(&libraries);
        for &size in &args.sizes {
            let count = thr_count(size, args.quick);
            let rates: Vec<f64> = libraries
                .iter()
                .map(|lib| {
                    let secs = median(args.repeat, || lib.throughput(size, count).as_secs_f64());
                    count as f64 / secs
                })
                .collect();
            let cells: Vec<String> = rates
                .iter()
                .map(|r| format!("{:>9.0} {:>7.1}", r, r * size as f64 / 1e6))
                .collect();
            row(&format!("{size} B x {count}"), &cells, &rates, true);
        }
    }
    if args.only.as_deref() != Some("thr") {
        let count = if args.quick { 2_000 } else { 20_000 };
        println!(
            "\nREQ -> REP latency, 16 B, tcp loopback, one process (one-way mean µs; round-trip p50/p99 µs)"
        );
        header(&libraries);
        let mut means = Vec::new();
        let mut cells = Vec::new();
        for lib in &libraries {
            let runs: Vec<Vec<Duration>> =
                (0..args.repeat).map(|_| lib.latency(16, count)).collect();
            let mean_of =
                |r: &Vec<Duration>| r.iter().sum::<Duration>().as_secs_f64() / r.len() as f64;
            let mut by_mean: Vec<&Vec<Duration>> = runs.iter().collect();
            by_mean.sort_by(|a, b| mean_of(a).total_cmp(&mean_of(b)));
            let mut samples = by_mean[by_mean.len() / 2].clone();
            let mean = mean_of(&samples) / 2.0 * 1e6;
            samples.sort();
            let pct =
                |p: f64| samples[((samples.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6;
            means.push(mean);
            cells.push(format!("{mean:>6.1} ({:.0}/{:.0})", pct(0.5), pct(0.99)));
        }
        row(&format!("16 B x {count}"), &cells, &means, false);
    }
}

fn thr_count(size: usize, quick: bool) -> u64 {
    let full = match size {
        0..=64 => 2_000_000,
        65..=1024 => 1_000_000,
        1025..=8192 => 200_000,
        _ => 20_000,
    };
    if quick { full / 20 } else { full }
}

fn median(repeat: usize, mut run: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..repeat.max(1)).map(|_| run()).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn header(libraries: &[Box<dyn Library>]) {
    let mut line = format!("{:<20}", "workload");
    for lib in libraries {
        line.push_str(&format!(" | {:>17}", lib.name()));
    }
    for lib in &libraries[1..] {
        line.push_str(&format!(
            " | {:>9}",
            format!("{}/libzmq", short(lib.name()))
        ));
    }
    println!("{line}");
}

fn short(name: &str) -> &str {
    name.strip_prefix("ferrozmq-").unwrap_or(name)
}

/// Prints the cells and each library's ratio to libzmq (the first), as a
/// speed-up: >1 means ferrozmq is better.
fn row(label: &str, cells: &[String], values: &[f64], higher_is_better: bool) {
    let mut line = format!("{label:<20}");
    for c in cells {
        line.push_str(&format!(" | {c:>17}"));
    }
    for v in &values[1..] {
        let ratio = if higher_is_better {
            v / values[0]
        } else {
            values[0] / v
        };
        line.push_str(&format!(" | {ratio:>8.2}x"));
    }
    println!("{line}");
}
