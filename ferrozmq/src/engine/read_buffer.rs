//! [`ReadBuffer`]: where a connection's bytes land, and how it grows and
//! shrinks.
//!
//! Frames are split off the buffer without a copy, so a message shares the
//! allocation it was read into and keeps it alive. Three rules follow:
//! - the buffer grows only as fast as a large frame's bytes arrive, never
//!   to the size a peer merely declared (RELIABILITY row 6);
//! - once a large frame (one that grew the buffer past [`SHRINK_ABOVE`]) is
//!   out, reading starts over in a fresh chunk, so that later small
//!   messages do not pin the large allocation (and the connection does not
//!   keep its largest frame's worth of memory for good); frames of a few
//!   chunks just grow the buffer a little, as copying what follows each one
//!   into a fresh chunk would cost more than the memory it saves;
//! - a read that brought only a few bytes is decoded from a copy of its own
//!   size, so that a slow consumer holding one small message per read holds
//!   that much memory, not a whole chunk per message; the chunk is read into
//!   again. Busy connections, whose reads are large, copy nothing.

use std::ops::{Deref, DerefMut};

use bytes::BytesMut;

/// Bytes asked of the kernel per read.
pub(super) const READ_CHUNK: usize = 64 * 1024;

/// A connection's read buffer.
#[derive(Debug)]
pub(super) struct ReadBuffer {
    buf: BytesMut,
    /// The buffer was grown past [`SHRINK_ABOVE`] for a large frame.
    grown: bool,
}

impl ReadBuffer {
    pub(super) fn new() -> Self {
        Self {
            buf: BytesMut::with_capacity(READ_CHUNK),
            grown: false,
        }
    }

    /// Makes room for the next read, given how many more bytes the frame
    /// being received needs (0 when unknown).
    pub(super) fn reserve_for(&mut self, frame_needs: usize) {
        let room = reserve(frame_needs, self.buf.len());
        self.grown |= self.buf.len() + room > SHRINK_ABOVE;
        self.buf.reserve(room);
    }

    /// Hands what is buffered to `decode`, which takes the whole frames off
    /// the front (leaving a partial one) and returns how many more bytes
    /// that partial frame needs; then applies the rules above.
    pub(super) fn decode<E>(
        &mut self,
        decode: impl FnOnce(&mut BytesMut) -> Result<usize, E>,
    ) -> Result<(), E> {
        if !self.grown && self.buf.len() <= SMALL_READ {
            let mut small = BytesMut::from(&self.buf[..]);
            self.buf.clear();
            let result = decode(&mut small);
            self.buf.extend_from_slice(&small);
            return result.map(drop);
        }
        let frame_needs = decode(&mut self.buf)?;
        if self.grown && frame_needs <= READ_CHUNK && self.buf.len() <= READ_CHUNK {
            // The large frame is out: what is left (less than a chunk) moves
            // to a fresh chunk, and the large allocation goes with the
            // message that holds it.
            let mut fresh = BytesMut::with_capacity(READ_CHUNK);
            fresh.extend_from_slice(&self.buf);
            self.buf = fresh;
            self.grown = false;
        }
        Ok(())
    }
}

impl Deref for ReadBuffer {
    type Target = BytesMut;

    fn deref(&self) -> &BytesMut {
        &self.buf
    }
}

impl DerefMut for ReadBuffer {
    fn deref_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }
}

/// Room to make before a read: the rest of a chunk (a partial frame left
/// from the last read does not make the buffer grow), or, for a frame that
/// needs more than that, a whole chunk, or for a larger frame at most as
/// much again as is already buffered. A read never gets less than a chunk
/// because a frame needs only its last few bytes: it would bring just
/// those, and cost a syscall per frame.
fn reserve(frame_needs: usize, buffered: usize) -> usize {
    let rest_of_chunk = READ_CHUNK.saturating_sub(buffered);
    if frame_needs <= rest_of_chunk {
        rest_of_chunk.max(MIN_READ)
    } else {
        frame_needs.min(buffered.max(READ_CHUNK)).max(READ_CHUNK)
    }
}

/// The least room a read is given.
const MIN_READ: usize = 4 * 1024;

/// A buffer grown past this for a large frame is replaced by a fresh chunk
/// once the frame is out.
const SHRINK_ABOVE: usize = 16 * READ_CHUNK;

/// Reads of at most this many bytes are decoded from a copy.
const SMALL_READ: usize = 4 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_bytes_received_not_bytes_declared() {
        let declared = 1 << 30;
        assert_eq!(reserve(declared, 0), READ_CHUNK);
        assert_eq!(reserve(declared, 10), READ_CHUNK);
        assert_eq!(reserve(declared, 1 << 20), 1 << 20);
        assert_eq!(reserve(100, 0), READ_CHUNK);
        assert_eq!(reserve(3 << 20, 2 << 20), 2 << 20);
        // A partial frame (libzmq's 10-byte signature, say) left in the
        // buffer does not double it: the next read fills the chunk.
        assert_eq!(reserve(0, 10), READ_CHUNK - 10);
        assert_eq!(reserve(100, 1000), READ_CHUNK - 1000);
        assert_eq!(reserve(5000, READ_CHUNK - 1000), READ_CHUNK);
        // The last bytes of a 64 KiB frame: a whole chunk, not 18 bytes.
        assert_eq!(reserve(18, READ_CHUNK - 9), READ_CHUNK);
        assert_eq!(reserve(0, READ_CHUNK), MIN_READ);
        // However the bytes trickle in, room made never exceeds what has
        // arrived by more than one chunk or a doubling.
        let mut buffered = 0usize;
        for arrived in [1, 1000, READ_CHUNK, 3 * READ_CHUNK, 1 << 20] {
            let room = reserve(declared, buffered);
            assert!(room <= buffered.max(READ_CHUNK), "{room} for {buffered}");
            buffered += arrived.min(room);
        }
    }

    /// A small message read after a large one does not share (and pin)
    /// the large one's allocation.
    #[test]
    fn a_large_frame_does_not_leave_its_allocation_behind() {
        const LARGE: usize = 4 << 20;
        let mut rb = ReadBuffer::new();
        while rb.len() < LARGE {
            rb.reserve_for(LARGE - rb.len());
            let n = (rb.capacity() - rb.len()).min(LARGE - rb.len());
            rb.extend_from_slice(&vec![1; n]);
        }
        rb.extend_from_slice(&[2; 100]);
        let allocation = rb.as_ptr_range().start..rb.as_ptr().wrapping_add(rb.capacity());
        let mut large = None;
        rb.decode(|buf| {
            large = Some(buf.split_to(LARGE).freeze());
            Ok::<_, ()>(0)
        })
        .unwrap();
        rb.reserve_for(0);
        let mut small = None;
        rb.decode(|buf| {
            small = Some(buf.split_to(100).freeze());
            Ok::<_, ()>(0)
        })
        .unwrap();
        assert_eq!(small.unwrap()[..], [2; 100]);
        assert!(
            !allocation.contains(&rb.as_ptr()),
            "reads on in the large one"
        );
        assert!(rb.capacity() <= 2 * READ_CHUNK);
        drop(large);
    }

    /// A read of a few bytes leaves the chunk alone: the frames in it do
    /// not point into it, and the next read goes where this one went.
    #[test]
    fn a_small_read_is_decoded_from_a_copy_of_its_size() {
        let mut rb = ReadBuffer::new();
        rb.reserve_for(0);
        let chunk = rb.as_ptr_range().start..rb.as_ptr().wrapping_add(rb.capacity());
        rb.extend_from_slice(&[3; 150]);
        let mut frame = None;
        rb.decode(|buf| {
            frame = Some(buf.split_to(100).freeze());
            Ok::<_, ()>(40)
        })
        .unwrap();
        let frame = frame.unwrap();
        assert!(!chunk.contains(&frame.as_ptr()), "the frame pins the chunk");
        assert_eq!(rb[..], [3; 50], "the partial frame stays for the next read");
        rb.reserve_for(40);
        assert_eq!(rb.as_ptr(), chunk.start, "the chunk is read into again");
        // A large read is decoded in place.
        rb.extend_from_slice(&vec![4; SMALL_READ]);
        let mut frame = None;
        rb.decode(|buf| {
            frame = Some(buf.split_to(100).freeze());
            Ok::<_, ()>(0)
        })
        .unwrap();
        assert_eq!(frame.unwrap().as_ptr(), chunk.start);
    }
}
