//! Child processes with a deadline: every run of every cell happens in one
//! (or two), so a library that hangs or crashes costs its cell, not the
//! bench. Their stdout is read line by line on a thread (the protocol of
//! `child.rs`), their stderr kept for the report of a failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::child::{Job, Outcome, Role};

/// How much of a failed child's stderr the report keeps.
const STDERR_TAIL: usize = 600;

/// An executable that speaks the child protocol: this binary, or a rival's
/// helper binary.
#[derive(Clone, Debug)]
pub struct Program {
    pub path: PathBuf,
}

impl Program {
    pub fn this() -> Self {
        Program {
            path: std::env::current_exe().expect("own executable"),
        }
    }
}

/// A running child.
pub struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Proc {
    pub fn spawn(program: &Program, args: &[String]) -> Result<Proc, String> {
        let mut child = Command::new(&program.path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.path.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut err = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                let mut all = sink.lock().expect("stderr buffer");
                all.extend_from_slice(&buf[..n]);
                let excess = all.len().saturating_sub(16 * 1024);
                all.drain(..excess);
            }
        });
        let stdin = child.stdin.take();
        Ok(Proc {
            child,
            stdin,
            lines,
            stderr,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the line that starts with `prefix` (other lines are
    /// skipped) and returns the rest of it. On a timeout, or when the child
    /// ends first, the child is stopped and the error says what happened.
    pub fn expect(&mut self, prefix: &str, deadline: Instant) -> Result<String, String> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.trim().to_owned());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.stop();
                    return Err(format!(
                        "timed out waiting for {}: {}",
                        prefix.trim(),
                        self.stderr_tail()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // Stdout closed: the child is ending; give it a moment.
                    let status = self.wait_until(Instant::now() + Duration::from_secs(2));
                    let status = status.map_or("did not exit".into(), |s| s.to_string());
                    return Err(format!(
                        "ended ({status}) before {}: {}",
                        prefix.trim(),
                        self.stderr_tail()
                    ));
                }
            }
        }
    }

    /// Waits for the child's result line.
    pub fn outcome(&mut self, deadline: Instant) -> Result<Outcome, String> {
        let json = self.expect("RESULT ", deadline)?;
        serde_json::from_str(&json).map_err(|e| format!("bad result line: {e}"))
    }

    /// Tells a waiting child that the run is over (a line, then EOF).
    pub fn release(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"exit\n");
        }
    }

    /// Lets the child end by itself until `deadline`, then stops it.
    pub fn finish(mut self, deadline: Instant) {
        self.release();
        if self.wait_until(deadline).is_none() {
            self.stop();
        }
    }

    /// Stops the child (SIGKILL to its own pid) and reaps it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_until(&mut self, deadline: Instant) -> Option<std::process::ExitStatus> {
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// The end of what the child wrote on stderr, on one line.
    pub fn stderr_tail(&self) -> String {
        // The reader thread may still be copying the last bytes.
        thread::sleep(Duration::from_millis(50));
        let all = self.stderr.lock().expect("stderr buffer");
        let text = String::from_utf8_lossy(&all);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let start = text.len().saturating_sub(STDERR_TAIL);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        if text.is_empty() {
            "(nothing on stderr)".into()
        } else {
            text[start..].to_owned()
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

fn child_args(job: &Job) -> Vec<String> {
    vec![
        "child".into(),
        serde_json::to_string(job).expect("job as json"),
    ]
}

/// One run with both ends in one child process.
pub fn one_process(program: &Program, job: &Job, timeout: Duration) -> Result<Outcome, String> {
    let deadline = Instant::now() + timeout;
    let mut proc = Proc::spawn(program, &child_args(job))?;
    let outcome = proc.outcome(deadline)?;
    proc.finish(Instant::now() + Duration::from_secs(5));
    Ok(outcome)
}

/// One run with each end in its own child process (over tcp or ipc): the
/// bound end (PULL, REP) starts first and announces its endpoint; the
/// connecting end (PUSH, REQ) gets it. The end that measures (PULL, REQ)
/// reports; then the other is released and reports its CPU. Returns the
/// measuring end's outcome with the CPU of both.
pub fn two_process(program: &Program, job: &Job, timeout: Duration) -> Result<Outcome, String> {
    let deadline = Instant::now() + timeout;
    let (bound_role, connecting_role, bound_measures) = match job.role {
        Role::ThrOne => (Role::ThrPull, Role::ThrPush, true),
        Role::LatOne => (Role::LatRep, Role::LatReq, false),
        other => unreachable!("{other:?} is not a workload"),
    };
    let bound_job = Job {
        role: bound_role,
        ..job.clone()
    };
    let mut bound = Proc::spawn(program, &child_args(&bound_job))?;
    let endpoint = bound
        .expect("ENDPOINT ", deadline)
        .map_err(|e| format!("bound end: {e}"))?;
    let connecting_job = Job {
        role: connecting_role,
        endpoint: Some(endpoint),
        ..job.clone()
    };
    let mut connecting = Proc::spawn(program, &child_args(&connecting_job))?;
    let (measuring, other) = if bound_measures {
        (&mut bound, &mut connecting)
    } else {
        (&mut connecting, &mut bound)
    };
    let mut outcome = measuring
        .outcome(deadline)
        .map_err(|e| format!("measuring end: {e}"))?;
    other.release();
    let waiting = other
        .outcome(deadline)
        .map_err(|e| format!("other end: {e}"))?;
    outcome.cpu_user += waiting.cpu_user;
    outcome.cpu_sys += waiting.cpu_sys;
    let grace = Instant::now() + Duration::from_secs(5);
    bound.finish(grace);
    connecting.finish(grace);
    Ok(outcome)
}
