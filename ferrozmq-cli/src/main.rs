//! `ferrozmq`: the command-line tool of ferrozmq.
//!
//! Each subcommand is one module; they share [`text`] for printing
//! messages and report errors as one line on stderr.

mod client;
mod server;
mod text;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ZeroMQ in pure Rust: a request-reply server and client that talk to any
/// ZeroMQ peer (pyzmq, libzmq, …) over TCP.
#[derive(Parser)]
#[command(name = "ferrozmq", version, about, long_about = None)]
#[command(after_help = "Examples:
  ferrozmq server                          # REP on tcp://127.0.0.1:9999
  ferrozmq client                          # sends \"Hello\", prints the reply
  ferrozmq client --count 3 hi             # three requests
  ferrozmq client --connect tcp://h1:9999 --connect tcp://h2:9999 --count 4
  ferrozmq client stop                     # asks the server to exit")]
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => server::run(args).map_err(|e| e.to_string()),
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
