//! [`Connection`]: one ZMTP 3.1 connection as a state machine.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::command::{Command, Ping, Pong};
use crate::frame::{ABSOLUTE_LIMIT, FrameDecoder, FrameFlags, encode_frame_header};
use crate::greeting::{GREETING_LEN, Greeting, Mechanism, SIGNATURE};
use crate::{Message, Metadata, ProtocolError, SocketType};

/// Frames before the handshake completes are capped at this size, whatever
/// `max_message_size` says: a peer that has not even said who it is gets
/// no large buffer.
pub(crate) const HANDSHAKE_FRAME_LIMIT: u64 = 64 * 1024;

/// What a connection needs to know about its own side.
#[derive(Clone, Debug)]
pub struct Config {
    /// Our socket type, announced in READY and checked against the peer's.
    pub socket_type: SocketType,
    /// Our routing id, announced as `Identity` when the socket type does so
    /// (REQ, DEALER, ROUTER; also when empty, as libzmq does).
    pub routing_id: Bytes,
    /// Largest message (all frames together) and command accepted; `None`
    /// is unlimited (libzmq's -1). It is checked from each frame's header,
    /// before its body is awaited. An incomplete message may also hold no
    /// more parts than this many, so a flood of empty MORE frames is
    /// bounded too (an empty part costs nothing against the byte count).
    pub max_message_size: Option<u64>,
    /// Time for the greeting and handshake to complete; `None` or zero is
    /// no limit (as libzmq's 0).
    pub handshake_ivl: Option<Duration>,
    /// Send a PING this often once ready; `None` or zero is no heartbeats.
    pub heartbeat_ivl: Option<Duration>,
    /// After a PING, drop the connection if nothing arrives within this;
    /// `None` means `heartbeat_ivl`, zero means never.
    pub heartbeat_timeout: Option<Duration>,
    /// The TTL our PINGs announce; `None` is zero (no TTL). The wire
    /// carries deciseconds in a u16: it is truncated to 0.1 s and capped at
    /// 6553.5 s.
    pub heartbeat_ttl: Option<Duration>,
    /// Extra properties for our READY.
    pub metadata: Metadata,
}

impl Config {
    /// libzmq's defaults for a socket of `socket_type`.
    pub fn new(socket_type: SocketType) -> Self {
        Self {
            socket_type,
            routing_id: Bytes::new(),
            max_message_size: None,
            handshake_ivl: Some(Duration::from_secs(30)),
            heartbeat_ivl: None,
            heartbeat_timeout: None,
            heartbeat_ttl: None,
            metadata: Metadata::new(),
        }
    }
}

/// What the peer said about itself in its READY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket type.
    pub socket_type: SocketType,
    /// The peer's `Identity`, when it sent a non-empty one and our socket
    /// type routes by it (ROUTER). Other types ignore the property, as RFC
    /// 37 says; it is still in `metadata`.
    pub routing_id: Option<Bytes>,
    /// Every property of its READY, including the two above.
    pub metadata: Metadata,
    /// The peer's ZMTP minor version: 0 for a 3.0 peer, 1 for 3.1.
    pub minor_version: u8,
}

/// Something the connection wants its owner to know.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed: messages may flow.
    Ready(PeerInfo),
    /// A whole message arrived.
    Message(Message),
    /// The peer subscribed to a topic prefix (SUBSCRIBE command).
    Subscribe(Bytes),
    /// The peer cancelled a subscription (CANCEL command).
    Cancel(Bytes),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for the peer's 10-byte signature.
    Signature,
    /// Waiting for the rest of the peer's greeting.
    Greeting,
    /// NULL handshake: waiting for the peer's READY.
    Handshake { peer_minor: u8 },
    /// Traffic.
    Ready,
}

/// One ZMTP 3.1 connection with the NULL mechanism: greeting, handshake,
/// framing and heartbeats, with no I/O.
///
/// # How to drive it
///
/// - **Getters**: [`is_ready`](Self::is_ready), [`peer`](Self::peer),
///   [`read_hint`](Self::read_hint).
/// - **Inputs** (`handle_*`): [`handle_input`](Self::handle_input) with the
///   bytes read from the peer; [`handle_timeout`](Self::handle_timeout)
///   once the time from [`poll_timeout`](Self::poll_timeout) has come.
/// - **Mutators**: [`send_message`](Self::send_message) (only once ready),
///   [`send_command`](Self::send_command),
///   [`send_subscribe`](Self::send_subscribe) and
///   [`send_cancel`](Self::send_cancel).
/// - **Outputs** (`poll_*`): after any input or mutator, take every
///   [`poll_event`](Self::poll_event), write out [`out`](Self::out) and
///   re-arm the timer from [`poll_timeout`](Self::poll_timeout).
///
/// [`Connection::new`] already queues our signature: write it at once
/// (libzmq sends its version only after it has seen our signature). An
/// `Err` from an input means the connection is over; [`out`](Self::out)
/// may still hold an ERROR command worth a last write.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    state: State,
    failed: Option<ProtocolError>,
    decoder: FrameDecoder,
    out: crate::OutBuffer,
    events: VecDeque<Event>,
    peer: Option<PeerInfo>,
    /// The frames of the message being received.
    parts: Vec<Bytes>,
    /// Their total size.
    message_size: u64,
    /// Bytes the frame being received still needs.
    need: usize,
    handshake_deadline: Option<Instant>,
    next_ping: Option<Instant>,
    /// Set when we sent a PING: drop unless something arrives by then.
    ping_deadline: Option<Instant>,
    /// Set by the peer's PING TTL: drop unless something arrives by then.
    ttl_deadline: Option<Instant>,
    /// Where our last PONG ends in the output: until it is written, a PING
    /// gets no other (libzmq keeps one PONG pending), so a peer that floods
    /// PINGs and reads nothing cannot make our output grow.
    pong_end: u64,
    /// Bytes left in the input buffer by the last call: more than that on
    /// the next call means bytes arrived.
    buffered: usize,
}

impl Connection {
    /// A new connection; our signature is queued in [`out`](Self::out).
    pub fn new(config: Config, now: Instant) -> Self {
        let mut out = crate::OutBuffer::new();
        out.tail().extend_from_slice(&SIGNATURE);
        out.wrote(SIGNATURE.len());
        Self {
            handshake_deadline: deadline(now, config.handshake_ivl),
            config,
            state: State::Signature,
            failed: None,
            decoder: FrameDecoder,
            out,
            events: VecDeque::new(),
            peer: None,
            parts: Vec::new(),
            message_size: 0,
            need: 0,
            next_ping: None,
            ping_deadline: None,
            ttl_deadline: None,
            pong_end: 0,
            buffered: 0,
        }
    }

    /// Whether the handshake completed.
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready && self.failed.is_none()
    }

    /// The peer, once the handshake completed.
    pub fn peer(&self) -> Option<&PeerInfo> {
        self.peer.as_ref()
    }

    /// How many more bytes the frame being received needs (0 when
    /// unknown): a hint for sizing the read buffer, never a promise.
    pub fn read_hint(&self) -> usize {
        self.need
    }

    /// Consumes every complete greeting part, frame and command at the
    /// front of `buf`; an incomplete one stays in `buf` for the next call.
    /// Call it after each read, with the buffer the read appended to: bytes
    /// beyond what the last call left count as a sign of the peer's life,
    /// whole frame or not.
    pub fn handle_input(&mut self, buf: &mut BytesMut, now: Instant) -> Result<(), ProtocolError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if buf.len() > self.buffered {
            // Any byte is a sign of life (RFC 37: "any incoming traffic"),
            // also part of a frame too large to arrive within a heartbeat.
            self.ping_deadline = None;
            self.ttl_deadline = None;
        }
        let result = self.process(buf, now);
        self.buffered = buf.len();
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn process(&mut self, buf: &mut BytesMut, now: Instant) -> Result<(), ProtocolError> {
        loop {
            match self.state {
                State::Signature => {
                    if buf.first().is_some_and(|&b| b != 0xFF) {
                        return Err(ProtocolError::BadSignature);
                    }
                    let Some(signature) = buf.get(..SIGNATURE.len()) else {
                        return Ok(());
                    };
                    Greeting::check_signature(signature)?;
                    let ours = Greeting::new(Mechanism::Null, false).encode();
                    self.out.tail().extend_from_slice(&ours[SIGNATURE.len()..]);
                    self.out.wrote(GREETING_LEN - SIGNATURE.len());
                    self.state = State::Greeting;
                }
                State::Greeting => {
                    // An older peer sends less than 64 bytes and waits:
                    // refuse it as soon as its version byte is in.
                    if let Some(&major) = buf.get(SIGNATURE.len())
                        && major < 3
                    {
                        return Err(ProtocolError::UnsupportedVersion { major });
                    }
                    let Some(bytes) = buf.get(..GREETING_LEN) else {
                        return Ok(());
                    };
                    let bytes: &[u8; GREETING_LEN] =
                        bytes.try_into().map_err(|_| ProtocolError::BadSignature)?;
                    let greeting = match Greeting::parse(bytes) {
                        Ok(greeting) => greeting,
                        Err(e) => {
                            if e == ProtocolError::UnknownMechanism {
                                self.queue_error("security mechanism mismatch");
                            }
                            return Err(e);
                        }
                    };
                    buf.advance(GREETING_LEN);
                    if greeting.mechanism != Mechanism::Null {
                        self.queue_error("security mechanism mismatch");
                        return Err(ProtocolError::MechanismMismatch {
                            ours: Mechanism::Null,
                            peer: greeting.mechanism,
                        });
                    }
                    self.send_ready();
                    self.state = State::Handshake {
                        peer_minor: greeting.minor,
                    };
                }
                State::Handshake { peer_minor } => {
                    let Some(frame) = self.decoder.decode(buf, HANDSHAKE_FRAME_LIMIT)? else {
                        self.need = self.decoder.needed(buf);
                        return Ok(());
                    };
                    if !frame.flags.command() {
                        return Err(ProtocolError::DataBeforeReady);
                    }
                    if frame.flags.more() {
                        return Err(ProtocolError::CommandWithMore);
                    }
                    match Command::parse(frame.body)? {
                        Command::Ready(metadata) => self.on_ready(metadata, peer_minor, now)?,
                        Command::Error { reason } => return Err(peer_error(&reason)),
                        _ => return Err(ProtocolError::UnexpectedCommand("expected READY")),
                    }
                }
                State::Ready => {
                    // A command is bounded alone; a data frame by what is
                    // left of the message's budget.
                    let command = buf.first().is_some_and(|&f| FrameFlags(f).command());
                    let max = self.config.max_message_size.unwrap_or(u64::MAX);
                    let limit = if command {
                        max
                    } else {
                        max.saturating_sub(self.message_size)
                    };
                    let frame = match self.decoder.decode(buf, limit) {
                        Ok(Some(frame)) => frame,
                        Ok(None) => {
                            self.need = self.decoder.needed(buf);
                            return Ok(());
                        }
                        Err(e) => return Err(self.oversized(e, command)),
                    };
                    if frame.flags.command() {
                        if frame.flags.more() {
                            return Err(ProtocolError::CommandWithMore);
                        }
                        self.on_command(Command::parse(frame.body)?, now)?;
                    } else {
                        self.message_size =
                            self.message_size.saturating_add(frame.body.len() as u64);
                        if !frame.flags.more() {
                            self.message_size = 0;
                            // A single-frame message needs no part vector.
                            let msg = if self.parts.is_empty() {
                                Message::from(frame.body)
                            } else {
                                self.parts.push(frame.body);
                                std::mem::take(&mut self.parts).into()
                            };
                            self.events.push_back(Event::Message(msg));
                        } else {
                            if self.parts.len() as u64 >= max {
                                return Err(ProtocolError::MessageTooLarge);
                            }
                            self.parts.push(frame.body);
                        }
                    }
                }
            }
        }
    }

    /// Names the limit a frame broke: a data frame that fits
    /// `max_message_size` alone only broke the whole message's.
    fn oversized(&self, e: ProtocolError, command: bool) -> ProtocolError {
        let cap = self
            .config
            .max_message_size
            .unwrap_or(u64::MAX)
            .min(ABSOLUTE_LIMIT);
        match e {
            ProtocolError::FrameTooLarge { size, .. } if !command && size <= cap => {
                ProtocolError::MessageTooLarge
            }
            ProtocolError::FrameTooLarge { size, .. } => {
                ProtocolError::FrameTooLarge { size, limit: cap }
            }
            e => e,
        }
    }

    /// Checks the peer's READY (RFC 23: Socket-Type required and
    /// compatible; RFC 37: an Identity of at most 255 octets, not starting
    /// with a zero octet, where it is used).
    fn on_ready(
        &mut self,
        metadata: Metadata,
        peer_minor: u8,
        now: Instant,
    ) -> Result<(), ProtocolError> {
        let checked = check_ready(&metadata, self.config.socket_type);
        let (socket_type, routing_id) = match checked {
            Ok(ok) => ok,
            Err(e) => {
                self.queue_error(&e.to_string());
                return Err(e);
            }
        };
        self.peer = Some(PeerInfo {
            socket_type,
            routing_id,
            metadata,
            minor_version: peer_minor,
        });
        self.state = State::Ready;
        self.handshake_deadline = None;
        self.next_ping = deadline(now, self.config.heartbeat_ivl);
        if let Some(peer) = &self.peer {
            self.events.push_back(Event::Ready(peer.clone()));
        }
        Ok(())
    }

    fn on_command(&mut self, command: Command, now: Instant) -> Result<(), ProtocolError> {
        match command {
            Command::Ping(Ping { ttl, context }) => {
                if self.out.written() >= self.pong_end {
                    self.send_command(&Command::Pong(Pong { context }));
                    self.pong_end = self.out.end();
                }
                // Zero means no TTL; else at most 6553.5 s from now.
                self.ttl_deadline = deadline(now, Some(ttl));
            }
            Command::Pong(_) | Command::Unknown { .. } => {}
            Command::Subscribe(topic) => self.events.push_back(Event::Subscribe(topic)),
            Command::Cancel(topic) => self.events.push_back(Event::Cancel(topic)),
            Command::Error { reason } => return Err(peer_error(&reason)),
            Command::Ready(_) => {
                return Err(ProtocolError::UnexpectedCommand("READY after handshake"));
            }
        }
        Ok(())
    }

    /// Fires whatever timer is due: the handshake deadline, a PING to send,
    /// or the silence of a peer past its heartbeat timeout or TTL.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), ProtocolError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        let result = if due(self.handshake_deadline) && self.state != State::Ready {
            Err(ProtocolError::HandshakeTimeout)
        } else if due(self.ping_deadline) {
            Err(ProtocolError::HeartbeatTimeout)
        } else if due(self.ttl_deadline) {
            Err(ProtocolError::TtlExpired)
        } else {
            if due(self.next_ping) {
                self.send_ping(now);
            }
            Ok(())
        };
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// Sends a PING and arms the timeout that waits for any traffic (only
    /// if none is armed: libzmq does not push it back on every PING).
    fn send_ping(&mut self, now: Instant) {
        self.send_command(&Command::Ping(Ping {
            ttl: self.config.heartbeat_ttl.unwrap_or_default(),
            context: Bytes::new(),
        }));
        self.next_ping = deadline(now, self.config.heartbeat_ivl);
        if self.ping_deadline.is_none() {
            let timeout = self.config.heartbeat_timeout.or(self.config.heartbeat_ivl);
            self.ping_deadline = deadline(now, timeout);
        }
    }

    /// The earliest time [`handle_timeout`](Self::handle_timeout) must be
    /// called, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.failed.is_some() {
            return None;
        }
        let handshake = (self.state != State::Ready)
            .then_some(self.handshake_deadline)
            .flatten();
        [
            handshake,
            self.next_ping,
            self.ping_deadline,
            self.ttl_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The bytes waiting to be written.
    pub fn out(&mut self) -> &mut crate::OutBuffer {
        &mut self.out
    }

    /// Queues a message. Only valid once ready; a message with no parts
    /// is skipped (there is no such thing on the wire).
    pub fn send_message(&mut self, msg: &Message) {
        debug_assert!(self.is_ready(), "send_message before the handshake");
        let last = msg.len().saturating_sub(1);
        for (i, part) in msg.iter().enumerate() {
            let flags = if i < last { FrameFlags::MORE } else { 0 };
            let before = self.out.tail().len();
            encode_frame_header(flags, part.len(), self.out.tail());
            let header = self.out.tail().len() - before;
            self.out.wrote(header);
            self.out.push_body(part);
        }
    }

    /// Queues a command.
    pub fn send_command(&mut self, command: &Command) {
        let before = self.out.tail().len();
        command.encode(self.out.tail());
        let written = self.out.tail().len() - before;
        self.out.wrote(written);
    }

    /// Subscribes to `topic` at the peer: a SUBSCRIBE command for a ZMTP
    /// 3.1 peer, a `\x01topic` message for a 3.0 one.
    pub fn send_subscribe(&mut self, topic: &[u8]) {
        self.send_subscription(topic, true);
    }

    /// Cancels a subscription: CANCEL, or `\x00topic` for a 3.0 peer.
    pub fn send_cancel(&mut self, topic: &[u8]) {
        self.send_subscription(topic, false);
    }

    /// Writes the subscription straight into the tail: one copy of the
    /// topic, no intermediate buffer.
    fn send_subscription(&mut self, topic: &[u8], subscribe: bool) {
        let tail = self.out.tail();
        let before = tail.len();
        if self.peer.as_ref().is_some_and(|p| p.minor_version == 0) {
            encode_frame_header(0, 1 + topic.len(), tail);
            tail.put_u8(u8::from(subscribe));
        } else {
            let name: &[u8] = if subscribe { b"SUBSCRIBE" } else { b"CANCEL" };
            encode_frame_header(FrameFlags::COMMAND, 1 + name.len() + topic.len(), tail);
            tail.put_u8(name.len() as u8);
            tail.put_slice(name);
        }
        tail.put_slice(topic);
        let written = tail.len() - before;
        self.out.wrote(written);
    }

    fn send_ready(&mut self) {
        let mut metadata = Metadata::new();
        metadata.insert("Socket-Type", self.config.socket_type.as_str());
        if self.config.socket_type.sends_identity() {
            metadata.insert("Identity", self.config.routing_id.clone());
        }
        for (name, value) in self.config.metadata.iter() {
            metadata.insert(name, value.clone());
        }
        self.send_command(&Command::Ready(metadata));
    }

    fn queue_error(&mut self, reason: &str) {
        self.send_command(&Command::Error {
            reason: Bytes::copy_from_slice(reason.as_bytes()),
        });
    }
}

/// The peer's socket type and routing id, if its READY is acceptable.
fn check_ready(
    metadata: &Metadata,
    ours: SocketType,
) -> Result<(SocketType, Option<Bytes>), ProtocolError> {
    match metadata.count("Socket-Type") {
        0 => return Err(ProtocolError::MissingSocketType),
        1 => {}
        _ => return Err(ProtocolError::DuplicateProperty("Socket-Type".into())),
    }
    let name = metadata.get("Socket-Type").map_or(&[][..], |v| &v[..]);
    let peer = SocketType::from_wire(name).ok_or(ProtocolError::UnknownSocketType)?;
    if !ours.is_compatible(peer) {
        return Err(ProtocolError::IncompatibleSocketType { ours, peer });
    }
    // RFC 37: "For all other socket types, the Identity property shall be
    // ignored" (libzmq's REP serves a peer whose identity starts with 0).
    if !ours.routes_by_identity() {
        return Ok((peer, None));
    }
    if metadata.count("Identity") > 1 {
        return Err(ProtocolError::DuplicateProperty("Identity".into()));
    }
    let routing_id = match metadata.get("Identity") {
        Some(id) if id.len() > 255 || id.first() == Some(&0) => {
            return Err(ProtocolError::InvalidIdentity);
        }
        Some(id) if !id.is_empty() => Some(id.clone()),
        _ => None,
    };
    Ok((peer, routing_id))
}

/// `now + d`, or none for no duration, a zero one (libzmq's "off") or one
/// past what `Instant` can hold.
fn deadline(now: Instant, d: Option<Duration>) -> Option<Instant> {
    d.filter(|d| !d.is_zero()).and_then(|d| now.checked_add(d))
}

fn peer_error(reason: &[u8]) -> ProtocolError {
    ProtocolError::PeerError(String::from_utf8_lossy(reason).into_owned())
}

#[cfg(test)]
mod tests;
