//! Z85 (ZeroMQ RFC 32): binary as printable text, 4 bytes to 5
//! characters, as CURVE keys are written (40 characters for 32 bytes).

use std::fmt;

/// The 85 characters, in value order.
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Why a Z85 conversion failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Z85Error {
    /// Binary to encode must be a multiple of 4 bytes long.
    BinaryLength(usize),
    /// Text to decode must be a multiple of 5 characters long.
    TextLength(usize),
    /// A character outside the alphabet, at this byte offset.
    Character(usize),
    /// A group of five characters worth more than 32 bits, at this offset.
    Overflow(usize),
}

impl fmt::Display for Z85Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BinaryLength(n) => write!(f, "z85: {n} bytes is not a multiple of 4"),
            Self::TextLength(n) => write!(f, "z85: {n} characters is not a multiple of 5"),
            Self::Character(at) => write!(f, "z85: not a Z85 character at offset {at}"),
            Self::Overflow(at) => write!(f, "z85: a group worth more than 32 bits at offset {at}"),
        }
    }
}

impl std::error::Error for Z85Error {}

/// `data` as Z85 text.
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if !data.len().is_multiple_of(4) {
        return Err(Z85Error::BinaryLength(data.len()));
    }
    let mut text = String::with_capacity(data.len() / 4 * 5);
    for group in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([group[0], group[1], group[2], group[3]]);
        let mut chars = [0u8; 5];
        for c in chars.iter_mut().rev() {
            *c = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        text.extend(chars.iter().map(|&c| char::from(c)));
    }
    Ok(text)
}

/// The value of a Z85 character.
fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|v| v as u32)
}

/// The binary `text` encodes.
pub fn decode(text: &str) -> Result<Vec<u8>, Z85Error> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(5) {
        return Err(Z85Error::TextLength(bytes.len()));
    }
    let mut data = Vec::with_capacity(bytes.len() / 5 * 4);
    for (g, group) in bytes.chunks_exact(5).enumerate() {
        let mut value: u64 = 0;
        for (i, &c) in group.iter().enumerate() {
            let digit = value_of(c).ok_or(Z85Error::Character(g * 5 + i))?;
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Z85Error::Overflow(g * 5))?;
        data.extend_from_slice(&value.to_be_bytes());
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 32's test vector, and CURVE's key sizes.
    #[test]
    fn the_rfc_vector_round_trips() {
        let hello = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        assert_eq!(encode(&hello).unwrap(), "HelloWorld");
        assert_eq!(decode("HelloWorld").unwrap(), hello);
        // What pyzmq's `zmq.utils.z85.encode(bytes(range(32)))` gives.
        let key: Vec<u8> = (0..32).collect();
        let text = encode(&key).unwrap();
        assert_eq!(text, "009c61o!#m2NH?C3>iWS5d]J*6CRx17-skh9337x");
        assert_eq!(decode(&text).unwrap(), key);
        assert_eq!(encode(&[]).unwrap(), "");
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(encode(&[0; 4]).unwrap(), "00000");
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(encode(&[1, 2, 3]), Err(Z85Error::BinaryLength(3)));
        assert_eq!(decode("Hello"), Ok(vec![0x86, 0x4F, 0xD2, 0x6F]));
        assert_eq!(decode("Hell"), Err(Z85Error::TextLength(4)));
        assert_eq!(decode("Hel\"o"), Err(Z85Error::Character(3)));
        assert_eq!(decode("héllo"), Err(Z85Error::TextLength(6)));
        assert_eq!(decode("#####"), Err(Z85Error::Overflow(0)));
        assert_eq!(decode("%nSc1"), Err(Z85Error::Overflow(0)));
    }
}
