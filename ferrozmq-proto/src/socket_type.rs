//! [`SocketType`] and the compatibility matrix of RFC 23/37.

use std::fmt;
use std::str::FromStr;

/// The eleven standard ZeroMQ socket types.
///
/// The type travels in the READY command's `Socket-Type` property; two peers
/// connect only when their types are compatible ([`SocketType::is_compatible`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Exclusive pair (RFC 31).
    Pair,
    /// Publisher (RFC 29).
    Pub,
    /// Subscriber (RFC 29).
    Sub,
    /// Requester (RFC 28).
    Req,
    /// Replier (RFC 28).
    Rep,
    /// Asynchronous requester (RFC 28).
    Dealer,
    /// Asynchronous replier, routing by identity (RFC 28).
    Router,
    /// Pipeline receiver (RFC 30).
    Pull,
    /// Pipeline sender (RFC 30).
    Push,
    /// Publisher that sees subscriptions (RFC 29).
    XPub,
    /// Subscriber that sends subscriptions as messages (RFC 29).
    XSub,
    /// Raw TCP, no ZMTP at all (libzmq's `ZMQ_STREAM`): each message is
    /// the bytes one read brought, each sent message's bytes go out as
    /// they are.
    Stream,
}

impl SocketType {
    /// All socket types.
    pub const ALL: [SocketType; 12] = [
        Self::Pair,
        Self::Pub,
        Self::Sub,
        Self::Req,
        Self::Rep,
        Self::Dealer,
        Self::Router,
        Self::Pull,
        Self::Push,
        Self::XPub,
        Self::XSub,
        Self::Stream,
    ];

    /// The name sent in the `Socket-Type` property, e.g. `"REQ"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pair => "PAIR",
            Self::Pub => "PUB",
            Self::Sub => "SUB",
            Self::Req => "REQ",
            Self::Rep => "REP",
            Self::Dealer => "DEALER",
            Self::Router => "ROUTER",
            Self::Pull => "PULL",
            Self::Push => "PUSH",
            Self::XPub => "XPUB",
            Self::XSub => "XSUB",
            Self::Stream => "STREAM",
        }
    }

    /// Parses the exact (upper-case) name a peer sends in `Socket-Type`.
    pub fn from_wire(name: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// Whether a socket of this type may talk to a peer of type `peer`
    /// (the table in RFC 37, section "The Socket-Type Property").
    pub fn is_compatible(self, peer: SocketType) -> bool {
        use SocketType::*;
        match self {
            Pair => peer == Pair,
            Pub | XPub => matches!(peer, Sub | XSub),
            Sub | XSub => matches!(peer, Pub | XPub),
            Req => matches!(peer, Rep | Router),
            Rep => matches!(peer, Req | Dealer),
            Dealer => matches!(peer, Rep | Dealer | Router),
            Router => matches!(peer, Req | Dealer | Router),
            Pull => peer == Push,
            Push => peer == Pull,
            // It speaks no ZMTP: no ZMTP peer is one.
            Stream => false,
        }
    }

    /// Whether this type addresses its peers by the `Identity` they
    /// announce (RFC 37: only ROUTER; every other type ignores it).
    pub fn routes_by_identity(self) -> bool {
        self == Self::Router
    }

    /// Whether this type announces its routing id in the READY `Identity`
    /// property (libzmq does so for REQ, DEALER and ROUTER).
    pub fn sends_identity(self) -> bool {
        matches!(self, Self::Req | Self::Dealer | Self::Router)
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a socket type name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown socket type {0:?}")]
pub struct UnknownSocketType(pub String);

impl FromStr for SocketType {
    type Err = UnknownSocketType;

    /// Parses a name in any case: `"req"`, `"REQ"`, `"xpub"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSocketType(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 37: "the socket types that may be connected ... SHALL be
    /// compatible"; the relation is symmetric.
    #[test]
    fn compatibility_is_symmetric_and_matches_the_rfc() {
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(a.is_compatible(b), b.is_compatible(a), "{a} {b}");
            }
        }
        assert!(SocketType::Req.is_compatible(SocketType::Router));
        assert!(!SocketType::Req.is_compatible(SocketType::Req));
        assert!(!SocketType::Push.is_compatible(SocketType::Push));
        let pairs = SocketType::ALL
            .iter()
            .flat_map(|a| SocketType::ALL.iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.is_compatible(**b))
            .count();
        assert_eq!(pairs, 21);
    }

    #[test]
    fn names_round_trip() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_wire(t.as_str().as_bytes()), Some(t));
            assert_eq!(t.as_str().to_lowercase().parse::<SocketType>(), Ok(t));
        }
        assert_eq!(SocketType::from_wire(b"req"), None);
        assert!("nope".parse::<SocketType>().is_err());
    }
}
