//! [`Link`]: a WebSocket connection's bytes below the framing, plain TCP
//! or TLS over it, as blocking-style `Read` and `Write` that never block
//! (a would-be wait is `WouldBlock`); [`Link::poll`] turns that into a
//! task's wait on the socket's readiness. The framing (tungstenite) and
//! TLS (rustls) are both driven through it, so neither owns the socket.

use std::io::{self, Read, Write};
use std::task::{Context, Poll};

use rustls::{ClientConnection, ServerConnection, StreamOwned};
use tokio::net::TcpStream;

/// A TCP stream as a non-blocking `Read` and `Write`.
#[derive(Debug)]
pub(super) struct Tcp(pub(super) TcpStream);

impl Read for Tcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl Write for Tcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The bytes under the framing.
#[derive(Debug)]
pub(super) enum Link {
    Plain(Tcp),
    /// `wss://`, our side the server.
    Server(Box<StreamOwned<ServerConnection, Tcp>>),
    /// `wss://`, our side the client.
    Client(Box<StreamOwned<ClientConnection, Tcp>>),
}

/// Which way an operation that would block was going.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Way {
    Read,
    Write,
}

impl Link {
    pub(super) fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(tcp) => &tcp.0,
            Self::Server(tls) => &tls.sock.0,
            Self::Client(tls) => &tls.sock.0,
        }
    }

    /// TLS has records of its own to send (a handshake's, say) before
    /// anything else moves.
    fn tls_wants_write(&self) -> bool {
        match self {
            Self::Plain(_) => false,
            Self::Server(tls) => tls.conn.wants_write(),
            Self::Client(tls) => tls.conn.wants_write(),
        }
    }

    /// Runs `op` until it does not find the socket busy; when it does, the
    /// task waits for the readiness `way` needs (TLS may need to write to
    /// read).
    pub(super) fn poll<T>(
        &mut self,
        cx: &mut Context<'_>,
        way: Way,
        mut op: impl FnMut(&mut Self) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        loop {
            match op(self) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                done => return Poll::Ready(done),
            }
            let writes = way == Way::Write || self.tls_wants_write();
            let tcp = self.tcp();
            let mut ready = false;
            if way == Way::Read {
                ready |= tcp.poll_read_ready(cx)?.is_ready();
            }
            if writes {
                ready |= tcp.poll_write_ready(cx)?.is_ready();
            }
            if !ready {
                return Poll::Pending;
            }
        }
    }

    /// Tells a TLS peer the stream ends here (its close_notify), without
    /// waiting.
    pub(super) fn close_notify(&mut self) {
        let sent = match self {
            Self::Plain(_) => return,
            Self::Server(tls) => {
                tls.conn.send_close_notify();
                tls.conn.write_tls(&mut tls.sock)
            }
            Self::Client(tls) => {
                tls.conn.send_close_notify();
                tls.conn.write_tls(&mut tls.sock)
            }
        };
        let _unsent_is_fine_at_the_end = sent;
    }
}

impl Read for Link {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(tcp) => tcp.read(buf),
            Self::Server(tls) => tls.read(buf),
            Self::Client(tls) => tls.read(buf),
        }
    }
}

impl Write for Link {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(tcp) => tcp.write(buf),
            Self::Server(tls) => tls.write(buf),
            Self::Client(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(tcp) => tcp.flush(),
            Self::Server(tls) => tls.flush(),
            Self::Client(tls) => tls.flush(),
        }
    }
}
