//! `ferrozmq-bench`: the same workloads on ferrozmq and on libzmq, in one
//! run, with the ratios.
//!
//! Throughput: PUSH→PULL over TCP loopback, both ends in one process; the
//! sender sends N messages, the receiver receives N, and the clock runs from
//! the first message received to the last (libzmq's `local_thr` convention).
//! Latency: REQ→REP round trips over TCP loopback, both ends in one process;
//! one-way latency is half the round trip.

mod ferro;
mod libzmq;

use std::time::Duration;

use clap::Parser;

/// How long a socket may keep unsent messages when it closes. The workloads
/// wait for the last message before closing, so this only bounds a failure.
const LINGER: Duration = Duration::from_secs(1);

/// What one run of a workload is given.
#[derive(Clone, Copy)]
struct Params {
    /// Bytes per message.
    size: usize,
    /// Messages (throughput) or round trips (latency).
    count: u64,
    /// Send and receive high-water mark on every socket, in messages.
    hwm: usize,
}

/// One library under test: each runs the same two workloads. Another
/// library is one more module implementing this.
trait Library {
    fn name(&self) -> &'static str;
    /// The time from the first of `count` messages received to the last.
    fn throughput(&self, p: Params) -> Duration;
    /// The duration of each of `count` round trips.
    fn latency(&self, p: Params) -> Vec<Duration>;
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
    #[arg(long, value_delimiter = ',', default_value = "16,256,4096,65536")]
    sizes: Vec<usize>,
    /// Send and receive high-water mark, the same on every library.
    #[arg(long, default_value_t = 1000)]
    hwm: usize,
    /// Small counts, for a smoke run of a few seconds.
    #[arg(long)]
    quick: bool,
}

fn main() {
    let args = Args::parse();
    // libzmq first: the ratios are against it.
    let libraries: Vec<Box<dyn Library>> = vec![
        Box::new(libzmq::Libzmq),
        Box::new(ferro::Blocking),
        Box::new(ferro::Async),
    ];
    let (major, minor, patch) = zmq::version();
    println!(
        "libzmq {major}.{minor}.{patch} from {}; hwm {}; median of {} run(s)",
        libzmq::loaded_from(),
        args.hwm,
        args.repeat.max(1)
    );
    if args.only.as_deref() != Some("lat") {
        throughput(&libraries, &args);
    }
    if args.only.as_deref() != Some("thr") {
        latency(&libraries, &args);
    }
}

fn throughput(libraries: &[Box<dyn Library>], args: &Args) {
    println!("\nPUSH -> PULL throughput, tcp loopback, one process: msg/s, MB/s");
    println!("(ratio = ferrozmq / libzmq msg/s: above 1 is faster than libzmq)");
    let mut table = vec![header(libraries)];
    for &size in &args.sizes {
        let p = Params {
            size,
            count: thr_count(size, args.quick),
            hwm: args.hwm,
        };
        let rates: Vec<f64> = libraries
            .iter()
            .map(|lib| {
                let secs = median(args.repeat, || lib.throughput(p).as_secs_f64());
                p.count as f64 / secs
            })
            .collect();
        let cells = rates
            .iter()
            .map(|r| format!("{r:.0} {:.1}", r * size as f64 / 1e6))
            .collect();
        table.push(row(format!("{size} B x {}", p.count), cells, &rates));
    }
    print_table(&table);
}

fn latency(libraries: &[Box<dyn Library>], args: &Args) {
    let p = Params {
        size: 16,
        count: if args.quick { 2_000 } else { 20_000 },
        hwm: args.hwm,
    };
    println!(
        "\nREQ -> REP latency, tcp loopback, one process: one-way mean µs (round-trip p50/p99 µs)"
    );
    println!("(ratio = ferrozmq / libzmq one-way mean: below 1 is faster than libzmq)");
    let mut means = Vec::new();
    let mut cells = Vec::new();
    for lib in libraries {
        // The run whose mean is the median; its percentiles are shown.
        let mut runs: Vec<Vec<Duration>> =
            (0..args.repeat.max(1)).map(|_| lib.latency(p)).collect();
        runs.sort_by(|a, b| mean(a).total_cmp(&mean(b)));
        let mut samples = runs.swap_remove(runs.len() / 2);
        samples.sort();
        let pct = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
        let one_way = mean(&samples) / 2.0 * 1e6;
        means.push(one_way);
        cells.push(format!("{one_way:.1} ({:.0}/{:.0})", pct(0.5), pct(0.99)));
    }
    let table = vec![
        header(libraries),
        row(format!("{} B x {}", p.size, p.count), cells, &means),
    ];
    print_table(&table);
}

/// Messages per throughput run: a second or two for libzmq on this
/// machine (4–7 M msg/s at 16 B, 2 M at 256 B, 1–2 GB/s above).
fn thr_count(size: usize, quick: bool) -> u64 {
    let full = match size {
        0..=64 => 10_000_000,
        65..=1024 => 3_000_000,
        1025..=8192 => 300_000,
        _ => 40_000,
    };
    if quick { full / 50 } else { full }
}

fn median(repeat: usize, mut run: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..repeat.max(1)).map(|_| run()).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mean(samples: &[Duration]) -> f64 {
    samples.iter().sum::<Duration>().as_secs_f64() / samples.len() as f64
}

fn header(libraries: &[Box<dyn Library>]) -> Vec<String> {
    let mut cells = vec!["workload".to_owned()];
    cells.extend(libraries.iter().map(|lib| lib.name().to_owned()));
    cells.extend(
        libraries[1..]
            .iter()
            .map(|lib| format!("{}/{}", lib.name(), libraries[0].name())),
    );
    cells
}

/// The label, each library's cell, then each library's value divided by
/// the first library's (libzmq's).
fn row(label: String, cells: Vec<String>, values: &[f64]) -> Vec<String> {
    let mut line = vec![label];
    line.extend(cells);
    line.extend(values[1..].iter().map(|v| format!("{:.2}", v / values[0])));
    line
}

fn print_table(rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
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
        println!("{}", cells.join(" | "));
    }
}
