//! The session layer: what every transport shares. A listener accepts and
//! a connecter connects (and reconnects, with backoff and jitter); each
//! connection runs its handshake (admitted and shed by [`handshakes`]),
//! then gets a pipe (or, made by `connect`, serves the one it has) until
//! either side ends it; linger is honoured on the way out, and every step
//! is a monitor event. The transport only hands over a stream.

pub(crate) mod connect;
mod handshakes;
pub(crate) mod listen;

use std::sync::Arc;
use std::time::Instant;

use ferrozmq_proto::{Connection, PeerInfo, ProtocolError, SocketType, ZapReply, ZapRequest};
use tokio::sync::watch;

use crate::engine::{End, Engine, Step};
use crate::monitor::{Event, Reason};
use crate::peer::PeerAddress;
use crate::pipe::{Closing, EngineEnd};
use crate::socket::shared::SocketShared;
use crate::transport::{Start, Stream, Transport};
use crate::zap;

/// Tells an endpoint's tasks (listener, connecter, connections) to stop.
pub(crate) type Lifecycle = watch::Receiver<Closing>;

/// Resolves once the endpoint is asked to close; returns how.
pub(crate) async fn closing(lifecycle: &mut Lifecycle) -> Closing {
    loop {
        let now = *lifecycle.borrow_and_update();
        if now != Closing::Open {
            return now;
        }
        if lifecycle.changed().await.is_err() {
            return Closing::Linger(Some(Instant::now()));
        }
    }
}

/// One connection of an endpoint: what its events name.
pub(crate) struct Link {
    shared: Arc<SocketShared>,
    endpoint: Arc<str>,
    peer: PeerAddress,
}

impl Link {
    pub(crate) fn new(shared: Arc<SocketShared>, endpoint: Arc<str>, peer: PeerAddress) -> Self {
        Self {
            shared,
            endpoint,
            peer,
        }
    }

    fn emit(&self, event: impl FnOnce(String, PeerAddress) -> Event) {
        self.shared
            .emit(event(self.endpoint.to_string(), self.peer.clone()));
    }

    /// Opens a new connection as its transport does, and makes its
    /// engine, with the socket's options now; its ZMTP handshake is next.
    /// The opening counts against `handshake_ivl`, as the handshake does.
    async fn open<T: Transport>(&self, raw: T::Raw) -> Result<Engine<T::Stream>, End> {
        let options = self.shared.options();
        let opening = T::open(raw, &options);
        let (stream, start) = match options.handshake_ivl.filter(|t| !t.is_zero()) {
            Some(limit) => tokio::time::timeout(limit, opening)
                .await
                .map_err(|_| ProtocolError::HandshakeTimeout)??,
            None => opening.await?,
        };
        stream.tune(&options.tuning());
        let socket_type = self.shared.socket_type;
        let mut config = options.protocol_config(socket_type);
        let handler = self
            .shared
            .ctx
            .upgrade()
            .is_some_and(|ctx| ctx.inproc.is_bound(zap::HANDLER));
        config.zap = options.zap(handler)?;
        let now = Instant::now();
        let connection = match start {
            Start::Greeting if socket_type == SocketType::Stream => Connection::raw(config, now),
            Start::Greeting => Connection::new(config, now),
            Start::Zws(zws) => Connection::zws(config, zws, now),
        };
        Ok(Engine::new(stream, connection))
    }

    /// Opens the connection and runs its handshake, asking the ZAP
    /// handler when the mechanism waits for it.
    async fn handshake<T: Transport>(
        &self,
        raw: T::Raw,
    ) -> Result<(Engine<T::Stream>, PeerInfo), End> {
        let mut engine = self.open::<T>(raw).await?;
        loop {
            match engine.handshake().await? {
                Step::Ready(peer) => return Ok((engine, peer)),
                Step::Zap(request) => {
                    let reply = self.ask_zap(&request).await?;
                    engine.zap_reply(reply)?;
                }
            }
        }
    }

    /// The ZAP handler's answer about this connection's peer.
    async fn ask_zap(&self, request: &ZapRequest) -> Result<ZapReply, End> {
        let no_handler = ProtocolError::AuthenticationFailed { status_code: 500 };
        let ctx = self.shared.ctx.upgrade().ok_or(no_handler)?;
        let options = self.shared.options();
        let address = self.peer.property();
        let asking = zap::Asking {
            domain: &options.zap_domain,
            address: address.as_bytes(),
            identity: &options.routing_id,
            within: options.handshake_ivl.filter(|t| !t.is_zero()),
        };
        Ok(zap::ask(&ctx, request, asking).await?)
    }

    /// The peer when the handshake succeeded; a failure is reported. The
    /// success is reported by [`succeeded`](Self::succeeded), once the
    /// socket has been told of the pipe: a monitor that sees it knows the
    /// socket's next call routes to the peer.
    fn handshaken<T>(&self, handshake: Result<T, End>) -> Option<T> {
        handshake
            .map_err(|end| self.handshake_failed(end.into()))
            .ok()
    }

    fn succeeded(&self) {
        self.emit(|endpoint, peer| Event::HandshakeSucceeded { endpoint, peer });
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

/// Runs the engine; when the endpoint is asked to close, tells the engine
/// to flush within the linger period and lets it finish.
async fn run_until_closed<S: Stream>(
    engine: &mut Engine<S>,
    end: &EngineEnd,
    lifecycle: &Lifecycle,
) -> End {
    let mut watch = lifecycle.clone();
    let run = engine.run(end);
    tokio::pin!(run);
    tokio::select! {
        end = &mut run => end,
        how = closing(&mut watch) => {
            end.outbound.close_producer(how);
            run.await
        }
    }
}
