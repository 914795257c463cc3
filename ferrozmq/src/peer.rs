//! [`Peer`] and [`PeerAddress`]: who is at the other end of a pipe.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use ferrozmq_proto::{Metadata, PeerInfo};

/// Where a peer is: the address of the other end of its connection. Each
/// transport has its own kind of address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PeerAddress {
    /// A TCP peer's IP address and port.
    Tcp(SocketAddr),
    /// A peer over `ipc://` (a Unix socket's peer has no address).
    Ipc,
    /// Another socket of the same context, over `inproc://`.
    Inproc,
}

impl PeerAddress {
    /// What a message's `Peer-Address` property says, as libzmq: for TCP,
    /// the IP address without the port.
    pub(crate) fn property(&self) -> String {
        match self {
            Self::Tcp(addr) => addr.ip().to_string(),
            Self::Ipc | Self::Inproc => String::new(),
        }
    }
}

impl fmt::Display for PeerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Ipc => f.write_str("ipc peer"),
            Self::Inproc => f.write_str("inproc peer"),
        }
    }
}

impl From<SocketAddr> for PeerAddress {
    fn from(addr: SocketAddr) -> Self {
        Self::Tcp(addr)
    }
}

/// A peer whose handshake completed, as its socket sees it.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    /// What every message from it carries, and what a pattern may go by:
    /// its handshake's properties (`Socket-Type`, `Identity`, ...),
    /// `Peer-Address`, and `User-Id` if it has one.
    pub(crate) properties: Arc<Metadata>,
    /// The identity it announced, for a socket that routes by identity
    /// (ROUTER): checked at the handshake (at most 255 bytes, not starting
    /// with a zero byte); `None` when it announced none.
    pub(crate) routing_id: Option<bytes::Bytes>,
}

impl Peer {
    pub(crate) fn new(info: PeerInfo, address: &PeerAddress) -> Self {
        let mut properties = info.metadata;
        properties.insert("Peer-Address", address.property());
        if let Some(user_id) = info.user_id {
            properties.insert("User-Id", user_id);
        }
        Self {
            properties: Arc::new(properties),
            routing_id: info.routing_id,
        }
    }
}
