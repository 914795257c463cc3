//! ZMTP frames (RFC 23 section "Framing"): a flags octet, a 1- or 8-octet
//! size, then the body.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::ProtocolError;

/// The flags octet of a frame. The reserved bits 3..7 are ignored, as
/// libzmq ignores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameFlags(pub u8);

impl FrameFlags {
    /// More frames of the same message follow.
    pub const MORE: u8 = 0x01;
    /// The size is 8 octets (else 1).
    pub const LONG: u8 = 0x02;
    /// The frame is a command, not message data.
    pub const COMMAND: u8 = 0x04;

    /// Whether the MORE bit is set.
    pub fn more(self) -> bool {
        self.0 & Self::MORE != 0
    }

    /// Whether the LONG bit is set.
    pub fn long(self) -> bool {
        self.0 & Self::LONG != 0
    }

    /// Whether the COMMAND bit is set.
    pub fn command(self) -> bool {
        self.0 & Self::COMMAND != 0
    }
}

/// One decoded frame; the body shares the read buffer (no copy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The flags octet.
    pub flags: FrameFlags,
    /// The body.
    pub body: Bytes,
}

/// The size of the longest frame header: flags and an 8-octet size.
pub(crate) const FRAME_HEADER_MAX: usize = 9;

/// The largest size a frame may declare at all: its body must fit in
/// memory as one buffer.
pub(crate) const ABSOLUTE_LIMIT: u64 = i64::MAX as u64;

/// Splits frames off the front of a read buffer. It keeps no state between
/// frames: a partial frame stays in the caller's buffer until the rest of it
/// arrives.
#[derive(Clone, Debug, Default)]
pub struct FrameDecoder;

/// A frame's header, peeked from the buffer.
struct Header {
    flags: FrameFlags,
    header_len: usize,
    body_len: u64,
}

impl FrameDecoder {
    /// Takes the next whole frame from `buf`; `Ok(None)` when more bytes
    /// are needed (they stay in `buf`). A size over `limit` is an error as
    /// soon as the header is in, before any byte of the body is awaited.
    pub fn decode(
        &mut self,
        buf: &mut BytesMut,
        limit: u64,
    ) -> Result<Option<Frame>, ProtocolError> {
        let Some(header) = peek_header(buf) else {
            return Ok(None);
        };
        let limit = limit.min(ABSOLUTE_LIMIT);
        if header.body_len > limit {
            return Err(ProtocolError::FrameTooLarge {
                size: header.body_len,
                limit,
            });
        }
        // Fits in usize: it is at most i64::MAX, and the buffer holds it.
        let total = header.header_len as u64 + header.body_len;
        if (buf.len() as u64) < total {
            return Ok(None);
        }
        buf.advance(header.header_len);
        let body = buf.split_to(header.body_len as usize).freeze();
        Ok(Some(Frame {
            flags: header.flags,
            body,
        }))
    }

    /// How many more bytes the frame at the front of `buf` needs (0 when
    /// its header is not in yet, or it is complete).
    pub fn needed(&self, buf: &[u8]) -> usize {
        peek_header(buf).map_or(0, |h| {
            let total = (h.header_len as u64).saturating_add(h.body_len);
            usize::try_from(total.saturating_sub(buf.len() as u64)).unwrap_or(usize::MAX)
        })
    }
}

fn peek_header(buf: &[u8]) -> Option<Header> {
    let flags = FrameFlags(*buf.first()?);
    if flags.long() {
        let size: [u8; 8] = buf.get(1..9)?.try_into().ok()?;
        Some(Header {
            flags,
            header_len: 9,
            body_len: u64::from_be_bytes(size),
        })
    } else {
        Some(Header {
            flags,
            header_len: 2,
            body_len: u64::from(*buf.get(1)?),
        })
    }
}

/// Writes a frame header: `flags` (MORE and/or COMMAND) plus the short
/// form for bodies up to 255 bytes, else the long form.
pub fn encode_frame_header(flags: u8, len: usize, dst: &mut BytesMut) {
    if len <= 255 {
        dst.put_u8(flags & !FrameFlags::LONG);
        dst.put_u8(len as u8);
    } else {
        dst.put_u8(flags | FrameFlags::LONG);
        dst.put_u64(len as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], limit: u64) -> Result<Vec<Frame>, ProtocolError> {
        let mut buf = BytesMut::from(bytes);
        let mut frames = Vec::new();
        while let Some(f) = FrameDecoder.decode(&mut buf, limit)? {
            frames.push(f);
        }
        Ok(frames)
    }

    /// RFC 23: "a short frame [has] a single octet size", "a long frame
    /// [has] an 8-octet size in network byte order".
    #[test]
    fn short_and_long_frames_golden_bytes() {
        let mut dst = BytesMut::new();
        encode_frame_header(FrameFlags::MORE, 5, &mut dst);
        encode_frame_header(0, 256, &mut dst);
        encode_frame_header(FrameFlags::COMMAND, 0, &mut dst);
        assert_eq!(
            dst[..],
            [0x01, 0x05, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x04, 0x00]
        );
        let mut wire = vec![0x01, 0x02, b'h', b'i', 0x02];
        wire.extend(3u64.to_be_bytes());
        wire.extend(b"abc");
        let frames = decode_all(&wire, u64::MAX).unwrap();
        assert_eq!(frames.len(), 2);
        assert!(frames[0].flags.more());
        assert_eq!(frames[0].body, "hi");
        assert!(!frames[1].flags.more());
        assert_eq!(frames[1].body, "abc");
    }

    #[test]
    fn partial_frames_wait_for_their_bytes() {
        let wire = [0x00, 0x03, b'a', b'b', b'c'];
        let mut buf = BytesMut::new();
        for (i, b) in wire.iter().enumerate() {
            assert_eq!(FrameDecoder.decode(&mut buf, 10).unwrap(), None);
            buf.put_u8(*b);
            if i == 1 {
                assert_eq!(FrameDecoder.needed(&buf), 3);
            }
        }
        assert_eq!(
            FrameDecoder.decode(&mut buf, 10).unwrap().unwrap().body,
            "abc"
        );
        assert!(buf.is_empty());
    }

    /// robustness row 5: 2^64-1, 2^63 and sizes over the limit are refused
    /// as soon as the header is in, with nothing allocated for the body.
    #[test]
    fn oversized_frames_are_refused_from_the_header() {
        for size in [u64::MAX, 1 << 63, 1001] {
            let mut wire = vec![0x02];
            wire.extend(size.to_be_bytes());
            let err = decode_all(&wire, 1000).unwrap_err();
            assert!(matches!(err, ProtocolError::FrameTooLarge { .. }), "{size}");
        }
        let mut wire = vec![0x02];
        wire.extend((1u64 << 63).to_be_bytes());
        let err = decode_all(&wire, u64::MAX).unwrap_err();
        assert!(matches!(err, ProtocolError::FrameTooLarge { size, .. } if size == 1 << 63));
        assert!(decode_all(&[0x00, 0xFF], 254).is_err());
    }

    #[test]
    fn reserved_flag_bits_are_ignored() {
        let frames = decode_all(&[0xF9, 0x01, b'x'], 10).unwrap();
        assert!(frames[0].flags.more());
        assert!(!frames[0].flags.command());
    }
}
