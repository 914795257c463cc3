//! ZMTP commands (RFC 23 and RFC 37): a 1-octet name length, the name,
//! then command data.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};

use crate::frame::{FrameFlags, encode_frame_header};
use crate::reader::Reader;
use crate::{Metadata, ProtocolError};

/// The most PING context a PONG echoes (RFC 37: "up to 16 octets").
pub(crate) const MAX_PING_CONTEXT: usize = 16;

/// The name of the command that ends the NULL handshake.
pub(crate) const READY: &[u8] = b"READY";
/// The name of the command that ends a connection with a reason.
pub(crate) const ERROR: &[u8] = b"ERROR";

/// A command.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Ends the NULL handshake with the sender's properties.
    Ready(Metadata),
    /// The peer gives up, with a reason.
    Error {
        /// Why, in text (at most 255 bytes).
        reason: Bytes,
    },
    /// Subscribe to a topic prefix (ZMTP 3.1).
    Subscribe(Bytes),
    /// Cancel a subscription (ZMTP 3.1).
    Cancel(Bytes),
    /// A heartbeat (ZMTP 3.1).
    Ping(Ping),
    /// The answer to a PING.
    Pong(Pong),
    /// A command this implementation does not know; ignored, as libzmq does.
    Unknown {
        /// Its name.
        name: Bytes,
        /// Its data.
        body: Bytes,
    },
}

/// A PING: "are you there", with how long the sender may stay silent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ping {
    /// The time to live the sender announces: if the receiver hears nothing
    /// for this long, it may close the connection. Zero means none. On the
    /// wire it is a u16 count of deciseconds, so at most 6553.5 s.
    pub ttl: Duration,
    /// Opaque bytes the PONG echoes (at most 16 are echoed).
    pub context: Bytes,
}

/// A PONG, echoing a PING's context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pong {
    /// The echoed context.
    pub context: Bytes,
}

impl Command {
    /// Splits a command frame's body into its name and its data.
    pub fn split(body: Bytes) -> Result<(Bytes, Bytes), ProtocolError> {
        use ProtocolError::MalformedCommand as Bad;
        let mut r = Reader::new(body);
        let name_len = r.u8().ok_or(Bad("empty command frame"))?;
        if name_len == 0 {
            return Err(Bad("empty command name"));
        }
        let name = r
            .take(name_len.into())
            .ok_or(Bad("command name past the body"))?;
        Ok((name, r.rest()))
    }

    /// Parses a command frame's body.
    pub fn parse(body: Bytes) -> Result<Self, ProtocolError> {
        let (name, data) = Self::split(body)?;
        Self::parse_data(name, data)
    }

    /// Parses a command's data, given its name.
    pub(crate) fn parse_data(name: Bytes, data: Bytes) -> Result<Self, ProtocolError> {
        use ProtocolError::MalformedCommand as Bad;
        let mut r = Reader::new(data);
        Ok(match &name[..] {
            READY => Self::Ready(Metadata::parse(r.rest())?),
            ERROR => {
                let len = r.u8().ok_or(Bad("truncated error reason"))?;
                let reason = r
                    .take(len.into())
                    .ok_or(Bad("error reason past the body"))?;
                Self::Error { reason }
            }
            b"SUBSCRIBE" => Self::Subscribe(r.rest()),
            b"CANCEL" => Self::Cancel(r.rest()),
            b"PING" => {
                let ttl = r.u16().ok_or(Bad("ping without a ttl"))?;
                Self::Ping(Ping {
                    ttl: Duration::from_millis(u64::from(ttl) * 100),
                    context: r.rest(),
                })
            }
            b"PONG" => Self::Pong(Pong { context: r.rest() }),
            _ => Self::Unknown {
                name,
                body: r.rest(),
            },
        })
    }

    /// Appends the whole command frame (header and body) to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        encode_frame_header(FrameFlags::COMMAND, self.body_len(), dst);
        self.encode_body(dst);
    }

    /// The size of the command frame's body.
    pub fn body_len(&self) -> usize {
        let (name, data_len) = self.name_and_data_len();
        1 + name.len() + data_len
    }

    fn name_and_data_len(&self) -> (&[u8], usize) {
        match self {
            Self::Ready(m) => (READY, m.encoded_len()),
            Self::Error { reason } => (ERROR, 1 + reason.len().min(255)),
            Self::Subscribe(t) => (b"SUBSCRIBE", t.len()),
            Self::Cancel(t) => (b"CANCEL", t.len()),
            Self::Ping(p) => (b"PING", 2 + p.context.len().min(MAX_PING_CONTEXT)),
            Self::Pong(p) => (b"PONG", p.context.len().min(MAX_PING_CONTEXT)),
            Self::Unknown { name, body } => (&name[..name.len().min(255)], body.len()),
        }
    }

    /// Appends the command frame's body (name length, name, data) to `dst`.
    pub fn encode_body(&self, dst: &mut BytesMut) {
        let (name, _) = self.name_and_data_len();
        dst.put_u8(name.len() as u8);
        dst.put_slice(name);
        match self {
            Self::Ready(m) => m.encode(dst),
            Self::Error { reason } => {
                let reason = &reason[..reason.len().min(255)];
                dst.put_u8(reason.len() as u8);
                dst.put_slice(reason);
            }
            Self::Subscribe(t) | Self::Cancel(t) => dst.put_slice(t),
            Self::Ping(p) => {
                let deciseconds = (p.ttl.as_millis() / 100).min(u128::from(u16::MAX));
                dst.put_u16(deciseconds as u16);
                dst.put_slice(&p.context[..p.context.len().min(MAX_PING_CONTEXT)]);
            }
            Self::Pong(p) => dst.put_slice(&p.context[..p.context.len().min(MAX_PING_CONTEXT)]),
            Self::Unknown { body, .. } => dst.put_slice(body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(c: &Command) -> Vec<u8> {
        let mut dst = BytesMut::new();
        c.encode(&mut dst);
        dst.to_vec()
    }

    fn round_trip(c: Command) {
        let wire = encoded(&c);
        assert_eq!(Command::parse(Bytes::from(wire[2..].to_vec())).unwrap(), c);
    }

    /// RFC 37: "ping = command-size %d4 "PING" ping-ttl ping-context" with a
    /// 2-octet TTL in tenths of a second.
    #[test]
    fn ping_pong_golden_bytes() {
        let ping = Command::Ping(Ping {
            ttl: Duration::from_millis(1500),
            context: Bytes::from_static(b"ab"),
        });
        assert_eq!(encoded(&ping), b"\x04\x09\x04PING\x00\x0fab");
        let pong = Command::Pong(Pong {
            context: Bytes::from_static(b"ab"),
        });
        assert_eq!(encoded(&pong), b"\x04\x07\x04PONGab");
        round_trip(ping);
        round_trip(pong);
    }

    #[test]
    fn ready_subscribe_error_golden_bytes() {
        let mut m = Metadata::new();
        m.insert("Socket-Type", "REP");
        assert_eq!(
            encoded(&Command::Ready(m.clone())),
            b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03REP"
        );
        assert_eq!(
            encoded(&Command::Subscribe(Bytes::from_static(b"t"))),
            b"\x04\x0b\x09SUBSCRIBEt"
        );
        assert_eq!(
            encoded(&Command::Error {
                reason: Bytes::from_static(b"no")
            }),
            b"\x04\x09\x05ERROR\x02no"
        );
        round_trip(Command::Ready(m));
        round_trip(Command::Cancel(Bytes::from_static(b"topic")));
    }

    /// robustness row 11: TTL 0xFFFF is 6553.5 s, not a wrapped u16 of
    /// milliseconds (libzmq #4226); a context over 16 bytes parses but only
    /// 16 are ever echoed.
    #[test]
    fn ping_ttl_and_context_limits() {
        let Command::Ping(p) = Command::parse(Bytes::from_static(b"\x04PING\xff\xff")).unwrap()
        else {
            panic!("not a ping");
        };
        assert_eq!(p.ttl, Duration::from_millis(6_553_500));
        let long = Command::parse(Bytes::from_static(
            b"\x04PING\x00\x01abcdefghijklmnopqrstuvwxyz",
        ))
        .unwrap();
        let Command::Ping(p) = long else { panic!() };
        let pong = Command::Pong(Pong { context: p.context });
        assert_eq!(encoded(&pong).len(), 2 + 5 + 16);
    }

    /// robustness rows 8 and 11: name length 0 or past the body, a PING
    /// body shorter than its TTL (rzmq panicked), an ERROR reason past the
    /// body.
    #[test]
    fn malformed_commands_are_refused() {
        for bad in [
            &b""[..],
            b"\x00",
            b"\x09PING",
            b"\x04PING",
            b"\x04PING\x00",
            b"\x05ERROR\x05no",
            b"\x05ERROR",
            b"\x05READY\x00",
        ] {
            assert!(
                Command::parse(Bytes::copy_from_slice(bad)).is_err(),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Command::parse(Bytes::from_static(b"\x03FOOdata")).unwrap(),
            Command::Unknown { .. }
        ));
    }
}
