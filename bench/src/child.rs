//! What a child process is asked to run and what it answers: shared by the
//! bench binary and the rival helper binaries (`rivals/*`, which include
//! this file with `#[path]`), so every process speaks the same protocol.
//!
//! The parent starts a child with two arguments, `child` and a [`Job`] as
//! JSON. The child writes lines on stdout: `ENDPOINT <endpoint>` once its
//! bound socket is listening (two-process mode), then `RESULT <json>` (an
//! [`Outcome`]) at the end. A child that has to outlive its peer (the
//! sender of a throughput run, the REP of a latency run) waits for a line
//! on stdin, or for stdin to close, before it closes its socket.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a socket may keep unsent messages when it closes. The
/// workloads wait for their last message before closing, so this only
/// bounds a failure.
pub const LINGER: Duration = Duration::from_secs(1);

/// What one run of a workload is given.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Bytes per message.
    pub size: usize,
    /// Messages (throughput) or round trips (latency).
    pub count: u64,
    /// Send and receive high-water mark on every socket, in messages.
    pub hwm: usize,
    /// How the two ends reach each other.
    pub transport: Transport,
    /// CURVE's keys, or `None` for the NULL mechanism.
    pub curve: Option<CurveKeys>,
}

/// The CURVE keys of a run (RFC 26), 32 raw bytes each (every library
/// takes them so): the bound end (PULL, REP) is the server, the connecting
/// end (PUSH, REQ) the client. One pair a side, made by the parent and
/// given to both ends in the job. No ZAP handler: a client that knows the
/// server's public key gets in.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct CurveKeys {
    pub server_public: [u8; 32],
    pub server_secret: [u8; 32],
    pub client_public: [u8; 32],
    pub client_secret: [u8; 32],
}

/// How the two ends reach each other. A library names the endpoint it
/// binds with [`Transport::endpoint`]; the transports a library has are
/// listed in its variants (`variants.rs`). A new transport is a value here
/// (with its name and endpoint), in `transports::ALL`, and in those lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// TCP loopback: 127.0.0.1, an ephemeral port.
    Tcp,
    /// A Unix domain socket at a new file in the temporary folder.
    Ipc,
    /// Sockets of one context in one process: no kernel in between.
    Inproc,
    /// ZMTP over WebSocket (RFC 45) on TCP loopback, an ephemeral port.
    Ws,
}

impl Transport {
    /// Its endpoints' scheme: the name in tables, JSON and `--transports`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ipc => "ipc",
            Transport::Inproc => "inproc",
            Transport::Ws => "ws",
        }
    }

    /// A new endpoint for a bound end of this process: for tcp, 127.0.0.1
    /// with `any_port`, the library's way to ask for an ephemeral port
    /// (`*` or `0`); for ipc a new file (removed by `serve` at the end of
    /// the run), for inproc a new name.
    pub fn endpoint(self, any_port: &str) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        match self {
            Transport::Tcp => format!("tcp://127.0.0.1:{any_port}"),
            Transport::Ipc => {
                let file = std::env::temp_dir()
                    .join(format!("ferrozmq-bench-{}-{n}.sock", std::process::id()));
                let endpoint = format!("ipc://{}", file.display());
                IPC_FILES.lock().expect("ipc files").push(file);
                endpoint
            }
            Transport::Inproc => format!("inproc://ferrozmq-bench-{n}"),
            Transport::Ws => format!("ws://127.0.0.1:{any_port}/bench"),
        }
    }
}

/// Which part of a workload a child runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// PUSH -> PULL throughput, both ends in this process.
    ThrOne,
    /// REQ -> REP round trips, both ends in this process.
    LatOne,
    /// The PULL end: binds, announces, receives and times `count` messages.
    ThrPull,
    /// The PUSH end: connects, sends `count` messages, waits for the word.
    ThrPush,
    /// The REP end: binds, announces, echoes `count` requests, waits.
    LatRep,
    /// The REQ end: connects and times `count` round trips.
    LatReq,
}

/// One child's task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    pub variant: String,
    pub role: Role,
    pub size: usize,
    pub count: u64,
    pub hwm: usize,
    pub transport: Transport,
    /// The peer's endpoint, for the connecting end in two-process mode.
    pub endpoint: Option<String>,
    /// CURVE's keys; none (the NULL mechanism) when absent.
    #[serde(default)]
    pub curve: Option<CurveKeys>,
}

impl Job {
    pub fn params(&self) -> Params {
        Params {
            size: self.size,
            count: self.count,
            hwm: self.hwm,
            transport: self.transport,
            curve: self.curve,
        }
    }

    pub fn endpoint(&self) -> &str {
        self.endpoint
            .as_deref()
            .expect("this role needs an endpoint")
    }
}

/// Round-trip statistics, in microseconds.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct LatStats {
    pub mean_us: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub min_us: f64,
    pub max_us: f64,
}

impl LatStats {
    pub fn of(mut samples: Vec<Duration>) -> Self {
        assert!(!samples.is_empty(), "no round trips");
        samples.sort();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let pct = |q: f64| us(samples[((samples.len() - 1) as f64 * q).round() as usize]);
        let total: Duration = samples.iter().sum();
        LatStats {
            mean_us: us(total) / samples.len() as f64,
            p50_us: pct(0.5),
            p99_us: pct(0.99),
            min_us: us(samples[0]),
            max_us: us(samples[samples.len() - 1]),
        }
    }
}

/// What a child answers: the timed part (throughput) or the round-trip
/// statistics (latency), and the CPU the role used in this process.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Seconds from the first message received to the last.
    pub secs: Option<f64>,
    pub lat: Option<LatStats>,
    /// CPU seconds (getrusage, RUSAGE_SELF, every thread) the role used.
    pub cpu_user: f64,
    pub cpu_sys: f64,
}

impl Outcome {
    pub fn thr(elapsed: Duration) -> Self {
        Outcome {
            secs: Some(elapsed.as_secs_f64()),
            ..Outcome::default()
        }
    }

    pub fn lat(samples: Vec<Duration>) -> Self {
        Outcome {
            lat: Some(LatStats::of(samples)),
            ..Outcome::default()
        }
    }

    /// The ends of a role that only waits (the sender, the REP).
    pub fn none() -> Self {
        Outcome::default()
    }
}

/// User and system CPU seconds this process has used so far.
pub fn cpu_now() -> (f64, f64) {
    // SAFETY: getrusage writes into the struct it is given, nothing else.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

/// The ipc files this process's endpoints named: not every library removes
/// the file it bound (libzmq 4.3.4 here leaves it when the process ends
/// soon after the close).
static IPC_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Runs `job` with `run`, measures the CPU it uses, and prints the result
/// line the parent waits for.
pub fn serve(job: &Job, run: impl FnOnce(&Job) -> Outcome) {
    let (user0, sys0) = cpu_now();
    let mut outcome = run(job);
    let (user1, sys1) = cpu_now();
    for file in IPC_FILES.lock().expect("ipc files").drain(..) {
        let _ = std::fs::remove_file(file);
    }
    outcome.cpu_user = user1 - user0;
    outcome.cpu_sys = sys1 - sys0;
    let line = serde_json::to_string(&outcome).expect("outcome as json");
    let mut out = std::io::stdout().lock();
    writeln!(out, "RESULT {line}").expect("stdout");
    out.flush().expect("stdout");
}

/// Parses the child's arguments (after `child`).
pub fn job_from_args(args: &[String]) -> Job {
    let json = args.first().expect("child: a job as JSON");
    serde_json::from_str(json).expect("child: job")
}

/// Tells the parent where this end listens.
pub fn announce(endpoint: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ENDPOINT {endpoint}").expect("stdout");
    out.flush().expect("stdout");
}

/// Blocks until the parent says the run is over (a line, or stdin closed).
pub fn wait_exit() {
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

/// The same for async code: completes when the parent says the run is over.
/// A thread waits on stdin, so no runtime thread blocks.
pub fn exit_signal() -> futures::channel::oneshot::Receiver<()> {
    let (tx, rx) = futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        wait_exit();
        let _ = tx.send(());
    });
    rx
}

/// The payload every library sends: `size` bytes of 7.
pub fn payload(size: usize) -> Vec<u8> {
    vec![7u8; size]
}
