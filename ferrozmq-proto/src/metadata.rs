//! Metadata properties (RFC 23 "The READY command"): name (1-octet length)
//! and value (4-octet length) pairs.

use bytes::{BufMut, Bytes, BytesMut};

use crate::ProtocolError;
use crate::reader::Reader;

/// An ordered list of properties. Names compare case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    entries: Vec<(String, Bytes)>,
}

impl Metadata {
    /// No properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of the first property named `name` (any case).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// How many properties are named `name` (any case).
    pub fn count(&self, name: &str) -> usize {
        self.entries
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    /// Appends a property. Names are 1 to 255 bytes (RFC 23): longer names
    /// are truncated to 255, an empty one is ignored.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Bytes>) {
        let mut name = name.into();
        if name.is_empty() {
            return;
        }
        while name.len() > 255 {
            name.pop();
        }
        self.entries.push((name, value.into()));
    }

    /// The properties, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// True when there are no properties.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Parses a metadata block, checking every length against what is left.
    /// Duplicates are kept (the caller decides which must be unique). The
    /// values are copies, not slices of `body`.
    pub fn parse(body: Bytes) -> Result<Self, ProtocolError> {
        use ProtocolError::MalformedMetadata as Bad;
        let mut r = Reader::new(body);
        let mut entries = Vec::new();
        while !r.is_empty() {
            let name_len = r.u8().ok_or(Bad("truncated name length"))?;
            if name_len == 0 {
                return Err(Bad("empty property name"));
            }
            let name = r.take(name_len.into()).ok_or(Bad("name past the body"))?;
            let name = String::from_utf8(name.to_vec()).map_err(|_| Bad("name is not text"))?;
            let value_len = r.u32().ok_or(Bad("truncated value length"))?;
            let value_len = usize::try_from(value_len).map_err(|_| Bad("value too long"))?;
            let value = r.take(value_len).ok_or(Bad("value past the body"))?;
            // Copied: the peer's properties live as long as its connection,
            // and a slice would keep the whole read buffer it came in alive.
            entries.push((name, Bytes::copy_from_slice(&value)));
        }
        Ok(Self { entries })
    }

    /// The size of the encoded block.
    pub fn encoded_len(&self) -> usize {
        self.entries
            .iter()
            .map(|(n, v)| 1 + n.len() + 4 + v.len())
            .sum()
    }

    /// Appends the encoded block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        for (name, value) in &self.entries {
            dst.put_u8(name.len() as u8);
            dst.put_slice(name.as_bytes());
            dst.put_u32(value.len() as u32);
            dst.put_slice(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_round_trip() {
        let mut m = Metadata::new();
        m.insert("Socket-Type", "REQ");
        m.insert("Identity", "");
        let mut dst = BytesMut::new();
        m.encode(&mut dst);
        let mut expected = b"\x0bSocket-Type\x00\x00\x00\x03REQ".to_vec();
        expected.extend(b"\x08Identity\x00\x00\x00\x00");
        assert_eq!(dst[..], expected[..]);
        assert_eq!(m.encoded_len(), expected.len());
        let parsed = Metadata::parse(dst.freeze()).unwrap();
        assert_eq!(parsed, m);
        assert_eq!(parsed.get("socket-type").unwrap(), "REQ");
    }

    /// A value outlives the read buffer its READY came in without keeping
    /// it alive.
    #[test]
    fn values_are_copies_not_slices_of_the_body() {
        let body = Bytes::from_static(b"\x0bSocket-Type\x00\x00\x00\x03REQ");
        let parsed = Metadata::parse(body.clone()).unwrap();
        let value = parsed.get("Socket-Type").unwrap();
        assert_eq!(value, "REQ");
        assert!(!body.as_ptr_range().contains(&value.as_ptr()));
    }

    /// robustness row 8: lengths past the body and empty names are refused
    /// (zmq.rs #286 sliced out of bounds here).
    #[test]
    fn malformed_blocks_are_refused() {
        for bad in [
            &b"\x00"[..],
            b"\x05abc",
            b"\x03abc\x00\x00",
            b"\x03abc\x00\x00\x00\x05xy",
            b"\x03abc\xff\xff\xff\xff",
            b"\x02\xff\xfe\x00\x00\x00\x00",
        ] {
            assert!(
                Metadata::parse(Bytes::copy_from_slice(bad)).is_err(),
                "{bad:?}"
            );
        }
    }
}
