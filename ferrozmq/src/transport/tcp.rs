//! TCP: bind and accept, connect and reconnect with backoff.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrozmq_proto::{Connection, PeerInfo};
use tokio::net::{TcpListener, TcpStream};

use super::{Lifecycle, closing};
use crate::context::Spawner;
use crate::endpoint::Endpoint;
use crate::engine::{End, Engine};
use crate::monitor::{Event, Reason};
use crate::pipe::{Closing, PipeId};
use crate::socket::shared::Shared;
use crate::{Error, Result};

/// Pause after an accept error (e.g. out of file descriptors), so the loop
/// neither spins nor allocates while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Binds a listening socket to the first of the endpoint's addresses that
/// works.
///
/// Binding is synchronous so that "address in use" is the caller's error,
/// not a background task's.
pub(crate) fn bind(endpoint: &Endpoint, original: &str) -> Result<std::net::TcpListener> {
    let addrs = endpoint
        .bind_addrs()
        .map_err(|_| Error::InvalidEndpoint(original.to_owned()))?;
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
    endpoint: Arc<str>,
    shared: Arc<Shared>,
    mut lifecycle: Lifecycle,
    spawner: Spawner,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = closing(&mut lifecycle) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let link = Link {
                    shared: shared.clone(),
                    endpoint: endpoint.clone(),
                    peer,
                };
                link.emit(|endpoint, peer| Event::Accepted { endpoint, peer });
                spawner.spawn(link.serve_accepted(stream, lifecycle.clone()));
            }
            Err(e) => {
                tracing::warn!(%endpoint, error = %e, "accept failed; backing off");
                tokio::select! {
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    _ = closing(&mut lifecycle) => break,
                }
            }
        }
    }
    shared.emit(Event::Closed {
        endpoint: endpoint.to_string(),
    });
}

/// Connects, serves the connection, and reconnects after `reconnect_ivl`
/// (backing off to `reconnect_ivl_max`) until the endpoint closes. The pipe
/// outlives each connection, so queued messages wait for the next one.
pub(crate) async fn connect_loop(
    endpoint: Endpoint,
    name: Arc<str>,
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
        let delay = shared.options().reconnect_delay(attempt);
        match connected.and_then(|stream| Ok((stream.peer_addr()?, stream))) {
            Ok((peer, stream)) => {
                let link = Link {
                    shared: shared.clone(),
                    endpoint: name.clone(),
                    peer,
                };
                link.emit(|endpoint, peer| Event::Connected { endpoint, peer });
                if link.serve_connected(stream, pipe, &mut lifecycle).await {
                    attempt = 0;
                } else {
                    attempt = attempt.saturating_add(1);
                }
            }
            Err(e) => {
                tracing::debug!(%endpoint, error = %e, "connect failed");
                attempt = attempt.saturating_add(1);
                shared.emit(Event::ConnectRetried {
                    endpoint: name.to_string(),
                    delay,
                });
            }
        }
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

/// One connection of an endpoint: what its events name.
struct Link {
    shared: Arc<Shared>,
    endpoint: Arc<str>,
    peer: SocketAddr,
}

impl Link {
    fn emit(&self, event: impl FnOnce(String, SocketAddr) -> Event) {
        self.shared
            .emit(event(self.endpoint.to_string(), self.peer));
    }

    /// An accepted connection: handshake (abandoned if the endpoint
    /// closes), then a pipe of its own until either side ends it.
    async fn serve_accepted(self, stream: TcpStream, mut lifecycle: Lifecycle) {
        let mut engine = self.engine(stream);
        let handshake = tokio::select! {
            handshake = engine.handshake() => handshake,
            _ = closing(&mut lifecycle) => return,
        };
        if !self.handshaken(handshake) {
            return;
        }
        let Some(pipe) = self.shared.attach_accepted() else {
            return;
        };
        let end = run_until_closed(&mut engine, pipe, &self.shared, &lifecycle).await;
        self.shared.detach(pipe);
        self.ended(end);
    }

    /// A connect-side connection serving `pipe`; false when its handshake
    /// failed.
    async fn serve_connected(
        &self,
        stream: TcpStream,
        pipe: PipeId,
        lifecycle: &mut Lifecycle,
    ) -> bool {
        let mut engine = self.engine(stream);
        if !self.handshaken(engine.handshake().await) {
            return false;
        }
        let end = run_until_closed(&mut engine, pipe, &self.shared, lifecycle).await;
        self.ended(end);
        true
    }

    fn engine(&self, stream: TcpStream) -> Engine {
        // Small messages must not wait for Nagle; libzmq sets this too.
        let _ = stream.set_nodelay(true);
        let config = self
            .shared
            .options()
            .protocol_config(self.shared.socket_type);
        Engine::new(
            stream,
            Connection::new(config, Instant::now()),
            self.shared.clone(),
        )
    }

    /// Reports the handshake's outcome; true when it succeeded.
    fn handshaken(&self, handshake: Result<PeerInfo, End>) -> bool {
        match handshake {
            Ok(_) => {
                self.emit(|endpoint, peer| Event::HandshakeSucceeded { endpoint, peer });
                true
            }
            Err(end) => {
                let reason = Reason::from(end);
                tracing::info!(endpoint = %self.endpoint, peer = %self.peer, %reason, "handshake failed");
                self.emit(|endpoint, peer| Event::HandshakeFailed {
                    endpoint,
                    peer,
                    reason,
                });
                false
            }
        }
    }

    fn ended(&self, end: End) {
        let reason = Reason::from(end);
        match reason {
            Reason::PeerClosed | Reason::Closed => {
                tracing::debug!(endpoint = %self.endpoint, peer = %self.peer, %reason, "connection ended");
            }
            _ => {
                tracing::info!(endpoint = %self.endpoint, peer = %self.peer, %reason, "connection dropped")
            }
        }
        self.emit(|endpoint, peer| Event::Disconnected {
            endpoint,
            peer,
            reason,
        });
    }
}

/// Runs the engine; when the endpoint is asked to close, tells the pipe to
/// flush within the linger period and lets the engine finish.
async fn run_until_closed(
    engine: &mut Engine,
    pipe: PipeId,
    shared: &Shared,
    lifecycle: &Lifecycle,
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
