//! XPUB (RFC 29): a PUB that hands its subscribers' subscriptions to the
//! application, as messages whose first byte is 1 (subscribe) or 0
//! (unsubscribe), followed by the prefix.

use std::collections::VecDeque;

use bytes::{BufMut, Bytes, BytesMut};

use super::fan_out::{self, FanOut};
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
    /// order they came, each with the subscriber it came from.
    pending: VecDeque<(Message, Option<PipeId>)>,
    /// `xpub_manual`: subscriptions are the application's to make, for
    /// the subscriber whose subscription message it read last.
    manual: bool,
    last_subscriber: Option<PipeId>,
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
        self.fan_out.remove(id, |prefix| {
            pending.push_back((notice(false, prefix), None))
        });
        if self.last_subscriber == Some(id) {
            self.last_subscriber = None;
        }
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
        self.manual = behaviour.xpub_manual;
    }

    /// `xpub_manual`: the application subscribes (or unsubscribes) the
    /// subscriber whose subscription message it received last.
    fn subscribe(&mut self, prefix: Bytes, on: bool, _: &mut Pipes) -> Result<(), Error> {
        if !self.manual {
            return Err(Error::Unsupported(
                "subscriptions on an XPUB without xpub_manual".into(),
            ));
        }
        let Some(id) = self.last_subscriber else {
            return Err(Error::State("no subscription message received yet"));
        };
        self.fan_out.change(id, on, &prefix);
        Ok(())
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
            if self.manual {
                // Every subscription message goes to the application,
                // which decides.
                match fan_out::parse(item) {
                    Ok((on, prefix)) => self.pending.push_back((notice(on, &prefix), Some(id))),
                    Err(crate::pipe::Item::Message(msg)) => self.pending.push_back((msg, None)),
                    Err(_) => {}
                }
                continue;
            }
            match self.fan_out.apply(id, item) {
                Ok(s)
                    if s.change == Change::Prefix
                        || self.verboser
                        || (s.subscribe && self.verbose) =>
                {
                    self.pending
                        .push_back((notice(s.subscribe, &s.prefix), None));
                }
                Ok(_) => {}
                Err(crate::pipe::Item::Message(msg)) => self.pending.push_back((msg, None)),
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
        let (msg, from) = self.pending.pop_front().ok_or(Error::WouldBlock)?;
        if from.is_some() {
            self.last_subscriber = from;
        }
        Ok(msg)
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

    /// `xpub_manual`: every subscription is received and none applied;
    /// the application applies one for the subscriber it read it from.
    #[test]
    fn manual_subscriptions_are_the_applications_to_make() {
        let mut h = Harness::new();
        let [a, b] = [h.pipe(10), h.pipe(10)];
        let mut xpub = XPub::default();
        xpub.configure(&Behaviour {
            xpub_manual: true,
            ..Behaviour::default()
        });
        for id in [a, b] {
            xpub.attach(id);
            xpub.up(id, &Harness::peer(None), &mut h.pipes);
        }
        let topic = || Bytes::from_static(b"t");
        h.arrive_item(a, Item::Subscribe(topic()));
        h.arrive_item(b, Item::Subscribe(topic()));
        for id in h.readable() {
            xpub.readable(id, &mut h.pipes);
        }
        xpub.send("t: before".into(), &mut h.pipes).unwrap();
        assert!(h.drain(a).is_empty(), "not applied by itself");
        assert_eq!(xpub.recv(&mut h.pipes).unwrap(), notice(true, b"t"));
        // Read from a: a is subscribed, to what the application says.
        xpub.subscribe(Bytes::from_static(b"t: "), true, &mut h.pipes)
            .unwrap();
        assert_eq!(
            xpub.recv(&mut h.pipes).unwrap(),
            notice(true, b"t"),
            "b's, a repeat, still told"
        );
        xpub.send("t: after".into(), &mut h.pipes).unwrap();
        assert_eq!(h.drain(a), [Message::from("t: after")]);
        assert!(h.drain(b).is_empty(), "b's subscription was not applied");
    }
}
