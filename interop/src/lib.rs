//! Helpers of `ferrozmq-peer` (`examples/ferrozmq-peer.rs`), the scriptable
//! ferrozmq socket that the pyzmq interop tests (`tests/*.py`) drive. The
//! Python side (`tests/conftest.py`) mirrors [`numbered`] exactly.

use ferrozmq::{Bytes, Message};

/// Message number `i` of a numbered stream, the same as the Python side
/// makes: part 1 is `i` as 8 bytes big-endian, part 2 is `size(i)` bytes
/// of `i % 251`. Sizes run from 0 B to 1 MiB.
pub fn numbered(i: u64) -> Message {
    let size = if i % 1000 == 999 {
        1 << 20
    } else if i % 100 == 99 {
        65536
    } else {
        [0, 1, 16, 255, 256, 1000, 4096][(i % 7) as usize]
    };
    let body = vec![(i % 251) as u8; size];
    Message::from(vec![
        Bytes::copy_from_slice(&i.to_be_bytes()),
        Bytes::from(body),
    ])
}

/// Parses a line of hex parts separated by spaces (`-` is an empty part).
pub fn parse_parts(line: &str) -> Result<Message, String> {
    line.split(' ')
        .map(|hex| {
            if hex == "-" {
                return Ok(Bytes::new());
            }
            (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .ok_or_else(|| format!("bad hex {hex:?}"))
                })
                .collect::<Result<Vec<u8>, String>>()
                .map(Bytes::from)
        })
        .collect()
}

/// Formats a message as [`parse_parts`] reads it.
pub fn format_parts(msg: &Message) -> String {
    let parts: Vec<String> = msg
        .iter()
        .map(|p| {
            if p.is_empty() {
                "-".to_owned()
            } else {
                p.iter().map(|b| format!("{b:02x}")).collect()
            }
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_through_text() {
        let msg: Message = [&b"ab"[..], b"", b"\x00\xff"]
            .into_iter()
            .map(Bytes::copy_from_slice)
            .collect();
        assert_eq!(format_parts(&msg), "6162 - 00ff");
        assert_eq!(parse_parts("6162 - 00ff").unwrap(), msg);
        assert!(parse_parts("6g").is_err());
        assert!(parse_parts("abc").is_err());
    }

    #[test]
    fn numbered_messages_cover_0_b_to_1_mib() {
        assert_eq!(numbered(0).parts()[1].len(), 0);
        assert_eq!(numbered(99).parts()[1].len(), 65536);
        assert_eq!(numbered(999).parts()[1].len(), 1 << 20);
        assert_eq!(numbered(258).parts()[0][..], 258u64.to_be_bytes());
    }
}
