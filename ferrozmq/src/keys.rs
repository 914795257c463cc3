//! CURVE keys as options take them: 32 bytes, or 40 Z85 characters.

use ferrozmq_proto::z85;

use crate::{Error, Result};

/// A key given as 32 raw bytes or as its 40-character Z85 text.
pub(crate) fn parse(key: &[u8]) -> Result<[u8; 32]> {
    let invalid = || Error::InvalidOption("a CURVE key is 32 bytes or 40 Z85 characters");
    let bytes = match key.len() {
        32 => key.to_vec(),
        40 => {
            let text = std::str::from_utf8(key).map_err(|_| invalid())?;
            z85::decode(text).map_err(|_| invalid())?
        }
        _ => return Err(invalid()),
    };
    bytes.try_into().map_err(|_| invalid())
}

/// A new key pair, each as 40 Z85 characters: public, then secret (what
/// libzmq's `zmq_curve_keypair` gives).
pub fn curve_keypair() -> (String, String) {
    let (public, secret) = ferrozmq_proto::CurveSecret::generate();
    let text = |k: &[u8]| z85::encode(k).unwrap_or_default();
    (text(&public), text(secret.as_bytes()))
}

/// The public key of a secret one, both as 40 Z85 characters (libzmq's
/// `zmq_curve_public`).
pub fn curve_public(secret: &str) -> Result<String> {
    let secret = ferrozmq_proto::CurveSecret::new(parse(secret.as_bytes())?);
    Ok(z85::encode(&secret.public()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key pair pyzmq made (`zmq.curve_keypair()`), and the public key
    /// libzmq derives from its secret.
    #[test]
    fn keys_agree_with_libzmq() {
        let public = "@VS#V1xJzlvHG7771yW6tz^!x@@Vw!3R?RCn3[jw";
        let secret = "r17:6U2.Ks&teQg(nI@}^w:ZM&mXm$6TZCilfMmj";
        assert_eq!(curve_public(secret).unwrap(), public);
        assert_eq!(parse(public.as_bytes()).unwrap().len(), 32);
        assert!(parse(b"short").is_err());
        assert!(parse(&[0u8; 33]).is_err());
        let (p, s) = curve_keypair();
        assert_eq!(curve_public(&s).unwrap(), p);
    }
}
