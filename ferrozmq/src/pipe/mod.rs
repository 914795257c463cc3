//! Pipes: the bounded queues between a socket and each of its peers.
//!
//! A [`Pipe`] is two [`Queue`]s, one each way, each with a lock of its own:
//! an engine moving a peer's messages never touches the socket's routing
//! state or another peer's queues, and the socket's caller touches one
//! pipe per message. Wake-ups happen on edges only: a queue whose consumer
//! found it empty tells that consumer when something arrives, and a queue
//! whose producer found it full tells the producer once it has drained to
//! its low-water mark (half the high-water mark, as libzmq). A socket is
//! told through its [`Mailbox`] (which pipe became readable or writable),
//! an engine through its task's waker.
//!
//! The high-water mark counts what the consumer has taken but not yet
//! finished with, too: an engine releases messages as their bytes reach
//! the kernel ([`Queue::release`]), so a connection never holds more than
//! the HWM outside its pipe.
//!
//! Two sockets of one context may share a pipe directly (inproc): each
//! then is the producer of one queue and the consumer of the other.

mod queue;
mod table;

use std::sync::Arc;
use std::time::Instant;

pub(crate) use queue::{Batch, Notify, Pushed, Queue, Refilled};
pub(crate) use table::{Pipes, Read, Written};

use crate::Message;
use crate::mailbox::Mailbox;

/// A pipe's key in its socket's table; never reused within a socket.
pub(crate) type PipeId = u64;

/// What travels in a pipe: messages, and the subscription commands that
/// PUB and SUB sockets exchange in order with them. It is the connection's
/// event, so that a whole batch of decoded events moves into a pipe in one
/// step; the other kinds of event (the handshake's) never enter a pipe.
pub(crate) use ferrozmq_proto::Event as Item;

/// Bytes an item puts on the wire, at least one (so an empty message still
/// counts against a byte budget).
pub(crate) fn weight(item: &Item) -> usize {
    match item {
        Item::Message(m) => m.size().max(1),
        Item::Subscribe(t) | Item::Cancel(t) => t.len().max(1),
        _ => 1,
    }
}

/// A connection that the socket's caller may write a message to itself,
/// saving the hand-over to the engine's thread.
pub(crate) trait DirectWrite: Send + Sync + std::fmt::Debug {
    /// Puts `msg` on the connection now, unless it is busy (then `msg`
    /// comes back, to be queued as usual).
    fn write(&self, msg: Message) -> Result<(), Message>;
}

/// When the consumer of a socket's outbound queue (an engine) should stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Closing {
    /// Not closing.
    Open,
    /// Flush what is queued, then stop; give up at the deadline (`None`:
    /// never give up).
    Linger(Option<Instant>),
}

impl Closing {
    /// Stop now, flushing nothing more.
    pub(crate) fn now() -> Self {
        Self::Linger(Some(Instant::now()))
    }
}

/// One peer's pair of queues, seen from the socket's side: it writes
/// `outbound` and reads `inbound`.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) id: PipeId,
    pub(crate) inbound: Arc<Queue>,
    pub(crate) outbound: Arc<Queue>,
}

/// The same pipe seen from its engine: it writes `inbound` and reads
/// `outbound`.
#[derive(Debug)]
pub(crate) struct EngineEnd {
    pub(crate) inbound: Arc<Queue>,
    pub(crate) outbound: Arc<Queue>,
}

/// High-water marks of a new pipe, in messages; 0 is unlimited.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hwm {
    pub(crate) send: usize,
    pub(crate) recv: usize,
    /// `conflate`: each way keeps only the newest message, no mark.
    pub(crate) conflate: bool,
}

/// A new pipe between a socket (told through `mailbox`) and an engine
/// (told through its task's waker). `plain` is whether the engine's
/// connections send messages as plain ZMTP frames: then the socket encodes
/// each message as it queues it, and the engine has no work per message.
pub(crate) fn with_engine(
    id: PipeId,
    mailbox: &Arc<Mailbox>,
    hwm: Hwm,
    plain: bool,
) -> (Pipe, EngineEnd) {
    let socket = Notify::Socket {
        mailbox: Arc::downgrade(mailbox),
        pipe: id,
    };
    let (inbound, outbound) = if hwm.conflate {
        (
            Queue::conflating(socket.clone(), Notify::task()),
            Queue::conflating(Notify::task(), socket),
        )
    } else {
        (
            Queue::new(hwm.recv, false, socket.clone(), Notify::task()),
            Queue::new(hwm.send, plain, Notify::task(), socket),
        )
    };
    let (inbound, outbound) = (Arc::new(inbound), Arc::new(outbound));
    let engine = EngineEnd {
        inbound: inbound.clone(),
        outbound: outbound.clone(),
    };
    (
        Pipe {
            id,
            inbound,
            outbound,
        },
        engine,
    )
}

impl Pipe {
    /// The socket's side is done with the pipe: its engine flushes what is
    /// queued (within the linger deadline) and stops; what arrived and was
    /// not read is dropped.
    pub(crate) fn close(&self, closing: Closing) {
        self.outbound.close_producer(closing);
        self.inbound.close_consumer();
    }
}

impl EngineEnd {
    /// No engine serves the pipe any more, for good: the socket reads what
    /// arrived, then sees the pipe gone; its writes fail.
    pub(crate) fn terminate(&self) {
        self.inbound.close_producer(Closing::Open);
        self.outbound.close_consumer();
    }
}

#[cfg(test)]
mod tests;
