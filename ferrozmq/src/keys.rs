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

/// The value of a `name = "value"` line of a certificate file (the ZPL
/// format of pyzmq's and czmq's certificates), if the line is that.
pub(crate) fn certificate_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (key, value) = line.trim().split_once('=')?;
    (key.trim() == name).then(|| value.trim().trim_matches('"'))
}

/// A certificate file in pyzmq's format: the public key, and the secret
/// one if given (a `.key_secret` file's contents).
pub fn certificate(public: &str, secret: Option<&str>) -> String {
    let mut text =
        String::from("#   ZeroMQ CURVE certificate, written by ferrozmq\n\nmetadata\ncurve\n");
    text.push_str(&format!("    public-key = \"{public}\"\n"));
    if let Some(secret) = secret {
        text.push_str(&format!("    secret-key = \"{secret}\"\n"));
    }
    text
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
        let cert = certificate(&p, Some(&s));
        let read: Vec<&str> = cert
            .lines()
            .filter_map(|l| certificate_value(l, "public-key"))
            .collect();
        assert_eq!(read, [p.as_str()]);
        assert_eq!(
            certificate_value(
                r#"    public-key = "]D!50]CU0b=Ir#FT-mK>]DZhkP03k=bniuQQQ&@-""#,
                "public-key"
            ),
            Some("]D!50]CU0b=Ir#FT-mK>]DZhkP03k=bniuQQQ&@-"),
            "a line of pyzmq's"
        );
    }
}
