//! A borrowing reader over untrusted bytes: every read is bounds-checked
//! and fails with the caller's error instead of panicking.

use bytes::{Buf, Bytes};

/// Reads from the front of a body; slices share the body (no copy).
pub(crate) struct Reader {
    rest: Bytes,
}

impl Reader {
    pub(crate) fn new(body: Bytes) -> Self {
        Self { rest: body }
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        let b = *self.rest.first()?;
        self.rest.advance(1);
        Some(b)
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        let bytes = self.take(2)?;
        Some(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The next `n` bytes, or `None` if fewer remain.
    pub(crate) fn take(&mut self, n: usize) -> Option<Bytes> {
        (n <= self.rest.len()).then(|| self.rest.split_to(n))
    }

    /// Everything left.
    pub(crate) fn rest(self) -> Bytes {
        self.rest
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}
