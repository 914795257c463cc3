//! [`Pipes`]: a socket's pipes, as its caller sees them.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use ferrozmq_proto::Metadata;

use super::{Closing, Item, Pipe, PipeId, Pushed, Refilled};
use crate::Message;

/// The result of a write to a pipe.
#[derive(Debug)]
pub(crate) enum Written {
    Ok,
    /// At the high-water mark: the message comes back; the socket hears
    /// when there is room.
    Full(Message),
    /// The pipe is closing or gone: the message comes back.
    Gone(Message),
}

/// The result of a read from a pipe.
#[derive(Debug)]
pub(crate) enum Read {
    Item(Item),
    /// Nothing now; the socket hears of the next item.
    Empty,
    /// The pipe is over (it is gone from the table); the pattern hears of
    /// it through `detach` once its call returns.
    Gone,
}

/// Pipe ids are sequential integers: a multiply spreads them well enough,
/// and the per-message lookup skips SipHash.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id;
    }
}

#[derive(Debug)]
struct Entry {
    pipe: Pipe,
    /// The properties of the peer now at the other end, given to every
    /// message read from it.
    peer: Option<Arc<Metadata>>,
    /// Items moved out of the inbound queue in one step, read from here
    /// with no lock.
    cache: VecDeque<Item>,
    /// Items read from the cache and not yet reported to the queue.
    consumed: usize,
    /// Report every this many.
    report_every: usize,
    /// Only the newest message counts (`conflate`).
    conflate: bool,
}

impl Entry {
    /// `conflate`: a newer message in the queue replaces the cached one,
    /// and of several cached only the newest stays.
    fn keep_newest(&mut self) {
        let mut newer = VecDeque::new();
        let consumed = std::mem::take(&mut self.consumed);
        if self.pipe.inbound.refill(&mut newer, consumed) == Refilled::Items {
            self.consumed = self.cache.len();
            self.cache = newer;
        }
        while self.cache.len() > 1 {
            self.cache.pop_front();
            self.consumed += 1;
        }
    }
}

/// The pipes of one socket, touched only by its caller (under the
/// socket's routing lock, never by an engine).
#[derive(Debug, Default)]
pub(crate) struct Pipes {
    map: HashMap<PipeId, Entry, BuildHasherDefault<IdHasher>>,
    /// Pipes found to be over during a pattern's call: the socket detaches
    /// them from the pattern once the call returns.
    finished: Vec<PipeId>,
    /// Whether the current send may write to a connection directly (see
    /// `Queue::push_message`).
    direct: bool,
}

impl Pipes {
    pub(crate) fn insert(&mut self, pipe: Pipe) {
        let report_every = pipe.inbound.report_every();
        let conflate = pipe.inbound.conflates();
        let entry = Entry {
            pipe,
            peer: None,
            cache: VecDeque::new(),
            consumed: 0,
            report_every,
            conflate,
        };
        self.map.insert(entry.pipe.id, entry);
    }

    /// The peer now at the other end of `id`.
    pub(crate) fn set_peer(&mut self, id: PipeId, properties: Arc<Metadata>) {
        if let Some(entry) = self.map.get_mut(&id) {
            entry.peer = Some(properties);
        }
    }

    pub(crate) fn contains(&self, id: PipeId) -> bool {
        self.map.contains_key(&id)
    }

    /// Queues `msg` to the peer of `id`.
    pub(crate) fn write(&mut self, id: PipeId, msg: Message) -> Written {
        let Some(entry) = self.map.get(&id) else {
            return Written::Gone(msg);
        };
        match entry.pipe.outbound.push_message(msg, self.direct) {
            Pushed::Ok => Written::Ok,
            Pushed::Full(msg) => Written::Full(msg),
            Pushed::Closed(msg) => Written::Gone(msg),
        }
    }

    /// Queues a subscription command to the peer of `id`; false when the
    /// pipe is gone.
    pub(crate) fn write_command(&mut self, id: PipeId, command: Item) -> bool {
        self.map
            .get(&id)
            .is_some_and(|entry| entry.pipe.outbound.push_command(command).is_ok())
    }

    /// The next item from the peer of `id`; a message carries the peer's
    /// properties.
    pub(crate) fn read(&mut self, id: PipeId) -> Read {
        let Some(entry) = self.map.get_mut(&id) else {
            return Read::Gone;
        };
        if entry.conflate {
            entry.keep_newest();
        }
        loop {
            if let Some(item) = entry.cache.pop_front() {
                entry.consumed += 1;
                if entry.consumed >= entry.report_every {
                    entry.pipe.inbound.release(entry.consumed);
                    entry.consumed = 0;
                }
                return Read::Item(match (item, &entry.peer) {
                    (Item::Message(mut msg), Some(peer)) => {
                        msg.set_properties(peer.clone());
                        Item::Message(msg)
                    }
                    (item, _) => item,
                });
            }
            let consumed = std::mem::take(&mut entry.consumed);
            match entry.pipe.inbound.refill(&mut entry.cache, consumed) {
                Refilled::Items => {}
                Refilled::Empty => return Read::Empty,
                Refilled::Closed => {
                    self.map.remove(&id);
                    self.finished.push(id);
                    return Read::Gone;
                }
            }
        }
    }

    /// Whether the sends from now on may write to a connection directly.
    pub(crate) fn set_direct(&mut self, direct: bool) {
        self.direct = direct;
    }

    /// Whether pipes ended during the last call.
    pub(crate) fn has_finished(&self) -> bool {
        !self.finished.is_empty()
    }

    /// Pipes that ended during the last call, to detach.
    pub(crate) fn take_finished(&mut self) -> Vec<PipeId> {
        std::mem::take(&mut self.finished)
    }

    /// Closes one pipe: its engine flushes by `closing` and stops.
    pub(crate) fn close(&mut self, id: PipeId, closing: Closing) {
        if let Some(entry) = self.map.remove(&id) {
            entry.pipe.close(closing);
        }
    }

    /// Closes every pipe.
    pub(crate) fn close_all(&mut self, closing: Closing) {
        for (_, entry) in self.map.drain() {
            entry.pipe.close(closing);
        }
    }
}
