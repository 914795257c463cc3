//! The engine: one task per connection, between a byte stream and a pipe.
//!
//! Reader: read big chunks, decode every frame in them, push whole messages
//! into the pipe; stop reading while the pipe is full (that is
//! back-pressure, not a drop). Writer: take the queued messages (as many
//! as fit in a bounded batch; the rest wait in the pipe, where they survive
//! the loss of this connection), encode them into one buffer (large frames
//! by reference), write it with one vectored syscall. Both halves run in one
//! `poll` so that the protocol state machine needs no lock.

mod read_buffer;

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use ferrozmq_proto::{Connection, Event, PeerInfo, ProtocolError};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use crate::Message;
use crate::pipe::{Closing, PipeId};
use crate::socket::shared::Shared;
use read_buffer::ReadBuffer;

/// Stop taking messages from the pipe while this much is still unwritten.
const WRITE_HIGH: usize = 256 * 1024;
/// Slices per vectored write.
const MAX_SLICES: usize = 64;
/// Rounds of work per poll before giving the runtime a turn.
const BUDGET: usize = 32;

/// Why a connection ended.
#[derive(Debug, thiserror::Error)]
pub(crate) enum End {
    #[error("peer closed the connection")]
    Eof,
    #[error("closed after flushing")]
    Flushed,
    #[error("linger period expired with messages unsent")]
    LingerExpired,
    #[error("too many handshakes in progress")]
    Shed,
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

impl From<End> for crate::monitor::Reason {
    fn from(end: End) -> Self {
        match end {
            End::Eof => Self::PeerClosed,
            End::Flushed => Self::Closed,
            End::LingerExpired => Self::LingerExpired,
            End::Shed => Self::TooManyHandshakes,
            End::Protocol(e) => Self::Protocol(e),
            End::Io(e) => Self::Io(e.kind()),
        }
    }
}

/// What one step of the engine produced.
enum Step {
    /// The handshake completed: the caller attaches a pipe.
    Ready(PeerInfo),
    /// The connection is over.
    End(End),
}

/// One connection's I/O state.
pub(crate) struct Engine {
    stream: TcpStream,
    conn: Connection,
    shared: Arc<Shared>,
    pipe: Option<PipeId>,
    read_buf: ReadBuffer,
    /// Decoded messages not yet taken by the pipe (it was full).
    inbound: VecDeque<Message>,
    /// Messages taken from the pipe, to encode.
    outbound: VecDeque<Message>,
    timer: Pin<Box<Sleep>>,
    timer_deadline: Option<Instant>,
    closing: Closing,
    /// The last pull found the pipe empty.
    pipe_drained: bool,
    eof: bool,
}

impl Engine {
    pub(crate) fn new(stream: TcpStream, conn: Connection, shared: Arc<Shared>) -> Self {
        Self {
            stream,
            conn,
            shared,
            pipe: None,
            read_buf: ReadBuffer::new(),
            inbound: VecDeque::new(),
            outbound: VecDeque::new(),
            timer: Box::pin(tokio::time::sleep(std::time::Duration::from_secs(3600))),
            timer_deadline: None,
            closing: Closing::Open,
            pipe_drained: false,
            eof: false,
        }
    }

    /// Runs the greeting and handshake; returns the peer's READY.
    pub(crate) async fn handshake(&mut self) -> Result<PeerInfo, End> {
        match poll_fn(|cx| self.poll(cx)).await {
            Step::Ready(peer) => Ok(peer),
            Step::End(end) => Err(end),
        }
    }

    /// Moves messages between the connection and `pipe` until it ends.
    pub(crate) async fn run(&mut self, pipe: PipeId) -> End {
        self.pipe = Some(pipe);
        loop {
            match poll_fn(|cx| self.poll(cx)).await {
                Step::End(end) => return end,
                // A second READY is a protocol error the state machine
                // reports itself; it never reaches here.
                Step::Ready(_) => continue,
            }
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Step> {
        match self.poll_inner(cx) {
            Poll::Ready(Err(end)) => {
                self.flush_best_effort();
                Poll::Ready(Step::End(end))
            }
            Poll::Ready(Ok(peer)) => Poll::Ready(Step::Ready(peer)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<PeerInfo, End>> {
        for _ in 0..BUDGET {
            let mut progress = self.pull_outbound(cx);
            progress |= self.poll_write(cx)?;
            if let Some(end) = self.finished() {
                return Poll::Ready(Err(end));
            }
            progress |= self.push_inbound(cx);
            progress |= self.poll_read(cx)?;
            if let Some(peer) = self.drain_events() {
                return Poll::Ready(Ok(peer));
            }
            progress |= self.poll_timer(cx)?;
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Takes queued messages from the pipe, as many as fit under
    /// [`WRITE_HIGH`] unwritten bytes, and encodes them. Even when there is
    /// no room it asks the pipe, so that a close (and its linger deadline)
    /// is seen while a peer that stopped reading holds the output back.
    fn pull_outbound(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(pipe) = self.pipe else {
            return false;
        };
        let room = WRITE_HIGH.saturating_sub(self.conn.out().len());
        let pulled = self
            .shared
            .pull_outbound(pipe, &mut self.outbound, room, cx.waker());
        self.closing = pulled.closing;
        self.pipe_drained = pulled.drained;
        if self.outbound.is_empty() {
            return false;
        }
        for msg in self.outbound.drain(..) {
            self.conn.send_message(&msg);
        }
        true
    }

    /// Writes what the connection queued, in as few syscalls as it takes.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<bool, End> {
        let mut progress = false;
        while !self.conn.out().is_empty() {
            if self.stream.poll_write_ready(cx).is_pending() {
                break;
            }
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let n = self.conn.out().io_slices(&mut slices);
            match self.stream.try_write_vectored(&slices[..n]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(written) => {
                    self.conn.out().advance(written);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(progress)
    }

    /// After a close was asked for: done once everything queued is written.
    fn finished(&mut self) -> Option<End> {
        if self.eof && self.inbound.is_empty() {
            return Some(End::Eof);
        }
        let Closing::Linger(deadline) = self.closing else {
            return None;
        };
        if self.pipe_drained && self.outbound.is_empty() && self.conn.out().is_empty() {
            return Some(End::Flushed);
        }
        match deadline {
            Some(deadline) if Instant::now() >= deadline => Some(End::LingerExpired),
            _ => None,
        }
    }

    /// Hands decoded messages to the pipe, as many as it takes.
    fn push_inbound(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(pipe) = self.pipe else {
            return false;
        };
        if self.inbound.is_empty() {
            return false;
        }
        if self.closing != Closing::Open {
            self.inbound.clear();
            return true;
        }
        self.shared
            .push_inbound(pipe, &mut self.inbound, cx.waker())
    }

    /// Reads one chunk and decodes it, unless decoded messages still wait
    /// for room in the pipe.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Result<bool, End> {
        if !self.inbound.is_empty() || self.eof {
            return Ok(false);
        }
        if let Poll::Ready(ready) = self.stream.poll_read_ready(cx) {
            ready?;
        } else {
            return Ok(false);
        }
        self.read_buf.reserve_for(self.conn.read_hint());
        match self.stream.try_read_buf(&mut *self.read_buf) {
            Ok(0) => {
                self.eof = true;
                Ok(true)
            }
            Ok(_) => {
                let conn = &mut self.conn;
                self.read_buf.decode(|buf| {
                    conn.handle_input(buf, Instant::now())?;
                    Ok::<_, ProtocolError>(conn.read_hint())
                })?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(true),
            Err(e) => Err(e.into()),
        }
    }

    /// Moves the connection's events out; returns the peer's READY.
    fn drain_events(&mut self) -> Option<PeerInfo> {
        let mut ready = None;
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Message(msg) => self.inbound.push_back(msg),
                Event::Ready(peer) => ready = Some(peer),
                // Subscriptions matter to PUB sockets, which come later.
                _ => {}
            }
        }
        ready
    }

    /// Fires the connection's timers (handshake, heartbeats) and the
    /// linger deadline.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Result<bool, End> {
        let linger = match self.closing {
            Closing::Linger(deadline) => deadline,
            Closing::Open => None,
        };
        let deadline = match (self.conn.poll_timeout(), linger) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(deadline) = deadline else {
            return Ok(false);
        };
        if self.timer_deadline != Some(deadline) {
            self.timer_deadline = Some(deadline);
            self.timer.as_mut().reset(deadline.into());
        }
        if self.timer.as_mut().poll(cx).is_pending() {
            return Ok(false);
        }
        self.timer_deadline = None;
        self.conn.handle_timeout(Instant::now())?;
        Ok(true)
    }

    /// After an error, one try at writing what is queued (an ERROR command
    /// tells the peer why).
    fn flush_best_effort(&mut self) {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let n = self.conn.out().io_slices(&mut slices);
        if n > 0 {
            let _ = self.stream.try_write_vectored(&slices[..n]);
        }
    }
}
