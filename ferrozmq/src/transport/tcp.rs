//! TCP: bind and accept, connect and reconnect with backoff.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrozmq_proto::Connection;
use tokio::net::{TcpListener, TcpStream};

use super::{Lifecycle, closing};
use crate::context::Spawner;
use crate::endpoint::Endpoint;
use crate::engine::{End, Engine};
use crate::pipe::{Closing, PipeId};
use crate::socket::shared::Shared;
use crate::{Error, Result};

/// Pause after an accept error (e.g. out of file descriptors), so the loop
/// neither spins nor allocates while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Binds a listening socket; returns it and the address it got.
///
/// Binding is synchronous so that "address in use" is the caller's error,
/// not a background task's.
pub(crate) fn bind(endpoint: &Endpoint, original: &str) -> Result<std::net::TcpListener> {
    let addrs: Vec<SocketAddr> = match endpoint.literal_ip() {
        Some(ip) => vec![SocketAddr::new(ip, port(endpoint))],
        None => endpoint
            .authority()
            .to_socket_addrs()
            .map_err(|_| Error::InvalidEndpoint(original.to_owned()))?
            .collect(),
    };
    let mut last = Error::InvalidEndpoint(original.to_owned());
    for addr in addrs {
        match std::net::TcpListener::bind(addr) {
            Ok(listener) => {
                listener.set_nonblocking(true)?;
                return Ok(listener);
            }
            Err(e) => last = bind_error(e, original),
        }
    }
    Err(last)
}

fn port(endpoint: &Endpoint) -> u16 {
    let Endpoint::Tcp { port, .. } = endpoint;
    *port
}

fn bind_error(e: io::Error, endpoint: &str) -> Error {
    match e.kind() {
        io::ErrorKind::AddrInUse => Error::AddrInUse(endpoint.to_owned()),
        io::ErrorKind::AddrNotAvailable => Error::AddrNotAvailable(endpoint.to_owned()),
        _ => Error::Io(e),
    }
}

/// Accepts connections until the endpoint closes; each one gets its own
/// task, and a pipe only once its handshake completes.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut lifecycle: Lifecycle,
    spawner: Spawner,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = closing(&mut lifecycle) => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                tracing::debug!(%peer, "accepted");
                spawner.spawn(serve_accepted(stream, shared.clone(), lifecycle.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept failed; backing off");
                tokio::select! {
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    _ = closing(&mut lifecycle) => return,
                }
            }
        }
    }
}

/// One accepted connection: handshake (abandoned if the endpoint closes),
/// then a pipe of its own until either side ends it.
async fn serve_accepted(stream: TcpStream, shared: Arc<Shared>, mut lifecycle: Lifecycle) {
    let mut engine = new_engine(stream, &shared);
    let peer = tokio::select! {
        peer = engine.handshake() => peer,
        _ = closing(&mut lifecycle) => return,
    };
    if let Err(end) = peer {
        return log_end(&end);
    }
    let Some(pipe) = shared.attach_accepted() else {
        return;
    };
    let end = run_until_closed(&mut engine, pipe, &shared, &mut lifecycle).await;
    shared.detach(pipe);
    log_end(&end);
}

/// Connects, serves the connection, and reconnects after `reconnect_ivl`
/// (backing off to `reconnect_ivl_max`) until the endpoint closes. The pipe
/// outlives each connection, so queued messages wait for the next one.
pub(crate) async fn connect_loop(
    endpoint: Endpoint,
    pipe: PipeId,
    shared: Arc<Shared>,
    mut lifecycle: Lifecycle,
) {
    let mut attempt = 0;
    loop {
        let state = *lifecycle.borrow();
        if let Closing::Linger(deadline) = state {
            let expired = deadline.is_some_and(|d| Instant::now() >= d);
            if expired || shared.outbound_empty(pipe) {
                break;
            }
        }
        let connect = TcpStream::connect(endpoint.authority());
        let connected = match state {
            // While lingering, a hanging connect must not outlive the deadline.
            Closing::Linger(Some(deadline)) => {
                match tokio::time::timeout_at(deadline.into(), connect).await {
                    Ok(connected) => connected,
                    Err(_) => continue,
                }
            }
            _ => connect.await,
        };
        match connected {
            Ok(stream) => {
                let mut engine = new_engine(stream, &shared);
                match engine.handshake().await {
                    Ok(_) => {
                        attempt = 0;
                        let end =
                            run_until_closed(&mut engine, pipe, &shared, &mut lifecycle).await;
                        log_end(&end);
                    }
                    Err(end) => log_end(&end),
                }
            }
            Err(e) => tracing::debug!(%endpoint, error = %e, "connect failed"),
        }
        let delay = shared.options().reconnect_delay(attempt);
        attempt = attempt.saturating_add(1);
        let state = *lifecycle.borrow();
        match state {
            // Closing already: retry (to flush) no faster than usual.
            Closing::Linger(_) => tokio::time::sleep(delay).await,
            Closing::Open => {
                let mut watch = lifecycle.clone();
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = closing(&mut watch) => {}
                }
            }
        }
    }
    shared.detach(pipe);
}

fn new_engine(stream: TcpStream, shared: &Arc<Shared>) -> Engine {
    // Small messages must not wait for Nagle; libzmq sets this too.
    let _ = stream.set_nodelay(true);
    let config = shared.options().protocol_config(shared.socket_type);
    Engine::new(
        stream,
        Connection::new(config, Instant::now()),
        shared.clone(),
    )
}

/// Runs the engine; when the endpoint is asked to close, tells the pipe to
/// flush within the linger period and lets the engine finish.
async fn run_until_closed(
    engine: &mut Engine,
    pipe: PipeId,
    shared: &Shared,
    lifecycle: &mut Lifecycle,
) -> End {
    let mut watch = lifecycle.clone();
    let run = engine.run(pipe);
    tokio::pin!(run);
    tokio::select! {
        end = &mut run => end,
        how = closing(&mut watch) => {
            shared.close_pipe(pipe, how);
            run.await
        }
    }
}

fn log_end(end: &End) {
    match end {
        End::Eof | End::Flushed => tracing::debug!(%end, "connection ended"),
        _ => tracing::info!(%end, "connection dropped"),
    }
}
