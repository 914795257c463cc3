//! [`Monitor`]: a stream of connection events of one socket, saying what
//! happened to each connection and, when one was dropped, why.

use std::io;
use std::time::Duration;

use ferrozmq_proto::ProtocolError;
use tokio::sync::mpsc;

use crate::blocking::block_on;
use crate::peer::PeerAddress;

/// Events a monitor queues before it drops new ones (a monitor nobody
/// reads must not grow without bound; libzmq's monitor socket drops too).
const MONITOR_QUEUE: usize = 1024;

/// Something that happened to one of a socket's endpoints or connections.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A `bind` is listening (`endpoint` is resolved: the real port).
    Listening {
        /// The bound endpoint.
        endpoint: String,
    },
    /// A `bind` failed (the address is in use, say); `bind` returned the
    /// error too.
    BindFailed {
        /// The endpoint given to `bind`.
        endpoint: String,
        /// What the operating system said, or why the endpoint is wrong.
        error: String,
    },
    /// A listener accepted a connection; its handshake starts.
    Accepted {
        /// The bound endpoint.
        endpoint: String,
        /// The peer's address.
        peer: PeerAddress,
    },
    /// A listener failed to accept a connection (out of file descriptors,
    /// say); it tries again after a pause, and, where a handshake has been
    /// straggling, drops that one to free its descriptor.
    AcceptFailed {
        /// The bound endpoint.
        endpoint: String,
        /// What the operating system said.
        error: io::ErrorKind,
    },
    /// A `connect` attempt started and waits for the peer to answer
    /// (libzmq's `ZMQ_EVENT_CONNECT_DELAYED`).
    ConnectDelayed {
        /// The connected endpoint.
        endpoint: String,
    },
    /// A `connect` reached its peer; the handshake starts.
    Connected {
        /// The connected endpoint.
        endpoint: String,
        /// The peer's address.
        peer: PeerAddress,
    },
    /// A `connect` attempt failed, or its connection ended: the next
    /// attempt follows after `delay` (the reconnect interval, backed off
    /// and with jitter).
    ConnectRetried {
        /// The connected endpoint.
        endpoint: String,
        /// The wait before the next attempt.
        delay: Duration,
    },
    /// The ZMTP handshake completed: messages flow.
    HandshakeSucceeded {
        /// The endpoint the connection belongs to.
        endpoint: String,
        /// The peer's address.
        peer: PeerAddress,
    },
    /// The handshake failed; the connection was dropped.
    HandshakeFailed {
        /// The endpoint the connection belongs to.
        endpoint: String,
        /// The peer's address.
        peer: PeerAddress,
        /// Why.
        reason: Reason,
    },
    /// An established connection ended.
    Disconnected {
        /// The endpoint the connection belongs to.
        endpoint: String,
        /// The peer's address.
        peer: PeerAddress,
        /// Why.
        reason: Reason,
    },
    /// A listener closed (`unbind`, or the socket closed).
    Closed {
        /// The endpoint it was bound to.
        endpoint: String,
    },
    /// The socket is gone: this is a monitor's last event.
    MonitorStopped,
}

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// The peer closed the connection.
    #[error("peer closed the connection")]
    PeerClosed,
    /// Our side closed it (socket closed, `unbind` or `disconnect`) after
    /// flushing what was queued.
    #[error("closed")]
    Closed,
    /// Our side closed it, and the linger period ran out before every
    /// queued message was sent.
    #[error("linger period expired with messages unsent")]
    LingerExpired,
    /// Dropped during its handshake to make room: the listener had too
    /// many handshakes in progress, or no file descriptor left, and this
    /// was the oldest.
    #[error("too many handshakes in progress")]
    TooManyHandshakes,
    /// The peer broke the protocol, or timed out.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The operating system reported an error.
    #[error("i/o error: {0}")]
    Io(io::ErrorKind),
}

/// What kind of failure a handshake's [`Reason`] is (libzmq's
/// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`, `_PROTOCOL` and `_NO_DETAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The credentials were refused: by our ZAP handler, or by the peer,
    /// which sent ERROR.
    Authentication,
    /// The peer broke the protocol (a malformed command, a box that did
    /// not open, a mechanism mismatch, a timeout).
    Protocol,
    /// Anything else: the connection failed underneath.
    NoDetail,
}

impl Reason {
    /// Which kind of handshake failure this is.
    pub fn failure(&self) -> Failure {
        match self {
            Self::Protocol(
                ProtocolError::AuthenticationFailed { .. } | ProtocolError::PeerError(_),
            ) => Failure::Authentication,
            Self::Protocol(_) => Failure::Protocol,
            _ => Failure::NoDetail,
        }
    }
}

/// The receiving end of a socket's events, from [`crate::Socket::monitor`]
/// or [`crate::AsyncSocket::monitor`]. Dropping it stops the events.
#[derive(Debug)]
pub struct Monitor {
    events: mpsc::Receiver<Event>,
}

impl Monitor {
    pub(crate) fn new() -> (mpsc::Sender<Event>, Self) {
        let (tx, events) = mpsc::channel(MONITOR_QUEUE);
        (tx, Self { events })
    }

    /// The next event, waiting up to `timeout` (`None`: forever). `None`
    /// when the timeout passed or the socket is gone.
    pub fn recv_timeout(&mut self, timeout: Option<Duration>) -> Option<Event> {
        block_on(self.events.recv(), timeout).flatten()
    }

    /// The next event; `None` once the socket is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        self.events.recv().await
    }
}
