//! SUB (RFC 29): receives from its publishers the messages whose first
//! frame starts with one of its subscriptions; never sends.

use bytes::Bytes;

use super::subscriptions::Subscriptions;
use super::{Behaviour, FairQueue, HwmPolicy, Pattern, unsupported};
use crate::peer::Peer;
use crate::pipe::{PipeId, Pipes};
use crate::{Error, Message};

/// A SUB socket's state: its subscriptions and its publishers.
#[derive(Debug, Default)]
pub(crate) struct Sub {
    subscriptions: Subscriptions,
    fq: FairQueue,
    invert: bool,
}

impl Pattern for Sub {
    const POLICY: HwmPolicy = HwmPolicy::Block;

    fn attach(&mut self, id: PipeId) -> bool {
        self.subscriptions.attach(id);
        true
    }

    fn connecting(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.subscriptions.prime(id, pipes);
    }

    fn up(&mut self, id: PipeId, _: &Peer, pipes: &mut Pipes) {
        self.subscriptions.up(id, pipes);
    }

    fn detach(&mut self, id: PipeId) {
        self.subscriptions.detach(id);
        self.fq.remove(id);
    }

    fn configure(&mut self, behaviour: &Behaviour) {
        self.invert = behaviour.invert_matching;
    }

    fn readable(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _: PipeId) {}

    fn subscribe(&mut self, prefix: Bytes, on: bool, pipes: &mut Pipes) -> Result<(), Error> {
        if on {
            self.subscriptions.subscribe(prefix, pipes);
        } else {
            self.subscriptions.unsubscribe(prefix, pipes);
        }
        Ok(())
    }

    fn can_send(&self) -> bool {
        false
    }

    fn send(&mut self, msg: Message, _: &mut Pipes) -> Result<(), (Error, Message)> {
        Err((unsupported("send on a SUB socket"), msg))
    }

    /// RFC 29: "SHALL silently discard messages" that match no
    /// subscription (a publisher filters too, but a 3.0 one or a message
    /// that raced an unsubscribe may still bring them).
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        while let Some((_, msg)) = self.fq.recv_message(pipes) {
            if self
                .subscriptions
                .matches(msg.first().map_or(&[][..], |f| &f[..]))
            {
                return Ok(msg);
            }
        }
        Err(Error::WouldBlock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::Harness;
    use crate::pipe::Item;

    /// RFC 29: subscriptions go to every publisher, again to one that
    /// reconnects; only the last of two unsubscribes cancels; messages
    /// matching nothing are discarded.
    #[test]
    fn subscriptions_reach_publishers_and_filter_messages() {
        let mut h = Harness::new();
        let a = h.pipe(10);
        let mut sub = Sub::default();
        sub.attach(a);
        sub.subscribe(Bytes::from_static(b"x"), true, &mut h.pipes)
            .unwrap();
        sub.subscribe(Bytes::from_static(b"x"), true, &mut h.pipes)
            .unwrap();
        sub.subscribe(Bytes::from_static(b"x"), false, &mut h.pipes)
            .unwrap();
        let x = || Bytes::from_static(b"x");
        assert_eq!(
            h.drain_items(a),
            [Item::Subscribe(x()), Item::Subscribe(x())]
        );
        sub.up(a, &Harness::peer(None), &mut h.pipes);
        assert_eq!(
            h.drain_items(a),
            [Item::Subscribe(x())],
            "sent again on reconnect"
        );
        h.arrive(a, &["y: not this"]);
        h.arrive(a, &["x: this", "part"]);
        for id in h.readable() {
            sub.readable(id, &mut h.pipes);
        }
        let want: Message = ["x: this", "part"].into_iter().collect();
        assert_eq!(sub.recv(&mut h.pipes).unwrap(), want);
        assert!(sub.recv(&mut h.pipes).is_err());
        sub.subscribe(x(), false, &mut h.pipes).unwrap();
        assert_eq!(h.drain_items(a), [Item::Cancel(x())]);
    }
}
