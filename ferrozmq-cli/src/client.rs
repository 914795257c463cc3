//! `ferrozmq client`: a REQ socket sending requests and printing replies.

use std::io::Write;
use std::time::Duration;

use ferrozmq::{Context, Error, SocketType};

use crate::text::message_line;

/// Options of `ferrozmq client`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Endpoint to connect to (repeatable: requests go round-robin).
    #[arg(
        long = "connect",
        value_name = "EP",
        default_value = "tcp://127.0.0.1:9999"
    )]
    connects: Vec<String>,
    /// How many requests to send.
    #[arg(long, value_name = "N", default_value_t = 1)]
    count: u64,
    /// Give up when a reply takes longer than this many seconds.
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// The request.
    #[arg(default_value = "Hello")]
    message: String,
}

/// Sends `count` requests, printing `Received: <reply>` for each.
pub(crate) fn run(args: Args) -> Result<(), String> {
    let timeout = match args.timeout {
        Some(secs) => Some(
            Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid --timeout {secs}"))?,
        ),
        None => None,
    };
    let ctx = Context::new();
    let mut socket = ctx.socket(SocketType::Req).map_err(|e| e.to_string())?;
    // A request still queued when we give up is not worth waiting for.
    socket
        .set_linger(Some(Duration::ZERO))
        .map_err(|e| e.to_string())?;
    socket
        .set_recv_timeout(timeout)
        .map_err(|e| e.to_string())?;
    for endpoint in &args.connects {
        socket.connect(endpoint).map_err(|e| e.to_string())?;
    }
    let mut stdout = std::io::stdout();
    for _ in 0..args.count {
        socket
            .send(args.message.clone())
            .map_err(|e| e.to_string())?;
        let reply = socket.recv().map_err(|e| match e {
            Error::Timeout => format!(
                "timed out waiting for a reply from {}",
                args.connects.join(", ")
            ),
            other => other.to_string(),
        })?;
        let _ = writeln!(stdout, "Received: {}", message_line(&reply));
        let _ = stdout.flush();
    }
    Ok(())
}
