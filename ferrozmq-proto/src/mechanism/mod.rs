//! Security mechanisms (RFC 23 "Authentication and Confidentiality"): the
//! handshake after the greeting, and what happens to every frame after it.
//!
//! A [`Mechanism`] is one side of one connection's handshake. It is driven
//! by the [`Connection`](crate::Connection), which feeds it the peer's
//! handshake commands and sends what it produces; it may pause the
//! handshake for a ZAP answer ([`Mechanism::zap_request`]), which the I/O
//! layer obtains however it likes. Once complete, every frame in and out
//! passes through it ([`Mechanism::encode`], [`Mechanism::decode`]): NULL
//! leaves them as they are, with no copy.
//!
//! [`Security`] is the one place that turns a socket's configuration, a
//! greeting's mechanism name or a ZWS subprotocol into a mechanism.

mod curve;
mod null;
mod plain;
mod salsa;

use std::fmt;

use bytes::Bytes;

pub use curve::{CurveClient, CurveSecret, CurveServer};
pub use null::Null;
pub use plain::{PlainClient, PlainServer};

use crate::frame::{FRAME_HEADER_MAX, Frame, FrameFlags, encode_frame_header};
use crate::zap::{ZapReply, ZapRequest};
use crate::{Greeting, Metadata, OutBuffer, ProtocolError};

/// A security mechanism's name, as the greeting's 20-byte field and a ZWS
/// subprotocol (`ZWS2.0/NULL`) carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MechanismName {
    /// No security (RFC 23 "NULL").
    Null,
    /// Clear-text user name and password (RFC 24).
    Plain,
    /// CurveZMQ (RFC 26).
    Curve,
}

/// The size of the greeting's mechanism field.
pub(crate) const NAME_FIELD_LEN: usize = 20;

impl MechanismName {
    /// The name as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Null => "NULL",
            Self::Plain => "PLAIN",
            Self::Curve => "CURVE",
        }
    }

    /// The mechanism whose wire name is exactly `name` (`b"NULL"`,
    /// `b"PLAIN"`, `b"CURVE"`), for the greeting and a ZWS subprotocol
    /// alike.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        [Self::Null, Self::Plain, Self::Curve]
            .into_iter()
            .find(|m| m.as_str().as_bytes() == name)
    }

    /// Parses the greeting's 20-byte mechanism field: a name, then zeros
    /// only. libzmq compares all 20 bytes, so trailing garbage after the
    /// name is an unknown mechanism, not a match.
    pub fn parse(field: &[u8; NAME_FIELD_LEN]) -> Result<Self, ProtocolError> {
        let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        let (name, padding) = field.split_at(len);
        if padding.iter().any(|&b| b != 0) {
            return Err(ProtocolError::UnknownMechanism);
        }
        Self::from_name(name).ok_or(ProtocolError::UnknownMechanism)
    }
}

impl fmt::Display for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a ZWS (RFC 45) connection starts, as its WebSocket subprotocol
/// says: there is no greeting, so the subprotocol names the mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Zws {
    /// `ZWS2.0/NULL`, `ZWS2.0/PLAIN` or `ZWS2.0/CURVE`: the mechanism's
    /// handshake, as over TCP.
    Mechanism(MechanismName),
    /// Plain `ZWS2.0`, what browsers and jszmq speak (a `/` is not allowed
    /// in a subprotocol a browser offers): no handshake, and no socket
    /// type is said; each side's first message is its routing id.
    Bare,
}

impl Zws {
    /// The subprotocol's name.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Self::Mechanism(MechanismName::Null) => "ZWS2.0/NULL",
            Self::Mechanism(MechanismName::Plain) => "ZWS2.0/PLAIN",
            Self::Mechanism(MechanismName::Curve) => "ZWS2.0/CURVE",
            Self::Bare => "ZWS2.0",
        }
    }

    /// The start a subprotocol names, if it is one of ZWS 2.0's (exact
    /// names, as libzmq compares them), or a browser's spelling of one:
    /// `ZWS2.0-CURVE` for `ZWS2.0/CURVE` (a browser may only offer
    /// subprotocols that are HTTP tokens, and `/` is not a token
    /// character). A server answers with the name the client offered.
    pub fn from_subprotocol(name: &str) -> Option<Self> {
        let name = name.trim();
        if name == "ZWS2.0" {
            return Some(Self::Bare);
        }
        let mechanism = name
            .strip_prefix("ZWS2.0/")
            .or_else(|| name.strip_prefix("ZWS2.0-"))?;
        MechanismName::from_name(mechanism.as_bytes()).map(Self::Mechanism)
    }
}

/// How a socket secures its connections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// No security: anyone may connect, nothing is encrypted.
    #[default]
    Null,
    /// PLAIN's client: logs in with a user name and a password, sent in
    /// clear (RFC 24).
    PlainClient {
        /// The user name, at most 255 bytes.
        username: Bytes,
        /// The password, at most 255 bytes.
        password: Bytes,
    },
    /// PLAIN's server: checks each client's credentials through ZAP.
    PlainServer,
    /// CURVE's client (RFC 26): its permanent key pair, and the server's
    /// public key.
    CurveClient {
        /// Our public key.
        public: [u8; 32],
        /// Our secret key.
        secret: CurveSecret,
        /// The server's public key.
        server: [u8; 32],
    },
    /// CURVE's server: its secret key (the public one follows from it).
    CurveServer {
        /// Our secret key.
        secret: CurveSecret,
    },
}

impl Security {
    /// The mechanism's wire name.
    pub fn name(&self) -> MechanismName {
        match self {
            Self::Null => MechanismName::Null,
            Self::PlainClient { .. } | Self::PlainServer => MechanismName::Plain,
            Self::CurveClient { .. } | Self::CurveServer { .. } => MechanismName::Curve,
        }
    }

    /// Whether frames go on the wire as they are after the handshake
    /// (NULL, PLAIN), so that they may be encoded ahead; CURVE boxes them.
    pub fn sends_plain_frames(&self) -> bool {
        !matches!(self, Self::CurveClient { .. } | Self::CurveServer { .. })
    }

    /// What a ZWS client offers, best first: the mechanism's subprotocol,
    /// and for NULL the bare one too (as libzmq offers
    /// `ZWS2.0/NULL,ZWS2.0`).
    pub fn zws_offers(&self) -> Vec<Zws> {
        let mut offers = vec![Zws::Mechanism(self.name())];
        if self.name() == MechanismName::Null {
            offers.push(Zws::Bare);
        }
        offers
    }

    /// Whether a ZWS server with this security takes a connection that
    /// starts as `zws` says: its own mechanism, or bare when it has none.
    pub fn accepts_zws(&self, zws: Zws) -> bool {
        self.zws_offers().contains(&zws)
    }

    /// This side's mechanism for one connection. `properties` is our
    /// READY metadata; `zap` is whether the handshake asks a ZAP handler
    /// (the I/O layer knows whether one is there and a domain is set).
    pub(crate) fn start(&self, properties: Metadata, zap: bool) -> AnyMechanism {
        match self {
            Self::Null => AnyMechanism::Null(Null::new(properties, zap)),
            Self::PlainClient { username, password } => AnyMechanism::PlainClient(
                PlainClient::new(username.clone(), password.clone(), properties),
            ),
            Self::PlainServer => AnyMechanism::PlainServer(PlainServer::new(properties, zap)),
            Self::CurveClient {
                public,
                secret,
                server,
            } => AnyMechanism::CurveClient(Box::new(CurveClient::new(
                *public,
                secret.clone(),
                *server,
                properties,
            ))),
            Self::CurveServer { secret } => AnyMechanism::CurveServer(Box::new(CurveServer::new(
                secret.clone(),
                properties,
                zap,
            ))),
        }
    }
}

/// Where a handshake stands, as its mechanism sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Commands still have to go back and forth (or a ZAP answer is
    /// awaited).
    Handshaking,
    /// Both sides are done: the peer's properties are known.
    Ready,
}

/// One side of a security mechanism on one connection.
///
/// The [`Connection`](crate::Connection) calls these in this order: after
/// the greeting, [`check_greeting`](Self::check_greeting); then, until
/// [`status`](Self::status) is [`Status::Ready`], every
/// [`next_command`](Self::next_command) is sent, every
/// [`zap_request`](Self::zap_request) is handed to the I/O layer (whose
/// answer comes back through [`handle_zap_reply`](Self::handle_zap_reply)),
/// and every handshake command from the peer goes to
/// [`handle_command`](Self::handle_command). Once ready, every frame goes
/// through [`encode`](Self::encode) and [`decode`](Self::decode).
pub trait Mechanism: fmt::Debug + Send {
    /// The name this side puts in its greeting.
    fn name(&self) -> MechanismName;

    /// The as-server bit of our greeting.
    fn as_server(&self) -> bool;

    /// Checks the peer's greeting against ours (RFC 23: the mechanisms
    /// must match exactly; PLAIN and CURVE also need one server and one
    /// client).
    fn check_greeting(&self, peer: &Greeting) -> Result<(), ProtocolError> {
        if peer.mechanism == self.name() {
            Ok(())
        } else {
            Err(ProtocolError::MechanismMismatch {
                ours: self.name(),
                peer: peer.mechanism,
            })
        }
    }

    /// The next handshake command to send, as a command body (name length,
    /// name, data), if one is due now.
    fn next_command(&mut self) -> Option<Bytes>;

    /// A handshake command from the peer (its whole body; ERROR never
    /// reaches here: the connection treats it as fatal itself).
    fn handle_command(&mut self, name: &[u8], data: Bytes) -> Result<(), ProtocolError>;

    /// A ZAP request the handshake now waits on; each is handed out once.
    fn zap_request(&mut self) -> Option<ZapRequest> {
        None
    }

    /// The ZAP handler's answer to the last request. An error fails the
    /// handshake; [`next_command`](Self::next_command) may then still give
    /// an ERROR command to send first.
    fn handle_zap_reply(&mut self, reply: ZapReply) -> Result<(), ProtocolError> {
        let _ = reply;
        Err(ProtocolError::UnexpectedZapReply)
    }

    /// Where the handshake stands.
    fn status(&self) -> Status;

    /// The peer's properties (READY, or INITIATE for PLAIN and CURVE
    /// clients), once the handshake is complete; taken once.
    fn take_peer_properties(&mut self) -> Metadata;

    /// The user id the ZAP handler gave the peer, if any.
    fn user_id(&self) -> Option<&Bytes> {
        None
    }

    /// Puts one frame on the wire (after the handshake). The default is
    /// the plain ZMTP frame, with a large body queued by reference.
    fn encode(&mut self, flags: u8, body: &Bytes, out: &mut OutBuffer) {
        encode_plain(flags, body, out);
    }

    /// Takes one frame off the wire (after the handshake). The default
    /// passes it through.
    fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        Ok(frame)
    }

    /// Whether [`encode`](Self::encode) and [`decode`](Self::decode) leave
    /// frames as they are, so the connection may write commands straight
    /// into its output.
    fn is_transparent(&self) -> bool {
        true
    }
}

/// The ERROR command body for a ZAP refusal of `status_code` (RFC 27 and
/// libzmq: none for 300, a temporary failure).
fn zap_error(status_code: u16) -> Option<Bytes> {
    (status_code != 300).then(|| {
        let mut body = bytes::BytesMut::new();
        crate::Command::Error {
            reason: Bytes::from(status_code.to_string()),
        }
        .encode_body(&mut body);
        body.freeze()
    })
}

/// What a ZAP handler's answer left a mechanism that asks one (NULL with
/// a ZAP domain, a PLAIN or CURVE server):
/// after a refusal, the ERROR still to send; after an acceptance, the
/// user id and properties it gave the peer.
#[derive(Debug, Default)]
pub(crate) struct ZapAnswer {
    error: Option<Bytes>,
    user_id: Bytes,
    metadata: Metadata,
}

impl ZapAnswer {
    /// Takes the handler's reply: `Ok` if it let the peer in.
    pub(crate) fn take(&mut self, reply: ZapReply) -> Result<(), ProtocolError> {
        if let Err(e) = reply.check() {
            self.error = zap_error(reply.status_code);
            return Err(e);
        }
        self.user_id = reply.user_id;
        self.metadata = reply.metadata;
        Ok(())
    }

    /// The ERROR to send after a refusal, once.
    pub(crate) fn take_error(&mut self) -> Option<Bytes> {
        self.error.take()
    }

    /// The peer's handshake properties, then those the handler gave.
    pub(crate) fn properties(&self, peer: Option<Metadata>) -> Metadata {
        let mut properties = peer.unwrap_or_default();
        for (name, value) in self.metadata.iter() {
            properties.insert(name, value.clone());
        }
        properties
    }

    /// The user id the handler gave, if any.
    pub(crate) fn user_id(&self) -> Option<&Bytes> {
        (!self.user_id.is_empty()).then_some(&self.user_id)
    }
}

/// A plain ZMTP frame: header, then the body (copied when small).
pub(crate) fn encode_plain(flags: u8, body: &Bytes, out: &mut OutBuffer) {
    out.push_with(FRAME_HEADER_MAX, |tail| {
        encode_frame_header(flags & !FrameFlags::LONG, body.len(), tail);
    });
    out.push_body(body);
}

/// The mechanisms, dispatched statically.
#[derive(Debug)]
pub(crate) enum AnyMechanism {
    Null(Null),
    PlainClient(PlainClient),
    PlainServer(PlainServer),
    CurveClient(Box<CurveClient>),
    CurveServer(Box<CurveServer>),
}

macro_rules! each {
    ($self:ident, $m:ident => $e:expr) => {
        match $self {
            AnyMechanism::Null($m) => $e,
            AnyMechanism::PlainClient($m) => $e,
            AnyMechanism::PlainServer($m) => $e,
            AnyMechanism::CurveClient($m) => $e,
            AnyMechanism::CurveServer($m) => $e,
        }
    };
}

impl Mechanism for AnyMechanism {
    fn name(&self) -> MechanismName {
        each!(self, m => m.name())
    }

    fn as_server(&self) -> bool {
        each!(self, m => m.as_server())
    }

    fn check_greeting(&self, peer: &Greeting) -> Result<(), ProtocolError> {
        each!(self, m => m.check_greeting(peer))
    }

    fn next_command(&mut self) -> Option<Bytes> {
        each!(self, m => m.next_command())
    }

    fn handle_command(&mut self, name: &[u8], data: Bytes) -> Result<(), ProtocolError> {
        each!(self, m => m.handle_command(name, data))
    }

    fn zap_request(&mut self) -> Option<ZapRequest> {
        each!(self, m => m.zap_request())
    }

    fn handle_zap_reply(&mut self, reply: ZapReply) -> Result<(), ProtocolError> {
        each!(self, m => m.handle_zap_reply(reply))
    }

    fn status(&self) -> Status {
        each!(self, m => m.status())
    }

    fn take_peer_properties(&mut self) -> Metadata {
        each!(self, m => m.take_peer_properties())
    }

    fn user_id(&self) -> Option<&Bytes> {
        each!(self, m => m.user_id())
    }

    fn encode(&mut self, flags: u8, body: &Bytes, out: &mut OutBuffer) {
        each!(self, m => m.encode(flags, body, out))
    }

    fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        each!(self, m => m.decode(frame))
    }

    fn is_transparent(&self) -> bool {
        each!(self, m => m.is_transparent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            MechanismName::from_name(b"CURVE"),
            Some(MechanismName::Curve)
        );
        assert_eq!(MechanismName::from_name(b"curve"), None);
        let mut field = [0u8; NAME_FIELD_LEN];
        field[..5].copy_from_slice(b"PLAIN");
        assert_eq!(MechanismName::parse(&field), Ok(MechanismName::Plain));
        assert_eq!(
            MechanismName::parse(&[0; NAME_FIELD_LEN]),
            Err(ProtocolError::UnknownMechanism)
        );
        field[6] = b'X';
        assert_eq!(
            MechanismName::parse(&field),
            Err(ProtocolError::UnknownMechanism)
        );
        assert_eq!(MechanismName::Null.to_string(), "NULL");
        assert_eq!(Security::default().name(), MechanismName::Null);
    }

    #[test]
    fn zws_subprotocols() {
        for zws in [
            Zws::Bare,
            Zws::Mechanism(MechanismName::Null),
            Zws::Mechanism(MechanismName::Plain),
            Zws::Mechanism(MechanismName::Curve),
        ] {
            assert_eq!(Zws::from_subprotocol(zws.subprotocol()), Some(zws));
        }
        assert_eq!(
            Zws::from_subprotocol("ZWS2.0-CURVE"),
            Some(Zws::Mechanism(MechanismName::Curve)),
            "a browser's spelling"
        );
        for bad in [
            "ZWS2.0/",
            "ZWS2.0/null",
            "ZWS1.0",
            "zws2.0",
            "ZWS2.0/NULLX",
            "ZWS2.0-",
        ] {
            assert_eq!(Zws::from_subprotocol(bad), None, "{bad}");
        }
        let null = Security::Null;
        assert_eq!(
            null.zws_offers(),
            [Zws::Mechanism(MechanismName::Null), Zws::Bare]
        );
        assert!(null.accepts_zws(Zws::Bare));
        assert!(!null.accepts_zws(Zws::Mechanism(MechanismName::Plain)));
    }
}
