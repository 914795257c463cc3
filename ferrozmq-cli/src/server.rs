//! `ferrozmq server`: a REP socket answering every request.

use ferrozmq::{Context, SocketType};

use crate::Failure;
use crate::security::{SecurityArgs, apply_security};
use crate::text::{message_line, print_line};

/// Options of `ferrozmq server`.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  ferrozmq server
  ferrozmq server --bind tcp://*:5555 --reply pong
  ferrozmq server --bind tcp://127.0.0.1:5555 --bind tcp://127.0.0.1:5556
  ferrozmq server --bind ws://127.0.0.1:8080/zmq
  ferrozmq server --bind wss://*:8443/zmq --wss-cert cert.pem --wss-key key.pem

Each request is printed as \"Received request: <message>\" (frames joined by
a tab, bytes that are not printable UTF-8 escaped as \\xNN) and answered.
A request \"stop\" is answered too, then the server exits.")]
pub(crate) struct Args {
    /// Endpoint to bind; repeat to listen on several.
    #[arg(
        long = "bind",
        value_name = "EP",
        default_value = "tcp://127.0.0.1:9999"
    )]
    binds: Vec<String>,
    /// The reply to every request.
    #[arg(long, value_name = "TEXT", default_value = "Message Received")]
    reply: String,
    #[command(flatten)]
    security: SecurityArgs,
}

/// Prints `Received request: <message>` per request and replies; returns
/// after answering a request `stop`.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let ctx = Context::new();
    let mut socket = ctx.socket(SocketType::Rep)?;
    let security = args.security.read()?;
    let _authenticator = security.authenticator(&ctx)?;
    apply_security!(socket, &security);
    for endpoint in &args.binds {
        socket.bind(endpoint)?;
    }
    loop {
        let request = socket.recv()?;
        let line = message_line(&request);
        print_line(&format!("Received request: {line}"));
        socket.send(args.reply.clone())?;
        if line == "stop" {
            // Waits (up to the linger, 30 s by default) until the reply is
            // written out.
            socket.close();
            return Ok(());
        }
    }
}
