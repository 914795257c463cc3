//! [`OutBuffer`]: the bytes a connection wants written, ready for one
//! vectored write.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use crate::Message;
use crate::frame::{FRAME_HEADER_MAX, FrameFlags, encode_frame_header};

/// Frame bodies at least this large go out by reference, not copied.
pub(crate) const COPY_THRESHOLD: usize = 8 * 1024;

/// Pending output: a queue of chunks, then a tail that small frames and
/// headers are copied into. Large bodies are queued as their own chunk
/// (their `Bytes` is shared, never copied).
#[derive(Debug, Default)]
pub struct OutBuffer {
    chunks: VecDeque<Bytes>,
    tail: BytesMut,
    /// What the next new tail is allocated with: tails start small and
    /// double up to [`TAIL_CHUNK`] as traffic flows, so that a connection
    /// that only ever sends a little (a handshake, a short reply) holds
    /// little, with nothing to give back when it idles.
    tail_size: usize,
    len: usize,
    /// Bytes written out since the start, so that a position in the stream
    /// ([`OutBuffer::end`]) can later be known to be written.
    written: u64,
}

impl OutBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes not yet written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when everything was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fills `dst` with the pending bytes, in order, from the front;
    /// returns how many slices it filled.
    pub fn io_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        let pieces = self
            .chunks
            .iter()
            .map(|c| &c[..])
            .chain(std::iter::once(&self.tail[..]))
            .filter(|p| !p.is_empty());
        for (slot, piece) in dst.iter_mut().zip(pieces) {
            *slot = IoSlice::new(piece);
            n += 1;
        }
        n
    }

    /// Where the stream ends now: every byte queued so far is written once
    /// [`OutBuffer::written`] reaches it.
    pub fn end(&self) -> u64 {
        self.written + self.len as u64
    }

    /// How many bytes were written out since the start.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Drops the first `n` bytes: they were written.
    pub fn advance(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        self.written += n as u64;
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                self.tail.advance(n);
                break;
            };
            let k = n.min(front.len());
            front.advance(k);
            n -= k;
            if front.is_empty() {
                self.chunks.pop_front();
            }
        }
        if self.len == 0 {
            // Keep the tail's allocation for the next batch.
            self.chunks.clear();
            self.tail.clear();
        }
    }

    /// Appends a message as plain ZMTP frames (what the NULL mechanism
    /// sends): each part's header, then its body, copied when small and
    /// queued by reference when large.
    pub fn push_message(&mut self, msg: &Message) {
        let last = msg.len().saturating_sub(1);
        for (i, part) in msg.iter().enumerate() {
            let flags = if i < last { FrameFlags::MORE } else { 0 };
            self.push_with(FRAME_HEADER_MAX, |tail| {
                encode_frame_header(flags, part.len(), tail);
            });
            self.push_body(part);
        }
    }

    /// Moves everything `other` holds to the end of this buffer, without
    /// copying; `other` is left empty.
    pub fn append(&mut self, other: &mut OutBuffer) {
        if other.is_empty() {
            return;
        }
        self.seal_tail();
        other.seal_tail();
        self.len += other.len;
        self.chunks.append(&mut other.chunks);
        other.len = 0;
    }

    /// Everything queued, as one copy (for tests).
    #[cfg(test)]
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut slices = [IoSlice::new(&[]); 64];
        let n = self.io_slices(&mut slices);
        assert!(n < slices.len(), "more chunks than a test expects");
        slices[..n].iter().flat_map(|s| s.iter().copied()).collect()
    }

    /// Appends bytes, copied.
    pub(crate) fn push_slice(&mut self, bytes: &[u8]) {
        self.make_room(bytes.len());
        self.tail.extend_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Appends what `write` puts in the tail, at most `max_len` bytes (the
    /// room made for it; more would only cost a copy of the tail).
    pub(crate) fn push_with(&mut self, max_len: usize, write: impl FnOnce(&mut BytesMut)) {
        self.make_room(max_len);
        let before = self.tail.len();
        write(&mut self.tail);
        self.len += self.tail.len() - before;
    }

    /// Appends a body: copied when small, queued by reference when large.
    pub(crate) fn push_body(&mut self, body: &Bytes) {
        if body.len() < COPY_THRESHOLD {
            self.push_slice(body);
        } else {
            self.seal_tail();
            self.chunks.push_back(body.clone());
            self.len += body.len();
        }
    }

    /// Makes room for `n` more bytes in the tail without copying what it
    /// holds: a full tail is sealed as a chunk of its own and a new one is
    /// started (growing it would copy every byte still unwritten).
    fn make_room(&mut self, n: usize) {
        if self.tail.capacity() - self.tail.len() < n {
            self.seal_tail();
            self.tail_size = (self.tail_size * 2).clamp(FIRST_TAIL, TAIL_CHUNK);
            self.tail.reserve(n.max(self.tail_size));
        }
    }

    /// Moves what the tail holds to the chunk queue.
    fn seal_tail(&mut self) {
        if !self.tail.is_empty() {
            self.chunks.push_back(self.tail.split().freeze());
        }
    }
}

/// The size the first tail is allocated with.
const FIRST_TAIL: usize = 512;

/// The largest size a new tail is allocated with.
const TAIL_CHUNK: usize = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_bodies_are_copied_large_ones_shared_and_order_kept() {
        let mut out = OutBuffer::new();
        out.push_slice(b"h1");
        out.push_body(&Bytes::from_static(b"small"));
        let big = Bytes::from(vec![7u8; COPY_THRESHOLD]);
        out.push_body(&big);
        out.push_with(2, |tail| tail.extend_from_slice(b"h2"));
        assert_eq!(out.len(), 2 + 5 + COPY_THRESHOLD + 2);
        let mut expected = b"h1small".to_vec();
        expected.extend(&big[..]);
        expected.extend(b"h2");
        assert_eq!(out.to_vec(), expected);
        assert_eq!(
            out.chunks[1].as_ptr(),
            big.as_ptr(),
            "large body not copied"
        );
        out.advance(3);
        assert_eq!(out.to_vec(), expected[3..]);
        out.advance(4 + COPY_THRESHOLD);
        assert_eq!(out.to_vec(), b"h2");
        out.advance(2);
        assert!(out.is_empty());
        assert_eq!(out.io_slices(&mut [IoSlice::new(&[])]), 0);
    }

    /// Steady-state small traffic reuses one allocation: once everything
    /// was written, later batches go where earlier ones went.
    #[test]
    fn tail_allocation_is_reused_after_a_full_write() {
        // As after traffic has grown the tails to their full size.
        let mut out = OutBuffer {
            tail_size: TAIL_CHUNK,
            ..OutBuffer::new()
        };
        out.push_body(&Bytes::from_static(&[1; 100]));
        let start = out.tail.as_ptr() as usize;
        let allocation = start..start + out.tail.capacity();
        out.advance(100);
        for _ in 0..1000 {
            out.push_body(&Bytes::from_static(&[2; 100]));
            assert!(allocation.contains(&(out.tail.as_ptr() as usize)));
            out.advance(40);
            out.advance(60);
        }
        assert!(out.is_empty());
    }

    /// A connection that sent only a little holds only a little; one that
    /// keeps sending gets tails of the full size.
    #[test]
    fn tails_start_small_and_grow_with_traffic() {
        let mut out = OutBuffer::new();
        out.push_slice(b"a short reply");
        out.advance(out.len());
        assert!(out.tail.capacity() <= FIRST_TAIL);
        for _ in 0..100 {
            out.push_slice(&[1; 1000]);
        }
        assert_eq!(out.len(), 100_000);
        assert!(out.tail.capacity() >= TAIL_CHUNK);
        assert_eq!(out.to_vec().len(), 100_000);
    }

    /// Two buffers joined keep their order and share their bodies.
    #[test]
    fn appended_output_follows_in_order() {
        let mut first = OutBuffer::new();
        first.push_slice(b"one");
        let mut second = OutBuffer::new();
        second.push_message(&Message::from_iter(["ab", "c"]));
        let big = Bytes::from(vec![5u8; COPY_THRESHOLD]);
        second.push_body(&big);
        first.append(&mut second);
        assert!(second.is_empty());
        let mut expected = b"one\x01\x02ab\x00\x01c".to_vec();
        expected.extend_from_slice(&big);
        assert_eq!(first.to_vec(), expected);
        assert_eq!(first.len(), expected.len());
        first.push_slice(b"!");
        assert_eq!(first.to_vec().last(), Some(&b'!'));
    }

    /// Output that grows while unwritten is not copied: a full tail becomes
    /// a chunk of its own, in order.
    #[test]
    fn a_growing_output_is_never_copied() {
        let mut out = OutBuffer::new();
        let mut expected = Vec::new();
        let mut tails = Vec::new();
        for i in 0..2000u32 {
            let body = Bytes::from(vec![(i % 251) as u8; 60]);
            out.push_body(&body);
            expected.extend_from_slice(&body);
            tails.push(out.tail.as_ptr() as usize);
        }
        assert!(out.chunks.len() >= 2, "sealed tails");
        assert_eq!(out.to_vec(), expected);
        let sealed: Vec<usize> = out.chunks.iter().map(|c| c.as_ptr() as usize).collect();
        assert!(
            sealed.iter().all(|p| tails.contains(p)),
            "chunks are former tails"
        );
    }
}
