//! `ferrozmq`: the command-line tool of ferrozmq.
//!
//! Each subcommand is one module with an `Args` (its flags) and a `run`;
//! they share [`text`] for printing messages and [`Failure`] for the
//! one-line error on stderr.

mod cat;
mod client;
mod keygen;
mod proxy;
mod security;
mod server;
mod text;
mod web;

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferrozmq::SocketType;

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
  ferrozmq pull --bind tcp://127.0.0.1:5557 --count 3
  seq 3 | ferrozmq push --connect tcp://127.0.0.1:5557
  ferrozmq web                           # browser demo on http://127.0.0.1:8080

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
    /// A REQ socket: each message a request, its reply printed.
    Req(cat::Args),
    /// A REP socket: each request printed and answered.
    Rep(cat::Args),
    /// A DEALER socket: sends round-robin, prints what comes.
    Dealer(cat::Args),
    /// A ROUTER socket: prints each message after its sender's identity.
    Router(cat::Args),
    /// A PUB socket: publishes each message.
    Pub(cat::Args),
    /// A SUB socket: prints the messages it subscribed to.
    Sub(cat::Args),
    /// An XPUB socket: publishes, prints the subscriptions it sees.
    Xpub(cat::Args),
    /// An XSUB socket: sends subscriptions (\x01prefix) and prints what comes.
    Xsub(cat::Args),
    /// A PUSH socket: sends each message to the next peer.
    Push(cat::Args),
    /// A PULL socket: prints what comes.
    Pull(cat::Args),
    /// A PAIR socket: sends and prints, with one peer.
    Pair(cat::Args),
    /// A STREAM socket: raw TCP; prints each read after its connection's id.
    Stream(cat::Args),
    /// Move messages between a frontend and a backend socket (zmq_proxy).
    Proxy(proxy::Args),
    /// Serve the browser demo: a page with ZeroMQ sockets over WebSocket.
    Web(web::Args),
    /// Make a CURVE key pair (Z85), or certificate files.
    Keygen(keygen::Args),
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
        Command::Req(args) => cat::run(SocketType::Req, args),
        Command::Rep(args) => cat::run(SocketType::Rep, args),
        Command::Dealer(args) => cat::run(SocketType::Dealer, args),
        Command::Router(args) => cat::run(SocketType::Router, args),
        Command::Pub(args) => cat::run(SocketType::Pub, args),
        Command::Sub(args) => cat::run(SocketType::Sub, args),
        Command::Xpub(args) => cat::run(SocketType::XPub, args),
        Command::Xsub(args) => cat::run(SocketType::XSub, args),
        Command::Push(args) => cat::run(SocketType::Push, args),
        Command::Pull(args) => cat::run(SocketType::Pull, args),
        Command::Pair(args) => cat::run(SocketType::Pair, args),
        Command::Stream(args) => cat::run(SocketType::Stream, args),
        Command::Proxy(args) => proxy::run(args),
        Command::Web(args) => web::run(args),
        Command::Keygen(args) => keygen::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrozmq: error: {e}");
            ExitCode::FAILURE
        }
    }
}
