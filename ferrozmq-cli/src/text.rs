//! How messages are printed: one line each, frames joined by a tab, bytes
//! that are not printable UTF-8 escaped as `\xNN`; and how a line is read
//! back into a message the same way.

use std::fmt::Write as _;
use std::io::Write as _;

use ferrozmq::Message;

/// One line for a message.
pub(crate) fn message_line(msg: &Message) -> String {
    let mut line = String::new();
    for (i, part) in msg.iter().enumerate() {
        if i > 0 {
            line.push('\t');
        }
        escape_into(&mut line, part);
    }
    line
}

/// The message a line stands for: frames split at tabs, `\xNN` read as
/// that byte (a backslash not followed by two hex digits is kept as it is).
pub(crate) fn parse_line(line: &str) -> Message {
    line.split('\t').map(unescape).collect()
}

fn unescape(text: &str) -> ferrozmq::Bytes {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i..i + 4)
            .filter(|b| b.starts_with(b"\\x"))
            .and_then(|b| std::str::from_utf8(&b[2..]).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out.into()
}

/// Writes `line` and a newline to stdout and flushes it, so that whoever
/// reads our output sees each line at once. A closed stdout is not an error
/// worth stopping for.
pub(crate) fn print_line(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn escape_into(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() || c == '\\' {
                escape_bytes(out, c.encode_utf8(&mut [0; 4]).as_bytes());
            } else {
                out.push(c);
            }
        }
        escape_bytes(out, chunk.invalid());
    }
}

fn escape_bytes(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "\\x{b:02x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_tab_joined_and_unprintables_escaped() {
        let msg: Message = [&b"Hello"[..], b"", b"caf\xc3\xa9\x00\xff\t\\"]
            .into_iter()
            .map(ferrozmq::Bytes::copy_from_slice)
            .collect();
        assert_eq!(message_line(&msg), "Hello\t\tcafé\\x00\\xff\\x09\\x5c");
        assert_eq!(parse_line(&message_line(&msg)), msg, "read back as printed");
        assert_eq!(parse_line("a\\xzz\\x4"), Message::from("a\\xzz\\x4"));
    }
}
