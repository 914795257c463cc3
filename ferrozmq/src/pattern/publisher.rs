//! PUB (RFC 29): sends each message to the subscribers whose
//! subscriptions match it; never receives.

use super::fan_out::FanOut;
use super::{Behaviour, HwmPolicy, Pattern, unsupported};
use crate::peer::Peer;
use crate::pipe::{PipeId, Pipes, Read};
use crate::{Error, Message};

/// A PUB socket's state: its subscribers' subscriptions.
#[derive(Debug, Default)]
pub(crate) struct Pub {
    fan_out: FanOut,
}

impl Pattern for Pub {
    const POLICY: HwmPolicy = HwmPolicy::Drop;

    fn attach(&mut self, _: PipeId) -> bool {
        true
    }

    fn up(&mut self, id: PipeId, _: &Peer, _: &mut Pipes) {
        self.fan_out.add(id);
    }

    /// A subscriber's subscriptions go with its connection: the next one
    /// subscribes again.
    fn lost(&mut self, id: PipeId) {
        self.fan_out.remove(id, |_| {});
    }

    fn configure(&mut self, behaviour: &Behaviour) {
        self.fan_out.set_invert(behaviour.invert_matching);
    }

    fn detach(&mut self, id: PipeId) {
        self.fan_out.remove(id, |_| {});
    }

    /// Subscriptions are taken as they come; anything else a subscriber
    /// sends is dropped ("SHALL silently discard" it, RFC 29).
    fn readable(&mut self, id: PipeId, pipes: &mut Pipes) {
        while let Read::Item(item) = pipes.read(id) {
            let _ = self.fan_out.apply(id, item);
        }
    }

    fn writable(&mut self, _: PipeId) {}

    /// RFC 29: with no subscriber that matches, the message is dropped; a
    /// PUB never blocks.
    fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        self.fan_out.send(msg, pipes);
        Ok(())
    }

    fn recv(&mut self, _: &mut Pipes) -> Result<Message, Error> {
        Err(unsupported("recv on a PUB socket"))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::pattern::tests::Harness;
    use crate::pipe::Item;

    fn msg(parts: &[&'static str]) -> Message {
        parts.iter().copied().collect()
    }

    fn subscribe(h: &mut Harness, publisher: &mut Pub, id: PipeId, prefix: &'static str) {
        h.arrive_item(id, Item::Subscribe(Bytes::from_static(prefix.as_bytes())));
        for id in h.readable() {
            publisher.readable(id, &mut h.pipes);
        }
    }

    /// RFC 29: "SHALL send a message to all subscribers whose
    /// subscriptions match it" and "SHALL silently drop the message" for
    /// a subscriber that cannot take it; with no match, nobody gets it.
    #[test]
    fn matching_subscribers_get_each_message_whole() {
        let mut h = Harness::new();
        let [a, b, c] = [h.pipe(10), h.pipe(1), h.pipe(10)];
        let mut publisher = Pub::default();
        for id in [a, b, c] {
            publisher.attach(id);
            publisher.up(id, &Harness::peer(None), &mut h.pipes);
        }
        subscribe(&mut h, &mut publisher, a, "news");
        subscribe(&mut h, &mut publisher, b, "");
        publisher.send(msg(&["news", "1"]), &mut h.pipes).unwrap();
        publisher.send(msg(&["news", "2"]), &mut h.pipes).unwrap();
        publisher.send(msg(&["sport"]), &mut h.pipes).unwrap();
        assert_eq!(h.drain(a), [msg(&["news", "1"]), msg(&["news", "2"])]);
        assert_eq!(
            h.drain(b),
            [msg(&["news", "1"])],
            "full after one: the rest dropped"
        );
        assert!(h.drain(c).is_empty(), "subscribed to nothing");
        publisher.configure(&Behaviour {
            invert_matching: true,
            ..Behaviour::default()
        });
        publisher.send(msg(&["sport"]), &mut h.pipes).unwrap();
        publisher.send(msg(&["news", "3"]), &mut h.pipes).unwrap();
        assert_eq!(
            h.drain(a),
            [msg(&["sport"])],
            "inverted: what does not match"
        );
        assert_eq!(h.drain(c), [msg(&["sport"]), msg(&["news", "3"])]);
    }

    /// RFC 29: a ZMTP 3.0 subscriber subscribes with a message starting
    /// with 1 and cancels with one starting with 0; other messages from
    /// subscribers are discarded.
    #[test]
    fn subscriptions_as_messages_and_other_upstream_messages() {
        let mut h = Harness::new();
        let a = h.pipe(10);
        let mut publisher = Pub::default();
        publisher.attach(a);
        h.arrive(a, &["\x01t"]);
        h.arrive(a, &["chatter"]);
        for id in h.readable() {
            publisher.readable(id, &mut h.pipes);
        }
        publisher.send(msg(&["topic"]), &mut h.pipes).unwrap();
        h.arrive(a, &["\x00t"]);
        for id in h.readable() {
            publisher.readable(id, &mut h.pipes);
        }
        publisher.send(msg(&["topic again"]), &mut h.pipes).unwrap();
        assert_eq!(h.drain(a), [msg(&["topic"])]);
    }
}
