//! [`Queue`]: one direction of a pipe, bounded, behind a lock of its own.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::Waker;

use ferrozmq_proto::OutBuffer;

use super::{Closing, DirectWrite, Item, PipeId, weight};
use crate::Message;
use crate::mailbox::{Mailbox, Notice};

/// Who to tell when a queue's other side made progress.
#[derive(Clone, Debug)]
pub(crate) enum Notify {
    /// An engine task, through the waker it left when it waited.
    Task(Option<Waker>),
    /// A socket, through a notice in its mailbox naming the pipe.
    Socket {
        mailbox: Weak<Mailbox>,
        pipe: PipeId,
    },
}

impl Notify {
    pub(crate) fn task() -> Self {
        Self::Task(None)
    }

    /// Keeps `waker` (an engine's) to be called later.
    fn register(&mut self, waker: Option<&Waker>) {
        if let (Self::Task(slot), Some(waker)) = (self, waker) {
            match slot {
                Some(w) if w.will_wake(waker) => {}
                _ => *slot = Some(waker.clone()),
            }
        }
    }
}

/// What telling the other side takes, done once the queue's lock is
/// released.
#[must_use]
enum Wake {
    None,
    Task(Waker),
    Notice(Weak<Mailbox>, Notice),
}

impl Wake {
    fn of(notify: &mut Notify, notice: impl FnOnce(PipeId) -> Notice) -> Self {
        match notify {
            Notify::Task(waker) => waker.take().map_or(Self::None, Self::Task),
            Notify::Socket { mailbox, pipe } => Self::Notice(mailbox.clone(), notice(*pipe)),
        }
    }

    fn run(self) {
        match self {
            Self::None => {}
            Self::Task(waker) => waker.wake(),
            Self::Notice(mailbox, notice) => {
                if let Some(mailbox) = mailbox.upgrade() {
                    // A closed socket needs no news of its pipes.
                    let _refused = mailbox.post(notice);
                }
            }
        }
    }
}

/// The result of a push.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed<T> {
    Ok,
    /// At the high-water mark: the item comes back, and the producer is
    /// told once there is room again.
    Full(T),
    /// The consumer is gone (or the producer closed the queue): the item
    /// comes back, and no room will come.
    Closed(T),
}

/// What a socket's refill found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refilled {
    /// Items were moved to the socket's cache.
    Items,
    /// Nothing now; the socket hears of the next item.
    Empty,
    /// Nothing, ever again: the producer is done and all was read.
    Closed,
}

/// What an engine learns when it takes from its outbound queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Taken {
    /// Items taken.
    pub(crate) items: usize,
    /// Whether, and how, the socket's side is closing the pipe.
    pub(crate) closing: Closing,
    /// Nothing is left in the queue.
    pub(crate) drained: bool,
}

/// One direction of a pipe.
#[derive(Debug)]
pub(crate) struct Queue {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Messages already encoded as plain ZMTP frames, ahead of `items`
    /// (for a queue whose consumer is a connection that sends plain
    /// frames): an engine appends them to its output with no work per
    /// message. Only while `items` is empty (and this holds less than
    /// [`ENCODE_AHEAD`]) is a message encoded, so the order stays: these
    /// bytes first, then the items.
    wire: Option<OutBuffer>,
    /// How many messages `wire` holds.
    wire_messages: usize,
    /// The consumer asked that nothing more be encoded ahead: `wire` goes
    /// once what it holds is taken.
    stop_encoding: bool,
    /// The connection now serving the queue, when the socket's caller may
    /// write to it directly ([`Queue::push_message`]).
    direct: Option<Arc<dyn DirectWrite>>,
    items: VecDeque<Item>,
    /// What the queued items weigh ([`weight`]), as far as an engine
    /// taking them needs it: counted by `push` (a socket filling its
    /// outbound queue), not by `push_all` (an engine filling an inbound
    /// queue, which the socket takes whole).
    bytes: usize,
    /// Items counted against the high-water mark: those queued, and those
    /// the consumer took but has not released.
    count: usize,
    /// 0 is unlimited.
    hwm: usize,
    /// The consumer found the queue empty and waits to be told.
    consumer_waiting: bool,
    /// The producer found the queue full and waits to be told.
    producer_waiting: bool,
    to_consumer: Notify,
    to_producer: Notify,
    /// The producer is done; for an engine's outbound queue, the deadline
    /// to flush by.
    producer_closed: Option<Closing>,
    /// The consumer is gone: pushes are refused.
    consumer_closed: bool,
    /// `conflate`: only the newest message is kept (no high-water mark).
    conflate: bool,
}

/// Why a push is refused.
enum Refusal {
    Full,
    Closed,
}

impl Refusal {
    fn with<T>(self, item: T) -> Pushed<T> {
        match self {
            Self::Full => Pushed::Full(item),
            Self::Closed => Pushed::Closed(item),
        }
    }
}

impl Inner {
    fn full(&self) -> bool {
        self.hwm != 0 && self.count >= self.hwm
    }

    /// Whether a push is refused now; a full queue tells the producer
    /// when it has room.
    fn refuses(&mut self) -> Option<Refusal> {
        if self.consumer_closed || self.producer_closed.is_some() {
            return Some(Refusal::Closed);
        }
        if self.full() {
            self.producer_waiting = true;
            return Some(Refusal::Full);
        }
        None
    }

    /// After items were consumed: the producer hears of it once the queue
    /// is down to its low-water mark, not on every item (libzmq's lwm).
    fn room_made(&mut self) -> Wake {
        if self.producer_waiting && self.count <= self.hwm / 2 {
            self.producer_waiting = false;
            Wake::of(&mut self.to_producer, Notice::Writable)
        } else {
            Wake::None
        }
    }

    /// After items were queued: a consumer that found the queue empty
    /// hears of it.
    fn arrived(&mut self) -> Wake {
        if self.consumer_waiting {
            self.consumer_waiting = false;
            Wake::of(&mut self.to_consumer, Notice::Readable)
        } else {
            Wake::None
        }
    }
}

/// At most this much is encoded ahead (then messages queue as items until
/// the engine has taken what waits): an engine takes encoded bytes whole,
/// and what it took is lost with its connection, so this bounds that loss
/// as the byte budget of [`Queue::take`] bounds it for items.
const ENCODE_AHEAD: usize = 256 * 1024;

/// What an engine takes from its outbound queue in one step.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Messages encoded ahead, as plain frames.
    pub(crate) wire: OutBuffer,
    /// Items still to encode, in order after `wire`.
    pub(crate) items: VecDeque<Item>,
}

impl Queue {
    /// A queue of at most `hwm` items (0: no limit). `encode` has messages
    /// pushed to it encoded at once as plain ZMTP frames (for a consumer
    /// that sends them as they are).
    pub(crate) fn new(hwm: usize, encode: bool, to_consumer: Notify, to_producer: Notify) -> Self {
        Self {
            inner: Mutex::new(Inner {
                wire: encode.then(OutBuffer::new),
                wire_messages: 0,
                stop_encoding: false,
                direct: None,
                items: VecDeque::new(),
                bytes: 0,
                count: 0,
                hwm,
                // Until the consumer has looked, it is told of the first item.
                consumer_waiting: true,
                producer_waiting: false,
                to_consumer,
                to_producer,
                producer_closed: None,
                consumer_closed: false,
                conflate: false,
            }),
        }
    }

    /// A queue that keeps only the newest message (libzmq's
    /// `ZMQ_CONFLATE`): a new one replaces what is still queued, and no
    /// high-water mark applies.
    pub(crate) fn conflating(to_consumer: Notify, to_producer: Notify) -> Self {
        let queue = Self::new(0, false, to_consumer, to_producer);
        queue.lock().conflate = true;
        queue
    }

    /// inproc: the socket at the consumer's end of a queue made before it
    /// was known takes its place. It is told as `notify` from now on (at
    /// once, if items wait), and the high-water mark becomes `hwm`, which
    /// may give a waiting producer room.
    pub(crate) fn join_consumer(&self, notify: Notify, hwm: usize) {
        let (arrived, room) = {
            let mut q = self.lock();
            q.to_consumer = notify;
            q.hwm = hwm;
            if !q.items.is_empty() {
                q.consumer_waiting = true;
            }
            let room = if q.producer_waiting && !q.full() {
                q.producer_waiting = false;
                Wake::of(&mut q.to_producer, Notice::Writable)
            } else {
                Wake::None
            };
            (q.arrived(), room)
        };
        arrived.run();
        room.run();
    }

    /// inproc: the socket at the producer's end of a queue made before it
    /// was known takes its place: it is told as `notify` from now on, and
    /// the high-water mark becomes `hwm`.
    pub(crate) fn join_producer(&self, notify: Notify, hwm: usize) {
        let mut q = self.lock();
        q.to_producer = notify;
        q.hwm = hwm;
    }

    /// Whether the queue keeps only the newest message.
    pub(crate) fn conflates(&self) -> bool {
        self.lock().conflate
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic under this lock leaves a queue, not an invariant spanning
        // several structures: go on with it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Consumer (an engine): its connection transforms frames (CURVE), so
    /// messages are no longer encoded ahead as plain frames; those already
    /// encoded are handed to it to re-read ([`Batch::wire`]).
    pub(crate) fn stop_encoding_ahead(&self) {
        let mut q = self.lock();
        q.stop_encoding = true;
        if q.wire.as_ref().is_some_and(OutBuffer::is_empty) {
            q.wire = None;
        }
    }

    /// Consumer (an engine): the connection a caller may write to directly
    /// while it serves the queue; none once it ends.
    pub(crate) fn set_direct(&self, direct: Option<Arc<dyn DirectWrite>>) {
        self.lock().direct = direct;
    }

    /// Producer (a socket): queues `msg` unless the queue is full or its
    /// consumer is gone; encodes it at once where the queue does. With
    /// `direct`, when nothing waits (queued, or taken and unwritten), the
    /// caller writes it to the connection itself, if it is not busy: no
    /// hand-over to the engine's thread.
    pub(crate) fn push_message(&self, msg: Message, direct: bool) -> Pushed<Message> {
        let msg = match self.direct_writer(direct) {
            Some(writer) => match writer.write(msg) {
                Ok(()) => return Pushed::Ok,
                Err(msg) => msg,
            },
            None => msg,
        };
        let (wake, encoded) = {
            let mut q = self.lock();
            if let Some(refused) = q.refuses() {
                return refused.with(msg);
            }
            let q = &mut *q;
            if q.conflate {
                q.count -= q.items.len();
                q.items.clear();
                q.bytes = 0;
            }
            let encoded = match &mut q.wire {
                Some(wire) if q.items.is_empty() && wire.len() < ENCODE_AHEAD => {
                    wire.push_message(&msg);
                    q.wire_messages += 1;
                    Some(msg)
                }
                _ => {
                    let item = Item::Message(msg);
                    q.bytes += weight(&item);
                    q.items.push_back(item);
                    None
                }
            };
            q.count += 1;
            (q.arrived(), encoded)
        };
        // An encoded message's parts are let go of here, out of the lock.
        drop(encoded);
        wake.run();
        Pushed::Ok
    }

    /// Producer (a socket): queues a subscription command. Commands are
    /// never refused for the high-water mark (a subscription lost to a full
    /// pipe would silently change what a peer is sent), only once the
    /// queue is closed; they still count until written, and go out in
    /// order with the messages around them.
    pub(crate) fn push_command(&self, command: Item) -> Result<(), Item> {
        let wake = {
            let mut q = self.lock();
            if q.consumer_closed || q.producer_closed.is_some() {
                return Err(command);
            }
            q.bytes += weight(&command);
            q.items.push_back(command);
            q.count += 1;
            q.arrived()
        };
        wake.run();
        Ok(())
    }

    /// Producer (an engine): how many items fit now (`usize::MAX` without
    /// a limit); when none does, the engine's `waker` is told of room.
    pub(crate) fn room(&self, waker: &Waker) -> usize {
        let mut q = self.lock();
        if q.consumer_closed {
            return usize::MAX;
        }
        if q.hwm == 0 {
            return usize::MAX;
        }
        let room = q.hwm.saturating_sub(q.count);
        if room == 0 {
            q.producer_waiting = true;
            q.to_producer.register(Some(waker));
        }
        room
    }

    /// The connection to write to directly, if `wanted` and nothing waits.
    fn direct_writer(&self, wanted: bool) -> Option<Arc<dyn DirectWrite>> {
        if !wanted {
            return None;
        }
        let q = self.lock();
        let idle = q.count == 0 && !q.consumer_closed && q.producer_closed.is_none();
        q.direct.clone().filter(|_| idle)
    }

    /// Producer (an engine): queues the items `fill` adds, in one step
    /// (a whole batch changes hands when the queue is empty), having
    /// checked the room first ([`Queue::room`]); a few commands may go
    /// past the mark. Items for a consumer that is gone are dropped.
    pub(crate) fn push_with(&self, fill: impl FnOnce(&mut VecDeque<Item>)) {
        let (wake, dropped) = {
            let mut q = self.lock();
            let before = q.items.len();
            fill(&mut q.items);
            if q.consumer_closed {
                let dropped = q.items.split_off(before);
                (Wake::None, Some(dropped))
            } else if q.items.len() == before {
                return;
            } else if q.conflate {
                let newest = q.items.pop_back();
                let older = std::mem::take(&mut q.items);
                q.count = q.count + 1 - before;
                q.items.extend(newest);
                (q.arrived(), Some(older))
            } else {
                q.count += q.items.len() - before;
                (q.arrived(), None)
            }
        };
        drop(dropped);
        wake.run();
    }

    /// Consumer (a socket): moves every queued item to `cache` (which is
    /// empty) in one step, having first counted `consumed` items read
    /// since the last report ([`Queue::release`]). Items in the cache still
    /// count against the high-water mark until they are reported: the
    /// socket reports them every [`Queue::report_every`] items and at each
    /// refill, so it takes this lock about twice per high-water mark's
    /// worth of messages, not once per message.
    pub(crate) fn refill(&self, cache: &mut VecDeque<Item>, consumed: usize) -> Refilled {
        let (refilled, wake) = {
            let mut q = self.lock();
            q.count = q.count.saturating_sub(consumed);
            let refilled = if !q.items.is_empty() {
                std::mem::swap(&mut q.items, cache);
                q.bytes = 0;
                Refilled::Items
            } else if q.producer_closed.is_some() {
                Refilled::Closed
            } else {
                q.consumer_waiting = true;
                Refilled::Empty
            };
            (refilled, q.room_made())
        };
        wake.run();
        refilled
    }

    /// How many items a consumer that caches them reads before it reports
    /// them: the low-water mark, so that a producer waiting at the
    /// high-water mark hears of room in time (never, with no limit).
    pub(crate) fn report_every(&self) -> usize {
        match self.lock().hwm {
            0 => usize::MAX,
            hwm => (hwm / 2).max(1),
        }
    }

    /// Consumer: whether an item is there (nothing is set up to be told).
    pub(crate) fn is_empty(&self) -> bool {
        let q = self.lock();
        q.items.is_empty() && q.wire.as_ref().is_none_or(OutBuffer::is_empty)
    }

    /// Consumer (an engine): moves queued items to `into`, in order, until
    /// they weigh `max_bytes` (the one that crosses it included). They
    /// still count against the high-water mark until
    /// [`released`](Self::release); what is left stays queued, where it
    /// survives the loss of the connection. The engine's `waker` is told
    /// of a close, and, when it took nothing though it had room, of the
    /// next item.
    pub(crate) fn take(&self, into: &mut Batch, max_bytes: usize, waker: &Waker) -> Taken {
        let mut q = self.lock();
        let mut items = 0;
        let mut bytes = 0;
        if max_bytes > 0
            && let Some(wire) = &mut q.wire
            && !wire.is_empty()
        {
            bytes = wire.len();
            into.wire.append(wire);
            items = std::mem::take(&mut q.wire_messages);
        }
        // Encoding ahead was stopped while bytes waited: now they are out.
        if q.wire.as_ref().is_some_and(OutBuffer::is_empty) && q.stop_encoding {
            q.wire = None;
        }
        if q.bytes <= max_bytes.saturating_sub(bytes) && into.items.is_empty() {
            // All of it fits: the whole queue changes hands in one step.
            std::mem::swap(&mut q.items, &mut into.items);
            items += into.items.len();
            q.bytes = 0;
        } else {
            while bytes < max_bytes {
                let Some(item) = q.items.pop_front() else {
                    break;
                };
                let weight = weight(&item);
                bytes += weight;
                q.bytes -= weight;
                items += 1;
                into.items.push_back(item);
            }
        }
        // Told of a close in any case, and of new items only when it has
        // room for them (an engine whose output is full would otherwise be
        // woken by every message queued).
        q.to_consumer.register(Some(waker));
        if items == 0 && max_bytes > 0 {
            q.consumer_waiting = true;
        }
        Taken {
            items,
            closing: q.producer_closed.unwrap_or(Closing::Open),
            drained: q.items.is_empty() && q.wire.as_ref().is_none_or(OutBuffer::is_empty),
        }
    }

    /// Consumer: `n` items taken earlier are done with (an engine's on the
    /// wire, or lost with their connection; a socket's read): their room
    /// is free.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let wake = {
            let mut q = self.lock();
            q.count = q.count.saturating_sub(n);
            q.room_made()
        };
        wake.run();
    }

    /// The producer is done: no more items come. A consumer waiting for
    /// items is told, so that it reads what is left and then sees the end
    /// (a socket), or flushes by `closing`'s deadline and stops (an
    /// engine); a busy one sees it on its next read.
    pub(crate) fn close_producer(&self, closing: Closing) {
        let wake = {
            let mut q = self.lock();
            q.producer_closed = Some(closing);
            if matches!(q.to_consumer, Notify::Task(Some(_))) {
                q.consumer_waiting = true;
            }
            q.arrived()
        };
        wake.run();
    }

    /// The consumer is gone: what is queued is dropped, pushes are
    /// refused, and a producer waiting for room hears of it (and finds the
    /// queue closed); a busy one finds out on its next push.
    pub(crate) fn close_consumer(&self) {
        let (dropped, wake) = {
            let mut q = self.lock();
            q.consumer_closed = true;
            let dropped = std::mem::take(&mut q.items);
            if let Some(wire) = &mut q.wire {
                *wire = OutBuffer::new();
            }
            q.wire_messages = 0;
            q.bytes = 0;
            q.count = 0;
            (dropped, q.room_made())
        };
        drop(dropped);
        wake.run();
    }
}
