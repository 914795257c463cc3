//! ZAP, the ZeroMQ Authentication Protocol (RFC 27): the request a
//! mechanism's handshake waits on and the handler's reply, as message
//! frames. How they reach the handler (`inproc://zeromq.zap.01`) is the
//! I/O layer's business.

use bytes::Bytes;

use crate::{MechanismName, Metadata, ProtocolError};

/// The only ZAP version (RFC 27: "The version frame, which SHALL contain
/// the three octets "1.0"").
const VERSION: &[u8] = b"1.0";

/// What a mechanism asks the ZAP handler about its peer. The I/O layer
/// adds what only it knows (the request id, the domain, the peer's
/// address, the routing id) in [`ZapRequest::frames`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZapRequest {
    /// The mechanism asking.
    pub mechanism: MechanismName,
    /// Its credentials: none for NULL, user name and password for PLAIN,
    /// the client's public key for CURVE.
    pub credentials: Vec<Bytes>,
}

impl ZapRequest {
    /// The request's frames, in RFC 27 order: version, request id, domain,
    /// address, identity, mechanism, credentials.
    pub fn frames(
        &self,
        request_id: &[u8],
        domain: &[u8],
        address: &[u8],
        identity: &[u8],
    ) -> Vec<Bytes> {
        let mut frames = vec![
            Bytes::from_static(VERSION),
            Bytes::copy_from_slice(request_id),
            Bytes::copy_from_slice(domain),
            Bytes::copy_from_slice(address),
            Bytes::copy_from_slice(identity),
            Bytes::from_static(self.mechanism.as_str().as_bytes()),
        ];
        frames.extend(self.credentials.iter().cloned());
        frames
    }
}

/// The ZAP handler's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZapReply {
    /// 200 (allowed), 300 (temporary error), 400 (denied) or 500 (internal
    /// error).
    pub status_code: u16,
    /// Why, for humans.
    pub status_text: Bytes,
    /// Who the peer is, as the handler names it (the `User-Id` property
    /// of its messages).
    pub user_id: Bytes,
    /// More properties the handler gives the peer's messages.
    pub metadata: Metadata,
}

impl ZapReply {
    /// An answer of `status_code` with nothing else.
    pub fn new(status_code: u16) -> Self {
        Self {
            status_code,
            status_text: Bytes::new(),
            user_id: Bytes::new(),
            metadata: Metadata::new(),
        }
    }

    /// Parses a reply's frames (no envelope), checking it answers
    /// `request_id`. Anything off is an error: the handshake fails closed.
    pub fn parse(frames: &[Bytes], request_id: &[u8]) -> Result<Self, ProtocolError> {
        use ProtocolError::MalformedZapReply as Bad;
        let [version, id, status, text, user_id, metadata] = frames else {
            return Err(Bad("not six frames"));
        };
        if version != VERSION {
            return Err(Bad("version is not 1.0"));
        }
        if id != request_id {
            return Err(Bad("request id does not match"));
        }
        let status_code = match &status[..] {
            b"200" => 200,
            b"300" => 300,
            b"400" => 400,
            b"500" => 500,
            _ => return Err(Bad("status code is not 200, 300, 400 or 500")),
        };
        Ok(Self {
            status_code,
            status_text: text.clone(),
            user_id: user_id.clone(),
            metadata: Metadata::parse(metadata.clone())?,
        })
    }

    /// Allowed? Any other status fails the handshake with this error.
    pub(crate) fn check(&self) -> Result<(), ProtocolError> {
        if self.status_code == 200 {
            Ok(())
        } else {
            Err(ProtocolError::AuthenticationFailed {
                status_code: self.status_code,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(parts: &[&'static [u8]]) -> Vec<Bytes> {
        parts.iter().map(|p| Bytes::from_static(p)).collect()
    }

    /// RFC 27: "The request message SHALL consist of the following message
    /// frames: version, request id, domain, address, identity, mechanism,
    /// credentials".
    #[test]
    fn request_frames_are_in_rfc_order() {
        let request = ZapRequest {
            mechanism: MechanismName::Plain,
            credentials: frames(&[b"admin", b"secret"]),
        };
        assert_eq!(
            request.frames(b"7", b"global", b"127.0.0.1", b""),
            frames(&[
                b"1.0",
                b"7",
                b"global",
                b"127.0.0.1",
                b"",
                b"PLAIN",
                b"admin",
                b"secret"
            ])
        );
    }

    /// RFC 27: "The reply message SHALL consist of: version, request id,
    /// status code, status text, user id, metadata".
    #[test]
    fn replies_parse_and_fail_closed() {
        let ok = ZapReply::parse(
            &frames(&[
                b"1.0",
                b"7",
                b"200",
                b"OK",
                b"alice",
                b"\x01a\x00\x00\x00\x01b",
            ]),
            b"7",
        )
        .unwrap();
        assert_eq!(ok.status_code, 200);
        assert_eq!(ok.user_id, "alice");
        assert_eq!(ok.metadata.get("a").unwrap(), "b");
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(
            ZapReply::new(400).check(),
            Err(ProtocolError::AuthenticationFailed { status_code: 400 })
        );
        for bad in [
            frames(&[b"1.0", b"7", b"200", b"OK", b"alice"]),
            frames(&[b"1.1", b"7", b"200", b"", b"", b""]),
            frames(&[b"1.0", b"8", b"200", b"", b"", b""]),
            frames(&[b"1.0", b"7", b"201", b"", b"", b""]),
            frames(&[b"1.0", b"7", b"20", b"", b"", b""]),
            frames(&[b"1.0", b"7", b"200", b"", b"", b"\x05a"]),
            frames(&[b"1.0", b"7", b"200", b"", b"", b"", b""]),
        ] {
            assert!(ZapReply::parse(&bad, b"7").is_err(), "{bad:?}");
        }
    }
}
