//! Runs the `ferrozmq` binary: server and client against each other, and
//! the one-line errors.
//!
//! Tests wait on printed lines, never on sleeps; every wait has a deadline,
//! and every child is killed when its test ends, however it ends.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ferrozmq");

/// How long a test may wait on one child: far longer than any step needs.
const DEADLINE: Duration = Duration::from_secs(30);

/// A running `ferrozmq`, killed when dropped. Threads read its stdout and
/// stderr into channels, so that a test can wait for a line with a deadline.
struct Proc {
    args: Vec<String>,
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    deadline: Instant,
}

/// What a finished `ferrozmq` left: its exit code and the lines it printed
/// (those not yet read with [`Proc::line`]).
struct Finished {
    code: Option<i32>,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

fn spawn(args: &[&str]) -> Proc {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Proc {
        args: args.iter().map(|a| a.to_string()).collect(),
        stdout: lines_of(child.stdout.take().unwrap()),
        stderr: lines_of(child.stderr.take().unwrap()),
        child,
        deadline: Instant::now() + DEADLINE,
    }
}

/// Runs `ferrozmq args` to the end.
fn run(args: &[&str]) -> Finished {
    spawn(args).finish()
}

fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Proc {
    /// The next line of stdout; `None` once the child closed it (exited).
    fn line(&self) -> Option<String> {
        next_line(&self.stdout, self.deadline, &self.args)
    }

    /// Waits for the child to exit, and collects what it printed.
    fn finish(mut self) -> Finished {
        let stdout = std::iter::from_fn(|| self.line()).collect();
        let stderr = std::iter::from_fn(|| next_line(&self.stderr, self.deadline, &self.args));
        let stderr = stderr.collect();
        // Both pipes are closed: the child is exiting. Poll for its status
        // until the deadline (a bound, not a synchronisation).
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code();
            }
            assert!(
                Instant::now() < self.deadline,
                "{:?} never exited",
                self.args
            );
            thread::sleep(Duration::from_millis(5));
        };
        Finished {
            code,
            stdout,
            stderr,
        }
    }
}

fn next_line(rx: &Receiver<String>, deadline: Instant, args: &[String]) -> Option<String> {
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(line) => Some(line),
        Err(RecvTimeoutError::Disconnected) => None,
        Err(RecvTimeoutError::Timeout) => panic!("{args:?}: nothing printed before the deadline"),
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An endpoint on a port that nobody listened on a moment ago.
fn free_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp://{}", listener.local_addr().unwrap())
}

/// Starts `ferrozmq server --bind <free port> <extra>...` and returns it
/// once it answered a probe request (whose line it has printed). When
/// someone took the port between our pick and the server's bind, tries
/// another one.
fn start_server(extra: &[&str]) -> (Proc, String) {
    for _ in 0..5 {
        let ep = free_endpoint();
        let server = spawn(&[&["server", "--bind", &ep][..], extra].concat());
        let probe = run(&["client", "--connect", &ep, "--timeout", "20", "probe"]);
        if server.line().as_deref() == Some("Received request: probe") {
            assert_eq!(probe.code, Some(0), "{:?}", probe.stderr);
            return (server, ep);
        }
        let server = server.finish();
        assert!(
            server.stderr.concat().contains("address in use"),
            "server died: {:?}",
            server.stderr
        );
    }
    panic!("no free port in five tries");
}

/// `ferrozmq client --connect ep stop`: the server answers and exits.
fn stop(server: Proc, ep: &str) -> Finished {
    let client = run(&["client", "--connect", ep, "stop"]);
    assert_eq!(client.code, Some(0), "{:?}", client.stderr);
    assert_eq!(server.line().as_deref(), Some("Received request: stop"));
    let server = server.finish();
    assert_eq!(server.code, Some(0), "server exits 0 after stop");
    assert!(server.stdout.is_empty() && server.stderr.is_empty());
    client
}

#[test]
fn client_and_server_talk_and_stop_ends_the_server() {
    let (server, ep) = start_server(&[]);
    let client = run(&["client", "--connect", &ep, "--count", "2", "hi there"]);
    assert_eq!(client.code, Some(0), "{:?}", client.stderr);
    assert_eq!(client.stdout, ["Received: Message Received"; 2]);
    assert!(client.stderr.is_empty());
    for _ in 0..2 {
        assert_eq!(server.line().as_deref(), Some("Received request: hi there"));
    }
    let client = stop(server, &ep);
    assert_eq!(client.stdout, ["Received: Message Received"]);
}

#[test]
fn server_reply_text_is_configurable() {
    let (server, ep) = start_server(&["--reply", "pong"]);
    assert_eq!(stop(server, &ep).stdout, ["Received: pong"]);
}

#[test]
fn client_round_robins_over_several_servers() {
    let (a, a_ep) = start_server(&[]);
    let (b, b_ep) = start_server(&[]);
    let client = run(&[
        "client",
        "--connect",
        &a_ep,
        "--connect",
        &b_ep,
        "--count",
        "4",
    ]);
    assert_eq!(client.code, Some(0), "{:?}", client.stderr);
    assert_eq!(client.stdout, ["Received: Message Received"; 4]);
    // Each server printed two requests: the next line of each is the stop.
    for (server, ep) in [(a, a_ep), (b, b_ep)] {
        for _ in 0..2 {
            assert_eq!(server.line().as_deref(), Some("Received request: Hello"));
        }
        stop(server, &ep);
    }
}

/// Checks a one-line error, exit status 1, and nothing on stdout.
#[track_caller]
fn assert_one_line_error(out: &Finished, expected: &str) {
    assert_eq!(out.code, Some(1), "{:?}", out.stderr);
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    let [line] = &out.stderr[..] else {
        panic!("expected one line on stderr, got {:?}", out.stderr);
    };
    assert!(line.starts_with("ferrozmq: error: "), "{line}");
    assert!(line.contains(expected), "{line:?} lacks {expected:?}");
}

#[test]
fn bad_endpoints_are_one_line_errors() {
    assert_one_line_error(
        &run(&["server", "--bind", "tcp://nowhere"]),
        "invalid endpoint: tcp://nowhere",
    );
    assert_one_line_error(
        &run(&["server", "--bind", "udp://127.0.0.1:5555"]),
        "udp://127.0.0.1:5555",
    );
    assert_one_line_error(
        &run(&["client", "--connect", "tcp://127.0.0.1"]),
        "invalid endpoint: tcp://127.0.0.1",
    );
}

#[test]
fn address_in_use_is_a_one_line_error() {
    let (server, ep) = start_server(&[]);
    assert_one_line_error(
        &run(&["server", "--bind", &ep]),
        &format!("address in use: {ep}"),
    );
    stop(server, &ep);
}

#[test]
fn client_timeout_without_a_server_is_a_one_line_error() {
    let ep = free_endpoint();
    let started = Instant::now();
    assert_one_line_error(
        &run(&["client", "--connect", &ep, "--timeout", "1"]),
        &format!("timed out waiting for a reply from {ep}"),
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn usage_errors_keep_clap_status_2() {
    for args in [
        &["client", "--timeout", "-1"][..],
        &["client", "--timeout", "soon"],
        &["client", "--count", "many"],
        &["server", "--frobnicate"],
        &["nonsense"],
    ] {
        let out = run(args);
        assert_eq!(out.code, Some(2), "{args:?}: {:?}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn help_shows_examples() {
    for args in [
        &["--help"][..],
        &["server", "--help"],
        &["client", "--help"],
    ] {
        let out = run(args);
        assert_eq!(out.code, Some(0));
        assert!(out.stdout.iter().any(|l| l == "Examples:"), "{args:?}");
    }
}

/// The server and client over ws, and over wss with the test CA.
#[test]
fn server_and_client_over_ws_and_wss() {
    let certs = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/wss/");
    let (cert, key, ca) = (
        format!("{certs}server.pem"),
        format!("{certs}server.key"),
        format!("{certs}ca.pem"),
    );
    for secure in [false, true] {
        let tcp = free_endpoint();
        let port = tcp.rsplit(':').next().unwrap();
        let (ep, tls) = if secure {
            (
                format!("wss://localhost:{port}/zmq"),
                vec!["--wss-cert", &cert, "--wss-key", &key],
            )
        } else {
            (format!("ws://127.0.0.1:{port}/zmq"), vec![])
        };
        let bind = ep.replace("localhost", "127.0.0.1");
        let server = spawn(&[&["server", "--bind", &bind][..], &tls].concat());
        let client = run(&[
            "client",
            "--connect",
            &ep,
            "--wss-trust",
            &ca,
            "--timeout",
            "20",
            "over ws",
        ]);
        assert_eq!(client.code, Some(0), "{ep}: {:?}", client.stderr);
        assert_eq!(client.stdout, ["Received: Message Received"]);
        assert_eq!(server.line().as_deref(), Some("Received request: over ws"));
        let stopped = run(&["client", "--connect", &ep, "--wss-trust", &ca, "stop"]);
        assert_eq!(stopped.code, Some(0), "{:?}", stopped.stderr);
        assert_eq!(server.finish().code, Some(0));
    }
}

/// PLAIN from the command line: a server letting one user in, a client
/// with its password, and one with a wrong password timing out.
#[test]
fn server_and_client_with_plain() {
    let tcp = free_endpoint();
    let server = spawn(&["server", "--bind", &tcp, "--plain-allow", "admin:secret"]);
    let client = run(&[
        "client",
        "--connect",
        &tcp,
        "--plain-user",
        "admin",
        "--plain-password",
        "secret",
        "--timeout",
        "20",
        "logged in",
    ]);
    assert_eq!(client.code, Some(0), "{:?}", client.stderr);
    assert_eq!(
        server.line().as_deref(),
        Some("Received request: logged in")
    );
    let refused = run(&[
        "client",
        "--connect",
        &tcp,
        "--plain-user",
        "admin",
        "--plain-password",
        "wrong",
        "--timeout",
        "1",
        "let me in",
    ]);
    assert_eq!(refused.code, Some(1));
    let stopped = run(&[
        "client",
        "--connect",
        &tcp,
        "--plain-user",
        "admin",
        "--plain-password",
        "secret",
        "stop",
    ]);
    assert_eq!(stopped.code, Some(0), "{:?}", stopped.stderr);
    assert_eq!(server.line().as_deref(), Some("Received request: stop"));
    assert_eq!(server.finish().code, Some(0));
}

/// CURVE from the command line: `keygen` makes the keys, the server lets
/// in the client whose certificate `keygen --out` wrote.
#[test]
fn server_and_client_with_curve() {
    let keys = |out: &Finished| (out.stdout[0].clone(), out.stdout[1].clone());
    let (server_public, server_secret) = keys(&run(&["keygen"]));
    let (client_public, client_secret) = keys(&run(&["keygen"]));
    assert_eq!(server_public.len(), 40);
    assert_ne!(client_public, server_public);
    let tcp = free_endpoint();
    let server = spawn(&[
        "server",
        "--bind",
        &tcp,
        "--curve-server-secret",
        &server_secret,
        "--curve-allow",
        &client_public,
    ]);
    let client = run(&[
        "client",
        "--connect",
        &tcp,
        "--curve-secret",
        &client_secret,
        "--curve-server-key",
        &server_public,
        "--timeout",
        "20",
        "boxed",
    ]);
    assert_eq!(client.code, Some(0), "{:?}", client.stderr);
    assert_eq!(server.line().as_deref(), Some("Received request: boxed"));
    let (_, stranger) = keys(&run(&["keygen"]));
    let refused = run(&[
        "client",
        "--connect",
        &tcp,
        "--curve-secret",
        &stranger,
        "--curve-server-key",
        &server_public,
        "--timeout",
        "1",
        "let me in",
    ]);
    assert_eq!(refused.code, Some(1));
    let stopped = run(&[
        "client",
        "--connect",
        &tcp,
        "--curve-secret",
        &client_secret,
        "--curve-server-key",
        &server_public,
        "stop",
    ]);
    assert_eq!(stopped.code, Some(0), "{:?}", stopped.stderr);
    assert_eq!(server.finish().code, Some(0));
}

/// Z85 keys and passwords may start with `-`: they are taken as the flag's
/// value, not as another flag (a usage error would exit 2).
#[test]
fn keys_starting_with_a_dash_are_values() {
    let secret = "-7?lf)oYq*(zNW&a$WdjStn5hHSQsP{9Awk6m%ST";
    let out = run(&[
        "client",
        "--connect",
        "tcp://127.0.0.1:1",
        "--curve-secret",
        secret,
        "--curve-server-key",
        secret,
        "--timeout",
        "0.2",
        "x",
    ]);
    assert_eq!(out.code, Some(1), "{:?}", out.stderr);
    assert!(
        out.stderr.concat().contains("timed out"),
        "{:?}",
        out.stderr
    );
    let out = run(&[
        "client",
        "--connect",
        "tcp://127.0.0.1:1",
        "--plain-user",
        "u",
        "--plain-password",
        "-dash",
        "--timeout",
        "0.2",
        "x",
    ]);
    assert_eq!(out.code, Some(1), "{:?}", out.stderr);
}
