//! [`WsStream`]: a WebSocket connection as the engine's byte stream. The
//! engine reads and writes ZMTP frames as it does over TCP; this turns
//! each frame into one binary WebSocket message and back (RFC 45: the
//! message's first byte is the frame's flags, 0x01 more, 0x02 command,
//! then its body). ZMTP's PING and PONG commands go as WebSocket pings
//! and pongs, as libzmq's ws engine sends and answers them. The framing
//! itself (masking, fragments, control frames, the close handshake) is
//! tungstenite's.

use std::io::{self, IoSlice};
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use ferrozmq_proto::FrameFlags;
use tungstenite::Message;
use tungstenite::error::Error as WsError;
use tungstenite::protocol::{Role, WebSocketConfig, WebSocketContext};

use super::io::{Link, Way};
use crate::transport::{Stream, Tuning};

/// ZWS flag bits.
const MORE: u8 = 0x01;
const COMMAND: u8 = 0x02;

/// Stop decoding received messages while this many bytes wait for the
/// engine (one message may go past it).
const READ_AHEAD: usize = 64 * 1024;
/// Refuse the engine's writes while this many bytes wait for the socket.
const WRITE_AHEAD: usize = 256 * 1024;
/// The read buffer tungstenite allocates per connection.
const READ_BUFFER: usize = 16 * 1024;
/// Messages are gathered up to this much before a write (the engine
/// flushes after each batch).
const WRITE_BATCH: usize = 64 * 1024;

/// The largest message a ws connection takes when the socket sets no
/// `max_msg_size`: tungstenite allocates a frame's declared size before
/// its bytes arrive, so some bound is needed; `max_msg_size` sets it.
pub(crate) const DEFAULT_MAX_FRAME: usize = 64 * 1024 * 1024;

/// An open WebSocket carrying ZMTP frames.
#[derive(Debug)]
pub(crate) struct WsStream {
    link: Link,
    ws: WebSocketContext,
    /// ZMTP frames decoded from received messages, for the engine.
    incoming: BytesMut,
    /// The engine's bytes not yet a whole ZMTP frame.
    outgoing: BytesMut,
    /// Bytes given to tungstenite since its last complete flush.
    unflushed: usize,
    /// The peer closed, or the connection failed: reads end.
    ended: Option<io::Error>,
    eof: bool,
}

impl WsStream {
    /// A connection whose upgrade completed; `early` holds what the peer
    /// sent after its head, `max_frame` the largest frame body taken.
    pub(super) fn new(link: Link, role: Role, early: Vec<u8>, max_frame: usize) -> Self {
        let mut config = WebSocketConfig::default();
        config.read_buffer_size = READ_BUFFER;
        config.write_buffer_size = WRITE_BATCH;
        config.max_frame_size = Some(max_frame);
        config.max_message_size = Some(max_frame);
        Self {
            link,
            ws: WebSocketContext::from_partially_read(early, role, Some(config)),
            incoming: BytesMut::new(),
            outgoing: BytesMut::new(),
            unflushed: 0,
            ended: None,
            eof: false,
        }
    }

    /// Decodes received messages into `incoming`, until it holds
    /// [`READ_AHEAD`] bytes or nothing more is there (then the task is
    /// woken when something is).
    fn fill(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.eof || self.ended.is_some() {
            return Poll::Ready(());
        }
        while self.incoming.len() < READ_AHEAD {
            let ws = &mut self.ws;
            let read = match self.link.poll(cx, Way::Read, |link| read(ws, link)) {
                Poll::Pending => break,
                Poll::Ready(Ok(read)) => read,
                Poll::Ready(Err(e)) => Err(WsError::Io(e)),
            };
            match read {
                Ok(message) => {
                    if let Err(e) = self.take(message) {
                        self.ended = Some(e);
                        return Poll::Ready(());
                    }
                }
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                    self.eof = true;
                    return Poll::Ready(());
                }
                Err(e) => {
                    self.ended = Some(into_io(e));
                    return Poll::Ready(());
                }
            }
        }
        if self.incoming.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }

    /// One received message, as the ZMTP frame the engine reads.
    fn take(&mut self, message: Message) -> io::Result<()> {
        match message {
            Message::Binary(data) => {
                let (&flags, body) = data.split_first().ok_or_else(|| bad("an empty message"))?;
                if flags & !(MORE | COMMAND) != 0 {
                    return Err(bad("unknown flag bits"));
                }
                let mut zmtp = 0;
                if flags & MORE != 0 {
                    zmtp |= FrameFlags::MORE;
                }
                if flags & COMMAND != 0 {
                    zmtp |= FrameFlags::COMMAND;
                }
                self.push_frame(zmtp, body);
            }
            Message::Pong(context) => {
                let mut body = BytesMut::with_capacity(5 + context.len());
                body.put_slice(b"\x04PONG");
                body.put_slice(&context);
                self.push_frame(FrameFlags::COMMAND, &body);
            }
            // tungstenite answers pings itself; a close ends the reads.
            Message::Ping(_) | Message::Frame(_) => {}
            Message::Close(_) => self.eof = true,
            Message::Text(_) => return Err(bad("a text message")),
        }
        Ok(())
    }

    /// Appends one ZMTP frame to what the engine reads.
    fn push_frame(&mut self, flags: u8, body: &[u8]) {
        let out = &mut self.incoming;
        if body.len() > 255 {
            out.put_u8(flags | FrameFlags::LONG);
            out.put_u64(body.len() as u64);
        } else {
            out.put_u8(flags);
            out.put_u8(body.len() as u8);
        }
        out.put_slice(body);
    }

    /// Sends each whole ZMTP frame of `outgoing` as its WebSocket message.
    fn send_frames(&mut self) -> io::Result<()> {
        while let Some((flags, len, header)) = frame_at(&self.outgoing) {
            self.outgoing.advance(header);
            let body = self.outgoing.split_to(len).freeze();
            let message = message_for(flags, body);
            self.unflushed += len + 1;
            match self.ws.write(&mut self.link, message) {
                Ok(()) => {}
                // Queued: it goes with the next flush.
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(into_io(e)),
            }
        }
        Ok(())
    }

    fn poll_flush_ws(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let ws = &mut self.ws;
        match self
            .link
            .poll(cx, Way::Write, |link| ws.flush(link).map_err(into_io))
        {
            Poll::Ready(Ok(())) => {
                self.unflushed = 0;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

/// One message, as a non-blocking read: `WouldBlock` comes back as the io
/// error [`Link::poll`] waits on, any other outcome inside.
fn read(ws: &mut WebSocketContext, link: &mut Link) -> io::Result<Result<Message, WsError>> {
    match ws.read(link) {
        Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Err(e),
        other => Ok(other),
    }
}

/// The ZMTP frame at the front of `buf`, if whole: its flags, body length
/// and header length.
fn frame_at(buf: &[u8]) -> Option<(u8, usize, usize)> {
    let (&flags, rest) = buf.split_first()?;
    let (len, header) = if flags & FrameFlags::LONG != 0 {
        let size: [u8; 8] = rest.get(..8)?.try_into().ok()?;
        (usize::try_from(u64::from_be_bytes(size)).ok()?, 9)
    } else {
        (usize::from(*rest.first()?), 2)
    };
    (buf.len() - header >= len).then_some((flags, len, header))
}

/// The WebSocket message for one ZMTP frame of ours.
fn message_for(flags: u8, body: Bytes) -> Message {
    let command = flags & FrameFlags::COMMAND != 0;
    if command {
        if let Some(ping) = body.strip_prefix(b"\x04PING") {
            // Its TTL has no place in a WebSocket ping.
            return Message::Ping(Bytes::copy_from_slice(ping.get(2..).unwrap_or_default()));
        }
        if let Some(context) = body.strip_prefix(b"\x04PONG") {
            return Message::Pong(Bytes::copy_from_slice(context));
        }
    }
    let mut zws = 0;
    if flags & FrameFlags::MORE != 0 {
        zws |= MORE;
    }
    if command {
        zws |= COMMAND;
    }
    let mut data = BytesMut::with_capacity(1 + body.len());
    data.put_u8(zws);
    data.put_slice(&body);
    Message::Binary(data.freeze())
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zws: {what}"))
}

fn into_io(e: WsError) -> io::Error {
    match e {
        WsError::Io(e) => e,
        WsError::ConnectionClosed | WsError::AlreadyClosed => io::ErrorKind::BrokenPipe.into(),
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

impl Stream for WsStream {
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.fill(cx).map(Ok)
    }

    fn poll_read_buf<B: BufMut>(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut B,
    ) -> Poll<io::Result<usize>> {
        if self.incoming.is_empty() {
            if self.fill(cx).is_pending() {
                return Poll::Pending;
            }
            if self.incoming.is_empty() {
                return match self.ended.take() {
                    Some(e) => Poll::Ready(Err(e)),
                    None => Poll::Ready(Ok(0)),
                };
            }
        }
        let n = self.incoming.len().min(buf.remaining_mut());
        buf.put_slice(&self.incoming[..n]);
        self.incoming.advance(n);
        Poll::Ready(Ok(n))
    }

    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.unflushed < WRITE_AHEAD {
            return Poll::Ready(Ok(()));
        }
        self.poll_flush_ws(cx)
    }

    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if self.unflushed >= WRITE_AHEAD {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut n = 0;
        for buf in bufs {
            self.outgoing.extend_from_slice(buf);
            n += buf.len();
        }
        self.send_frames()?;
        Ok(n)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_ws(cx)
    }

    fn direct_writes(&self) -> bool {
        false
    }

    fn farewell(&mut self) {
        // A close frame, then TLS's close_notify; nothing is waited for.
        let _ = self.ws.close(&mut self.link, None);
        let _ = self.ws.flush(&mut self.link);
        self.link.close_notify();
    }

    fn tune(&self, tuning: &Tuning) {
        self.link.tcp().tune(tuning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zmtp_frames_are_found_whole() {
        assert_eq!(frame_at(b"\x01\x02ab"), Some((1, 2, 2)));
        assert_eq!(frame_at(b"\x01\x02a"), None);
        let mut long = vec![0x02, 0, 0, 0, 0, 0, 0, 1, 0];
        long.extend(vec![7; 256]);
        assert_eq!(frame_at(&long), Some((2, 256, 9)));
        assert_eq!(frame_at(&long[..100]), None);
        assert_eq!(frame_at(b""), None);
    }

    #[test]
    fn frames_become_messages_as_libzmq_sends_them() {
        let data = |m: Message| match m {
            Message::Binary(b) => b.to_vec(),
            other => panic!("{other:?}"),
        };
        assert_eq!(data(message_for(0, Bytes::from_static(b"hi"))), b"\x00hi");
        assert_eq!(data(message_for(FrameFlags::MORE, Bytes::new())), b"\x01");
        assert_eq!(
            data(message_for(
                FrameFlags::COMMAND,
                Bytes::from_static(b"\x05READY")
            )),
            b"\x02\x05READY"
        );
        assert_eq!(
            message_for(
                FrameFlags::COMMAND,
                Bytes::from_static(b"\x04PING\x00\x0aab")
            ),
            Message::Ping(Bytes::from_static(b"ab"))
        );
        assert_eq!(
            message_for(FrameFlags::COMMAND, Bytes::from_static(b"\x04PONGab")),
            Message::Pong(Bytes::from_static(b"ab"))
        );
        assert!(matches!(
            message_for(0, Bytes::from_static(b"\x04PING")),
            Message::Binary(_)
        ));
    }
}
