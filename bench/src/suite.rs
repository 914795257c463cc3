//! Runs the throughput and latency cells: every variant, size, transport,
//! security mechanism and mode, `repeat` times each, every run in child
//! processes with a timeout.

use std::time::Duration;

use crate::child::{CurveKeys, Job, Outcome, Role, Transport};
use crate::curve::{self, Mechanism};
use crate::process::{self, Program};
use crate::results::{Cell, Run};
use crate::transports;
use crate::variants::Variant;

/// Both ends in one process, or a process per end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    One,
    Two,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::One => "one",
            Mode::Two => "two",
        }
    }
}

/// What to run.
pub struct Plan {
    pub modes: Vec<Mode>,
    /// Each in every mode it can run in (inproc: one process only), on the
    /// variants that have it.
    pub transports: Vec<Transport>,
    /// Each on the variants that have it (NULL: all of them).
    pub mechanisms: Vec<Mechanism>,
    pub sizes: Vec<usize>,
    pub thr: bool,
    pub lat: bool,
    pub repeat: usize,
    pub hwm: usize,
    pub quick: bool,
    pub timeout: Duration,
}

/// The size of a REQ/REP round trip's request and reply.
pub const LAT_SIZE: usize = 64;

/// Messages per throughput run, the same for every implementation: a
/// fraction of a second for libzmq here (a few M msg/s up to 256 B, up to
/// 1 GB/s above), several seconds for the slowest rivals at small sizes.
/// Far more bytes than the socket buffers hold (a few MB), so a sender's
/// head start before the receiver's clock starts counts little.
pub fn thr_count(size: usize, quick: bool) -> u64 {
    let full = match size {
        0..=64 => 1_000_000,
        65..=1024 => 500_000,
        1025..=8192 => 100_000,
        _ => 10_000,
    };
    if quick { full / 40 } else { full }
}

/// Round trips per latency run.
pub fn lat_count(quick: bool) -> u64 {
    if quick { 1_000 } else { 5_000 }
}

/// Runs every cell of `plan` on `variants`, in the order the tables show
/// them: per mode, transport and mechanism, per workload and size, every
/// variant in turn (so a noisy moment hits one size of every variant rather
/// than one variant). CURVE runs use one set of keys, made here.
pub fn run(plan: &Plan, variants: &[(&Variant, Program)]) -> Vec<Cell> {
    let keys = plan
        .mechanisms
        .contains(&Mechanism::Curve)
        .then(curve::keys);
    let mut cells = Vec::new();
    for &mode in &plan.modes {
        for &transport in &plan.transports {
            if transports::in_process(transport) && mode == Mode::Two {
                continue;
            }
            for &mechanism in &plan.mechanisms {
                let variants: Vec<_> = variants
                    .iter()
                    .filter(|(v, _)| v.has(transport) && v.has_mechanism(mechanism))
                    .collect();
                let keys = keys.filter(|_| mechanism == Mechanism::Curve);
                cells.extend(run_transport(plan, mode, transport, keys, &variants));
            }
        }
    }
    cells
}

/// The cells of one mode, transport and mechanism (CURVE with `keys`,
/// NULL without), on the variants that have them.
fn run_transport(
    plan: &Plan,
    mode: Mode,
    transport: Transport,
    keys: Option<CurveKeys>,
    variants: &[&(&Variant, Program)],
) -> Vec<Cell> {
    let mut workloads = Vec::new();
    if plan.thr {
        workloads.extend(
            plan.sizes
                .iter()
                .map(|&s| (Role::ThrOne, s, thr_count(s, plan.quick))),
        );
    }
    if plan.lat {
        workloads.push((Role::LatOne, LAT_SIZE, lat_count(plan.quick)));
    }
    let mut cells = Vec::new();
    for (role, size, count) in workloads {
        for (variant, program) in variants {
            let job = Job {
                variant: variant.name.to_owned(),
                role,
                size,
                count,
                hwm: plan.hwm,
                transport,
                endpoint: None,
                curve: keys,
            };
            let cell = run_cell(plan, mode, &job, program);
            eprintln!("{}", progress(&cell));
            cells.push(cell);
        }
    }
    cells
}

fn run_cell(plan: &Plan, mode: Mode, job: &Job, program: &Program) -> Cell {
    let mut cell = Cell {
        mode: mode.name().to_owned(),
        transport: job.transport.name().to_owned(),
        mechanism: Mechanism::of(job).name().to_owned(),
        workload: if job.role == Role::ThrOne {
            "thr"
        } else {
            "lat"
        }
        .to_owned(),
        size: job.size,
        count: job.count,
        variant: job.variant.clone(),
        runs: Vec::new(),
        median: None,
        error: None,
        ratios: None,
    };
    for _ in 0..plan.repeat.max(1) {
        let outcome = match mode {
            Mode::One => process::one_process(program, job, plan.timeout),
            Mode::Two => process::two_process(program, job, plan.timeout),
        };
        match outcome {
            Ok(outcome) => cell.runs.push(run_of(&outcome, job)),
            Err(e) => {
                // A hang or a crash is not retried: it would only cost time.
                cell.error = Some(e);
                break;
            }
        }
    }
    cell.median = median(&cell.runs);
    cell
}

fn run_of(o: &Outcome, job: &Job) -> Run {
    let cpu_secs = o.cpu_user + o.cpu_sys;
    // Messages over the time from the first to the last, as local_thr.
    let rate = o.secs.map(|s| job.count as f64 / s);
    Run {
        secs: o.secs,
        msg_per_s: rate,
        mb_per_s: rate.map(|r| r * job.size as f64 / 1e6),
        lat: o.lat,
        cpu_secs,
        cpu_ns_per_msg: cpu_secs * 1e9 / job.count as f64,
    }
}

fn median_of(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Each field's median over the runs; for latency, the statistics of the
/// run whose mean is the median (its percentiles belong together).
fn median(runs: &[Run]) -> Option<Run> {
    if runs.is_empty() {
        return None;
    }
    let of = |f: fn(&Run) -> Option<f64>| median_of(runs.iter().filter_map(f).collect());
    let mut by_mean: Vec<&Run> = runs.iter().filter(|r| r.lat.is_some()).collect();
    by_mean.sort_by(|a, b| {
        let mean = |r: &Run| r.lat.map_or(0.0, |l| l.mean_us);
        mean(a).total_cmp(&mean(b))
    });
    Some(Run {
        secs: of(|r| r.secs),
        msg_per_s: of(|r| r.msg_per_s),
        mb_per_s: of(|r| r.mb_per_s),
        lat: by_mean.get(by_mean.len() / 2).and_then(|r| r.lat),
        cpu_secs: of(|r| Some(r.cpu_secs)).unwrap_or(0.0),
        cpu_ns_per_msg: of(|r| Some(r.cpu_ns_per_msg)).unwrap_or(0.0),
    })
}

fn progress(cell: &Cell) -> String {
    let what = format!(
        "[{} {} {}] {} {} B x {} {}:",
        cell.mode,
        cell.transport,
        cell.mechanism,
        cell.workload,
        cell.size,
        cell.count,
        cell.variant
    );
    let result = match (&cell.median, &cell.error) {
        (Some(m), _) if cell.workload == "thr" => format!(
            "{:.0} msg/s, {:.0} ns CPU/msg",
            m.msg_per_s.unwrap_or(0.0),
            m.cpu_ns_per_msg
        ),
        (Some(m), _) => {
            let l = m.lat.unwrap_or_default();
            format!("p50 {:.1} µs, p99 {:.1} µs", l.p50_us, l.p99_us)
        }
        (None, Some(e)) => format!("FAILED: {e}"),
        (None, None) => "no run".into(),
    };
    match (&cell.median, &cell.error) {
        (Some(_), Some(e)) => format!("{what} {result} (then FAILED: {e})"),
        _ => format!("{what} {result}"),
    }
}
