//! `ferrozmq server`: a REP socket answering every request.

use std::io::Write;

use ferrozmq::{Context, SocketType};

use crate::text::message_line;

/// Options of `ferrozmq server`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Endpoint to bind (repeatable).
    #[arg(
        long = "bind",
        value_name = "EP",
        default_value = "tcp://127.0.0.1:9999"
    )]
    binds: Vec<String>,
    /// The reply to every request.
    #[arg(long, value_name = "TEXT", default_value = "Message Received")]
    reply: String,
}

/// Prints `Received request: <message>` per request and replies; exits
/// after answering a request `stop`.
pub(crate) fn run(args: Args) -> Result<(), ferrozmq::Error> {
    let ctx = Context::new();
    let mut socket = ctx.socket(SocketType::Rep)?;
    for endpoint in &args.binds {
        socket.bind(endpoint)?;
    }
    let mut stdout = std::io::stdout();
    loop {
        let request = socket.recv()?;
        let line = message_line(&request);
        let _ = writeln!(stdout, "Received request: {line}");
        let _ = stdout.flush();
        socket.send(args.reply.clone())?;
        if line == "stop" {
            // Dropping the socket and context waits (up to the linger
            // period) until the reply is out.
            return Ok(());
        }
    }
}
