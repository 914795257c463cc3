//! [`ReadBuffer`]: where a connection's bytes land, and how it grows,
//! shrinks and goes away.
//!
//! Frames are split off the buffer without a copy, so a message shares the
//! allocation it was read into and keeps it alive. Four rules follow:
//! - the buffer is allocated when bytes come, and given back when the
//!   connection has read nothing for a while with nothing half-read (the
//!   engine's timer): an idle connection holds no read buffer, while a busy
//!   one reads into the same chunk again once the messages in it are gone
//!   (giving a chunk back at every pause between reads made the allocator
//!   return memory to the system and fault it in again, page by page);
//! - it grows only as fast as a large frame's bytes arrive, never to the
//!   size a peer merely declared;
//! - once a large frame (one that grew the buffer past [`SHRINK_ABOVE`]) is
//!   out, reading starts over in a fresh chunk, so that later small
//!   messages do not pin the large allocation; frames of a few chunks just
//!   grow the buffer a little, as copying what follows each one into a
//!   fresh chunk would cost more than the memory it saves;
//! - a read that brought only a few bytes is decoded from a copy of its
//!   own size, so that a slow consumer holding one small message per read
//!   holds that much memory, not a whole chunk per message; the chunk is
//!   read into again. Busy connections, whose reads are large, copy
//!   nothing.

use bytes::BytesMut;

/// Bytes asked of the kernel per read.
pub(super) const READ_CHUNK: usize = 64 * 1024;

/// A connection's read buffer.
#[derive(Debug, Default)]
pub(super) struct ReadBuffer {
    /// Where reads land (no allocation while idle).
    chunk: BytesMut,
    /// A small read's bytes, copied out of the chunk, being decoded.
    small: Option<BytesMut>,
    /// The chunk was grown past [`SHRINK_ABOVE`] for a large frame.
    grown: bool,
}

impl ReadBuffer {
    /// Makes room for the next read, given how many more bytes the frame
    /// being received needs (0 when unknown), and returns where it goes.
    pub(super) fn for_read(&mut self, frame_needs: usize) -> &mut BytesMut {
        if let Some(small) = self.small.take() {
            // What a small read left (at most a partial frame of a few
            // bytes) goes back in front of the next read.
            self.chunk.extend_from_slice(&small);
        }
        let room = reserve(frame_needs, self.chunk.len());
        self.grown |= self.chunk.len() + room > SHRINK_ABOVE;
        self.chunk.reserve(room);
        &mut self.chunk
    }

    /// After a read: a small one is moved to a copy of its size.
    pub(super) fn after_read(&mut self) {
        if !self.grown && self.chunk.len() <= SMALL_READ {
            self.small = Some(BytesMut::from(&self.chunk[..]));
            self.chunk.clear();
        }
    }

    /// The bytes read and not yet decoded; decoding splits frames off
    /// their front.
    pub(super) fn pending(&mut self) -> &mut BytesMut {
        self.small.as_mut().unwrap_or(&mut self.chunk)
    }

    /// After decoding, given how many more bytes the partial frame left
    /// needs: once a large frame is out, what is left (less than a chunk)
    /// moves to a fresh chunk, and the large allocation goes with the
    /// message that holds it.
    pub(super) fn after_decode(&mut self, frame_needs: usize) {
        if self.grown && frame_needs <= READ_CHUNK && self.chunk.len() <= READ_CHUNK {
            let mut fresh = BytesMut::with_capacity(READ_CHUNK);
            fresh.extend_from_slice(&self.chunk);
            self.chunk = fresh;
            self.grown = false;
        }
    }

    /// Whether the buffer holds an allocation.
    pub(super) fn holds(&self) -> bool {
        self.chunk.capacity() > 0 || self.small.is_some()
    }

    /// The connection has read nothing for a while: with nothing
    /// half-read, the buffer is given back.
    pub(super) fn release_if_empty(&mut self) {
        if self.chunk.is_empty() && self.small.as_ref().is_none_or(BytesMut::is_empty) {
            *self = Self::default();
        }
    }

    /// Bytes held, for tests.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.chunk.capacity() + self.small.as_ref().map_or(0, BytesMut::capacity)
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
pub(super) const MIN_READ: usize = 4 * 1024;

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

    /// Reads `bytes` as one read would.
    fn read(rb: &mut ReadBuffer, bytes: &[u8], frame_needs: usize) {
        rb.for_read(frame_needs).extend_from_slice(bytes);
        rb.after_read();
    }

    /// A small message read after a large one does not share (and pin)
    /// the large one's allocation.
    #[test]
    fn a_large_frame_does_not_leave_its_allocation_behind() {
        const LARGE: usize = 4 << 20;
        let mut rb = ReadBuffer::default();
        while rb.pending().len() < LARGE {
            let left = LARGE - rb.pending().len();
            let target = rb.for_read(left);
            let n = (target.capacity() - target.len()).min(left);
            target.extend_from_slice(&vec![1; n]);
            rb.after_read();
        }
        read(&mut rb, &[2; 100], 0);
        let chunk = &rb.chunk;
        let allocation = chunk.as_ptr_range().start..chunk.as_ptr().wrapping_add(chunk.capacity());
        let large = rb.pending().split_to(LARGE).freeze();
        rb.after_decode(0);
        let small = rb.pending().split_to(100).freeze();
        assert_eq!(small[..], [2; 100]);
        assert!(!allocation.contains(&small.as_ptr()), "pins the large one");
        assert!(rb.capacity() <= 2 * READ_CHUNK);
        drop(large);
    }

    /// A read of a few bytes leaves the chunk alone: the frames in it do
    /// not point into it, and the next read goes where this one went.
    #[test]
    fn a_small_read_is_decoded_from_a_copy_of_its_size() {
        let mut rb = ReadBuffer::default();
        let chunk_start = rb.for_read(0).as_ptr();
        rb.chunk.extend_from_slice(&[3; 150]);
        rb.after_read();
        let frame = rb.pending().split_to(100).freeze();
        assert_ne!(frame.as_ptr(), chunk_start, "the frame pins the chunk");
        assert_eq!(rb.pending()[..], [3; 50], "the partial frame stays");
        let target = rb.for_read(40);
        assert_eq!(target.as_ptr(), chunk_start, "the chunk is read into again");
        assert_eq!(target[..], [3; 50], "after what was left");
        // A large read is decoded in place.
        target.extend_from_slice(&vec![4; SMALL_READ]);
        rb.after_read();
        let frame = rb.pending().split_to(100).freeze();
        assert_eq!(frame.as_ptr(), chunk_start);
    }

    /// An idle connection with nothing half-read holds no buffer; one with
    /// a partial frame keeps it.
    #[test]
    fn an_idle_connection_gives_its_buffer_back() {
        let mut rb = ReadBuffer::default();
        read(&mut rb, &[5; 10_000], 0);
        let _frame = rb.pending().split_to(9_000);
        rb.release_if_empty();
        assert!(rb.capacity() > 0, "1000 bytes of a frame wait");
        let _rest = rb.pending().split_to(1_000);
        rb.release_if_empty();
        assert_eq!(rb.capacity(), 0);
        read(&mut rb, &[6; 10], 0);
        assert_eq!(rb.pending()[..], [6; 10]);
    }
}
