//! `ferrozmq proxy`: libzmq's `zmq_proxy` on the command line.

use ferrozmq::{Context, Socket, SocketType};

use crate::Failure;
use crate::security::{Security, SecurityArgs, apply_security};

/// Options of `ferrozmq proxy`.
#[derive(clap::Args)]
#[command(after_help = "\
Each socket is TYPE@EP to bind EP or TYPE>EP to connect to it (CZMQ's
notation), TYPE one of the socket type names.

Examples:
  ferrozmq proxy --frontend router@tcp://*:5559 --backend dealer@tcp://*:5560
  ferrozmq proxy --frontend xsub@tcp://*:5557 --backend xpub@tcp://*:5558
  ferrozmq proxy --frontend 'pull>tcp://10.0.0.1:5557' --backend push@tcp://*:5558 \\
      --capture pub@tcp://127.0.0.1:5570
  ferrozmq proxy --frontend router@ws://*:8080/zmq --curve-server-secret SECRET \\
      --backend 'dealer>tcp://10.0.0.2:5555' --curve-server-key ITS_PUBLIC_KEY

Security flags go by role: a server's (--curve-server-secret, --curve-allow,
--plain-allow, --wss-cert, --wss-key) to the sockets that bind, a client's
(--curve-server-key, --curve-secret, --plain-user, --plain-password,
--wss-trust) to those that connect. The last example lets browsers (CURVE
over ws) reach a CURVE service over tcp, libzmq's included.

Runs until interrupted.")]
pub(crate) struct Args {
    /// The socket clients talk to.
    #[arg(long, value_name = "TYPE@EP")]
    frontend: String,
    /// The socket services talk to.
    #[arg(long, value_name = "TYPE@EP")]
    backend: String,
    /// A socket that gets a copy of every message, both ways.
    #[arg(long, value_name = "TYPE@EP")]
    capture: Option<String>,
    #[command(flatten)]
    security: SecurityArgs,
}

/// Runs the proxy until a socket fails.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let ctx = Context::new();
    let security = args.security.read()?;
    let _authenticator = security.authenticator(&ctx)?;
    let mut frontend = open(&ctx, &args.frontend, &security)?;
    let mut backend = open(&ctx, &args.backend, &security)?;
    let mut capture = args
        .capture
        .as_deref()
        .map(|spec| open(&ctx, spec, &security))
        .transpose()?;
    ferrozmq::proxy(&mut frontend, &mut backend, capture.as_mut())?;
    Ok(())
}

/// A socket from `TYPE@EP` (bind) or `TYPE>EP` (connect), with the
/// security flags of its role.
fn open(ctx: &Context, spec: &str, security: &Security) -> Result<Socket, Failure> {
    let (kind, endpoint, bind) = match (spec.split_once('@'), spec.split_once('>')) {
        (Some((kind, ep)), _) => (kind, ep, true),
        (None, Some((kind, ep))) => (kind, ep, false),
        (None, None) => {
            return Err(Failure::new(format!(
                "{spec:?}: expected TYPE@EP or TYPE>EP"
            )));
        }
    };
    let kind: SocketType = kind.parse().map_err(|e| Failure::new(format!("{e}")))?;
    let socket = ctx.socket(kind)?;
    if bind {
        apply_security!(socket, &security.server_side());
        socket.bind(endpoint)?;
    } else {
        apply_security!(socket, &security.client_side());
        socket.connect(endpoint)?;
    }
    Ok(socket)
}
