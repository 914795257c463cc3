//! [`Subscriptions`]: a subscriber's side of RFC 29, shared by SUB and
//! XSUB: its own subscriptions, sent to every publisher it is connected
//! to, again to each one that reconnects.

use bytes::Bytes;

use super::trie::{Change, Trie};
use crate::Message;
use crate::pipe::{Item, PipeId, Pipes};

/// What this socket subscribed to, and the publishers that must know.
#[derive(Debug)]
pub(crate) struct Subscriptions {
    trie: Trie,
    pipes: Vec<PipeId>,
    /// Pipes whose queue holds every subscription already, for the
    /// connection to come.
    primed: Vec<PipeId>,
}

impl Default for Subscriptions {
    fn default() -> Self {
        Self {
            trie: Trie::counted(),
            pipes: Vec::new(),
            primed: Vec::new(),
        }
    }
}

/// The subscriber's own entry in its trie.
const SELF: PipeId = 0;

impl Subscriptions {
    pub(crate) fn attach(&mut self, id: PipeId) {
        self.pipes.push(id);
    }

    pub(crate) fn detach(&mut self, id: PipeId) {
        self.pipes.retain(|&p| p != id);
        self.primed.retain(|&p| p != id);
    }

    /// A connect pipe, before its connection: every subscription is
    /// queued in it at once, as libzmq does in `zmq_connect`, so that a
    /// publisher hears of them even if this socket is not used again.
    pub(crate) fn prime(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.up(id, pipes);
        self.primed.push(id);
    }

    /// RFC 29: a publisher connected to (again) is sent every
    /// subscription, unless the pipe holds them already.
    pub(crate) fn up(&mut self, id: PipeId, pipes: &mut Pipes) {
        if let Some(i) = self.primed.iter().position(|&p| p == id) {
            self.primed.swap_remove(i);
            return;
        }
        self.trie.each_prefix(|prefix| {
            pipes.write_command(id, Item::Subscribe(Bytes::copy_from_slice(prefix)));
        });
    }

    /// Subscribes to `prefix`; every subscribe goes to every publisher, as
    /// libzmq sends them (a publisher keeps each prefix once).
    pub(crate) fn subscribe(&mut self, prefix: Bytes, pipes: &mut Pipes) {
        self.trie.add(&prefix, SELF);
        self.send(&Item::Subscribe(prefix), pipes);
    }

    /// Unsubscribes from `prefix` once; the publishers hear of it when no
    /// subscription to it is left (libzmq's counting).
    pub(crate) fn unsubscribe(&mut self, prefix: Bytes, pipes: &mut Pipes) {
        if self.trie.remove(&prefix, SELF) == Change::Prefix {
            self.send(&Item::Cancel(prefix), pipes);
        }
    }

    /// RFC 29: whether a message with this first frame is subscribed to.
    pub(crate) fn matches(&self, topic: &[u8]) -> bool {
        self.trie.has_match(topic)
    }

    /// A message that is not a subscription, to every publisher (XSUB);
    /// one whose pipe is full misses it.
    pub(crate) fn send_to_all(&self, msg: Message, pipes: &mut Pipes) {
        for &id in &self.pipes {
            pipes.write(id, msg.clone());
        }
    }

    fn send(&self, command: &Item, pipes: &mut Pipes) {
        for &id in &self.pipes {
            pipes.write_command(id, command.clone());
        }
    }
}
