//! `ferrozmq-peer`: a ferrozmq socket that the interop tests script from
//! the command line, so that pyzmq (in the test process) has a real
//! ferrozmq peer to talk to.
//!
//! Every mode prints `READY <endpoint>` once its endpoints are set up (the
//! resolved one for a bind on port 0), so tests never guess a port, and
//! exits 1 with one line on stderr when a wait runs out.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use ferrozmq::{Authenticator, Context, Message, Socket, SocketType};
use ferrozmq_interop::{format_parts, numbered, parse_parts};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
    /// Endpoints to bind.
    #[arg(long = "bind", global = true)]
    binds: Vec<String>,
    /// Endpoints to connect to.
    #[arg(long = "connect", global = true)]
    connects: Vec<String>,
    /// Seconds any single send or receive may wait.
    #[arg(long, global = true, default_value_t = 20.0)]
    timeout: f64,
    /// ZMTP heartbeat interval in milliseconds (0 = off).
    #[arg(long, global = true, default_value_t = 0)]
    heartbeat_ivl: u64,
    /// ZMTP heartbeat timeout in milliseconds (0 = the interval).
    #[arg(long, global = true, default_value_t = 0)]
    heartbeat_timeout: u64,
    /// The routing id announced to peers.
    #[arg(long, global = true)]
    routing_id: Option<String>,
    /// Print every monitor event to stderr, one `EVENT <event>` line each.
    #[arg(long, global = true)]
    monitor: bool,
    /// A routing option, `NAME` (on) or `NAME=VALUE`: router_mandatory,
    /// router_handover, probe_router, req_correlate, req_relaxed,
    /// xpub_verbose, xpub_verboser, xpub_manual, invert_matching,
    /// xpub_welcome_msg=TEXT.
    #[arg(long = "set", global = true, value_name = "NAME[=VALUE]")]
    sets: Vec<String>,
    /// PLAIN client: log in as this user.
    #[arg(long, global = true)]
    plain_user: Option<String>,
    /// PLAIN client: the password.
    #[arg(long, global = true, allow_hyphen_values = true)]
    plain_password: Option<String>,
    /// PLAIN server, with a ZAP handler in this process that lets in the
    /// `USER:PASS` pairs given (the user id is the user name); repeat for
    /// several.
    #[arg(long, global = true, value_name = "USER:PASS")]
    plain_allow: Vec<String>,
    /// Be a PLAIN server with no ZAP handler at all.
    #[arg(long, global = true)]
    plain_server_alone: bool,
    /// CURVE server: its secret key (Z85).
    #[arg(long, global = true, allow_hyphen_values = true)]
    curve_server_secret: Option<String>,
    /// CURVE client: its secret key (Z85); its public key follows.
    #[arg(long, global = true, allow_hyphen_values = true)]
    curve_secret: Option<String>,
    /// CURVE client: the server's public key (Z85).
    #[arg(long, global = true, allow_hyphen_values = true)]
    curve_server_key: Option<String>,
    /// CURVE server: a ZAP handler in this process letting in this client
    /// key (Z85); repeat for several.
    #[arg(long, global = true, allow_hyphen_values = true)]
    curve_allow: Vec<String>,
}

#[derive(Subcommand)]
enum Mode {
    /// REP: echo each request back unchanged; stop after `count` (0 = never).
    Rep {
        #[arg(long, default_value_t = 0)]
        count: u64,
        /// Before each echo, print `PROPERTIES name=value ...` with these
        /// properties of the request (values as hex, `-` when absent).
        #[arg(long, value_delimiter = ',')]
        properties: Vec<String>,
    },
    /// REQ: each stdin line is a request (parts as hex, separated by
    /// spaces; `-` is an empty part); print each reply the same way.
    Req,
    /// PUSH: send `count` numbered messages (see `numbered`).
    Push {
        #[arg(long)]
        count: u64,
    },
    /// PULL: receive `count` numbered messages, check order and content,
    /// print `OK <count>`.
    Pull {
        #[arg(long)]
        count: u64,
    },
    /// A socket of any type driven line by line from stdin: `send PARTS`
    /// sends (parts as hex, separated by spaces; `-` is an empty part) and
    /// prints `SENT`; `recv` prints the parts of the next message;
    /// `subscribe HEX` and `unsubscribe HEX` (`-`: the empty prefix) print
    /// `DONE`; `flood N` tries to send N 16-byte messages without waiting
    /// and prints `ACCEPTED a REFUSED r`; `idle MS` receives for up to MS milliseconds and prints the
    /// message or `NONE` (a socket takes in new connections when its caller
    /// calls it, as libzmq's does). A failed call prints `ERR <error>` and
    /// the script goes on.
    Script {
        /// The socket type, as in `ferrozmq <type>` (`dealer`, `router`, ...).
        #[arg(long = "type")]
        socket_type: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrozmq-peer: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let ctx = Context::new();
    let socket_type = match cli.mode {
        Mode::Rep { .. } => SocketType::Rep,
        Mode::Req => SocketType::Req,
        Mode::Push { .. } => SocketType::Push,
        Mode::Pull { .. } => SocketType::Pull,
        Mode::Script { ref socket_type } => socket_type.parse().map_err(|e| format!("{e}"))?,
    };
    let (mut socket, _authenticator) = setup(&ctx, socket_type, &cli).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "READY {}", socket.last_endpoint().unwrap_or_default());
    let _ = out.flush();
    match cli.mode {
        Mode::Rep { count, properties } => {
            let mut answered = 0;
            while count == 0 || answered < count {
                let request = socket.recv().map_err(|e| format!("recv: {e}"))?;
                if !properties.is_empty() {
                    let shown: Vec<String> = properties
                        .iter()
                        .map(|name| {
                            let value = request.property(name).map(|v| Message::from(v.clone()));
                            format!("{name}={}", value.map_or("-".into(), |v| format_parts(&v)))
                        })
                        .collect();
                    let _ = writeln!(out, "PROPERTIES {}", shown.join(" "));
                    let _ = out.flush();
                }
                socket.send(request).map_err(|e| format!("send: {e}"))?;
                answered += 1;
            }
        }
        Mode::Req => {
            for line in std::io::stdin().lock().lines() {
                let line = line.map_err(|e| e.to_string())?;
                socket
                    .send(parse_parts(&line)?)
                    .map_err(|e| format!("send: {e}"))?;
                let reply = socket.recv().map_err(|e| format!("recv: {e}"))?;
                let _ = writeln!(out, "{}", format_parts(&reply));
                let _ = out.flush();
            }
        }
        Mode::Push { count } => {
            for i in 0..count {
                socket
                    .send(numbered(i))
                    .map_err(|e| format!("send {i}: {e}"))?;
            }
            let _ = writeln!(out, "SENT {count}");
        }
        Mode::Pull { count } => {
            for i in 0..count {
                let msg = socket.recv().map_err(|e| format!("recv {i}: {e}"))?;
                if msg != numbered(i) {
                    return Err(format!(
                        "message {i} is wrong: {} parts, {} bytes",
                        msg.len(),
                        msg.size()
                    ));
                }
            }
            let _ = writeln!(out, "OK {count}");
        }
        Mode::Script { .. } => {
            for line in std::io::stdin().lock().lines() {
                let line = line.map_err(|e| e.to_string())?;
                let answer = match line.split_once(' ').unwrap_or((&line, "")) {
                    ("send", parts) => parse_parts(parts)
                        .and_then(|msg| socket.send(msg).map_err(|e| e.to_string()))
                        .map(|()| "SENT".to_owned()),
                    (verb @ ("subscribe" | "unsubscribe"), prefix) => parse_parts(prefix)
                        .and_then(|msg| {
                            let prefix = msg.first().cloned().unwrap_or_default();
                            let done = if verb == "subscribe" {
                                socket.subscribe(&prefix)
                            } else {
                                socket.unsubscribe(&prefix)
                            };
                            done.map_err(|e| e.to_string())
                        })
                        .map(|()| "DONE".to_owned()),
                    ("flood", n) => n.parse::<u64>().map_err(|e| e.to_string()).map(|n| {
                        let (mut accepted, mut refused) = (0, 0);
                        for _ in 0..n {
                            match socket.try_send(vec![7u8; 16]) {
                                Ok(()) => accepted += 1,
                                Err(_) => refused += 1,
                            }
                        }
                        format!("ACCEPTED {accepted} REFUSED {refused}")
                    }),
                    ("idle", ms) => ms.parse().map_err(|e| format!("{e}")).and_then(|ms| {
                        let wait = Duration::from_millis(ms);
                        socket
                            .set_recv_timeout(Some(wait))
                            .map_err(|e| e.to_string())?;
                        let got = match socket.recv() {
                            Ok(msg) => Ok(format_parts(&msg)),
                            Err(ferrozmq::Error::Timeout) => Ok("NONE".to_owned()),
                            Err(e) => Err(e.to_string()),
                        };
                        let timeout = Duration::from_secs_f64(cli.timeout);
                        socket
                            .set_recv_timeout(Some(timeout))
                            .map_err(|e| e.to_string())?;
                        got
                    }),
                    ("recv", _) => socket
                        .recv()
                        .map(|msg| format_parts(&msg))
                        .map_err(|e| e.to_string()),
                    _ => Err(format!("unknown command {line:?}")),
                };
                let _ = writeln!(out, "{}", answer.unwrap_or_else(|e| format!("ERR {e}")));
                let _ = out.flush();
            }
        }
    }
    Ok(())
}

/// The socket as the flags say, and the ZAP handler it needs, if any.
fn setup(
    ctx: &Context,
    socket_type: SocketType,
    cli: &Cli,
) -> ferrozmq::Result<(Socket, Option<Authenticator>)> {
    let socket = ctx.socket(socket_type)?;
    let timeout = Duration::from_secs_f64(cli.timeout);
    socket.set_send_timeout(Some(timeout))?;
    socket.set_recv_timeout(Some(timeout))?;
    let ms = |v: u64| (v > 0).then(|| Duration::from_millis(v));
    socket.set_heartbeat_ivl(ms(cli.heartbeat_ivl))?;
    socket.set_heartbeat_timeout(ms(cli.heartbeat_timeout))?;
    if let Some(id) = &cli.routing_id {
        socket.set_routing_id(id.clone())?;
    }
    for set in &cli.sets {
        let (name, value) = set.split_once('=').unwrap_or((set, ""));
        match name {
            "router_mandatory" => socket.set_router_mandatory(true)?,
            "router_handover" => socket.set_router_handover(true)?,
            "probe_router" => socket.set_probe_router(true)?,
            "req_correlate" => socket.set_req_correlate(true)?,
            "req_relaxed" => socket.set_req_relaxed(true)?,
            "xpub_verbose" => socket.set_xpub_verbose(true)?,
            "xpub_verboser" => socket.set_xpub_verboser(true)?,
            "xpub_manual" => socket.set_xpub_manual(true)?,
            "invert_matching" => socket.set_invert_matching(true)?,
            "xpub_welcome_msg" => socket.set_xpub_welcome_msg(Some(value.to_owned().into()))?,
            _ => return Err(ferrozmq::Error::InvalidOption("unknown --set option")),
        }
    }
    if let Some(user) = &cli.plain_user {
        socket.set_plain_username(Some(user.clone().into()))?;
        socket.set_plain_password(cli.plain_password.clone().map(Into::into))?;
    }
    if let Some(secret) = &cli.curve_server_secret {
        socket.set_curve_server(true)?;
        socket.set_curve_secretkey(secret)?;
    }
    if let (Some(secret), Some(server)) = (&cli.curve_secret, &cli.curve_server_key) {
        socket.set_curve_secretkey(secret)?;
        socket.set_curve_serverkey(server)?;
    }
    let authenticator = if cli.plain_allow.is_empty() && cli.curve_allow.is_empty() {
        None
    } else {
        let auth = Authenticator::start(ctx)?;
        for key in &cli.curve_allow {
            auth.allow_curve_key(key)?;
        }
        for pair in &cli.plain_allow {
            let (user, password) = pair.split_once(':').ok_or(ferrozmq::Error::InvalidOption(
                "--plain-allow takes USER:PASS",
            ))?;
            auth.add_plain_user(user.to_owned(), password.to_owned());
        }
        Some(auth)
    };
    if !cli.plain_allow.is_empty() || cli.plain_server_alone {
        socket.set_plain_server(true)?;
    }
    if cli.monitor {
        let mut monitor = socket.monitor();
        std::thread::spawn(move || {
            while let Some(event) = monitor.recv_timeout(None) {
                eprintln!("EVENT {event:?}");
            }
        });
    }
    for ep in &cli.binds {
        socket.bind(ep)?;
    }
    for ep in &cli.connects {
        socket.connect(ep)?;
    }
    Ok((socket, authenticator))
}
