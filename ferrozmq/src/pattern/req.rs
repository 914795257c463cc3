//! REQ (RFC 28): strictly alternating request and reply, one peer at a time.

use bytes::Bytes;

use super::{FairQueue, HwmPolicy, LoadBalance, Pattern};
use crate::pipe::{Item, PipeId, Pipes};
use crate::{Error, Message};

/// A REQ socket's routing state.
#[derive(Debug, Default)]
pub(crate) struct Req {
    lb: LoadBalance,
    fq: FairQueue,
    /// The pipe the outstanding request went to.
    waiting_on: Option<PipeId>,
}

impl Pattern for Req {
    const POLICY: HwmPolicy = HwmPolicy::Block;

    fn attach(&mut self, id: PipeId) -> bool {
        self.lb.activate(id);
        true
    }

    fn detach(&mut self, id: PipeId) {
        self.lb.remove(id);
        self.fq.remove(id);
    }

    fn readable(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }

    fn writable(&mut self, id: PipeId) {
        self.lb.activate(id);
    }

    /// RFC 28: "SHALL route outgoing messages to connected peers using a
    /// round-robin strategy", "SHALL prefix the outgoing message with an
    /// empty delimiter frame", and a second send before the reply is an error.
    /// Whatever arrived since the last reply is discarded, as libzmq does,
    /// so that a stray old reply cannot pass for the answer to this request.
    fn send(&mut self, mut msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        if self.waiting_on.is_some() {
            return Err((
                Error::State("a REQ socket must receive the reply before sending again"),
                msg,
            ));
        }
        // Before the request goes: its reply may come back at once.
        while self.fq.recv(pipes).is_some() {}
        msg.push_front(Bytes::new());
        match self.lb.send(msg, pipes) {
            Ok(id) => {
                self.waiting_on = Some(id);
                Ok(())
            }
            Err(mut msg) => {
                msg.parts_mut().remove(0);
                Err((Error::WouldBlock, msg))
            }
        }
    }

    /// RFC 28: "SHALL accept an incoming message only from the last peer
    /// that it sent a request to" and "SHALL discard silently any messages
    /// received from other peers"; the empty delimiter is stripped. A reply
    /// that does not start with one followed by a body is discarded (libzmq
    /// goes further and drops the connection it came on).
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        let Some(expected) = self.waiting_on else {
            return Err(Error::State(
                "a REQ socket must send a request before receiving",
            ));
        };
        while let Some((id, item)) = self.fq.recv(pipes) {
            let Item::Message(mut reply) = item else {
                self.command(id, item);
                continue;
            };
            let parts = reply.parts();
            if id != expected || parts.len() < 2 || !parts[0].is_empty() {
                continue;
            }
            reply.parts_mut().remove(0);
            self.waiting_on = None;
            return Ok(reply);
        }
        Err(Error::WouldBlock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::Harness;

    fn attached(ids: &[PipeId]) -> Req {
        let mut req = Req::default();
        for &id in ids {
            req.attach(id);
        }
        req
    }

    fn notice(h: &mut Harness, req: &mut Req) {
        for id in h.readable() {
            req.readable(id, &mut h.pipes);
        }
    }

    /// RFC 28: only the asked peer's reply counts, and a reply must start
    /// with an empty delimiter followed by a body (libzmq skips `[""]`).
    #[test]
    fn only_a_well_formed_reply_from_the_asked_peer_is_taken() {
        let mut h = Harness::new();
        let (a, b) = (h.pipe(10), h.pipe(10));
        let mut req = attached(&[a, b]);
        req.send("q".into(), &mut h.pipes).unwrap();
        assert_eq!(h.drain(a), [Message::from_iter(["", "q"])]);
        h.arrive(b, &["", "from b"]);
        h.arrive(a, &[""]);
        h.arrive(a, &["x", "no delimiter"]);
        notice(&mut h, &mut req);
        assert!(matches!(req.recv(&mut h.pipes), Err(Error::WouldBlock)));
        h.arrive(a, &["", "from a", ""]);
        notice(&mut h, &mut req);
        assert_eq!(
            req.recv(&mut h.pipes).unwrap(),
            Message::from_iter(["from a", ""])
        );
        assert!(matches!(req.recv(&mut h.pipes), Err(Error::State(_))));
    }

    /// libzmq: a new request discards replies that came in since the last
    /// one, so an extra reply sent while REQ was idle is never taken for
    /// the answer to the next request.
    #[test]
    fn a_stale_reply_is_not_the_answer_to_a_new_request() {
        let mut h = Harness::new();
        let a = h.pipe(10);
        let mut req = attached(&[a]);
        req.send("first".into(), &mut h.pipes).unwrap();
        h.arrive(a, &["", "answer"]);
        notice(&mut h, &mut req);
        assert_eq!(req.recv(&mut h.pipes).unwrap(), Message::from("answer"));
        h.arrive(a, &["", "stale"]);
        notice(&mut h, &mut req);
        req.send("second".into(), &mut h.pipes).unwrap();
        assert!(matches!(req.recv(&mut h.pipes), Err(Error::WouldBlock)));
        h.arrive(a, &["", "fresh"]);
        notice(&mut h, &mut req);
        assert_eq!(req.recv(&mut h.pipes).unwrap(), Message::from("fresh"));
    }

    /// RFC 28: with every peer full (or none), a request waits, and comes
    /// back whole, without the delimiter REQ added.
    #[test]
    fn a_request_no_peer_takes_comes_back_as_it_was() {
        let mut h = Harness::new();
        let a = h.pipe(1);
        let mut req = attached(&[a]);
        h.pipes.write(a, "filler".into());
        let (e, back) = req.send("q".into(), &mut h.pipes).unwrap_err();
        assert!(matches!(e, Error::WouldBlock));
        assert_eq!(back, Message::from("q"));
    }
}
