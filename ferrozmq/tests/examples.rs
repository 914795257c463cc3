//! Runs each zguide example (`examples/`, built by `cargo test` before the
//! tests) and checks that it prints what the zguide's version prints.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// An example's binary: next to this test's `deps` folder.
fn example(name: &str) -> Command {
    let mut path: PathBuf = std::env::current_exe().unwrap();
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    Command::new(path.join("examples").join(name))
}

fn lines(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn hello_world_client_and_server() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = example("hello_server")
        .arg(format!("tcp://127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = example("hello_client")
        .arg(format!("tcp://127.0.0.1:{port}"))
        .output();
    server.kill().unwrap();
    server.wait().unwrap();
    let lines = lines(&client.unwrap());
    assert_eq!(lines[0], "Connecting to hello world server…");
    assert_eq!(lines[1..3], ["Sending Hello 0…", "Received World 0"]);
    assert_eq!(lines.last().unwrap(), "Received World 9");
}

#[test]
fn weather_update_client_averages_its_zipcode() {
    let lines = lines(&example("weather").output().unwrap());
    assert_eq!(lines[0], "Collecting updates from weather server…");
    assert!(
        lines[1].starts_with("Average temperature for zipcode '10001' was "),
        "{lines:?}"
    );
    assert!(lines[1].ends_with('F'));
}

#[test]
fn task_pipeline_reports_expected_and_elapsed_time() {
    let lines = lines(&example("task_pipeline").output().unwrap());
    assert_eq!(lines[0], "Sending tasks to workers…");
    assert!(lines[1].starts_with("Total expected cost: "), "{lines:?}");
    assert!(lines[2].starts_with("Total elapsed time: "), "{lines:?}");
}

#[test]
fn request_reply_broker_serves_ten_requests() {
    let lines = lines(&example("rr_broker").output().unwrap());
    let replies: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("Received reply"))
        .collect();
    assert_eq!(replies.len(), 10);
    assert_eq!(replies[9], "Received reply 9 [World]");
    assert_eq!(
        lines
            .iter()
            .filter(|l| *l == "Received request: [Hello]")
            .count(),
        10
    );
}

#[test]
fn async_server_answers_every_client() {
    let mut lines = lines(&example("async_server").output().unwrap());
    lines.sort();
    assert_eq!(lines.len(), 9, "{lines:?}");
    assert_eq!(lines[0], "1000-A000 received: request #1");
    assert_eq!(lines[8], "1222-A002 received: request #3");
}

#[test]
fn lazy_pirate_retries_then_abandons() {
    let lines = lines(&example("lazy_pirate").output().unwrap());
    for line in [
        "I: server replied OK (3)",
        "W: no response from server, retrying…",
    ] {
        assert!(lines.iter().any(|l| l == line), "{line}: {lines:?}");
    }
    assert_eq!(
        lines.last().unwrap(),
        "E: server seems to be offline, abandoning"
    );
}
