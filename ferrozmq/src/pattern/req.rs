//! REQ (RFC 28): strictly alternating request and reply, one peer at a time.

use bytes::Bytes;

use super::LoadBalance;
use crate::pipe::{PipeId, Pipes};
use crate::{Error, Message};

/// A REQ socket's routing state.
#[derive(Debug, Default)]
pub(crate) struct Req {
    pub(crate) lb: LoadBalance,
    /// The pipe the outstanding request went to.
    waiting_on: Option<PipeId>,
}

impl Req {
    /// RFC 28: "SHALL route outgoing messages to connected peers using a
    /// round-robin strategy", "SHALL prefix the outgoing message with an
    /// empty delimiter frame", and a second send before the reply is an error.
    /// Whatever arrived since the last reply is discarded, as libzmq does,
    /// so that a stray old reply cannot pass for the answer to this request.
    pub(crate) fn send(
        &mut self,
        pipes: &mut Pipes,
        mut msg: Message,
    ) -> Result<(), (Error, Message)> {
        if self.waiting_on.is_some() {
            return Err((
                Error::State("a REQ socket must receive the reply before sending again"),
                msg,
            ));
        }
        let Some(id) = self.lb.pick(pipes) else {
            return Err((Error::WouldBlock, msg));
        };
        while pipes.pop_inbound().is_some() {}
        msg.push_front(Bytes::new());
        pipes.push_outbound(id, msg);
        self.waiting_on = Some(id);
        Ok(())
    }

    /// RFC 28: "SHALL accept an incoming message only from the last peer
    /// that it sent a request to" and "SHALL discard silently any messages
    /// received from other peers"; the empty delimiter is stripped. A reply
    /// that does not start with one followed by a body is discarded (libzmq
    /// goes further and drops the connection it came on).
    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        let Some(expected) = self.waiting_on else {
            return Err(Error::State(
                "a REQ socket must send a request before receiving",
            ));
        };
        while let Some((id, msg)) = pipes.pop_inbound() {
            if id != expected {
                continue;
            }
            let mut parts = msg.into_parts();
            if parts.len() > 1 && parts[0].is_empty() {
                parts.remove(0);
                self.waiting_on = None;
                return Ok(parts.into());
            }
        }
        Err(Error::WouldBlock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::arrive;

    /// RFC 28: only the asked peer's reply counts, and a reply must start
    /// with an empty delimiter followed by a body (libzmq skips `[""]`).
    #[test]
    fn only_a_well_formed_reply_from_the_asked_peer_is_taken() {
        let mut pipes = Pipes::default();
        let (a, b) = (pipes.add(10, 10), pipes.add(10, 10));
        let mut req = Req::default();
        req.lb.attach(a);
        req.lb.attach(b);
        req.send(&mut pipes, "q".into()).unwrap();
        assert_eq!(
            pipes.get(a).unwrap().outbound[0],
            Message::from_iter(["", "q"])
        );
        arrive(&mut pipes, b, &["", "from b"]);
        arrive(&mut pipes, a, &[""]);
        arrive(&mut pipes, a, &["x", "no delimiter"]);
        assert!(matches!(req.recv(&mut pipes), Err(Error::WouldBlock)));
        arrive(&mut pipes, a, &["", "from a", ""]);
        assert_eq!(
            req.recv(&mut pipes).unwrap(),
            Message::from_iter(["from a", ""])
        );
        assert!(matches!(req.recv(&mut pipes), Err(Error::State(_))));
    }

    /// libzmq: a new request discards replies that came in since the last
    /// one, so an extra reply sent while REQ was idle is never taken for
    /// the answer to the next request.
    #[test]
    fn a_stale_reply_is_not_the_answer_to_a_new_request() {
        let mut pipes = Pipes::default();
        let a = pipes.add(10, 10);
        let mut req = Req::default();
        req.lb.attach(a);
        req.send(&mut pipes, "first".into()).unwrap();
        arrive(&mut pipes, a, &["", "answer"]);
        assert_eq!(req.recv(&mut pipes).unwrap(), Message::from("answer"));
        arrive(&mut pipes, a, &["", "stale"]);
        req.send(&mut pipes, "second".into()).unwrap();
        assert!(matches!(req.recv(&mut pipes), Err(Error::WouldBlock)));
        arrive(&mut pipes, a, &["", "fresh"]);
        assert_eq!(req.recv(&mut pipes).unwrap(), Message::from("fresh"));
    }
}
