//! `ferrozmq client`: a REQ socket sending requests and printing replies.

use std::time::Duration;

use ferrozmq::{Context, Error, SocketType};

use crate::Failure;
use crate::security::{SecurityArgs, apply_security};
use crate::text::{message_line, print_line};

/// Options of `ferrozmq client`.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  ferrozmq client
  ferrozmq client --count 3 \"How are you?\"
  ferrozmq client --connect tcp://h1:9999 --connect tcp://h2:9999 --count 4
  ferrozmq client --timeout 2.5 stop
  ferrozmq client --connect ws://127.0.0.1:8080/zmq
  ferrozmq client --connect wss://localhost:8443/zmq --wss-trust ca.pem

Each reply is printed as \"Received: <reply>\". With several --connect the
requests go round-robin over the servers. Without --timeout the client waits
for each reply forever, reconnecting as needed, like any ZeroMQ REQ socket.")]
pub(crate) struct Args {
    /// Endpoint to connect to; repeat to spread requests over several servers.
    #[arg(
        long = "connect",
        value_name = "EP",
        default_value = "tcp://127.0.0.1:9999"
    )]
    connects: Vec<String>,
    /// How many requests to send, one after the other.
    #[arg(long, value_name = "N", default_value_t = 1)]
    count: u64,
    /// Give up (exit status 1) when a reply takes longer than this many seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// The request to send.
    #[arg(default_value = "Hello")]
    message: String,
    #[command(flatten)]
    security: SecurityArgs,
}

/// Sends `count` requests, printing `Received: <reply>` for each.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let ctx = Context::new();
    let mut socket = ctx.socket(SocketType::Req)?;
    // A request still queued when we give up is not worth waiting for.
    socket.set_linger(Some(Duration::ZERO))?;
    socket.set_send_timeout(args.timeout)?;
    socket.set_recv_timeout(args.timeout)?;
    apply_security!(socket, &args.security.read()?);
    for endpoint in &args.connects {
        socket.connect(endpoint)?;
    }
    let servers = args.connects.join(", ");
    for _ in 0..args.count {
        socket
            .send(args.message.clone())
            .map_err(|e| match e.error {
                Error::Timeout => Failure::new(format!("timed out sending a request to {servers}")),
                other => other.into(),
            })?;
        let reply = socket.recv().map_err(|e| match e {
            Error::Timeout => Failure::new(format!("timed out waiting for a reply from {servers}")),
            other => other.into(),
        })?;
        print_line(&format!("Received: {}", message_line(&reply)));
    }
    Ok(())
}

/// Parses `--timeout`: a positive number of seconds, fractions allowed.
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| "expected a number of seconds".to_owned())?;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err("expected a positive number of seconds".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_seconds("1"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "abc", "NaN", "inf", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
