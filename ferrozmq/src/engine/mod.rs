//! The engine: one task per connection, between a byte stream and a pipe.
//!
//! Reader: read big chunks, decode as many messages as the pipe has room
//! for and push them in one go; while the pipe is full, leave the rest
//! undecoded and stop reading (that is back-pressure, not a drop).
//! Writer: take a bounded batch of queued messages, encode them into one
//! buffer (large frames by reference), write it with one vectored syscall;
//! a message counts against the pipe's high-water mark until its bytes are
//! written. Both halves run in one `poll`, so the protocol state machine
//! needs no lock, and neither touches the socket's routing state.

mod read_buffer;
mod wire;

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::BufMut;
use ferrozmq_proto::{Connection, Event, PeerInfo, ProtocolError, ZapReply, ZapRequest};
use tokio::time::Sleep;

use crate::pipe::{Batch, Closing, EngineEnd, Item};
use crate::transport::Stream;
use read_buffer::{MIN_READ, READ_CHUNK, ReadBuffer};
use wire::{Io, Wire};

/// Stop taking messages from the pipe while this much is still unwritten.
const WRITE_HIGH: usize = 256 * 1024;
/// Slices per vectored write.
const MAX_SLICES: usize = 64;
/// Rounds of work per poll before giving the runtime a turn.
const BUDGET: usize = 32;

/// How long a connection reads nothing before its read buffer goes back.
const RELEASE_AFTER: Duration = Duration::from_millis(100);

/// Where a handshake stopped.
#[derive(Debug)]
pub(crate) enum Step {
    /// Done: the peer's READY.
    Ready(PeerInfo),
    /// Waiting for the ZAP handler's answer to this.
    Zap(ZapRequest),
}

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

/// One connection's I/O state.
pub(crate) struct Engine<S> {
    /// The stream and the protocol state: shared, so that a caller may
    /// write to the connection directly ([`Wire`]).
    wire: Arc<Wire<S>>,
    read_buf: ReadBuffer,
    /// What was taken from the pipe, being encoded.
    batch: Batch,
    /// Where in the output each batch of taken items ends, and how many
    /// items it holds: they are released from the pipe's count once
    /// written.
    in_flight: VecDeque<(u64, usize)>,
    timer: Pin<Box<Sleep>>,
    timer_deadline: Option<Instant>,
    /// When the read buffer goes back unless something is read by then.
    release_at: Option<Instant>,
    /// A read since `release_at` was set.
    read_since: bool,
    closing: Closing,
    /// The last take found the pipe empty.
    drained: bool,
    /// Bytes were read that may hold whole frames not yet decoded.
    backlog: bool,
    /// The pipe had no room at the last look: we are not reading.
    blocked: bool,
    /// What the last messages decoded weighed on the wire, on average.
    message_bytes: usize,
    eof: bool,
}

impl<S: Stream> Engine<S> {
    pub(crate) fn new(stream: S, conn: Connection) -> Self {
        Self {
            wire: Arc::new(Wire::new(stream, conn)),
            read_buf: ReadBuffer::default(),
            batch: Batch::default(),
            in_flight: VecDeque::new(),
            timer: Box::pin(tokio::time::sleep(Duration::from_secs(3600))),
            timer_deadline: None,
            release_at: None,
            read_since: false,
            closing: Closing::Open,
            drained: true,
            backlog: false,
            blocked: false,
            message_bytes: 1,
            eof: false,
        }
    }

    /// Runs the greeting and handshake until it completes (the peer's
    /// READY) or waits for a ZAP answer ([`Engine::zap_reply`]).
    pub(crate) async fn handshake(&mut self) -> Result<Step, End> {
        let result = poll_fn(|cx| {
            let wire = self.wire.clone();
            let mut io = wire.io();
            self.poll_handshake(&mut io, cx)
        })
        .await;
        if result.is_err() {
            self.wire.io().flush_best_effort();
        }
        result
    }

    fn poll_handshake(
        &mut self,
        io: &mut Io<'_, S>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Step, End>> {
        loop {
            let mut progress = io.poll_write(cx)?;
            if !self.backlog && !self.eof {
                progress |= self.poll_read(io, cx, READ_CHUNK)?;
            }
            if self.backlog {
                // Up to READY: messages that follow it in the same read
                // wait, undecoded, for the pipe.
                self.backlog = false;
                let result = io
                    .conn
                    .handle_input_upto(self.read_buf.pending(), Instant::now(), 0);
                self.read_buf.after_decode(io.conn.read_hint());
                result.map(drop)?;
            }
            // Before READY the connection gives no message.
            while let Some(event) = io.conn.poll_event() {
                match event {
                    Event::Ready(peer) => {
                        // What followed READY in its read is decoded by `run`.
                        self.backlog = true;
                        return Poll::Ready(Ok(Step::Ready(*peer)));
                    }
                    Event::ZapRequest(request) => return Poll::Ready(Ok(Step::Zap(request))),
                    _ => {}
                }
            }
            if self.eof {
                return Poll::Ready(Err(End::Eof));
            }
            progress |= self.poll_timer(io, cx)?;
            if !progress {
                return Poll::Pending;
            }
        }
    }

    /// The ZAP handler's answer to the handshake's request; a refusal ends
    /// the connection, after one try at sending the peer its ERROR.
    pub(crate) fn zap_reply(&mut self, reply: ZapReply) -> Result<(), End> {
        let mut io = self.wire.io();
        let result = io.conn.handle_zap_reply(reply, Instant::now());
        if result.is_err() {
            io.flush_best_effort();
        }
        result.map_err(End::from)
    }

    /// Moves messages between the connection and its pipe until it ends.
    /// What it took from the pipe and did not write is released (lost with
    /// the connection); what is still queued stays for the next one.
    pub(crate) async fn run(&mut self, end: &EngineEnd) -> End {
        if !self.wire.io().conn.sends_plain_frames() {
            end.outbound.stop_encoding_ahead();
        }
        if self.wire.io().stream.direct_writes() {
            end.outbound.set_direct(Some(self.wire.clone()));
        }
        let result = poll_fn(|cx| {
            let wire = self.wire.clone();
            let mut io = wire.io();
            wire.set_waker(cx.waker());
            match self.poll_rounds(&mut io, end, cx) {
                Poll::Ready(Err(end)) => Poll::Ready(end),
                Poll::Ready(Ok(())) => unreachable!("the rounds end only with the connection"),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        end.outbound.set_direct(None);
        self.wire.io().flush_best_effort();
        let unwritten = self.in_flight.drain(..).map(|(_, n)| n).sum();
        end.outbound.release(unwritten);
        result
    }

    fn poll_rounds(
        &mut self,
        io: &mut Io<'_, S>,
        end: &EngineEnd,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), End>> {
        for _ in 0..BUDGET {
            let mut progress = self.fill(io, end, cx);
            progress |= io.poll_write(cx)?;
            progress |= self.release_written(io, end);
            if let Some(why) = self.finished(io) {
                return Poll::Ready(Err(why));
            }
            progress |= self.deliver(io, end, cx)?;
            if !self.backlog && !self.eof {
                let room = end.inbound.room(cx.waker());
                self.blocked = room == 0;
                if !self.blocked {
                    progress |= self.poll_read(io, cx, self.read_budget(room))?;
                }
            }
            progress |= self.poll_timer(io, cx)?;
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Takes queued items from the pipe, as many as fit under
    /// [`WRITE_HIGH`] unwritten bytes, and encodes them. With no room it
    /// still asks, so that a close (and its linger deadline) is seen while
    /// a peer that stopped reading holds the output back.
    fn fill(&mut self, io: &mut Io<'_, S>, end: &EngineEnd, cx: &mut Context<'_>) -> bool {
        let conn = &mut io.conn;
        let room = WRITE_HIGH.saturating_sub(conn.out().len());
        let taken = end.outbound.take(&mut self.batch, room, cx.waker());
        self.closing = taken.closing;
        self.drained = taken.drained;
        if taken.items == 0 {
            return false;
        }
        if conn.sends_plain_frames() {
            conn.out().append(&mut self.batch.wire);
        } else if !self.batch.wire.is_empty() {
            // Encoded ahead as plain frames before this connection said it
            // boxes them (its security was set after the `connect`): they
            // are read back into messages, never written as they are.
            for msg in plain_messages(std::mem::take(&mut self.batch.wire)) {
                conn.send_message(&msg);
            }
        }
        for item in self.batch.items.drain(..) {
            match item {
                Item::Message(msg) => conn.send_message(&msg),
                Item::Subscribe(topic) => conn.send_subscribe(&topic),
                Item::Cancel(topic) => conn.send_cancel(&topic),
                // A pipe carries no handshake event.
                _ => {}
            }
        }
        let written_by = conn.out().end();
        self.in_flight.push_back((written_by, taken.items));
        true
    }

    /// Gives the pipe back the room of the batches now written.
    fn release_written(&mut self, io: &mut Io<'_, S>, end: &EngineEnd) -> bool {
        let written = io.conn.out().written();
        let mut released = 0;
        while let Some(&(by, n)) = self.in_flight.front() {
            if by > written {
                break;
            }
            released += n;
            self.in_flight.pop_front();
        }
        end.outbound.release(released);
        released > 0
    }

    /// After a close was asked for: done once everything queued is
    /// written; and done when the peer has gone and all it sent is in.
    fn finished(&mut self, io: &mut Io<'_, S>) -> Option<End> {
        if self.eof && !self.backlog {
            return Some(End::Eof);
        }
        let Closing::Linger(deadline) = self.closing else {
            return None;
        };
        if self.drained && self.in_flight.is_empty() && io.conn.out().is_empty() && !io.held {
            return Some(End::Flushed);
        }
        match deadline {
            Some(deadline) if Instant::now() >= deadline => Some(End::LingerExpired),
            _ => None,
        }
    }

    /// Decodes what was read, as many messages as the pipe has room for,
    /// and hands them over.
    fn deliver(
        &mut self,
        io: &mut Io<'_, S>,
        end: &EngineEnd,
        cx: &mut Context<'_>,
    ) -> Result<bool, End> {
        if !self.backlog {
            return Ok(false);
        }
        let room = end.inbound.room(cx.waker());
        self.blocked = room == 0;
        if self.blocked {
            return Ok(false);
        }
        let pending = self.read_buf.pending();
        let before = pending.len();
        let result = io.conn.handle_input_upto(pending, Instant::now(), room);
        let consumed = before - self.read_buf.pending().len();
        self.read_buf.after_decode(io.conn.read_hint());
        let messages = result?;
        if let Some(average) = consumed.checked_div(messages) {
            self.message_bytes = average.max(1);
        }
        self.backlog = messages == room;
        let conn = &mut io.conn;
        end.inbound.push_with(|items| conn.take_events(items));
        Ok(true)
    }

    /// How much to read when the pipe has room for `room` messages: no
    /// more than they are likely to weigh (at least [`MIN_READ`]), so that
    /// what waits undecoded while the pipe is full stays small.
    fn read_budget(&self, room: usize) -> usize {
        room.saturating_mul(self.message_bytes)
            .clamp(MIN_READ, READ_CHUNK)
    }

    /// Reads at most `budget` bytes (more if the frame being received
    /// needs them). An idle connection may give its read buffer back.
    fn poll_read(
        &mut self,
        io: &mut Io<'_, S>,
        cx: &mut Context<'_>,
        budget: usize,
    ) -> Result<bool, End> {
        match io.stream.poll_read_ready(cx) {
            Poll::Ready(ready) => ready?,
            Poll::Pending => {
                if self.release_at.is_none() && self.read_buf.holds() {
                    self.release_at = Some(Instant::now() + RELEASE_AFTER);
                    self.read_since = false;
                }
                return Ok(false);
            }
        }
        let frame_needs = io.conn.read_hint();
        let target = self.read_buf.for_read(frame_needs);
        let budget = budget.max(frame_needs);
        match io.stream.poll_read_buf(cx, &mut target.limit(budget)) {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                Ok(true)
            }
            Poll::Ready(Ok(_)) => {
                self.read_buf.after_read();
                self.read_since = true;
                self.backlog = true;
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(e.into()),
            Poll::Pending => Ok(false),
        }
    }

    /// Fires the connection's timers (handshake, heartbeats), the linger
    /// deadline and the read buffer's release.
    fn poll_timer(&mut self, io: &mut Io<'_, S>, cx: &mut Context<'_>) -> Result<bool, End> {
        let linger = match self.closing {
            Closing::Linger(deadline) => deadline,
            Closing::Open => None,
        };
        let deadline = [io.conn.poll_timeout(), linger, self.release_at]
            .into_iter()
            .flatten()
            .min();
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
        if self.blocked && io.stream.poll_read_ready(cx).is_ready() {
            // We stopped reading, not the peer writing: its bytes wait.
            io.conn.handle_unread_input();
        }
        let now = Instant::now();
        if self.release_at.is_some_and(|at| at <= now) {
            self.release_at = None;
            if !std::mem::take(&mut self.read_since) {
                self.read_buf.release_if_empty();
            }
        }
        io.conn.handle_timeout(now)?;
        Ok(true)
    }
}

/// The messages in `wire`, plain ZMTP frames the socket encoded ahead.
fn plain_messages(mut wire: ferrozmq_proto::OutBuffer) -> Vec<crate::Message> {
    let mut bytes = bytes::BytesMut::with_capacity(wire.len());
    while !wire.is_empty() {
        let taken = {
            let mut slices = [io::IoSlice::new(&[]); MAX_SLICES];
            let n = wire.io_slices(&mut slices);
            slices[..n].iter().fold(0, |taken, slice| {
                bytes.extend_from_slice(slice);
                taken + slice.len()
            })
        };
        wire.advance(taken);
    }
    let mut messages = Vec::new();
    let mut parts = Vec::new();
    while let Ok(Some(frame)) = ferrozmq_proto::FrameDecoder.decode(&mut bytes, u64::MAX) {
        let more = frame.flags.more();
        parts.push(frame.body);
        if !more {
            messages.push(crate::Message::from(std::mem::take(&mut parts)));
        }
    }
    messages
}
