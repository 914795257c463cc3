//! A socket's pipes with no engines: a test plays each engine's part.

use std::sync::Arc;
use std::task::Waker;

use crate::Message;
use crate::mailbox::{Mailbox, Notice};
use crate::peer::Peer;
use crate::pipe::{self, Batch, EngineEnd, Hwm, Item, PipeId, Pipes};

/// Pipes of one socket, each with the engine end a test drives.
pub(crate) struct Harness {
    pub(crate) pipes: Pipes,
    mailbox: Arc<Mailbox>,
    ends: Vec<(PipeId, EngineEnd)>,
    next: PipeId,
}

impl Harness {
    pub(crate) fn new() -> Self {
        Self {
            pipes: Pipes::default(),
            mailbox: Arc::new(Mailbox::default()),
            ends: Vec::new(),
            next: 0,
        }
    }

    /// A peer that announced `routing_id` (or none).
    pub(crate) fn peer(routing_id: Option<bytes::Bytes>) -> Peer {
        Peer {
            properties: Arc::new(ferrozmq_proto::Metadata::new()),
            routing_id,
        }
    }

    /// A new pipe with this high-water mark both ways.
    pub(crate) fn pipe(&mut self, hwm: usize) -> PipeId {
        let id = self.next;
        self.next += 1;
        let hwm = Hwm {
            send: hwm,
            recv: hwm,
            conflate: false,
        };
        let (pipe, end) = pipe::with_engine(id, &self.mailbox, hwm, false);
        self.pipes.insert(pipe);
        self.ends.push((id, end));
        id
    }

    fn end(&self, id: PipeId) -> &EngineEnd {
        &self.ends.iter().find(|(i, _)| *i == id).expect("a pipe").1
    }

    /// A message of `parts` arrives on pipe `id`, as its engine delivers it.
    pub(crate) fn arrive(&mut self, id: PipeId, parts: &[&'static str]) {
        self.end_push(id, parts.iter().copied().collect());
    }

    /// A message arrives on pipe `id`, as its engine delivers it.
    pub(crate) fn end_push(&mut self, id: PipeId, msg: Message) {
        self.arrive_item(id, Item::Message(msg));
    }

    /// A command arrives on pipe `id`, as its engine delivers it.
    pub(crate) fn arrive_item(&mut self, id: PipeId, item: Item) {
        self.end(id)
            .inbound
            .push_with(|items| items.push_back(item));
    }

    /// What pipe `id`'s engine takes to send, as it does (written at once).
    pub(crate) fn drain_items(&mut self, id: PipeId) -> Vec<Item> {
        let mut batch = Batch::default();
        let end = self.end(id);
        let taken = end.outbound.take(&mut batch, usize::MAX, Waker::noop());
        end.outbound.release(taken.items);
        batch.items.into_iter().collect()
    }

    /// The messages pipe `id`'s engine takes to send.
    pub(crate) fn drain(&mut self, id: PipeId) -> Vec<Message> {
        self.drain_items(id)
            .into_iter()
            .map(|item| match item {
                Item::Message(m) => m,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    /// Pipe `id`'s connection ends for good.
    pub(crate) fn terminate(&mut self, id: PipeId) {
        self.end(id).terminate();
    }

    /// The pipes the socket has been told are readable since last asked.
    pub(crate) fn readable(&mut self) -> Vec<PipeId> {
        let mut notices = Vec::new();
        self.mailbox.take(&mut notices);
        notices
            .into_iter()
            .filter_map(|n| match n {
                Notice::Readable(id) => Some(id),
                _ => None,
            })
            .collect()
    }
}
