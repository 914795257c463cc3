//! `ferrozmq-bench`: the same workloads on ferrozmq, on libzmq and on the
//! Rust rivals, in one run, with the ratios.
//!
//! Throughput: PUSH→PULL over TCP loopback; the sender sends N messages,
//! the receiver receives N, and the clock runs from the first message
//! received to the last (libzmq's `local_thr` convention). Latency: REQ↔REP
//! round trips over TCP loopback. Each in two modes: both ends in one
//! process, or each end in its own process; `--only transports` runs both
//! over ipc and inproc too, `--only curve` with CURVE security too. Every
//! run is a child process (this binary again, or a rival's helper binary)
//! with a timeout, and measures its CPU with getrusage. See README.md.

mod blocking;
mod chart;
mod child;
mod curve;
mod ferro;
mod hwm;
mod libzmq;
mod mem;
mod monocoque;
mod omq;
mod patterns;
mod process;
mod report;
mod results;
mod rzmq;
mod suite;
mod tokio_rt;
mod transports;
mod variants;
mod zmqrs;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

use crate::child::Transport;
use crate::curve::Mechanism;
use crate::results::{Config, Machine, Report, Skipped, VariantInfo};
use crate::suite::{Mode, Plan};
use crate::variants::VARIANTS;

#[derive(Parser)]
#[command(about = "ferrozmq against libzmq and the Rust ZeroMQ libraries: \
                   PUSH/PULL throughput, REQ/REP latency, CPU per message, \
                   memory per connection, HWM")]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Runs per cell; the median is reported [default: 3, 1 with --quick].
    #[arg(long)]
    repeat: Option<usize>,
    /// Only these measurements (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Only>,
    /// Message sizes for throughput, in bytes.
    #[arg(long, value_delimiter = ',', default_value = "16,64,256,4096,65536")]
    sizes: Vec<usize>,
    /// Send and receive high-water mark, the same on every library.
    #[arg(long, default_value_t = 1000)]
    hwm: usize,
    /// Both ends in one process, in two processes, or both.
    #[arg(long, value_enum, default_value_t = ModeArg::Both)]
    mode: ModeArg,
    /// Transports for `transports` (comma-separated) [default: all: tcp,
    /// ipc, inproc, ws].
    #[arg(long, value_delimiter = ',', value_parser = transport)]
    transports: Vec<Transport>,
    /// Only these implementations (comma-separated): variant names
    /// (`omq-ct`) or library names (`omq`, `ferrozmq`, `libzmq`, ...).
    #[arg(long, value_delimiter = ',')]
    libs: Vec<String>,
    /// Small counts and one run per cell: a smoke test of a few seconds.
    #[arg(long)]
    quick: bool,
    /// Seconds a run may take before it is stopped and its cell failed.
    #[arg(long)]
    timeout: Option<u64>,
    /// Connections for `mem`.
    #[arg(long, default_value_t = mem::CONNECTIONS)]
    mem_connections: usize,
    /// Write every result as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the results as an SVG here.
    #[arg(long)]
    chart: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Draw the SVG chart of a JSON file written by --json.
    Chart {
        /// The JSON results.
        json: PathBuf,
        /// The SVG to write.
        svg: PathBuf,
    },
    /// (internal) Run one end or one cell, as the parent asks.
    #[command(hide = true)]
    Child { job: String },
    /// (internal) The hwm measurement of one library.
    #[command(hide = true)]
    HwmChild { lib: String },
    /// (internal) The patterns measurement of one library and workload.
    #[command(hide = true)]
    PatternsChild {
        lib: String,
        workload: String,
        peers: usize,
        count: u64,
    },
    /// (internal) The mem measurement's REP server.
    #[command(hide = true)]
    MemServer { lib: String },
    /// (internal) The mem measurement's raw ZMTP client.
    #[command(hide = true)]
    MemClient {
        endpoint: String,
        connections: usize,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Only {
    Thr,
    Lat,
    Mem,
    Hwm,
    Patterns,
    Transports,
    Curve,
}

/// A transport by its name (`Transport::name`).
fn transport(name: &str) -> Result<Transport, String> {
    transports::ALL
        .iter()
        .copied()
        .find(|t| t.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = transports::ALL.iter().map(|t| t.name()).collect();
            format!("one of {}", names.join(", "))
        })
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    One,
    Two,
    Both,
}

fn main() {
    let args = Args::parse();
    match &args.command {
        Some(Command::Child { job }) => {
            let job = child::job_from_args(std::slice::from_ref(job));
            child::serve(&job, variants::run);
        }
        Some(Command::HwmChild { lib }) => hwm::child(lib),
        Some(Command::PatternsChild {
            lib,
            workload,
            peers,
            count,
        }) => patterns::child(lib, workload, *peers, *count),
        Some(Command::MemServer { lib }) => mem::server(lib),
        Some(Command::MemClient {
            endpoint,
            connections,
        }) => mem::client(endpoint, *connections),
        Some(Command::Chart { json, svg }) => {
            let text = std::fs::read_to_string(json).expect("read the JSON results");
            let report: Report = serde_json::from_str(&text).expect("JSON results");
            chart::draw(&report, svg).expect("draw the chart");
            eprintln!("wrote {}", svg.display());
        }
        None => bench(&args),
    }
}

fn bench(args: &Args) {
    let started = Instant::now();
    let wanted = |name: &str, lib: &str| {
        args.libs.is_empty() || args.libs.iter().any(|l| l == name || l == lib)
    };
    let only = |o: Only| args.only.is_empty() || args.only.contains(&o);
    let repeat = args.repeat.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let timeout = Duration::from_secs(args.timeout.unwrap_or(if args.quick { 15 } else { 30 }));
    let modes = match args.mode {
        ModeArg::One => vec![Mode::One],
        ModeArg::Two => vec![Mode::Two],
        ModeArg::Both => vec![Mode::One, Mode::Two],
    };

    let mut report = Report {
        machine: Machine::here(),
        versions: results::locked_versions(),
        config: Config {
            repeat,
            hwm: args.hwm,
            quick: args.quick,
            modes: modes.iter().map(|m| m.name().to_owned()).collect(),
            sizes: args.sizes.clone(),
            transports: Vec::new(),
            latency_size: suite::LAT_SIZE,
            timeout_secs: timeout.as_secs(),
            // The file, not its folder: the JSON names no path of the machine.
            libzmq_from: libzmq::loaded_from_file(),
        },
        ..Report::default()
    };
    report.versions.insert("libzmq".into(), libzmq::version());
    if let Some(rev) = results::ferrozmq_revision() {
        let version = report.versions.remove("ferrozmq").unwrap_or_default();
        report
            .versions
            .insert("ferrozmq".into(), format!("{version} ({rev})"));
    }
    let m = &report.machine;
    println!(
        "{} ({} vCPUs), Linux {}, {}; libzmq {} from {}; hwm {}; median of {} run(s)",
        m.cpu_model,
        m.vcpus,
        m.kernel,
        m.date,
        libzmq::version(),
        libzmq::loaded_from(),
        args.hwm,
        repeat
    );

    // Every variant asked for, with the program that runs it.
    let mut runnable = Vec::new();
    for v in VARIANTS.iter().filter(|v| wanted(v.name, v.lib)) {
        report.variants.push(VariantInfo {
            name: v.name.to_owned(),
            lib: v.lib.to_owned(),
            runtime: v.runtime.to_owned(),
            thr_mode: v.thr_mode.to_owned(),
            lat_mode: v.lat_mode.to_owned(),
            rival: v.is_rival(),
            transports: v.transports.iter().map(|t| t.name().to_owned()).collect(),
            curve: v.curve,
        });
        if v.helper.is_some() {
            eprintln!("building the {} helper (once; then a no-op)...", v.name);
        }
        match variants::program(v) {
            Ok(program) => {
                if v.helper.is_some()
                    && let Some(serde_json::Value::Object(map)) =
                        variants::helper_versions(&program)
                {
                    for (k, val) in map {
                        report
                            .versions
                            .insert(k, val.as_str().unwrap_or("?").into());
                    }
                }
                runnable.push((v, program));
            }
            Err(reason) => {
                eprintln!("{}: skipped: {reason}", v.name);
                report.skipped.push(Skipped {
                    variant: v.name.to_owned(),
                    reason,
                });
            }
        }
    }

    let plan = Plan {
        modes: modes.clone(),
        transports: vec![Transport::Tcp],
        mechanisms: vec![Mechanism::Null],
        sizes: args.sizes.clone(),
        thr: only(Only::Thr),
        lat: only(Only::Lat),
        repeat,
        hwm: args.hwm,
        quick: args.quick,
        timeout,
    };
    if plan.thr || plan.lat {
        report.cells = suite::run(&plan, &runnable);
    }
    let measured = |lib: &str| wanted(lib, lib);
    if only(Only::Mem) {
        let n = if args.quick {
            1000
        } else {
            args.mem_connections
        };
        report.mem = mem::measure(measured, n);
    }
    if only(Only::Hwm) {
        report.hwm = hwm::measure(measured);
    }
    if only(Only::Patterns) {
        let lib_of = |variant: &str| variant.split('-').next().unwrap_or(variant).to_owned();
        report.patterns = patterns::measure(|v| wanted(v, &lib_of(v)), repeat, args.quick);
    }
    if only(Only::Transports) {
        let transports = if args.transports.is_empty() {
            transports::ALL.to_vec()
        } else {
            args.transports.clone()
        };
        report.config.transports = transports.iter().map(|t| t.name().to_owned()).collect();
        let plan = transports::plan(
            modes.clone(),
            transports,
            repeat,
            args.hwm,
            args.quick,
            timeout,
        );
        report.transports = suite::run(&plan, &runnable);
    }
    if only(Only::Curve) {
        let plan = curve::plan(modes, repeat, args.hwm, args.quick, timeout);
        report.curve = suite::run(&plan, &runnable);
    }
    report::compute_ratios(&mut report);
    report.wall_secs = started.elapsed().as_secs_f64();
    report::print(&report);
    println!("\n(whole run: {:.0} s)", report.wall_secs);

    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).expect("report as JSON");
        std::fs::write(path, json + "\n").expect("write the JSON results");
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.chart {
        chart::draw(&report, path).expect("draw the chart");
        eprintln!("wrote {}", path.display());
    }
}
