//! `ferrozmq`: the command-line tool of ferrozmq.
//!
//! Each subcommand is one module with an `Args` (its flags) and a `run`;
//! they share [`text`] for printing messages and [`Failure`] for the
//! one-line error on stderr.

mod client;
mod server;
mod text;

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The command line.
#[derive(Parser)]
#[command(name = "ferrozmq", version, about, long_about = None)]
#[command(after_help = "\
Examples:
  ferrozmq server                        # REP socket on tcp://127.0.0.1:9999
  ferrozmq client                        # sends \"Hello\", prints the reply
  ferrozmq client --count 3 hi           # three requests
  ferrozmq client --connect tcp://h1:9999 --connect tcp://h2:9999 --count 4
  ferrozmq client stop                   # asks the server to exit

Errors are one line on stderr (ferrozmq: error: ...) with exit status 1.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer requests (REP socket) until a request "stop" arrives.
    Server(server::Args),
    /// Send requests (REQ socket) and print the replies.
    Client(client::Args),
}

/// Why a subcommand failed: `main` prints it as `ferrozmq: error: <it>`
/// and exits with status 1.
#[derive(Debug)]
pub(crate) struct Failure(String);

impl Failure {
    /// A failure described by `message`.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<ferrozmq::Error> for Failure {
    fn from(e: ferrozmq::Error) -> Self {
        Self(e.to_string())
    }
}

impl From<ferrozmq::SendError> for Failure {
    fn from(e: ferrozmq::SendError) -> Self {
        Self(e.error.to_string())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Server(args) => server::run(args),
        Command::Client(args) => client::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrozmq: error: {e}");
            ExitCode::FAILURE
        }
    }
}
