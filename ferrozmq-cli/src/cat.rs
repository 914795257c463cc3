//! `ferrozmq <type>`: a socket of any type on the command line, a cat for
//! ZeroMQ. It sends each `--send` (or each line of stdin) and prints each
//! message it receives, one line each (see [`crate::text`]).

use std::io::BufRead;
use std::time::Duration;

use ferrozmq::{AsyncSocket, Context, Message, SocketType};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::Failure;
use crate::client::parse_seconds;
use crate::security::{Security, SecurityArgs, apply_security};
use crate::text::{message_line, parse_line, print_line};

/// Options of the socket commands.
#[derive(clap::Args)]
#[command(after_help = "\
Messages in and out are one line each: frames separated by a tab, bytes
that are not printable UTF-8 written as \\xNN (so a ROUTER's binary
identity prints as, and is given back as, \\x00\\x6b\\x8b\\x45\\x67).

Examples:
  ferrozmq pull --bind tcp://127.0.0.1:5557 --count 3
  seq 3 | ferrozmq push --connect tcp://127.0.0.1:5557
  ferrozmq sub --connect tcp://127.0.0.1:5556 --subscribe weather --timeout 10
  ferrozmq req --connect tcp://127.0.0.1:5555 --send hello
  ferrozmq rep --bind tcp://127.0.0.1:5555 --send world --count 1
  ferrozmq router --bind tcp://127.0.0.1:5555 --count 1
  ferrozmq pub --bind ws://127.0.0.1:8080/feed

Exits after --count messages received; a socket that only sends exits once
its input is sent. With --timeout, exit status 1 if the time runs out first.")]
pub(crate) struct Args {
    /// Endpoint to bind; repeat for several.
    #[arg(long = "bind", value_name = "EP")]
    binds: Vec<String>,
    /// Endpoint to connect to; repeat for several.
    #[arg(long = "connect", value_name = "EP")]
    connects: Vec<String>,
    /// A message to send (frames separated by a tab); repeat for several.
    /// Without it, each line of stdin is sent (REP: the request is echoed).
    #[arg(long = "send", value_name = "TEXT")]
    sends: Vec<String>,
    /// Exit after receiving this many messages.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// SUB: a prefix to subscribe to; repeat for several. Default: all.
    #[arg(long = "subscribe", value_name = "PREFIX")]
    subscribes: Vec<String>,
    /// The routing id announced to peers (a ROUTER peer addresses us by it).
    #[arg(long, value_name = "ID")]
    routing_id: Option<String>,
    /// Give up (exit status 1) after this many seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    #[command(flatten)]
    security: SecurityArgs,
}

/// Runs a socket of `socket_type` as `args` say.
pub(crate) fn run(socket_type: SocketType, args: Args) -> Result<(), Failure> {
    if args.binds.is_empty() && args.connects.is_empty() {
        return Err(Failure::new("give at least one --bind or --connect"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(e.to_string()))?;
    runtime.block_on(async move {
        let ctx = Context::new();
        let security = args.security.read()?;
        let _authenticator = security.authenticator(&ctx)?;
        let socket = setup(&ctx, socket_type, &args, &security).await?;
        let deadline = args.timeout.map(|t| Instant::now() + t);
        let work = cat(&socket, socket_type, &args);
        let result = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, work)
                .await
                .unwrap_or_else(|_| Err(Failure::new("timed out"))),
            None => work.await,
        };
        socket.close().await;
        result
    })
}

async fn setup(
    ctx: &Context,
    socket_type: SocketType,
    args: &Args,
    security: &Security,
) -> Result<AsyncSocket, Failure> {
    let socket = ctx.async_socket(socket_type)?;
    apply_security!(socket, security);
    if let Some(id) = &args.routing_id {
        socket.set_routing_id(id.clone().into_bytes())?;
    }
    if socket_type == SocketType::Sub {
        if args.subscribes.is_empty() {
            socket.subscribe("")?;
        }
        for prefix in &args.subscribes {
            socket.subscribe(prefix)?;
        }
    }
    for endpoint in &args.binds {
        socket.bind(endpoint).await?;
    }
    for endpoint in &args.connects {
        socket.connect(endpoint).await?;
    }
    Ok(socket)
}

/// What the socket sends: the `--send` values, or stdin's lines as they
/// come (read on a thread of their own, so that receiving goes on).
fn input(args: &Args) -> mpsc::Receiver<Result<Message, Failure>> {
    let (tx, rx) = mpsc::channel(64);
    if args.sends.is_empty() {
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let msg = line
                    .map_err(|e| Failure::new(e.to_string()))
                    .map(|l| parse_line(&l));
                if tx.blocking_send(msg).is_err() {
                    return;
                }
            }
        });
    } else {
        for text in &args.sends {
            // The channel holds them all: `--send` values are few.
            let _ = tx.try_send(Ok(parse_line(text)));
        }
    }
    rx
}

async fn cat(socket: &AsyncSocket, socket_type: SocketType, args: &Args) -> Result<(), Failure> {
    match socket_type {
        SocketType::Req => request(socket, args).await,
        SocketType::Rep => reply(socket, args).await,
        SocketType::Push | SocketType::Pub => send_all(socket, input(args)).await,
        SocketType::Pull | SocketType::Sub => receive(socket, args.count).await,
        _ if args.sends.is_empty() && args.count.is_none() => {
            // Both ways until stdin ends and forever after: print what comes.
            let (sent, received) =
                tokio::join!(send_all(socket, input(args)), receive(socket, None));
            sent.and(received)
        }
        _ => {
            send_all(socket, input(args)).await?;
            receive(socket, args.count).await
        }
    }
}

async fn send_all(
    socket: &AsyncSocket,
    mut input: mpsc::Receiver<Result<Message, Failure>>,
) -> Result<(), Failure> {
    while let Some(msg) = input.recv().await {
        socket.send(msg?).await?;
    }
    Ok(())
}

/// Prints what comes, until `count` messages (forever without it).
async fn receive(socket: &AsyncSocket, count: Option<u64>) -> Result<(), Failure> {
    let mut received = 0;
    while count.is_none_or(|n| received < n) {
        print_line(&message_line(&socket.recv().await?));
        received += 1;
    }
    Ok(())
}

/// REQ: each message is a request; its reply is printed.
async fn request(socket: &AsyncSocket, args: &Args) -> Result<(), Failure> {
    let mut input = input(args);
    while let Some(msg) = input.recv().await {
        socket.send(msg?).await?;
        print_line(&message_line(&socket.recv().await?));
    }
    Ok(())
}

/// REP: each request is printed and answered with the `--send` values in
/// turn, the last repeating (echoed without any).
async fn reply(socket: &AsyncSocket, args: &Args) -> Result<(), Failure> {
    let mut answered = 0;
    while args.count.is_none_or(|n| answered < n) {
        let request = socket.recv().await?;
        print_line(&message_line(&request));
        let answer = match args.sends.len() {
            0 => request,
            n => parse_line(&args.sends[(answered as usize).min(n - 1)]),
        };
        socket.send(answer).await?;
        answered += 1;
    }
    Ok(())
}
