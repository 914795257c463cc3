//! XPUB (RFC 29): a PUB that hands its subscribers' subscriptions to the
//! application, as messages whose first byte is 1 (subscribe) or 0
//! (unsubscribe), followed by the prefix.

use std::collections::VecDeque;

use bytes::{BufMut, Bytes, BytesMut};

use super::fan_out::FanOut;
use super::trie::Change;
use super::{Behaviour, HwmPolicy, Pattern};
use crate::peer::Peer;
use crate::pipe::{PipeId, Pipes, Read};
use crate::{Error, Message};

/// An XPUB socket's state: its subscribers' subscriptions, and what the
/// application has yet to read.
#[derive(Debug, Default)]
pub(crate) struct XPub {
    fan_out: FanOut,
    /// Subscription messages (and whatever else subscribers sent), in the
    /// order they came.
    pending: VecDeque<Message>,
    verbose: bool,
    verboser: bool,
    welcome: Option<Bytes>,
}

/// `1prefix` or `0prefix`.
fn notice(subscribe: bool, prefix: &[u8]) -> Message {
    let mut body = BytesMut::with_capacity(1 + prefix.len());
    body.put_u8(u8::from(subscribe));
    body.put_slice(prefix);
    Message::from(Bytes::from(body))
}

impl XPub {
    /// Subscriber `id` left: a prefix no one else has is unsubscribed
    /// for the application, as if it had sent the cancel (as libzmq does).
    fn leave(&mut self, id: PipeId) {
        let pending = &mut self.pending;
        self.fan_out
            .remove(id, |prefix| pending.push_back(notice(false, prefix)));
    }
}

impl Pattern for XPub {
    const POLICY: HwmPolicy = HwmPolicy::Drop;

    fn attach(&mut self, _: PipeId) -> bool {
        true
    }

    /// A new subscriber gets the welcome message, if there is one.
    fn up(&mut self, id: PipeId, _: &Peer, pipes: &mut Pipes) {
        self.fan_out.add(id);
        if let Some(welcome) = &self.welcome {
            pipes.write(id, Message::from(welcome.clone()));
        }
    }

    fn lost(&mut self, id: PipeId) {
        self.leave(id);
    }

    fn configure(&mut self, behaviour: &Behaviour) {
        self.fan_out.set_invert(behaviour.invert_matching);
        self.verbose = behaviour.xpub_verbose;
        self.verboser = behaviour.xpub_verboser;
        self.welcome.clone_from(&behaviour.xpub_welcome_msg);
    }

    fn detach(&mut self, id: PipeId) {
        self.leave(id);
    }

    /// A subscription that adds a prefix no one had, or removes the last
    /// subscriber of one, is passed on (libzmq's default: repeats are not;
    /// with `xpub_verbose` every subscribe is, with `xpub_verboser` every
    /// unsubscribe too); messages that are not subscriptions are passed on
    /// as they are.
    fn readable(&mut self, id: PipeId, pipes: &mut Pipes) {
        while let Read::Item(item) = pipes.read(id) {
            match self.fan_out.apply(id, item) {
                Ok(s)
                    if s.change == Change::Prefix
                        || self.verboser
                        || (s.subscribe && self.verbose) =>
                {
                    self.pending.push_back(notice(s.subscribe, &s.prefix));
                }
                Ok(_) => {}
                Err(crate::pipe::Item::Message(msg)) => self.pending.push_back(msg),
                Err(_) => {}
            }
        }
    }

    fn writable(&mut self, _: PipeId) {}

    fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        self.fan_out.send(msg, pipes);
        Ok(())
    }

    fn recv(&mut self, _: &mut Pipes) -> Result<Message, Error> {
        self.pending.pop_front().ok_or(Error::WouldBlock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::Harness;
    use crate::pipe::Item;

    /// RFC 29: an XPUB passes a new subscription to its application, not a
    /// repeat; when a subscriber leaves, a prefix no one else has is
    /// unsubscribed for it.
    #[test]
    fn new_subscriptions_and_a_leaving_subscriber_are_told() {
        let mut h = Harness::new();
        let [a, b] = [h.pipe(10), h.pipe(10)];
        let mut xpub = XPub::default();
        for id in [a, b] {
            xpub.attach(id);
            xpub.up(id, &Harness::peer(None), &mut h.pipes);
        }
        let t = || Bytes::from_static(b"t");
        h.arrive_item(a, Item::Subscribe(t()));
        h.arrive_item(b, Item::Subscribe(t()));
        h.arrive_item(b, Item::Subscribe(Bytes::from_static(b"only b")));
        for id in h.readable() {
            xpub.readable(id, &mut h.pipes);
        }
        assert_eq!(xpub.recv(&mut h.pipes).unwrap(), notice(true, b"t"));
        assert_eq!(xpub.recv(&mut h.pipes).unwrap(), notice(true, b"only b"));
        assert!(xpub.recv(&mut h.pipes).is_err(), "b's t is a repeat");
        xpub.detach(b);
        assert_eq!(xpub.recv(&mut h.pipes).unwrap(), notice(false, b"only b"));
        assert!(xpub.recv(&mut h.pipes).is_err(), "a still has t");
    }

    /// `xpub_verbose` passes repeated subscribes, `xpub_verboser` every
    /// unsubscribe too; `xpub_welcome_msg` greets each new subscriber.
    #[test]
    fn verbose_verboser_and_welcome() {
        let mut h = Harness::new();
        let [a, b] = [h.pipe(10), h.pipe(10)];
        let mut xpub = XPub::default();
        xpub.configure(&Behaviour {
            xpub_verboser: true,
            xpub_welcome_msg: Some(Bytes::from_static(b"hi")),
            ..Behaviour::default()
        });
        for id in [a, b] {
            xpub.attach(id);
            xpub.up(id, &Harness::peer(None), &mut h.pipes);
            h.arrive_item(id, Item::Subscribe(Bytes::from_static(b"t")));
        }
        h.arrive_item(a, Item::Cancel(Bytes::from_static(b"t")));
        for id in h.readable() {
            xpub.readable(id, &mut h.pipes);
        }
        let got: Vec<Message> = std::iter::from_fn(|| xpub.recv(&mut h.pipes).ok()).collect();
        assert_eq!(
            got,
            [notice(true, b"t"), notice(false, b"t"), notice(true, b"t")]
        );
        assert_eq!(h.drain(a), [Message::from("hi")]);
    }
}
