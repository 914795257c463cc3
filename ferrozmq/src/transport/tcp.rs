//! TCP: bind and accept, connect and reconnect with backoff.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrozmq_proto::{Connection, PeerInfo};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::handshakes::{Handshakes, Shed};
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

/// The pause after an accept error that shed a straggling handshake: long
/// enough for it to close its descriptor. Each such retry sheds a
/// handshake at least a second old, so the loop turns over no faster than
/// stragglers come.
const SHED_BACKOFF: Duration = Duration::from_millis(1);

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
    let mut handshakes = Handshakes::default();
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
                let place = handshakes.admit(Instant::now());
                spawner.spawn(link.serve_accepted(stream, place, lifecycle.clone()));
            }
            Err(e) => {
                // Out of file descriptors, most likely: a straggling
                // handshake gives its own back, and the next accept may
                // use it at once.
                let shed = handshakes.shed_straggler(Instant::now());
                tracing::warn!(%endpoint, error = %e, shed, "accept failed; backing off");
                shared.emit(Event::AcceptFailed {
                    endpoint: endpoint.to_string(),
                    error: e.kind(),
                });
                let backoff = if shed { SHED_BACKOFF } else { ACCEPT_BACKOFF };
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
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
///
/// Once the endpoint closes, connecting goes on only while the pipe holds
/// messages and the linger period lasts: a connect, a handshake or a wait
/// in progress is abandoned as soon as either runs out.
pub(crate) async fn connect_loop(
    endpoint: Endpoint,
    name: Arc<str>,
    pipe: PipeId,
    shared: Arc<Shared>,
    lifecycle: Lifecycle,
) {
    let mut attempt = 0;
    loop {
        let delay = shared.options().reconnect_delay(attempt);
        let connected = tokio::select! {
            biased;
            _ = give_up(lifecycle.clone(), &shared, pipe) => break,
            connected = dial(&endpoint) => connected,
        };
        match connected.and_then(|stream| Ok((stream.peer_addr()?, stream))) {
            Ok((peer, stream)) => {
                let link = Link {
                    shared: shared.clone(),
                    endpoint: name.clone(),
                    peer,
                };
                link.emit(|endpoint, peer| Event::Connected { endpoint, peer });
                match link.serve_connected(stream, pipe, &lifecycle).await {
                    Some(true) => attempt = 0,
                    Some(false) => attempt = attempt.saturating_add(1),
                    None => break,
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
        tokio::select! {
            biased;
            _ = give_up(lifecycle.clone(), &shared, pipe) => break,
            () = tokio::time::sleep(delay) => {}
        }
    }
    shared.detach(pipe);
}

/// Opens a connection to `endpoint`, from its source address if it names
/// one: each of the peer's addresses in the source's family is tried in
/// turn, as `TcpStream::connect` tries them all.
async fn dial(endpoint: &Endpoint) -> io::Result<TcpStream> {
    let Endpoint::Tcp {
        source: Some(source),
        ..
    } = endpoint
    else {
        return TcpStream::connect(endpoint.authority()).await;
    };
    let mut failed = None;
    for peer in tokio::net::lookup_host(endpoint.authority()).await? {
        if peer.is_ipv4() != source.is_ipv4() {
            continue;
        }
        let socket = match peer {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        // As in libzmq: connects to several peers may share a source port.
        socket.set_reuseaddr(true)?;
        socket.bind(*source)?;
        match socket.connect(peer).await {
            Ok(stream) => return Ok(stream),
            Err(e) => failed = Some(e),
        }
    }
    Err(failed.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("{endpoint}: the peer has no address in the source's family"),
        )
    }))
}

/// Resolves when a connect-side endpoint should stop trying, with why: it
/// is closing and its pipe holds nothing to flush, or its linger deadline
/// has passed. (The pipe cannot drain while no connection serves it, so it
/// is looked at only when the endpoint starts closing.)
async fn give_up(mut lifecycle: Lifecycle, shared: &Shared, pipe: PipeId) -> Reason {
    loop {
        let state = *lifecycle.borrow_and_update();
        if let Closing::Linger(deadline) = state {
            if shared.outbound_empty(pipe) {
                return Reason::Closed;
            }
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                // Linger forever: only a connection that flushes ends it.
                None => std::future::pending().await,
            }
            return Reason::LingerExpired;
        }
        if lifecycle.changed().await.is_err() {
            return Reason::Closed;
        }
    }
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
    /// closes, or the listener needs its place), then a pipe of its own
    /// until either side ends it.
    async fn serve_accepted(self, stream: TcpStream, mut place: Shed, mut lifecycle: Lifecycle) {
        let mut engine = self.engine(stream);
        let handshake = tokio::select! {
            biased;
            _ = closing(&mut lifecycle) => {
                self.handshake_failed(Reason::Closed);
                return;
            }
            handshake = engine.handshake() => handshake,
            () = place.shed() => Err(End::Shed),
        };
        drop(place);
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

    /// A connect-side connection serving `pipe`: false when its handshake
    /// failed, `None` when the endpoint gave up during the handshake.
    async fn serve_connected(
        &self,
        stream: TcpStream,
        pipe: PipeId,
        lifecycle: &Lifecycle,
    ) -> Option<bool> {
        let mut engine = self.engine(stream);
        let handshake = tokio::select! {
            handshake = engine.handshake() => handshake,
            reason = give_up(lifecycle.clone(), &self.shared, pipe) => {
                self.handshake_failed(reason);
                return None;
            }
        };
        if !self.handshaken(handshake) {
            return Some(false);
        }
        let end = run_until_closed(&mut engine, pipe, &self.shared, lifecycle).await;
        self.ended(end);
        Some(true)
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
                self.handshake_failed(end.into());
                false
            }
        }
    }

    fn handshake_failed(&self, reason: Reason) {
        tracing::info!(endpoint = %self.endpoint, peer = %self.peer, %reason, "handshake failed");
        self.emit(|endpoint, peer| Event::HandshakeFailed {
            endpoint,
            peer,
            reason,
        });
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
