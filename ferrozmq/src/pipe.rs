//! Pipes: the bounded per-peer queues between a connection's engine and the
//! socket's patterns.
//!
//! All pipes of a socket live in one [`Pipes`] table behind the socket's
//! lock. The engine moves messages in and out in batches (one lock per
//! batch); the socket's `send`/`recv` move one message per lock. Wake-ups
//! happen only on edges: a queue going from empty to non-empty, or a full
//! queue draining to its low-water mark.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::task::Waker;
use std::time::Instant;

use crate::Message;

/// A pipe's key in its socket's [`Pipes`] table; never reused.
pub(crate) type PipeId = u64;

/// When a pipe's engine should stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Closing {
    /// Not closing.
    Open,
    /// Flush what is queued, then stop; give up at the deadline (`None`:
    /// never give up).
    Linger(Option<Instant>),
}

/// What an engine learns when it pulls from its pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pulled {
    /// Whether, and how, the pipe is closing.
    pub(crate) closing: Closing,
    /// Nothing is left in the pipe.
    pub(crate) drained: bool,
}

/// One peer's pair of queues. A connect-side pipe outlives its
/// connections: messages queued while the peer is away wait for the next.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) inbound: VecDeque<Message>,
    pub(crate) outbound: VecDeque<Message>,
    sndhwm: usize,
    rcvhwm: usize,
    /// The engine serving this pipe, when it waits for something the
    /// socket side will do (queue a message, drain a full queue, close).
    engine_waker: Option<Waker>,
    /// The engine stopped reading because `inbound` was full; it is woken
    /// once the queue drains to its low-water mark, and not on every
    /// message taken.
    reader_blocked: bool,
    /// No engine will ever serve the pipe again: it goes once drained.
    pub(crate) detached: bool,
    pub(crate) closing: Closing,
}

impl Pipe {
    fn new(sndhwm: usize, rcvhwm: usize) -> Self {
        Self {
            inbound: VecDeque::new(),
            outbound: VecDeque::new(),
            sndhwm,
            rcvhwm,
            engine_waker: None,
            reader_blocked: false,
            detached: false,
            closing: Closing::Open,
        }
    }

    /// Whether one more outbound message fits under the send high-water mark.
    pub(crate) fn has_room(&self) -> bool {
        !self.detached && (self.sndhwm == 0 || self.outbound.len() < self.sndhwm)
    }

    fn close(&mut self, closing: Closing, to_wake: &mut Vec<Waker>) {
        self.closing = closing;
        self.inbound.clear();
        to_wake.extend(self.engine_waker.take());
    }

    fn inbound_full(&self) -> bool {
        self.rcvhwm != 0 && self.inbound.len() >= self.rcvhwm
    }
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

/// The pipes of one socket, the fair-queue order of those holding inbound
/// messages, and the wakers to call once the socket's lock is released.
#[derive(Debug, Default)]
pub(crate) struct Pipes {
    map: HashMap<PipeId, Pipe, BuildHasherDefault<IdHasher>>,
    next_id: PipeId,
    /// Pipes with inbound messages, in turn order (libzmq's `fq`).
    ready: VecDeque<PipeId>,
    /// The socket's caller, waiting in `recv` for an inbound message.
    pub(crate) recv_waker: Option<Waker>,
    /// The socket's caller, waiting in `send` for room in a pipe.
    pub(crate) send_waker: Option<Waker>,
    /// Wakers collected under the lock, called after it is released.
    pub(crate) to_wake: Vec<Waker>,
}

impl Pipes {
    /// Adds a pipe and returns its id.
    pub(crate) fn add(&mut self, sndhwm: usize, rcvhwm: usize) -> PipeId {
        let id = self.next_id;
        self.next_id += 1;
        self.map.insert(id, Pipe::new(sndhwm, rcvhwm));
        id
    }

    pub(crate) fn get(&self, id: PipeId) -> Option<&Pipe> {
        self.map.get(&id)
    }

    /// Marks a pipe as served by no engine any more. Its inbound messages
    /// stay readable (they arrived whole); its outbound ones are dropped.
    pub(crate) fn detach(&mut self, id: PipeId) {
        if let Some(pipe) = self.map.get_mut(&id) {
            pipe.detached = true;
            pipe.outbound.clear();
            if pipe.inbound.is_empty() {
                self.map.remove(&id);
            }
        }
    }

    /// Queues a message to a pipe's peer, waking its engine if the queue
    /// was empty. The caller checked [`Pipe::has_room`].
    pub(crate) fn push_outbound(&mut self, id: PipeId, msg: Message) {
        if let Some(pipe) = self.map.get_mut(&id) {
            pipe.outbound.push_back(msg);
            if pipe.outbound.len() == 1 {
                self.to_wake.extend(pipe.engine_waker.take());
            }
        }
    }

    /// Takes the next inbound message in fair-queue order: one message per
    /// pipe per turn.
    pub(crate) fn pop_inbound(&mut self) -> Option<(PipeId, Message)> {
        while let Some(id) = self.ready.pop_front() {
            let Some(pipe) = self.map.get_mut(&id) else {
                continue;
            };
            let Some(msg) = pipe.inbound.pop_front() else {
                continue;
            };
            if !pipe.inbound.is_empty() {
                self.ready.push_back(id);
            } else if pipe.detached {
                self.map.remove(&id);
                return Some((id, msg));
            }
            // Wake a reader blocked on a full queue once it has drained to
            // half, not on every message (libzmq's low-water mark).
            if pipe.reader_blocked && pipe.inbound.len() <= pipe.rcvhwm / 2 {
                pipe.reader_blocked = false;
                self.to_wake.extend(pipe.engine_waker.take());
            }
            return Some((id, msg));
        }
        None
    }

    /// Engine side: moves decoded messages into the pipe up to its receive
    /// high-water mark. Returns true if `batch` was emptied; otherwise the
    /// engine's waker is kept and called when the queue drains.
    pub(crate) fn push_inbound(
        &mut self,
        id: PipeId,
        batch: &mut VecDeque<Message>,
        waker: &Waker,
    ) -> bool {
        let Some(pipe) = self.map.get_mut(&id) else {
            batch.clear();
            return true;
        };
        let was_empty = pipe.inbound.is_empty();
        while !pipe.inbound_full() {
            match batch.pop_front() {
                Some(msg) => pipe.inbound.push_back(msg),
                None => break,
            }
        }
        if was_empty && !pipe.inbound.is_empty() {
            self.ready.push_back(id);
            self.to_wake.extend(self.recv_waker.take());
        }
        pipe.reader_blocked = !batch.is_empty();
        if pipe.reader_blocked {
            register(&mut pipe.engine_waker, waker);
        }
        !pipe.reader_blocked
    }

    /// Engine side: takes queued outbound messages, in order, until they
    /// hold `max_bytes` (the one that crosses it included). What is left
    /// stays in the pipe, where it survives the loss of this connection.
    /// When it takes nothing, the engine's waker is kept, to be called when
    /// a message is queued or the pipe is closed.
    pub(crate) fn pull_outbound(
        &mut self,
        id: PipeId,
        into: &mut VecDeque<Message>,
        max_bytes: usize,
        waker: &Waker,
    ) -> Pulled {
        let Some(pipe) = self.map.get_mut(&id) else {
            return Pulled {
                closing: Closing::Linger(Some(Instant::now())),
                drained: true,
            };
        };
        let mut bytes = 0;
        while bytes < max_bytes {
            let Some(msg) = pipe.outbound.pop_front() else {
                break;
            };
            bytes += msg.size().max(1);
            into.push_back(msg);
        }
        if bytes == 0 {
            register(&mut pipe.engine_waker, waker);
        } else if pipe.outbound.len() <= pipe.sndhwm / 2 {
            // A sender blocked on a full pipe goes on once it has drained to
            // half, not after every batch (libzmq's low-water mark).
            self.to_wake.extend(self.send_waker.take());
        }
        Pulled {
            closing: pipe.closing,
            drained: pipe.outbound.is_empty(),
        }
    }

    /// A new pipe can take messages: wake a blocked sender.
    pub(crate) fn wake_sender(&mut self) {
        self.to_wake.extend(self.send_waker.take());
    }

    /// Asks a pipe's engine to flush and stop; what it received and the
    /// socket did not read is dropped.
    pub(crate) fn close(&mut self, id: PipeId, closing: Closing) {
        if let Some(pipe) = self.map.get_mut(&id) {
            pipe.close(closing, &mut self.to_wake);
        }
    }

    /// The socket closed: every engine flushes and stops, and a caller
    /// blocked in `send` or `recv` wakes up to see it.
    pub(crate) fn close_all(&mut self, closing: Closing) {
        for pipe in self.map.values_mut() {
            pipe.close(closing, &mut self.to_wake);
        }
        self.to_wake.extend(self.send_waker.take());
        self.to_wake.extend(self.recv_waker.take());
    }
}

/// Stores `waker` unless an equivalent one is already stored.
pub(crate) fn register(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(w) if w.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn wakes(pipes: &mut Pipes) -> usize {
        std::mem::take(&mut pipes.to_wake)
            .into_iter()
            .map(Waker::wake)
            .count()
    }

    /// An engine waiting for outbound messages is not woken by every
    /// `recv`; one blocked on a full inbound queue is woken once, at the
    /// low-water mark.
    #[test]
    fn receiving_wakes_the_engine_only_when_it_stopped_reading() {
        let mut pipes = Pipes::default();
        let id = pipes.add(10, 10);
        let engine = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
        let mut batch: VecDeque<Message> = (0..4).map(|i| Message::from(vec![i])).collect();
        assert!(pipes.push_inbound(id, &mut batch, &engine));
        pipes.pull_outbound(id, &mut VecDeque::new(), 1000, &engine);
        wakes(&mut pipes);
        while pipes.pop_inbound().is_some() {}
        assert_eq!(wakes(&mut pipes), 0, "idle engine left alone");

        let mut batch: VecDeque<Message> = (0..15).map(|i| Message::from(vec![i])).collect();
        assert!(!pipes.push_inbound(id, &mut batch, &engine), "full at 10");
        wakes(&mut pipes);
        let mut woken = Vec::new();
        while pipes.pop_inbound().is_some() {
            woken.push(wakes(&mut pipes));
        }
        assert_eq!(woken, [0, 0, 0, 0, 1, 0, 0, 0, 0, 0], "once, at 5 left");
    }

    /// A pull takes what fits in its byte budget and leaves the rest, so
    /// that a lost connection loses only what it had taken.
    #[test]
    fn pulls_take_a_bounded_batch_and_always_report_closing() {
        let mut pipes = Pipes::default();
        let id = pipes.add(0, 0);
        for _ in 0..5 {
            pipes.push_outbound(id, Message::from(vec![0u8; 100]));
        }
        let mut into = VecDeque::new();
        let pulled = pipes.pull_outbound(id, &mut into, 250, Waker::noop());
        assert_eq!((into.len(), pulled.drained), (3, false));
        let pulled = pipes.pull_outbound(id, &mut into, 0, Waker::noop());
        assert_eq!((into.len(), pulled.closing), (3, Closing::Open));
        pipes.close(id, Closing::Linger(None));
        let pulled = pipes.pull_outbound(id, &mut into, 0, Waker::noop());
        assert_eq!(pulled.closing, Closing::Linger(None), "seen with no room");
        let pulled = pipes.pull_outbound(id, &mut into, usize::MAX, Waker::noop());
        assert_eq!((into.len(), pulled.drained), (5, true));
    }
}
