//! The `hwm` measurement: sndhwm = rcvhwm = 10 on both ends, a PULL that
//! never reads, a PUSH connected to it sending 16-byte messages without
//! blocking until it would block. After the first refusal it keeps trying
//! for a second, so the kernel's socket buffers fill too; the number is how
//! many messages the PUSH accepted. Each library runs in a child process.

use std::time::{Duration, Instant};

use crate::process::{Proc, Program};
use crate::results::HwmResult;

/// The HWM this measurement sets on both ends.
pub const HWM: usize = 10;
/// The message size.
pub const SIZE: usize = 16;
/// How long to keep trying after the first refusal.
const SETTLE: Duration = Duration::from_secs(1);
/// A library that never refuses stops here (and is reported as such).
const CAP: u64 = 5_000_000;

/// The libraries measured: ferrozmq's blocking `Socket::try_send` and
/// libzmq's `DONTWAIT`.
pub const LIBS: &[&str] = &["libzmq", "ferrozmq"];

/// Calls `try_send` (true: accepted) until it has refused for `settle`.
pub fn fill(settle: Duration, mut try_send: impl FnMut() -> bool) -> u64 {
    let mut accepted = 0;
    let mut first_refusal: Option<Instant> = None;
    while accepted < CAP {
        if try_send() {
            accepted += 1;
            continue;
        }
        let first = *first_refusal.get_or_insert_with(Instant::now);
        if first.elapsed() >= settle {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    accepted
}

/// In the child: measures `lib` and prints `RESULT <accepted>`.
pub fn child(lib: &str) {
    let accepted = match lib {
        "libzmq" => crate::libzmq::hwm_accepted(HWM, SETTLE),
        "ferrozmq" => crate::ferro::hwm_accepted(HWM, SETTLE),
        other => panic!("no hwm measurement for {other}"),
    };
    println!("RESULT {accepted}");
}

/// In the parent: every library of `LIBS` that `wanted` accepts.
pub fn measure(wanted: impl Fn(&str) -> bool) -> Vec<HwmResult> {
    let mut results = Vec::new();
    for &lib in LIBS.iter().filter(|l| wanted(l)) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let outcome = Proc::spawn(&Program::this(), &["hwm-child".into(), lib.into()])
            .and_then(|mut p| p.expect("RESULT ", deadline))
            .and_then(|n| n.parse::<u64>().map_err(|e| format!("bad result: {e}")));
        let (accepted, error) = match outcome {
            Ok(n) if n >= CAP => (Some(n), Some(format!("never refused in {CAP} messages"))),
            Ok(n) => (Some(n), None),
            Err(e) => (None, Some(e)),
        };
        eprintln!(
            "[hwm] {lib}: {}",
            accepted.map_or_else(|| format!("FAILED: {error:?}"), |n| n.to_string())
        );
        results.push(HwmResult {
            lib: lib.to_owned(),
            hwm: HWM,
            message_bytes: SIZE,
            accepted,
            error,
        });
    }
    results
}
