//! REQ (RFC 28): strictly alternating request and reply, one peer at a time.

use bytes::Bytes;

use std::hash::{BuildHasher, RandomState};

use super::{Behaviour, FairQueue, HwmPolicy, LoadBalance, Pattern, probe};
use crate::peer::Peer;
use crate::pipe::{Item, PipeId, Pipes};
use crate::{Error, Message};

/// A REQ socket's routing state.
#[derive(Debug)]
pub(crate) struct Req {
    lb: LoadBalance,
    fq: FairQueue,
    /// The pipe the outstanding request went to.
    waiting_on: Option<PipeId>,
    /// The id of the last request (`req_correlate`).
    request_id: u32,
    correlate: bool,
    relaxed: bool,
    probe: bool,
}

impl Default for Req {
    /// Request ids start at a random number, as libzmq's do.
    fn default() -> Self {
        Self {
            lb: LoadBalance::default(),
            fq: FairQueue::default(),
            waiting_on: None,
            request_id: RandomState::new().hash_one(1u8) as u32,
            correlate: false,
            relaxed: false,
            probe: false,
        }
    }
}

impl Req {
    /// The frames a request starts with: its id when correlating (4 bytes,
    /// little-endian: libzmq copies the number as it is in memory, and its
    /// peers only ever echo it), then the empty delimiter.
    fn envelope_len(&self) -> usize {
        1 + usize::from(self.correlate)
    }

    /// Whether `reply` starts with the envelope of the last request.
    fn answers(&self, reply: &Message) -> bool {
        let parts = reply.parts();
        let n = self.envelope_len();
        parts.len() > n
            && parts[n - 1].is_empty()
            && (!self.correlate || parts[0][..] == self.request_id.to_le_bytes())
    }
}

impl Pattern for Req {
    const POLICY: HwmPolicy = HwmPolicy::Block;

    fn attach(&mut self, id: PipeId) -> bool {
        self.lb.activate(id);
        true
    }

    fn up(&mut self, id: PipeId, _: &Peer, pipes: &mut Pipes) {
        if self.probe {
            probe(id, pipes);
        }
    }

    fn configure(&mut self, behaviour: &Behaviour) {
        self.correlate = behaviour.req_correlate;
        self.relaxed = behaviour.req_relaxed;
        self.probe = behaviour.probe_router;
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

    /// A REQ can send when no reply is awaited (or it may give it up) and
    /// some peer has room.
    fn can_send(&self) -> bool {
        (self.waiting_on.is_none() || self.relaxed) && self.lb.has_room()
    }

    /// RFC 28: "SHALL route outgoing messages to connected peers using a
    /// round-robin strategy", "SHALL prefix the outgoing message with an
    /// empty delimiter frame", and a second send before the reply is an error.
    /// Whatever arrived since the last reply is discarded, as libzmq does,
    /// so that a stray old reply cannot pass for the answer to this request.
    /// With `req_relaxed` a request may go before the last one's reply
    /// came: that one is given up. With `req_correlate` each request
    /// carries a new id before the delimiter.
    fn send(&mut self, mut msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        if self.waiting_on.is_some() && !self.relaxed {
            return Err((
                Error::State("a REQ socket must receive the reply before sending again"),
                msg,
            ));
        }
        self.waiting_on = None;
        // Before the request goes: its reply may come back at once.
        while self.fq.recv(pipes).is_some() {}
        msg.push_front(Bytes::new());
        if self.correlate {
            self.request_id = self.request_id.wrapping_add(1);
            msg.push_front(Bytes::copy_from_slice(&self.request_id.to_le_bytes()));
        }
        match self.lb.send(msg, pipes) {
            Ok(id) => {
                self.waiting_on = Some(id);
                Ok(())
            }
            Err(mut msg) => {
                msg.parts_mut().drain(..self.envelope_len());
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
            if id != expected || !self.answers(&reply) {
                continue;
            }
            reply.parts_mut().drain(..self.envelope_len());
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

    /// `req_correlate` + `req_relaxed`: a second request may go before the
    /// first's reply, and the late reply (carrying the first id) is not
    /// taken for the second's.
    #[test]
    fn correlated_relaxed_requests_take_only_their_own_reply() {
        let mut h = Harness::new();
        let a = h.pipe(10);
        let mut req = attached(&[a]);
        req.configure(&Behaviour {
            req_correlate: true,
            req_relaxed: true,
            ..Behaviour::default()
        });
        req.send("first".into(), &mut h.pipes).unwrap();
        req.send("second".into(), &mut h.pipes).unwrap();
        let sent = h.drain(a);
        let ids: Vec<Bytes> = sent.iter().map(|m| m.parts()[0].clone()).collect();
        assert_eq!(sent[0].parts()[1..], [Bytes::new(), Bytes::from("first")]);
        assert_eq!(ids[0].len(), 4);
        assert_ne!(ids[0], ids[1]);
        for (id, body) in [(&ids[0], "late"), (&ids[1], "right")] {
            let reply: Message = [id.clone(), Bytes::new(), Bytes::from(body)]
                .into_iter()
                .collect();
            h.end_push(a, reply);
        }
        notice(&mut h, &mut req);
        assert_eq!(req.recv(&mut h.pipes).unwrap(), "right".into());
    }
}
