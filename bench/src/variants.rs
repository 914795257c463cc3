//! The implementations under test: each library on each runtime flavour it
//! runs on, and where its code lives (this binary, or a rival's helper
//! binary when its Cargo features cannot share a build with the others).

use std::path::PathBuf;
use std::process::Command;

use crate::child::{Job, Outcome, Transport};
use crate::curve::Mechanism;
use crate::process::Program;
use crate::tokio_rt::Flavor;
use crate::{blocking, ferro, libzmq, monocoque, omq, rzmq, tokio_rt, zmqrs};

pub struct Variant {
    /// The name in tables, JSON and `--libs`.
    pub name: &'static str,
    /// The library (also accepted by `--libs`).
    pub lib: &'static str,
    /// How it runs: threads or which runtime.
    pub runtime: &'static str,
    /// How the throughput workload (PUSH -> PULL) uses it: its defaults, or
    /// the throughput mode its docs recommend.
    pub thr_mode: &'static str,
    /// How the latency workload (REQ <-> REP) uses it.
    pub lat_mode: &'static str,
    /// The transports it has, for PUSH/PULL and REQ/REP.
    pub transports: &'static [Transport],
    /// Whether it has CURVE (RFC 26) for PUSH/PULL and REQ/REP, in the
    /// build here (see `curve.rs`).
    pub curve: bool,
    /// A helper crate (under `bench/`) whose binary runs this variant.
    pub helper: Option<Helper>,
}

#[derive(Clone, Copy)]
pub struct Helper {
    /// The crate's folder, relative to `bench/`.
    pub dir: &'static str,
    /// Its binary's name.
    pub bin: &'static str,
}

impl Variant {
    /// ferrozmq is the subject; everything else is a rival.
    pub fn is_rival(&self) -> bool {
        self.lib != "ferrozmq"
    }

    /// Whether it has `transport` (for both workloads).
    pub fn has(&self, transport: Transport) -> bool {
        self.transports.contains(&transport)
    }

    /// Whether it has `mechanism` (NULL: every library).
    pub fn has_mechanism(&self, mechanism: Mechanism) -> bool {
        mechanism == Mechanism::Null || self.curve
    }
}

/// libzmq (Debian's 4.3.4 has ws), ferrozmq, and omq (its `ws` feature).
const ALL: &[Transport] = &[
    Transport::Tcp,
    Transport::Ipc,
    Transport::Inproc,
    Transport::Ws,
];
/// rzmq (`ipc` and `inproc` are default features of rzmq 0.5; it has no
/// WebSocket transport).
const TCP_IPC_INPROC: &[Transport] = &[Transport::Tcp, Transport::Ipc, Transport::Inproc];
/// zmq.rs 0.6: its `endpoint::Transport` is `Tcp` or `Ipc`. monocoque
/// 0.4: ipc through `from_unix_stream_with_options`; inproc only for its
/// `PairSocket` (`bind_inproc`), not PUSH/PULL or REQ/REP.
const TCP_IPC: &[Transport] = &[Transport::Tcp, Transport::Ipc];

/// libzmq first: the ratios are against it. CURVE (`curve`): libzmq
/// (Debian's links libsodium), ferrozmq, omq and rzmq (each with its
/// `curve` feature, on here) and monocoque (always built in); not zmq.rs
/// 0.6, whose greeting always names NULL and which has no key options.
pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "libzmq",
        lib: "libzmq",
        runtime: "threads; a context (1 I/O thread) per end",
        thr_mode: "defaults (its I/O thread batches the writes)",
        lat_mode: "defaults",
        transports: ALL,
        curve: true,
        helper: None,
    },
    Variant {
        name: "ferrozmq",
        lib: "ferrozmq",
        runtime: "blocking API; threads; a Context (1 I/O thread) per end",
        thr_mode: "defaults",
        lat_mode: "defaults",
        transports: ALL,
        curve: true,
        helper: None,
    },
    Variant {
        name: "ferrozmq-async-ct",
        lib: "ferrozmq",
        runtime: "AsyncSocket on a tokio current-thread runtime",
        thr_mode: "defaults",
        lat_mode: "defaults",
        transports: ALL,
        curve: true,
        helper: None,
    },
    Variant {
        name: "ferrozmq-async-mt",
        lib: "ferrozmq",
        runtime: "AsyncSocket on a tokio multi-thread runtime, 2 workers",
        thr_mode: "defaults",
        lat_mode: "defaults",
        transports: ALL,
        curve: true,
        helper: None,
    },
    Variant {
        name: "omq-ct",
        lib: "omq",
        runtime: "omq-tokio Socket::new on a tokio current-thread runtime",
        thr_mode: "defaults: PUSH/PULL get its Throughput workload profile",
        lat_mode: "defaults: REQ/REP get its Latency workload profile",
        transports: ALL,
        curve: true,
        helper: None,
    },
    Variant {
        name: "omq-mt",
        lib: "omq",
        runtime: "omq-tokio Socket::new on a tokio multi-thread runtime, 2 workers",
        thr_mode: "defaults: PUSH/PULL get its Throughput workload profile",
        lat_mode: "defaults: REQ/REP get its Latency workload profile",
        transports: ALL,
        curve: true,
        helper: None,
    },
    Variant {
        name: "zeromq-ct",
        lib: "zeromq",
        runtime: "zmq.rs on a tokio current-thread runtime",
        thr_mode: "defaults (it documents no throughput option)",
        lat_mode: "defaults",
        transports: TCP_IPC,
        curve: false,
        helper: None,
    },
    Variant {
        name: "zeromq-mt",
        lib: "zeromq",
        runtime: "zmq.rs on a tokio multi-thread runtime, 2 workers",
        thr_mode: "defaults (it documents no throughput option)",
        lat_mode: "defaults",
        transports: TCP_IPC,
        curve: false,
        helper: None,
    },
    Variant {
        name: "rzmq-ct",
        lib: "rzmq",
        runtime: "rzmq on a tokio current-thread runtime",
        thr_mode: "defaults (its sessions coalesce writes: up to 128 messages / 512 KB per write)",
        lat_mode: "defaults",
        transports: TCP_IPC_INPROC,
        curve: true,
        helper: None,
    },
    Variant {
        name: "rzmq-mt",
        lib: "rzmq",
        runtime: "rzmq on a tokio multi-thread runtime, 2 workers",
        thr_mode: "defaults (its sessions coalesce writes: up to 128 messages / 512 KB per write)",
        lat_mode: "defaults",
        transports: TCP_IPC_INPROC,
        curve: true,
        helper: None,
    },
    Variant {
        name: "monocoque-tokio",
        lib: "monocoque",
        runtime: "runtime-tokio: current-thread runtime in a LocalSet (its only mode)",
        thr_mode: "PUSH: write coalescing, flush() after the last send; PULL: recv_into + try_recv_into, one reused buffer",
        lat_mode: "eager (its default, which its docs recommend for latency)",
        transports: TCP_IPC,
        curve: true,
        helper: None,
    },
    Variant {
        name: "monocoque-smol",
        lib: "monocoque",
        runtime: "runtime-smol: a LocalExecutor (its only mode); own helper binary",
        thr_mode: "PUSH: write coalescing, flush() after the last send; PULL: recv_into + try_recv_into, one reused buffer",
        lat_mode: "eager (its default, which its docs recommend for latency)",
        transports: TCP_IPC,
        curve: true,
        helper: Some(Helper {
            dir: "rivals/monocoque-smol",
            bin: "monocoque-smol-bench",
        }),
    },
];

/// Runs a job of a variant built into this binary.
pub fn run(job: &Job) -> Outcome {
    match job.variant.as_str() {
        "libzmq" => blocking::run::<libzmq::Libzmq>(job),
        "ferrozmq" => blocking::run::<ferro::Blocking>(job),
        "ferrozmq-async-ct" => tokio_rt::run::<ferro::Async>(job, Flavor::Current),
        "ferrozmq-async-mt" => tokio_rt::run::<ferro::Async>(job, Flavor::Multi),
        "omq-ct" => tokio_rt::run::<omq::Omq>(job, Flavor::Current),
        "omq-mt" => tokio_rt::run::<omq::Omq>(job, Flavor::Multi),
        "zeromq-ct" => tokio_rt::run::<zmqrs::ZmqRs>(job, Flavor::Current),
        "zeromq-mt" => tokio_rt::run::<zmqrs::ZmqRs>(job, Flavor::Multi),
        "rzmq-ct" => tokio_rt::run::<rzmq::Rzmq>(job, Flavor::Current),
        "rzmq-mt" => tokio_rt::run::<rzmq::Rzmq>(job, Flavor::Multi),
        "monocoque-tokio" => monocoque::run(job),
        other => panic!("no variant {other} in this binary"),
    }
}

/// The program that runs `variant`: this binary, or its helper, built now
/// (a no-op when up to date) with the cargo that is on PATH. The error is
/// the reason to skip the variant.
pub fn program(variant: &Variant) -> Result<Program, String> {
    let Some(helper) = variant.helper else {
        return Ok(Program::this());
    };
    let bench = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = bench.join(helper.dir);
    // Its own target folder under bench/target, so one ignore covers it.
    let target = bench.join("target").join(helper.bin);
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .output()
        .map_err(|e| format!("cannot run cargo to build {}: {e}", helper.dir))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let err = err.split_whitespace().collect::<Vec<_>>().join(" ");
        let tail = &err[err.len().saturating_sub(400)..];
        return Err(format!("building {} failed: ...{tail}", helper.dir));
    }
    Ok(Program {
        path: target.join("release").join(helper.bin),
    })
}

/// The versions a helper binary was built with (it prints them as JSON).
pub fn helper_versions(program: &Program) -> Option<serde_json::Value> {
    let out = Command::new(&program.path).arg("versions").output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}
