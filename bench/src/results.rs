//! Everything a run measured, as written to `--json` and read back by
//! `chart`: the machine, the versions, every cell with its raw repeats and
//! median, the variants skipped and why, `mem`, `hwm`, `patterns`,
//! `transports` and `curve`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::child::LatStats;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    pub machine: Machine,
    pub versions: BTreeMap<String, String>,
    pub config: Config,
    /// Every variant asked for, in table order (libzmq first).
    pub variants: Vec<VariantInfo>,
    /// Variants that could not run at all, with the reason.
    pub skipped: Vec<Skipped>,
    pub cells: Vec<Cell>,
    pub mem: Vec<MemResult>,
    pub hwm: Vec<HwmResult>,
    #[serde(default)]
    pub patterns: Vec<PatternResult>,
    /// The `transports` measurement: cells like `cells`, over every
    /// transport, with ratios within each transport.
    #[serde(default)]
    pub transports: Vec<Cell>,
    /// The `curve` measurement: cells like `cells`, over tcp, with the NULL
    /// and the CURVE mechanism, with ratios within each mechanism.
    #[serde(default)]
    pub curve: Vec<Cell>,
    /// Wall-clock seconds the whole run took.
    pub wall_secs: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    pub vcpus: usize,
    pub kernel: String,
    /// UTC, `YYYY-MM-DD`.
    pub date: String,
    /// Seconds since the Unix epoch.
    pub unix_time: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Config {
    pub repeat: usize,
    pub hwm: usize,
    pub quick: bool,
    pub modes: Vec<String>,
    pub sizes: Vec<usize>,
    /// The transports of the `transports` measurement (empty when it did
    /// not run).
    #[serde(default)]
    pub transports: Vec<String>,
    pub latency_size: usize,
    pub timeout_secs: u64,
    /// Where libzmq was loaded from (Debian's shared library or not).
    pub libzmq_from: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VariantInfo {
    pub name: String,
    pub lib: String,
    pub runtime: String,
    /// How the throughput workload used it (its defaults, or the throughput
    /// mode its docs recommend); empty in files written before this field.
    #[serde(default)]
    pub thr_mode: String,
    /// How the latency workload used it.
    #[serde(default)]
    pub lat_mode: String,
    pub rival: bool,
    /// The transports it has (`tcp`, `ipc`, `inproc`); empty in files
    /// written before this field.
    #[serde(default)]
    pub transports: Vec<String>,
    /// Whether it has CURVE (in the build measured); false in files written
    /// before this field.
    #[serde(default)]
    pub curve: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Skipped {
    pub variant: String,
    pub reason: String,
}

/// One workload, size and mode on one variant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cell {
    /// `one` (both ends in one process) or `two` (a process per end).
    pub mode: String,
    /// `tcp`, `ipc` or `inproc` (tcp in files written before this field).
    #[serde(default = "tcp")]
    pub transport: String,
    /// The security mechanism: `null` or `curve` (null in files written
    /// before this field).
    #[serde(default = "null")]
    pub mechanism: String,
    /// `thr` (PUSH -> PULL) or `lat` (REQ <-> REP).
    pub workload: String,
    pub size: usize,
    /// Messages or round trips per run.
    pub count: u64,
    pub variant: String,
    /// Every repeat that completed.
    pub runs: Vec<Run>,
    /// Each field the median over `runs` (for latency, the statistics of
    /// the run whose mean is the median).
    pub median: Option<Run>,
    /// Why a repeat failed (the cell stops at the first failure).
    pub error: Option<String>,
    /// Ratios of the median: throughput msg/s and latency p50 to libzmq's
    /// and to the best rival's (highest msg/s, lowest p50); CPU per message
    /// to libzmq's and to the rival's lowest; in the same mode, transport,
    /// mechanism, workload and size.
    pub ratios: Option<Ratios>,
}

fn tcp() -> String {
    "tcp".into()
}

fn null() -> String {
    "null".into()
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Run {
    /// Throughput: seconds from the first message received to the last.
    pub secs: Option<f64>,
    pub msg_per_s: Option<f64>,
    /// 10^6 bytes of payload per second.
    pub mb_per_s: Option<f64>,
    pub lat: Option<LatStats>,
    /// User + system CPU seconds, every process of the run.
    pub cpu_secs: f64,
    /// CPU nanoseconds per message (per round trip for latency).
    pub cpu_ns_per_msg: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Ratios {
    pub vs_libzmq: Option<f64>,
    pub vs_best_rival: Option<f64>,
    /// The rival the second ratio is against.
    pub best_rival: Option<String>,
    pub cpu_vs_libzmq: Option<f64>,
    pub cpu_vs_best_rival: Option<f64>,
    pub cpu_best_rival: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemResult {
    pub server: String,
    pub connections: usize,
    pub request_bytes: usize,
    /// Connections the client had answered (all of them on success).
    pub answered: usize,
    pub rss_before_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
    pub kib_per_connection: Option<f64>,
    /// Seconds the client took to connect and be answered on all of them.
    pub client_secs: Option<f64>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HwmResult {
    pub lib: String,
    pub hwm: usize,
    pub message_bytes: usize,
    /// Accepted by the last checkpoint.
    pub accepted: Option<u64>,
    /// (seconds after the first refusal, accepted by then).
    #[serde(default)]
    pub accepted_by: Vec<(f64, u64)>,
    pub error: Option<String>,
}

/// One cell of the `patterns` measurement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PatternResult {
    pub workload: String,
    pub lib: String,
    /// Subscribers or clients.
    pub peers: usize,
    /// Messages per publisher or DEALER; round trips per client.
    pub count: u64,
    pub message_bytes: usize,
    /// Delivered per second per subscriber; received per second; requests
    /// per second over all clients.
    pub msg_per_s: Option<f64>,
    /// Fan-out: the share of what was published that subscribers received.
    pub delivered: Option<f64>,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub error: Option<String>,
}

impl Machine {
    pub fn here() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Machine {
            cpu_model,
            vcpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            kernel,
            date: civil_date(unix_time),
            unix_time,
        }
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time: Howard Hinnant's days-to-civil.
fn civil_date(unix: u64) -> String {
    let z = (unix / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The versions in this crate's Cargo.lock of the libraries compared.
pub fn locked_versions() -> BTreeMap<String, String> {
    const NAMES: &[&str] = &[
        "zmq",
        "zmq-sys",
        "omq-tokio",
        "monocoque-rs",
        "zeromq",
        "rzmq",
        "tokio",
        "ferrozmq",
    ];
    let lock = include_str!("../Cargo.lock");
    let mut versions = BTreeMap::new();
    let mut current = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            current = Some(n.trim_matches('"'));
        } else if let Some(v) = line.strip_prefix("version = ")
            && let Some(name) = current.filter(|n| NAMES.contains(n))
        {
            versions.insert(name.to_owned(), v.trim_matches('"').to_owned());
        }
    }
    versions
}

/// The commit of the repository the bench is in (at run time), and
/// whether the library's sources differ from it: what "ferrozmq" was.
pub fn ferrozmq_revision() -> Option<String> {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--short", "HEAD"])?;
    let changed = git(&[
        "status",
        "--porcelain",
        "--",
        "../ferrozmq",
        "../ferrozmq-proto",
    ])?;
    Some(if changed.is_empty() {
        format!("git {head}")
    } else {
        format!("git {head} with uncommitted changes")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_date() {
        assert_eq!(super::civil_date(0), "1970-01-01");
        assert_eq!(super::civil_date(951_782_400), "2000-02-29");
        assert_eq!(super::civil_date(1_798_761_600), "2027-01-01");
    }
}
