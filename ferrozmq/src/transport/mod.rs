//! Transports: how a connection's bytes get to the peer. A transport only
//! binds, accepts and connects; the session layer (`crate::session`) does
//! the rest (reconnecting, handshakes, linger, monitor events), the same
//! for every transport, and the engine runs over the [`Stream`] it hands
//! over. Patterns never see which transport a pipe came from.

pub(crate) mod inproc;
pub(crate) mod ipc;
pub(crate) mod tcp;
pub(crate) mod ws;

use std::future::Future;
use std::io::{self, IoSlice};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BufMut;

use ferrozmq_proto::Zws;

use crate::endpoint::Endpoint;
use crate::options::Options;
use crate::peer::PeerAddress;

/// A connected byte stream, as the engine drives it: readiness, then
/// non-blocking reads and vectored writes (what tokio's TCP and Unix
/// streams offer).
pub(crate) trait Stream: Send + Sync + Unpin + 'static {
    /// Ready when a read may have bytes (or the end) for us.
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Reads what is there into `buf`'s spare room (0: the end of the
    /// stream); pending, with `cx` to be woken, when nothing is. A read
    /// that drained the kernel's buffer says so to the reactor, so that the
    /// next call waits without a system call that would find nothing.
    fn poll_read_buf<B: BufMut>(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut B,
    ) -> Poll<io::Result<usize>>;

    /// Ready when a write may be taken.
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Writes what the kernel takes now; `WouldBlock` when it takes
    /// nothing.
    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;

    /// Sends on what a write took but the stream still holds (a framing
    /// layer's buffer); ready once nothing is held.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = cx;
        Poll::Ready(Ok(()))
    }

    /// Whether the socket's caller may write to the stream itself
    /// ([`crate::pipe::DirectWrite`]): not where a write may leave bytes
    /// held for [`poll_flush`](Self::poll_flush), which only the engine
    /// calls.
    fn direct_writes(&self) -> bool {
        true
    }

    /// Says goodbye to the peer, if the stream has a way to (a WebSocket
    /// close frame), without waiting.
    fn farewell(&mut self) {}

    /// Applies the socket's options for the kernel's side of a connection,
    /// those the transport has (TCP: all of them).
    fn tune(&self, tuning: &Tuning) {
        let _ = tuning;
    }
}

/// The [`Stream`] methods of a tokio stream type (TCP, Unix): its own
/// readiness, tokio's read (which treats a short read as the kernel's
/// buffer drained), its vectored write.
macro_rules! tokio_stream_methods {
    ($stream:ty) => {
        fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            <$stream>::poll_read_ready(self, cx)
        }

        fn poll_read_buf<B: BufMut>(
            &mut self,
            cx: &mut Context<'_>,
            buf: &mut B,
        ) -> Poll<io::Result<usize>> {
            tokio_util::io::poll_read_buf(std::pin::Pin::new(self), cx, buf)
        }

        fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            <$stream>::poll_write_ready(self, cx)
        }

        fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            <$stream>::try_write_vectored(self, bufs)
        }
    };
}
pub(crate) use tokio_stream_methods;

/// What a connection asks of the kernel (libzmq's `ZMQ_SNDBUF`,
/// `ZMQ_RCVBUF`, `ZMQ_TOS`, `ZMQ_TCP_KEEPALIVE*`); `None` leaves the
/// system's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tuning {
    /// At most about this many bytes written but not yet sent; writes wait
    /// past that.
    pub(crate) unsent_limit: Option<u32>,
    pub(crate) sndbuf: Option<usize>,
    pub(crate) rcvbuf: Option<usize>,
    /// The IP type-of-service byte.
    pub(crate) tos: Option<u32>,
    /// Keepalive on or off.
    pub(crate) keepalive: Option<bool>,
    pub(crate) keepalive_idle: Option<Duration>,
    pub(crate) keepalive_intvl: Option<Duration>,
    pub(crate) keepalive_cnt: Option<u32>,
}

/// How ZMTP starts once a transport has opened its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// With the greeting (tcp, ipc).
    Greeting,
    /// As the WebSocket subprotocol says (ws, wss).
    Zws(Zws),
}

/// A way to reach peers: listen and accept, or connect.
pub(crate) trait Transport: Send + Sync + 'static {
    /// What a connection runs over.
    type Stream: Stream;
    /// A connection as accepted or connected, before the transport's own
    /// opening.
    type Raw: Send + 'static;
    /// A bound listening socket.
    type Listener: Send + Sync + 'static;

    /// Waits for the next connection.
    fn accept(
        listener: &mut Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::Raw, PeerAddress)>> + Send;

    /// Opens a connection to `endpoint`.
    fn connect(
        endpoint: &Endpoint,
    ) -> impl Future<Output = io::Result<(Self::Raw, PeerAddress)>> + Send;

    /// The transport's own opening, before ZMTP's (ws: its HTTP upgrade),
    /// with the socket's `options`; and how ZMTP then starts. It is part
    /// of the handshake: bounded by `handshake_ivl`, abandoned as it is.
    fn open(
        raw: Self::Raw,
        options: &Options,
    ) -> impl Future<Output = io::Result<(Self::Stream, Start)>> + Send;
}
