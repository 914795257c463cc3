//! [`ProtocolError`]: why a peer's connection was dropped.

use crate::{MechanismName, SocketType};

/// A violation of ZMTP by the peer, or a timeout. The connection is over;
/// the text says why (short, lower-case: fit for a monitor event).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Not a ZMTP 3 signature (ZMTP 1.0 framing, or not ZMTP at all).
    #[error("bad greeting signature")]
    BadSignature,
    /// A ZMTP 2.0 or older peer.
    #[error("unsupported zmtp version {major}")]
    UnsupportedVersion {
        /// The peer's major version.
        major: u8,
    },
    /// A mechanism name this implementation does not know.
    #[error("unknown security mechanism")]
    UnknownMechanism,
    /// The peer uses another security mechanism than ours.
    #[error("security mechanism mismatch: ours {ours}, peer {peer}")]
    MechanismMismatch {
        /// Our mechanism.
        ours: MechanismName,
        /// The peer's mechanism.
        peer: MechanismName,
    },
    /// A frame larger than allowed (`max_message_size`, the handshake cap,
    /// or 2^63 - 1).
    #[error("frame of {size} bytes exceeds the limit of {limit}")]
    FrameTooLarge {
        /// The declared size.
        size: u64,
        /// The limit it broke.
        limit: u64,
    },
    /// A message larger than `max_message_size` in total, or with more
    /// parts than that many bytes (which bounds a flood of empty frames).
    #[error("message exceeds the maximum message size")]
    MessageTooLarge,
    /// A command frame with the MORE flag.
    #[error("command frame with the more flag")]
    CommandWithMore,
    /// A command body that does not parse.
    #[error("malformed command: {0}")]
    MalformedCommand(&'static str),
    /// A metadata block that does not parse.
    #[error("malformed metadata: {0}")]
    MalformedMetadata(&'static str),
    /// READY without a Socket-Type property.
    #[error("missing socket-type property")]
    MissingSocketType,
    /// A property that must appear once appeared twice.
    #[error("duplicate property {0}")]
    DuplicateProperty(String),
    /// A Socket-Type that names no socket type.
    #[error("unknown socket type")]
    UnknownSocketType,
    /// The peer's socket type cannot talk to ours.
    #[error("incompatible socket types: ours {ours}, peer {peer}")]
    IncompatibleSocketType {
        /// Our type.
        ours: SocketType,
        /// The peer's type.
        peer: SocketType,
    },
    /// An Identity longer than 255 bytes or starting with a zero byte.
    #[error("invalid identity")]
    InvalidIdentity,
    /// A command that is not valid at this point of the handshake.
    #[error("unexpected command: {0}")]
    UnexpectedCommand(&'static str),
    /// A message frame before the handshake completed.
    #[error("data frame before the handshake completed")]
    DataBeforeReady,
    /// The peer sent an ERROR command.
    #[error("peer error: {0}")]
    PeerError(String),
    /// The handshake did not complete within `handshake_ivl`.
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// Nothing arrived within the heartbeat timeout after our PING.
    #[error("heartbeat timed out")]
    HeartbeatTimeout,
    /// Nothing arrived within the TTL of the peer's last PING.
    #[error("peer ttl expired")]
    TtlExpired,
    /// The ZAP handler did not allow the peer (RFC 27 status 300, 400 or
    /// 500).
    #[error("authentication failed: zap status {status_code}")]
    AuthenticationFailed {
        /// The handler's status code.
        status_code: u16,
    },
    /// The ZAP handler's reply does not follow RFC 27.
    #[error("malformed zap reply: {0}")]
    MalformedZapReply(&'static str),
    /// A ZAP reply came when none was asked for.
    #[error("unexpected zap reply")]
    UnexpectedZapReply,
}
