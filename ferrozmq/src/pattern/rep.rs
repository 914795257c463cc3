//! REP (RFC 28): receives a request, then sends its reply back along the
//! request's envelope.

use bytes::Bytes;

use super::{FairQueue, HwmPolicy, Pattern, write_to};
use crate::pipe::{Item, PipeId, Pipes};
use crate::{Error, Message};

/// A REP socket's state: the envelope of the request being answered.
#[derive(Debug, Default)]
pub(crate) struct Rep {
    fq: FairQueue,
    replying_to: Option<(PipeId, Vec<Bytes>)>,
}

impl Pattern for Rep {
    /// RFC 28: a reply whose requester is gone, or cannot take it, is
    /// dropped (libzmq's REP routes as a ROUTER does).
    const POLICY: HwmPolicy = HwmPolicy::Drop;

    fn attach(&mut self, _: PipeId) -> bool {
        true
    }

    fn detach(&mut self, id: PipeId) {
        self.fq.remove(id);
    }

    fn readable(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _: PipeId) {}

    /// A REP can send only the reply to the request it received.
    fn can_send(&self) -> bool {
        self.replying_to.is_some()
    }

    /// RFC 28: "SHALL receive incoming messages from its peers using a
    /// fair-queuing strategy", removes the envelope (every frame up to and
    /// including the empty delimiter) and keeps it for the reply. A message
    /// without a delimiter followed by a body is discarded, as libzmq does.
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        if self.replying_to.is_some() {
            return Err(Error::State(
                "a REP socket must send the reply before receiving again",
            ));
        }
        while let Some((id, item)) = self.fq.recv(pipes) {
            let Item::Message(mut request) = item else {
                self.command(id, item);
                continue;
            };
            let Some((_, envelope)) = request.parts().split_last() else {
                continue;
            };
            let Some(delimiter) = envelope.iter().position(Bytes::is_empty) else {
                continue;
            };
            // The request keeps its body and its peer's properties.
            let parts = request.parts_mut();
            let body = parts.split_off(delimiter + 1);
            let envelope = std::mem::replace(parts, body);
            self.replying_to = Some((id, envelope));
            return Ok(request);
        }
        Err(Error::WouldBlock)
    }

    /// RFC 28: "SHALL route the reply to the peer that sent the request";
    /// if that peer is gone (or cannot take it), the reply is dropped.
    fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        let Some((id, mut envelope)) = self.replying_to.take() else {
            return Err((
                Error::State("a REP socket must receive a request before replying"),
                msg,
            ));
        };
        envelope.extend(msg);
        write_to(pipes, id, envelope.into(), Self::POLICY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::Harness;

    fn rep_with(h: &mut Harness) -> Rep {
        let mut rep = Rep::default();
        for id in h.readable() {
            rep.readable(id, &mut h.pipes);
        }
        rep
    }

    /// RFC 28: the reply carries the request's envelope back to its pipe.
    #[test]
    fn reply_goes_back_with_the_envelope() {
        let mut h = Harness::new();
        let id = h.pipe(10);
        h.arrive(id, &["hop", "", "body", "more"]);
        let mut rep = rep_with(&mut h);
        let request = rep.recv(&mut h.pipes).unwrap();
        assert_eq!(request, Message::from_iter(["body", "more"]));
        rep.send("reply".into(), &mut h.pipes).unwrap();
        assert_eq!(h.drain(id), [Message::from_iter(["hop", "", "reply"])]);
    }

    /// libzmq discards a request whose only empty frame is its last one:
    /// a delimiter has a body after it. Nothing is left to reply to.
    #[test]
    fn requests_without_a_delimited_body_are_discarded() {
        let mut h = Harness::new();
        let id = h.pipe(10);
        h.arrive(id, &["no delimiter"]);
        h.arrive(id, &["hop", ""]);
        h.arrive(id, &[""]);
        let mut rep = rep_with(&mut h);
        assert!(matches!(rep.recv(&mut h.pipes), Err(Error::WouldBlock)));
        assert!(matches!(
            rep.send("x".into(), &mut h.pipes),
            Err((Error::State(_), _))
        ));
        h.arrive(id, &["", ""]);
        for id in h.readable() {
            rep.readable(id, &mut h.pipes);
        }
        assert_eq!(rep.recv(&mut h.pipes).unwrap(), Message::from(""));
    }

    /// A requester that left before the reply: the reply is dropped, and
    /// the REP goes on to the next request.
    #[test]
    fn the_reply_to_a_requester_that_left_is_dropped() {
        let mut h = Harness::new();
        let (gone, next) = (h.pipe(10), h.pipe(10));
        h.arrive(gone, &["", "first"]);
        h.terminate(gone);
        h.arrive(next, &["", "second"]);
        let mut rep = rep_with(&mut h);
        assert_eq!(rep.recv(&mut h.pipes).unwrap(), Message::from("first"));
        rep.send("lost".into(), &mut h.pipes).unwrap();
        assert_eq!(rep.recv(&mut h.pipes).unwrap(), Message::from("second"));
        rep.send("kept".into(), &mut h.pipes).unwrap();
        assert_eq!(h.drain(next), [Message::from_iter(["", "kept"])]);
    }
}
