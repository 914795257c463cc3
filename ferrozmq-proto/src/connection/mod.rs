//! [`Connection`]: one ZMTP 3.1 connection as a state machine.
//!
//! Three steps, each in its own place: the greeting (ZMTP only: ZWS has
//! none, see [`Connection::without_greeting`]), the security handshake
//! (a [`Mechanism`], which may pause for ZAP), then traffic, where frames
//! are assembled into messages and [`heartbeat`] keeps the link honest.

mod heartbeat;
mod peer;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::command::{Command, ERROR, Ping, Pong};
use crate::frame::{ABSOLUTE_LIMIT, FRAME_HEADER_MAX, Frame, FrameDecoder, FrameFlags};
use crate::greeting::{GREETING_LEN, Greeting, SIGNATURE};
use crate::mechanism::{AnyMechanism, Mechanism, Security, Status, Zws, encode_plain};
use crate::zap::{ZapReply, ZapRequest};
use crate::{Message, Metadata, OutBuffer, ProtocolError, SocketType};
use heartbeat::{Heartbeat, deadline};
pub use peer::PeerInfo;

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
    /// The security mechanism.
    pub security: Security,
    /// Whether the handshake asks a ZAP handler about the peer
    /// ([`Event::ZapRequest`]); the I/O layer sets it when a handler and a
    /// domain are there.
    pub zap: bool,
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
            security: Security::Null,
            zap: false,
        }
    }

    /// The properties of our READY: Socket-Type, Identity where the type
    /// announces one, then the extra ones.
    pub fn ready_properties(&self) -> Metadata {
        let mut properties = Metadata::new();
        properties.insert("Socket-Type", self.socket_type.as_str());
        if self.socket_type.sends_identity() {
            properties.insert("Identity", self.routing_id.clone());
        }
        for (name, value) in self.metadata.iter() {
            properties.insert(name, value.clone());
        }
        properties
    }
}

/// Something the connection wants its owner to know.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed: messages may flow.
    Ready(Box<PeerInfo>),
    /// A whole message arrived.
    Message(Message),
    /// The peer subscribed to a topic prefix (SUBSCRIBE command).
    Subscribe(Bytes),
    /// The peer cancelled a subscription (CANCEL command).
    Cancel(Bytes),
    /// The handshake waits for the ZAP handler's answer to this request:
    /// give it to [`Connection::handle_zap_reply`].
    ZapRequest(ZapRequest),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for the peer's 10-byte signature.
    Signature,
    /// Waiting for the rest of the peer's greeting.
    Greeting,
    /// The mechanism's handshake.
    Handshake,
    /// A bare ZWS connection, waiting for the peer's routing id.
    Bare,
    /// Traffic.
    Ready,
    /// A STREAM socket's connection: raw bytes both ways, no ZMTP.
    Raw,
}

/// The frames of the message being received, and their total size.
#[derive(Debug, Default)]
struct Assembly {
    parts: Vec<Bytes>,
    size: u64,
}

/// One ZMTP 3.1 connection: greeting, security handshake, framing and
/// heartbeats, with no I/O.
///
/// # How to drive it
///
/// - **Getters**: [`is_ready`](Self::is_ready), [`peer`](Self::peer),
///   [`read_hint`](Self::read_hint).
/// - **Inputs** (`handle_*`): [`handle_input`](Self::handle_input) (or
///   [`handle_input_upto`](Self::handle_input_upto)) with the bytes read
///   from the peer; [`handle_timeout`](Self::handle_timeout) once the time
///   from [`poll_timeout`](Self::poll_timeout) has come;
///   [`handle_zap_reply`](Self::handle_zap_reply) with the answer to an
///   [`Event::ZapRequest`]; [`handle_unread_input`](Self::handle_unread_input)
///   when the peer's bytes wait unread because we stopped reading.
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
    mechanism: AnyMechanism,
    decoder: FrameDecoder,
    out: OutBuffer,
    events: VecDeque<Event>,
    peer: Option<PeerInfo>,
    /// The peer's ZMTP minor version, from its greeting.
    peer_minor: u8,
    assembly: Assembly,
    /// Bytes the frame being received still needs.
    need: usize,
    handshake_deadline: Option<Instant>,
    heartbeat: Heartbeat,
    /// Bytes left in the input buffer by the last call: more than that on
    /// the next call means bytes arrived.
    buffered: usize,
}

impl Connection {
    /// A new ZMTP connection; our signature is queued in
    /// [`out`](Self::out).
    pub fn new(config: Config, now: Instant) -> Self {
        let mut conn = Self::start(config, State::Signature, now);
        conn.out.push_slice(&SIGNATURE);
        conn
    }

    /// A ZWS (RFC 45) connection, started as its WebSocket subprotocol
    /// says: there is no greeting. With a mechanism its handshake starts
    /// at once; bare, each side's first message is its routing id, and the
    /// peer says no socket type. Subscriptions travel as `\x01topic`
    /// messages, as libzmq's ws engine sends and expects them. Feed it
    /// the frames' bytes ([`handle_input`](Self::handle_input)) or whole
    /// frames ([`handle_frame`](Self::handle_frame)).
    pub fn zws(config: Config, zws: Zws, now: Instant) -> Self {
        let bare = zws == Zws::Bare;
        let state = if bare { State::Bare } else { State::Handshake };
        let mut conn = Self::start(config, state, now);
        conn.peer_minor = 0;
        if bare {
            let id = conn.config.routing_id.clone();
            encode_plain(0, &id, &mut conn.out);
        } else {
            conn.pump_handshake();
        }
        conn
    }

    /// A STREAM socket's connection (libzmq's `ZMQ_STREAM`): no greeting,
    /// no handshake, no framing. It is ready at once (its first event is
    /// `Ready`, with no peer properties); each call to `handle_input`
    /// turns what was read into one one-part message, and `send_message`
    /// writes each part's bytes as they are.
    pub fn raw(config: Config, now: Instant) -> Self {
        let mut conn = Self::start(config, State::Raw, now);
        conn.handshake_deadline = None;
        conn.heartbeat = Heartbeat::new(None, None, Duration::ZERO);
        conn.events.push_back(Event::Ready(Box::new(PeerInfo {
            socket_type: Some(SocketType::Stream),
            routing_id: None,
            metadata: Metadata::new(),
            user_id: None,
            minor_version: 0,
        })));
        conn
    }

    fn start(config: Config, state: State, now: Instant) -> Self {
        let mechanism = config.security.start(config.ready_properties(), config.zap);
        let ttl = config.heartbeat_ttl.unwrap_or_default();
        Self {
            handshake_deadline: deadline(now, config.handshake_ivl),
            heartbeat: Heartbeat::new(config.heartbeat_ivl, config.heartbeat_timeout, ttl),
            config,
            state,
            failed: None,
            mechanism,
            decoder: FrameDecoder,
            out: OutBuffer::new(),
            events: VecDeque::new(),
            peer: None,
            peer_minor: 1,
            assembly: Assembly::default(),
            need: 0,
            buffered: 0,
        }
    }

    /// Whether the handshake completed.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready | State::Raw) && self.failed.is_none()
    }

    /// The peer, once the handshake completed.
    pub fn peer(&self) -> Option<&PeerInfo> {
        self.peer.as_ref()
    }

    /// Whether messages go out as plain ZMTP frames, as
    /// [`OutBuffer::push_message`] writes them (so they may be encoded
    /// ahead, elsewhere, and appended to [`out`](Self::out) once ready).
    pub fn sends_plain_frames(&self) -> bool {
        self.state != State::Raw && self.mechanism.is_transparent()
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
        self.handle_input_upto(buf, now, usize::MAX).map(drop)
    }

    /// As [`handle_input`](Self::handle_input), but once `messages` messages
    /// came out of this call, stops before the next data frame: the rest
    /// stays in `buf`, undecoded, until the caller has room for more and
    /// calls again (with no new bytes, if it likes). Commands before that
    /// point are handled. Returns how many messages it decoded.
    pub fn handle_input_upto(
        &mut self,
        buf: &mut BytesMut,
        now: Instant,
        messages: usize,
    ) -> Result<usize, ProtocolError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if buf.len() > self.buffered {
            // Any byte is a sign of life (RFC 37: "any incoming traffic"),
            // also part of a frame too large to arrive within a heartbeat.
            self.heartbeat.alive();
        }
        let mut delivered = 0;
        let result = self.process(buf, now, messages, &mut delivered);
        self.buffered = buf.len();
        self.fail_on(result).map(|()| delivered)
    }

    /// Handles one whole frame, for a transport that splits frames itself
    /// (ZWS: one WebSocket message per frame). A sign of the peer's life.
    pub fn handle_frame(&mut self, frame: Frame, now: Instant) -> Result<(), ProtocolError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        self.heartbeat.alive();
        let result = match self.state {
            State::Signature | State::Greeting => Err(ProtocolError::UnexpectedCommand(
                "a frame before the greeting",
            )),
            State::Raw => Err(ProtocolError::UnexpectedCommand(
                "a frame on a raw (STREAM) connection",
            )),
            State::Handshake | State::Bare if frame.body.len() as u64 > HANDSHAKE_FRAME_LIMIT => {
                Err(ProtocolError::FrameTooLarge {
                    size: frame.body.len() as u64,
                    limit: HANDSHAKE_FRAME_LIMIT,
                })
            }
            State::Handshake | State::Bare => self.handshake_frame(frame, now),
            State::Ready => self
                .check_size(frame.flags.command(), frame.body.len() as u64)
                .and_then(|()| self.traffic_frame(frame, now).map(drop)),
        };
        self.fail_on(result)
    }

    /// The peer's bytes wait unread because we stopped reading (our side
    /// is full): a sign of its life, so that our back-pressure does not
    /// look like its silence.
    pub fn handle_unread_input(&mut self) {
        if self.state == State::Ready {
            self.heartbeat.alive();
        }
    }

    /// The ZAP handler's answer to the last [`Event::ZapRequest`].
    pub fn handle_zap_reply(&mut self, reply: ZapReply, now: Instant) -> Result<(), ProtocolError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.mechanism.handle_zap_reply(reply);
        // On a refusal the mechanism may still have an ERROR to send.
        self.pump_handshake();
        let result = result.and_then(|()| self.check_handshake(now));
        self.fail_on(result)
    }

    fn fail_on(&mut self, result: Result<(), ProtocolError>) -> Result<(), ProtocolError> {
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn process(
        &mut self,
        buf: &mut BytesMut,
        now: Instant,
        messages: usize,
        delivered: &mut usize,
    ) -> Result<(), ProtocolError> {
        loop {
            match self.state {
                State::Signature => {
                    if !self.signature(buf)? {
                        return Ok(());
                    }
                }
                State::Greeting => {
                    if !self.greeting(buf)? {
                        return Ok(());
                    }
                }
                State::Handshake | State::Bare => {
                    let Some(frame) = self.decoder.decode(buf, HANDSHAKE_FRAME_LIMIT)? else {
                        self.need = self.decoder.needed(buf);
                        return Ok(());
                    };
                    self.handshake_frame(frame, now)?;
                }
                State::Raw => {
                    if *delivered < messages && !buf.is_empty() {
                        let bytes = buf.split().freeze();
                        self.events.push_back(Event::Message(Message::from(bytes)));
                        *delivered += 1;
                    }
                    return Ok(());
                }
                State::Ready => {
                    if *delivered >= messages && is_data(buf) {
                        return Ok(());
                    }
                    let Some(frame) = self.next_frame(buf)? else {
                        return Ok(());
                    };
                    *delivered += usize::from(self.traffic_frame(frame, now)?);
                }
            }
        }
    }

    /// The peer's signature; true once it is in.
    fn signature(&mut self, buf: &mut BytesMut) -> Result<bool, ProtocolError> {
        if buf.first().is_some_and(|&b| b != 0xFF) {
            return Err(ProtocolError::BadSignature);
        }
        let Some(signature) = buf.get(..SIGNATURE.len()) else {
            return Ok(false);
        };
        Greeting::check_signature(signature)?;
        let ours = Greeting::new(self.mechanism.name(), self.mechanism.as_server()).encode();
        self.out.push_slice(&ours[SIGNATURE.len()..]);
        self.state = State::Greeting;
        Ok(true)
    }

    /// The rest of the peer's greeting; true once it is in and agrees with
    /// ours, and the handshake has started.
    fn greeting(&mut self, buf: &mut BytesMut) -> Result<bool, ProtocolError> {
        // An older peer sends less than 64 bytes and waits: refuse it as
        // soon as its version byte is in.
        if let Some(&major) = buf.get(SIGNATURE.len())
            && major < 3
        {
            return Err(ProtocolError::UnsupportedVersion { major });
        }
        let Some(bytes) = buf.get(..GREETING_LEN) else {
            return Ok(false);
        };
        let bytes: &[u8; GREETING_LEN] =
            bytes.try_into().map_err(|_| ProtocolError::BadSignature)?;
        let checked = Greeting::parse(bytes).and_then(|greeting| {
            self.mechanism.check_greeting(&greeting)?;
            Ok(greeting)
        });
        let greeting = match checked {
            Ok(greeting) => greeting,
            Err(e) => {
                if matches!(
                    e,
                    ProtocolError::UnknownMechanism | ProtocolError::MechanismMismatch { .. }
                ) {
                    self.queue_error("security mechanism mismatch");
                }
                return Err(e);
            }
        };
        buf.advance(GREETING_LEN);
        self.peer_minor = greeting.minor;
        self.state = State::Handshake;
        self.pump_handshake();
        Ok(true)
    }

    /// One frame of the handshake: a command for the mechanism.
    fn handshake_frame(&mut self, frame: Frame, now: Instant) -> Result<(), ProtocolError> {
        if self.state == State::Bare {
            return self.bare_routing_id(frame, now);
        }
        if !frame.flags.command() {
            return Err(ProtocolError::DataBeforeReady);
        }
        if frame.flags.more() {
            return Err(ProtocolError::CommandWithMore);
        }
        let (name, data) = Command::split(frame.body)?;
        if &name[..] == ERROR {
            return Err(match Command::parse_data(name, data)? {
                Command::Error { reason } => peer_error(&reason),
                _ => ProtocolError::MalformedCommand("error"),
            });
        }
        self.mechanism.handle_command(&name, data)?;
        self.pump_handshake();
        self.check_handshake(now)
    }

    /// Sends what the mechanism has to send, and hands out its ZAP request.
    fn pump_handshake(&mut self) {
        while let Some(body) = self.mechanism.next_command() {
            encode_plain(FrameFlags::COMMAND, &body, &mut self.out);
        }
        if let Some(request) = self.mechanism.zap_request() {
            self.events.push_back(Event::ZapRequest(request));
        }
    }

    /// Once the mechanism is done: checks the peer's properties and starts
    /// traffic.
    fn check_handshake(&mut self, now: Instant) -> Result<(), ProtocolError> {
        if self.state != State::Handshake || self.mechanism.status() != Status::Ready {
            return Ok(());
        }
        let metadata = self.mechanism.take_peer_properties();
        let (socket_type, routing_id) =
            match peer::check_properties(&metadata, self.config.socket_type) {
                Ok(checked) => checked,
                Err(e) => {
                    self.queue_error(&e.to_string());
                    return Err(e);
                }
            };
        let peer = PeerInfo {
            socket_type: Some(socket_type),
            routing_id,
            metadata,
            user_id: self.mechanism.user_id().cloned(),
            minor_version: self.peer_minor,
        };
        self.ready(peer, now);
        Ok(())
    }

    /// A bare ZWS peer's first frame: its routing id, a one-part message
    /// (RFC 37's limits apply where our type routes by it).
    fn bare_routing_id(&mut self, frame: Frame, now: Instant) -> Result<(), ProtocolError> {
        if frame.flags.command() || frame.flags.more() {
            return Err(ProtocolError::UnexpectedCommand(
                "a bare ZWS peer's first frame is its routing id",
            ));
        }
        let id = frame.body;
        let routing_id = if self.config.socket_type.routes_by_identity() && !id.is_empty() {
            if id.len() > 255 || id[0] == 0 {
                return Err(ProtocolError::InvalidIdentity);
            }
            Some(id.clone())
        } else {
            None
        };
        let mut metadata = Metadata::new();
        metadata.insert("Identity", id);
        let peer = PeerInfo {
            socket_type: None,
            routing_id,
            metadata,
            user_id: None,
            minor_version: self.peer_minor,
        };
        self.ready(peer, now);
        Ok(())
    }

    /// The handshake is done: traffic starts.
    fn ready(&mut self, peer: PeerInfo, now: Instant) {
        self.peer = Some(peer.clone());
        self.state = State::Ready;
        self.handshake_deadline = None;
        self.heartbeat.start(now);
        self.events.push_back(Event::Ready(Box::new(peer)));
    }

    /// What a frame may weigh under `max_message_size`: a command alone,
    /// a data frame what is left of its message's budget.
    fn size_limit(&self, command: bool) -> u64 {
        let max = self.config.max_message_size.unwrap_or(u64::MAX);
        if command {
            max
        } else {
            max.saturating_sub(self.assembly.size)
        }
    }

    /// Checks a frame that came whole (from a transport that frames
    /// messages itself) as [`Connection::next_frame`] checks a header.
    fn check_size(&self, command: bool, size: u64) -> Result<(), ProtocolError> {
        let limit = self.size_limit(command).min(ABSOLUTE_LIMIT);
        if size > limit {
            return Err(self.oversized(ProtocolError::FrameTooLarge { size, limit }, command));
        }
        Ok(())
    }

    /// The next whole frame, checked against `max_message_size` from its
    /// header, before its body is awaited.
    fn next_frame(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        let command = buf.first().is_some_and(|&f| FrameFlags(f).command());
        let limit = self.size_limit(command);
        match self.decoder.decode(buf, limit) {
            Ok(Some(frame)) => Ok(Some(frame)),
            Ok(None) => {
                self.need = self.decoder.needed(buf);
                Ok(None)
            }
            Err(e) => Err(self.oversized(e, command)),
        }
    }

    /// One frame of traffic; true when it completed a message.
    fn traffic_frame(&mut self, frame: Frame, now: Instant) -> Result<bool, ProtocolError> {
        let frame = self.mechanism.decode(frame)?;
        if frame.flags.command() {
            if frame.flags.more() {
                return Err(ProtocolError::CommandWithMore);
            }
            self.on_command(Command::parse(frame.body)?, now)?;
            return Ok(false);
        }
        let max = self.config.max_message_size.unwrap_or(u64::MAX);
        let assembly = &mut self.assembly;
        assembly.size = assembly.size.saturating_add(frame.body.len() as u64);
        if frame.flags.more() {
            if assembly.parts.len() as u64 >= max {
                return Err(ProtocolError::MessageTooLarge);
            }
            assembly.parts.push(frame.body);
            return Ok(false);
        }
        assembly.size = 0;
        // A single-frame message needs no part vector.
        let msg = if assembly.parts.is_empty() {
            Message::from(frame.body)
        } else {
            assembly.parts.push(frame.body);
            std::mem::take(&mut assembly.parts).into()
        };
        self.events.push_back(Event::Message(msg));
        Ok(true)
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

    fn on_command(&mut self, command: Command, now: Instant) -> Result<(), ProtocolError> {
        match command {
            Command::Ping(Ping { ttl, context }) => {
                if self.heartbeat.on_ping(ttl, now, self.out.written()) {
                    self.send_command(&Command::Pong(Pong { context }));
                    self.heartbeat.pong_queued(self.out.end());
                }
            }
            Command::Pong(_) | Command::Unknown { .. } => {}
            // Only publishers take subscriptions; anyone else ignores
            // them, as libzmq does.
            Command::Subscribe(topic) if self.takes_subscriptions() => {
                self.events.push_back(Event::Subscribe(topic));
            }
            Command::Cancel(topic) if self.takes_subscriptions() => {
                self.events.push_back(Event::Cancel(topic));
            }
            Command::Subscribe(_) | Command::Cancel(_) => {}
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
        let result = if self.state != State::Ready {
            match self.handshake_deadline {
                Some(t) if t <= now => Err(ProtocolError::HandshakeTimeout),
                _ => Ok(()),
            }
        } else {
            self.heartbeat.handle_timeout(now).map(|ping| {
                if let Some(ping) = ping {
                    self.send_command(&Command::Ping(ping));
                }
            })
        };
        self.fail_on(result)
    }

    /// The earliest time [`handle_timeout`](Self::handle_timeout) must be
    /// called, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.failed.is_some() {
            return None;
        }
        if self.state == State::Ready {
            self.heartbeat.poll_timeout()
        } else {
            self.handshake_deadline
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Moves every event, in order, to the end of `into` (as
    /// [`poll_event`](Self::poll_event) until none is left, in one step:
    /// a whole queue changes hands when `into` is empty).
    pub fn take_events(&mut self, into: &mut VecDeque<Event>) {
        if into.is_empty() {
            std::mem::swap(&mut self.events, into);
        } else {
            into.append(&mut self.events);
        }
    }

    /// The bytes waiting to be written.
    pub fn out(&mut self) -> &mut OutBuffer {
        &mut self.out
    }

    /// Queues a message. Only valid once ready; a message with no parts
    /// is skipped (there is no such thing on the wire).
    pub fn send_message(&mut self, msg: &Message) {
        debug_assert!(self.is_ready(), "send_message before the handshake");
        if self.state == State::Raw {
            msg.iter().for_each(|part| self.out.push_body(part));
            return;
        }
        if self.mechanism.is_transparent() {
            self.out.push_message(msg);
            return;
        }
        let last = msg.len().saturating_sub(1);
        for (i, part) in msg.iter().enumerate() {
            let flags = if i < last { FrameFlags::MORE } else { 0 };
            self.mechanism.encode(flags, part, &mut self.out);
        }
    }

    /// Queues a command (after the handshake it goes through the
    /// mechanism, as every frame does).
    pub fn send_command(&mut self, command: &Command) {
        if self.state != State::Ready || self.mechanism.is_transparent() {
            let len = FRAME_HEADER_MAX + command.body_len();
            self.out.push_with(len, |tail| command.encode(tail));
        } else {
            let mut body = BytesMut::with_capacity(command.body_len());
            command.encode_body(&mut body);
            self.mechanism
                .encode(FrameFlags::COMMAND, &body.freeze(), &mut self.out);
        }
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

    fn send_subscription(&mut self, topic: &[u8], subscribe: bool) {
        let topic = Bytes::copy_from_slice(topic);
        if self.peer_minor == 0 {
            let mut body = BytesMut::with_capacity(1 + topic.len());
            body.put_u8(u8::from(subscribe));
            body.put_slice(&topic);
            self.mechanism.encode(0, &body.freeze(), &mut self.out);
        } else if subscribe {
            self.send_command(&Command::Subscribe(topic));
        } else {
            self.send_command(&Command::Cancel(topic));
        }
    }

    fn queue_error(&mut self, reason: &str) {
        self.send_command(&Command::Error {
            reason: Bytes::copy_from_slice(reason.as_bytes()),
        });
    }
}

/// Whether the frame at the front of `buf` is a data frame.
fn is_data(buf: &[u8]) -> bool {
    buf.first().is_some_and(|&f| !FrameFlags(f).command())
}

impl Connection {
    fn takes_subscriptions(&self) -> bool {
        matches!(self.config.socket_type, SocketType::Pub | SocketType::XPub)
    }
}

fn peer_error(reason: &[u8]) -> ProtocolError {
    ProtocolError::PeerError(String::from_utf8_lossy(reason).into_owned())
}

#[cfg(test)]
mod tests;
