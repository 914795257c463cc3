//! ROUTER (RFC 28): the asynchronous server. Each peer has an identity;
//! a received message comes with its sender's identity as a first frame,
//! and a sent message's first frame says which peer it goes to.

use super::identities::Identities;
use super::{Behaviour, FairQueue, HwmPolicy, Pattern, probe, write_to};
use crate::peer::Peer;
use crate::pipe::{PipeId, Pipes, Read};
use crate::{Error, Message};

/// A ROUTER socket's state: which identity each connected peer has.
#[derive(Debug, Default)]
pub(crate) struct Router {
    fq: FairQueue,
    ids: Identities,
    mandatory: bool,
    handover: bool,
    probe: bool,
}

impl Router {
    /// Pipe `id`'s peer no longer has an identity here.
    fn forget(&mut self, id: PipeId) {
        self.ids.remove(id);
        self.fq.remove(id);
    }
}

impl Pattern for Router {
    /// RFC 28: "If the peer cannot take the message (its pipe is full), the
    /// ROUTER SHALL silently drop it."
    const POLICY: HwmPolicy = HwmPolicy::Drop;

    fn attach(&mut self, _: PipeId) -> bool {
        true
    }

    fn configure(&mut self, behaviour: &Behaviour) {
        self.mandatory = behaviour.router_mandatory;
        self.handover = behaviour.router_handover;
        self.probe = behaviour.probe_router;
    }

    /// The peer's identity is the one it announced, or one made up. A peer
    /// announcing an identity another connected peer has is ignored (what
    /// it sends is dropped, nothing can be sent to it), as libzmq does;
    /// with `router_handover` it takes the identity over, and the other
    /// peer is the one ignored.
    fn up(&mut self, id: PipeId, peer: &Peer, pipes: &mut Pipes) {
        let identity = match &peer.routing_id {
            Some(identity) => match self.ids.pipe(identity) {
                Some(_) if !self.handover => return,
                Some(holder) => {
                    self.forget(holder);
                    identity.clone()
                }
                None => identity.clone(),
            },
            None => self.ids.generate(),
        };
        self.ids.insert(id, identity);
        if self.probe {
            probe(id, pipes);
        }
    }

    /// A connection's identity goes with it: the next one announces its own.
    fn lost(&mut self, id: PipeId) {
        self.forget(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.forget(id);
    }

    fn readable(&mut self, id: PipeId, pipes: &mut Pipes) {
        if self.ids.of(id).is_some() {
            self.fq.activate(id);
        } else {
            // An ignored peer: what it sends goes nowhere.
            while let Read::Item(_) = pipes.read(id) {}
        }
    }

    fn writable(&mut self, _: PipeId) {}

    /// RFC 28: "SHALL remove the first frame from each outgoing message, and
    /// use that as the identity of a double queue"; a message to an
    /// identity with no peer, or to a peer whose pipe is full, is dropped
    /// silently. A message of one frame (an identity and nothing to send)
    /// is dropped too. With `router_mandatory` the first is an error
    /// (`HostUnreachable`) and the second waits, as in libzmq.
    fn send(&mut self, mut msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        if msg.len() < 2 {
            return Ok(());
        }
        let identity = msg.parts_mut().remove(0);
        let policy = if self.mandatory {
            HwmPolicy::Block
        } else {
            Self::POLICY
        };
        let result = match self.ids.pipe(&identity) {
            Some(id) => write_to(pipes, id, msg, policy),
            None if self.mandatory => Err((Error::HostUnreachable, msg)),
            None => Ok(()),
        };
        result.map_err(|(e, mut msg)| {
            msg.push_front(identity);
            (e, msg)
        })
    }

    /// RFC 28: "SHALL receive incoming messages from its peers using a
    /// fair-queuing strategy" and "SHALL prefix each incoming message with
    /// a frame containing the identity of the originating double queue".
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        while let Some((id, mut msg)) = self.fq.recv_message(pipes) {
            if let Some(identity) = self.ids.of(id) {
                msg.push_front(identity.clone());
                return Ok(msg);
            }
        }
        Err(Error::WouldBlock)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::pattern::tests::Harness;

    fn msg(parts: &[&'static str]) -> Message {
        parts.iter().copied().collect()
    }

    fn router_with(h: &mut Harness, identities: &[Option<&'static str>]) -> (Router, Vec<PipeId>) {
        let mut router = Router::default();
        let ids = identities
            .iter()
            .map(|identity| {
                let id = h.pipe(10);
                router.attach(id);
                router.up(
                    id,
                    &Harness::peer(identity.map(|s| Bytes::from_static(s.as_bytes()))),
                    &mut h.pipes,
                );
                id
            })
            .collect();
        (router, ids)
    }

    /// RFC 28: incoming messages are prefixed with their sender's identity,
    /// outgoing ones routed by their first frame, which is removed.
    #[test]
    fn identity_prefixed_on_receive_and_routed_on_send() {
        let mut h = Harness::new();
        let (mut router, ids) = router_with(&mut h, &[Some("alice"), Some("bob")]);
        h.arrive(ids[1], &["", "hello"]);
        for id in h.readable() {
            router.readable(id, &mut h.pipes);
        }
        assert_eq!(
            router.recv(&mut h.pipes).unwrap(),
            msg(&["bob", "", "hello"])
        );
        router
            .send(msg(&["alice", "", "hi"]), &mut h.pipes)
            .unwrap();
        assert_eq!(h.drain(ids[0]), [msg(&["", "hi"])]);
        assert!(h.drain(ids[1]).is_empty());
    }

    /// RFC 28: a message for an unknown identity, or for a full pipe, is
    /// dropped silently.
    #[test]
    fn unroutable_and_overflowing_messages_are_dropped() {
        let mut h = Harness::new();
        let mut router = Router::default();
        let a = h.pipe(1);
        router.attach(a);
        router.up(
            a,
            &Harness::peer(Some(Bytes::from_static(b"a"))),
            &mut h.pipes,
        );
        router.send(msg(&["nobody", "x"]), &mut h.pipes).unwrap();
        router.send(msg(&["a", "1"]), &mut h.pipes).unwrap();
        router.send(msg(&["a", "2"]), &mut h.pipes).unwrap();
        router.send(msg(&["a"]), &mut h.pipes).unwrap();
        assert_eq!(h.drain(a), [msg(&["1"])]);
    }

    /// `router_mandatory`: an unknown identity is an error and a full peer
    /// waits, the message coming back whole.
    #[test]
    fn mandatory_makes_unroutable_an_error_and_full_a_wait() {
        let mut h = Harness::new();
        let (mut router, ids) = router_with(&mut h, &[Some("a")]);
        router.configure(&Behaviour {
            router_mandatory: true,
            ..Behaviour::default()
        });
        let (e, back) = router
            .send(msg(&["nobody", "x"]), &mut h.pipes)
            .unwrap_err();
        assert!(matches!(e, Error::HostUnreachable));
        assert_eq!(back, msg(&["nobody", "x"]));
        for i in 0..10 {
            router
                .send(msg(&["a", "fill"]), &mut h.pipes)
                .unwrap_or_else(|_| panic!("{i}"));
        }
        let (e, back) = router.send(msg(&["a", "over"]), &mut h.pipes).unwrap_err();
        assert!(matches!(e, Error::WouldBlock));
        assert_eq!(back, msg(&["a", "over"]));
        assert_eq!(h.drain(ids[0]).len(), 10);
    }

    /// `router_handover`: a newcomer with an identity in use takes it
    /// over; `probe_router`: each peer gets an empty message as it comes.
    #[test]
    fn handover_and_probe() {
        let mut h = Harness::new();
        let mut router = Router::default();
        router.configure(&Behaviour {
            router_handover: true,
            probe_router: true,
            ..Behaviour::default()
        });
        let [old, new] = [h.pipe(10), h.pipe(10)];
        for id in [old, new] {
            router.attach(id);
            router.up(
                id,
                &Harness::peer(Some(Bytes::from_static(b"x"))),
                &mut h.pipes,
            );
        }
        router
            .send(msg(&["x", "to the newcomer"]), &mut h.pipes)
            .unwrap();
        assert_eq!(h.drain(old), [msg(&[""])], "only the probe");
        assert_eq!(h.drain(new), [msg(&[""]), msg(&["to the newcomer"])]);
    }

    /// Peers without an identity get five bytes starting with a zero, all
    /// different; a peer announcing an identity already taken is ignored.
    #[test]
    fn generated_identities_and_duplicates() {
        let mut h = Harness::new();
        let (mut router, ids) = router_with(&mut h, &[None, None, Some("x"), Some("x")]);
        let first = router.ids.of(ids[0]).unwrap().clone();
        let second = router.ids.of(ids[1]).unwrap().clone();
        assert_eq!(first.len(), 5);
        assert_eq!(first[0], 0);
        assert_ne!(first, second);
        assert_eq!(router.ids.pipe(b"x"), Some(ids[2]));
        h.arrive(ids[3], &["from the duplicate"]);
        h.arrive(ids[2], &["from the first"]);
        for id in h.readable() {
            router.readable(id, &mut h.pipes);
        }
        assert_eq!(
            router.recv(&mut h.pipes).unwrap(),
            msg(&["x", "from the first"])
        );
        assert!(router.recv(&mut h.pipes).is_err());
        // Once the first leaves, its identity is free for the next peer.
        router.detach(ids[2]);
        let again = h.pipe(10);
        router.attach(again);
        router.up(
            again,
            &Harness::peer(Some(Bytes::from_static(b"x"))),
            &mut h.pipes,
        );
        router.send(msg(&["x", "hi"]), &mut h.pipes).unwrap();
        assert_eq!(h.drain(again), [msg(&["hi"])]);
    }
}
