//! Runs the `ferrozmq` binary: server and client against each other, and
//! the one-line errors. Tests wait on printed lines, never on sleeps.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ferrozmq");

/// A port nobody listens on right now.
fn free_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp://{}", l.local_addr().unwrap())
}

/// A child process killed when the test ends, whatever happens.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server(endpoint: &str) -> Server {
    Server(
        Command::new(BIN)
            .args(["server", "--bind", endpoint])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout_lines(server: &mut Server, n: usize) -> Vec<String> {
    let out = BufReader::new(server.0.stdout.take().unwrap());
    out.lines().take(n).map(Result::unwrap).collect()
}

#[test]
fn client_and_server_talk_and_stop_ends_the_server() {
    let ep = free_endpoint();
    let mut srv = server(&ep);
    let out = run(&["client", "--connect", &ep, "--count", "2", "hi there"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Received: Message Received\nReceived: Message Received\n"
    );
    let out = run(&["client", "--connect", &ep, "stop"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Received: Message Received\n"
    );
    assert_eq!(
        stdout_lines(&mut srv, 3),
        [
            "Received request: hi there",
            "Received request: hi there",
            "Received request: stop"
        ]
    );
    assert!(srv.0.wait().unwrap().success(), "server exits 0 after stop");
}

#[test]
fn client_round_robins_over_several_servers() {
    let (a, b) = (free_endpoint(), free_endpoint());
    let mut servers = [server(&a), server(&b)];
    let out = run(&["client", "--connect", &a, "--connect", &b, "--count", "4"]);
    assert!(out.status.success());
    for (srv, ep) in servers.iter_mut().zip([&a, &b]) {
        run(&["client", "--connect", ep, "stop"]);
        assert_eq!(
            stdout_lines(srv, 3),
            [
                "Received request: Hello",
                "Received request: Hello",
                "Received request: stop"
            ]
        );
    }
}

#[test]
fn server_reply_text_is_configurable() {
    let ep = free_endpoint();
    let _srv = Server(
        Command::new(BIN)
            .args(["server", "--bind", &ep, "--reply", "pong"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = run(&["client", "--connect", &ep, "stop"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "Received: pong\n");
}

fn one_line_error(out: &Output, expected: &str) {
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("ferrozmq: error: "), "{err}");
    assert!(err.contains(expected), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn bad_endpoint_address_in_use_and_timeout_are_one_line_errors() {
    one_line_error(
        &run(&["server", "--bind", "tcp://nowhere"]),
        "invalid endpoint: tcp://nowhere",
    );
    one_line_error(
        &run(&["client", "--connect", "tcp://[::1%:5"]),
        "invalid endpoint",
    );
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", taken.local_addr().unwrap());
    one_line_error(&run(&["server", "--bind", &ep]), "address in use");
    let silent = free_endpoint();
    one_line_error(
        &run(&["client", "--connect", &silent, "--timeout", "0.3"]),
        "timed out waiting for a reply",
    );
}
