//! A window on one pipe, for the micro-benchmarks of the `bench/`
//! workspace (feature `bench-internals`). Not part of the API: it changes
//! with the internals it shows.
//!
//! Both sides run the library's own code: the socket's side is a socket's
//! pipe table (the caller's path of `send` and `recv`), the engine's side
//! the queue operations an engine performs per round.

use std::sync::Arc;
use std::task::Waker;

use crate::Message;
use crate::mailbox::Mailbox;
use crate::pipe::{self, Batch, EngineEnd, Hwm, Item, PipeId, Pipes, Read, Written};

const ID: PipeId = 1;

/// Creates one pipe of `hwm` messages each way (0: unlimited); with
/// `encode`, messages are encoded as they are queued, as an async socket's
/// are for a connection that sends plain frames.
pub fn pipe(hwm: usize, encode: bool) -> (SocketSide, EngineSide) {
    let mailbox = Arc::new(Mailbox::default());
    let hwm = Hwm {
        send: hwm,
        recv: hwm,
        conflate: false,
    };
    let (pipe, end) = pipe::with_engine(ID, &mailbox, hwm, encode);
    let mut pipes = Pipes::default();
    pipes.insert(pipe);
    (
        SocketSide { mailbox, pipes },
        EngineSide {
            end,
            batch: Batch::default(),
        },
    )
}

/// The socket's side of the pipe.
#[derive(Debug)]
pub struct SocketSide {
    /// Where the pipe's notices go.
    mailbox: Arc<Mailbox>,
    pipes: Pipes,
}

impl SocketSide {
    /// Queues `msg`; false if the pipe is full.
    pub fn send(&mut self, msg: Message) -> bool {
        self.take_notices();
        matches!(self.pipes.write(ID, msg), Written::Ok)
    }

    /// The next message the engine delivered, if any.
    pub fn recv(&mut self) -> Option<Message> {
        self.take_notices();
        match self.pipes.read(ID) {
            Read::Item(Item::Message(msg)) => Some(msg),
            _ => None,
        }
    }

    /// Takes the notices the pipe posted, as a socket does on each call
    /// (here they need no action).
    fn take_notices(&self) {
        if self.mailbox.has_news() {
            self.mailbox.take(&mut Vec::new());
        }
    }
}

/// The engine's side of the pipe.
#[derive(Debug)]
pub struct EngineSide {
    end: EngineEnd,
    batch: Batch,
}

impl EngineSide {
    /// Takes what is queued, up to `max_bytes`, and lets it go as an engine
    /// does once its bytes reached the kernel; returns how many messages.
    pub fn take(&mut self, max_bytes: usize) -> usize {
        let taken = self
            .end
            .outbound
            .take(&mut self.batch, max_bytes, Waker::noop());
        let written = self.batch.wire.len();
        self.batch.wire.advance(written);
        self.batch.items.clear();
        self.end.outbound.release(taken.items);
        taken.items
    }

    /// Delivers up to `n` copies of `msg` in one step, as decoded from the
    /// wire, within the room the pipe has; returns how many.
    pub fn deliver(&self, msg: &Message, n: usize) -> usize {
        let n = n.min(self.end.inbound.room(Waker::noop()));
        self.end
            .inbound
            .push_with(|items| items.extend((0..n).map(|_| Item::Message(msg.clone()))));
        n
    }
}
