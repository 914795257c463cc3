//! How messages are printed: one line each, frames joined by a tab, bytes
//! that are not printable UTF-8 escaped as `\xNN`.

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
    }
}
