//! The 64-byte ZMTP greeting (RFC 23 section "The Greeting").

use crate::mechanism::NAME_FIELD_LEN;
use crate::{MechanismName, ProtocolError};

/// The first 10 bytes of a ZMTP 3 greeting: `0xFF`, 8 bytes of padding,
/// `0x7F`. libzmq sends `0x01` as the last padding byte (a ZMTP 1.0 length
/// of 1, so old peers read it as an empty identity); we do the same.
pub const SIGNATURE: [u8; 10] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7F];

/// The size of the whole greeting.
pub(crate) const GREETING_LEN: usize = 64;

/// A parsed greeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Greeting {
    /// Major version (3 for ZMTP 3.x; higher versions are read as 3.1).
    pub major: u8,
    /// Minor version (0 for ZMTP 3.0, 1 for 3.1).
    pub minor: u8,
    /// The security mechanism.
    pub mechanism: MechanismName,
    /// The as-server flag (meaningful for PLAIN and CURVE).
    pub as_server: bool,
}

impl Greeting {
    /// Our greeting: ZMTP 3.1 with `mechanism`.
    pub fn new(mechanism: MechanismName, as_server: bool) -> Self {
        Self {
            major: 3,
            minor: 1,
            mechanism,
            as_server,
        }
    }

    /// The 64 bytes on the wire.
    pub fn encode(&self) -> [u8; GREETING_LEN] {
        let mut g = [0u8; GREETING_LEN];
        g[..10].copy_from_slice(&SIGNATURE);
        g[10] = self.major;
        g[11] = self.minor;
        let name = self.mechanism.as_str().as_bytes();
        g[12..12 + name.len()].copy_from_slice(name);
        g[32] = u8::from(self.as_server);
        g
    }

    /// Checks the 10-byte signature as libzmq does: `0xFF` first and the
    /// low bit of the tenth byte set; the padding is never interpreted.
    pub(crate) fn check_signature(sig: &[u8]) -> Result<(), ProtocolError> {
        match sig {
            [0xFF, .., last] if sig.len() == 10 && last & 1 == 1 => Ok(()),
            _ => Err(ProtocolError::BadSignature),
        }
    }

    /// Parses a whole greeting.
    pub fn parse(bytes: &[u8; GREETING_LEN]) -> Result<Self, ProtocolError> {
        Self::check_signature(&bytes[..10])?;
        let major = bytes[10];
        if major < 3 {
            return Err(ProtocolError::UnsupportedVersion { major });
        }
        // A newer major version speaks 3.1 to us (RFC 23: "the peer SHALL
        // use the lower of the two versions").
        let minor = if major > 3 { 1 } else { bytes[11] };
        let mut field = [0u8; NAME_FIELD_LEN];
        field.copy_from_slice(&bytes[12..12 + NAME_FIELD_LEN]);
        let mechanism = MechanismName::parse(&field)?;
        Ok(Self {
            major: 3,
            minor: minor.min(1),
            mechanism,
            as_server: bytes[32] != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 23: signature, version 3.1 ("version-major = %x03",
    /// "version-minor = %x01" in RFC 37), mechanism "NULL" zero-padded to
    /// 20 octets, as-server, 31 octets of filler.
    #[test]
    fn null_greeting_golden_bytes() {
        let expected = hex(
            "ff00000000000000017f 0301 4e554c4c00000000000000000000000000000000 00
             00000000000000000000000000000000000000000000000000000000000000",
        );
        assert_eq!(
            Greeting::new(MechanismName::Null, false).encode().to_vec(),
            expected
        );
        let parsed = Greeting::parse(&expected.try_into().unwrap()).unwrap();
        assert_eq!(parsed, Greeting::new(MechanismName::Null, false));
    }

    #[test]
    fn signature_is_checked_as_libzmq_does() {
        let mut g = Greeting::new(MechanismName::Null, false).encode();
        g[1..9].copy_from_slice(&[7; 8]);
        assert!(Greeting::parse(&g).is_ok(), "padding is never interpreted");
        g[0] = 0xFE;
        assert_eq!(Greeting::parse(&g), Err(ProtocolError::BadSignature));
        g[0] = 0xFF;
        g[9] = 0x7E;
        assert_eq!(Greeting::parse(&g), Err(ProtocolError::BadSignature));
    }

    /// robustness rows 2 and 3: 2.0 refused, 4.9 accepted as 3.1, 3.0 kept
    /// as 3.0, filler ignored.
    #[test]
    fn versions() {
        let mut g = Greeting::new(MechanismName::Null, false).encode();
        g[10] = 1;
        assert_eq!(
            Greeting::parse(&g),
            Err(ProtocolError::UnsupportedVersion { major: 1 })
        );
        g[10] = 4;
        g[11] = 9;
        g[40] = 0xAA;
        let p = Greeting::parse(&g).unwrap();
        assert_eq!((p.major, p.minor), (3, 1));
        g[10] = 3;
        g[11] = 0;
        assert_eq!(Greeting::parse(&g).unwrap().minor, 0);
    }

    #[test]
    fn mechanisms() {
        for m in [
            MechanismName::Null,
            MechanismName::Plain,
            MechanismName::Curve,
        ] {
            let g = Greeting::new(m, true).encode();
            assert_eq!(Greeting::parse(&g).unwrap().mechanism, m);
            assert!(Greeting::parse(&g).unwrap().as_server);
        }
        let mut g = Greeting::new(MechanismName::Null, false).encode();
        g[12..17].copy_from_slice(b"NULLX");
        assert_eq!(Greeting::parse(&g), Err(ProtocolError::UnknownMechanism));
        let mut g = Greeting::new(MechanismName::Null, false).encode();
        g[20] = b'X';
        assert_eq!(Greeting::parse(&g), Err(ProtocolError::UnknownMechanism));
    }
}
