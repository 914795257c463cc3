//! The `hwm` measurement: sndhwm = rcvhwm = 10 on both ends, a PULL that
//! never reads, a PUSH connected to it sending 16-byte messages without
//! blocking until it would block. After the first refusal it keeps trying
//! (every millisecond), so the kernel's socket buffers fill too; the
//! numbers are how many messages the PUSH had accepted 1 s, 5 s and 30 s
//! after its first refusal: one that bounds what it holds stops growing,
//! one that does not goes on. Each library runs in a child process, all at
//! once (they mostly sleep).

use std::time::{Duration, Instant};

use crate::process::{Proc, Program};
use crate::results::HwmResult;

/// The HWM this measurement sets on both ends.
pub const HWM: usize = 10;
/// The message size.
pub const SIZE: usize = 16;
/// When to count, after the first refusal.
pub const CHECKPOINTS: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
];
/// A library that never refuses stops here (and is reported as such).
const CAP: u64 = 5_000_000;

/// The libraries measured: ferrozmq's blocking `Socket::try_send` and
/// libzmq's `DONTWAIT`.
pub const LIBS: &[&str] = &["libzmq", "ferrozmq"];

/// Calls `try_send` (true: accepted) until it has refused for the last of
/// [`CHECKPOINTS`]; returns how many it accepted by each.
pub fn fill(mut try_send: impl FnMut() -> bool) -> Vec<u64> {
    let mut accepted = 0;
    let mut counts = Vec::new();
    let mut first_refusal: Option<Instant> = None;
    while accepted < CAP {
        if try_send() {
            accepted += 1;
            continue;
        }
        let first = *first_refusal.get_or_insert_with(Instant::now);
        let elapsed = first.elapsed();
        while counts.len() < CHECKPOINTS.len() && elapsed >= CHECKPOINTS[counts.len()] {
            counts.push(accepted);
        }
        if counts.len() == CHECKPOINTS.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    counts.resize(CHECKPOINTS.len(), accepted);
    counts
}

/// In the child: measures `lib` and prints `RESULT <count>,<count>`.
pub fn child(lib: &str) {
    let counts = match lib {
        "libzmq" => crate::libzmq::hwm_accepted(HWM),
        "ferrozmq" => crate::ferro::hwm_accepted(HWM),
        other => panic!("no hwm measurement for {other}"),
    };
    let counts: Vec<String> = counts.iter().map(u64::to_string).collect();
    println!("RESULT {}", counts.join(","));
}

/// In the parent: every library of `LIBS` that `wanted` accepts.
pub fn measure(wanted: impl Fn(&str) -> bool) -> Vec<HwmResult> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let children: Vec<(&str, Result<Proc, String>)> = LIBS
        .iter()
        .filter(|l| wanted(l))
        .map(|&lib| {
            let args = ["hwm-child".into(), lib.into()];
            (lib, Proc::spawn(&Program::this(), &args))
        })
        .collect();
    let mut results = Vec::new();
    for (lib, child) in children {
        let outcome = child
            .and_then(|mut p| p.expect("RESULT ", deadline))
            .and_then(|line| {
                line.split(',')
                    .map(|n| n.parse::<u64>().map_err(|e| format!("bad result: {e}")))
                    .collect::<Result<Vec<u64>, String>>()
            });
        let (counts, error) = match outcome {
            Ok(counts) if counts.iter().any(|&n| n >= CAP) => {
                (counts, Some(format!("never refused in {CAP} messages")))
            }
            Ok(counts) => (counts, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let accepted = counts.last().copied();
        eprintln!(
            "[hwm] {lib}: {}",
            accepted.map_or_else(|| format!("FAILED: {error:?}"), |n| n.to_string())
        );
        results.push(HwmResult {
            lib: lib.to_owned(),
            hwm: HWM,
            message_bytes: SIZE,
            accepted,
            accepted_by: CHECKPOINTS
                .iter()
                .zip(&counts)
                .map(|(t, &n)| (t.as_secs_f64(), n))
                .collect(),
            error,
        });
    }
    results
}
