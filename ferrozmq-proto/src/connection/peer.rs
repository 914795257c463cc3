//! [`PeerInfo`]: who the peer said it is, and whether we accept that.

use bytes::Bytes;

use crate::{Metadata, ProtocolError, SocketType};

/// What the peer said about itself in its handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket type; `None` for a bare ZWS peer, which does not
    /// say (see [`Zws::Bare`](crate::Zws::Bare)).
    pub socket_type: Option<SocketType>,
    /// The peer's `Identity`, when it sent a non-empty one and our socket
    /// type routes by it (ROUTER). Other types ignore the property, as RFC
    /// 37 says; it is still in `metadata`.
    pub routing_id: Option<Bytes>,
    /// Every property of its READY (or INITIATE), including the two above,
    /// then any the ZAP handler added.
    pub metadata: Metadata,
    /// The user id the ZAP handler gave the peer, if any.
    pub user_id: Option<Bytes>,
    /// The peer's ZMTP minor version: 0 for a 3.0 peer, 1 for 3.1.
    pub minor_version: u8,
}

impl PeerInfo {
    /// The peer behind `properties` (its READY's, see
    /// [`Config::ready_properties`](crate::Config::ready_properties)), if a
    /// socket of type `ours` accepts it: for transports with no handshake
    /// on the wire (inproc), which still exchange what one would.
    pub fn from_properties(properties: Metadata, ours: SocketType) -> Result<Self, ProtocolError> {
        let (socket_type, routing_id) = check_properties(&properties, ours)?;
        Ok(Self {
            socket_type: Some(socket_type),
            routing_id,
            metadata: properties,
            user_id: None,
            minor_version: 1,
        })
    }
}

/// The peer's socket type and routing id, if its properties are acceptable
/// (RFC 23: Socket-Type required and compatible; RFC 37: an Identity of at
/// most 255 octets, not starting with a zero octet, where it is used).
pub(super) fn check_properties(
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
