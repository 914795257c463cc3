//! REP (RFC 28): receives a request, then sends its reply back along the
//! request's envelope.

use bytes::Bytes;

use crate::pipe::{PipeId, Pipes};
use crate::{Error, Message};

/// A REP socket's state: the envelope of the request being answered.
#[derive(Debug, Default)]
pub(crate) struct Rep {
    replying_to: Option<(PipeId, Vec<Bytes>)>,
}

impl Rep {
    /// RFC 28: "SHALL receive incoming messages from its peers using a
    /// fair-queuing strategy", removes the envelope (every frame up to and
    /// including the empty delimiter) and keeps it for the reply. A message
    /// without a delimiter followed by a body is discarded, as libzmq does.
    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        if self.replying_to.is_some() {
            return Err(Error::State(
                "a REP socket must send the reply before receiving again",
            ));
        }
        while let Some((id, msg)) = pipes.pop_inbound() {
            let mut parts = msg.into_parts();
            let Some((_, envelope)) = parts.split_last() else {
                continue;
            };
            let Some(delimiter) = envelope.iter().position(Bytes::is_empty) else {
                continue;
            };
            let body = parts.split_off(delimiter + 1);
            self.replying_to = Some((id, parts));
            return Ok(body.into());
        }
        Err(Error::WouldBlock)
    }

    /// RFC 28: "SHALL route the reply to the peer that sent the request";
    /// if that peer is gone (or cannot take it), the reply is dropped.
    pub(crate) fn send(&mut self, pipes: &mut Pipes, msg: Message) -> Result<(), (Error, Message)> {
        let Some((id, mut envelope)) = self.replying_to.take() else {
            return Err((
                Error::State("a REP socket must receive a request before replying"),
                msg,
            ));
        };
        if pipes.get(id).is_some_and(|p| p.has_room()) {
            envelope.extend(msg);
            pipes.push_outbound(id, envelope.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::arrive;

    /// RFC 28: the reply carries the request's envelope back to its pipe.
    #[test]
    fn reply_goes_back_with_the_envelope() {
        let mut pipes = Pipes::default();
        let id = pipes.add(10, 10);
        let mut rep = Rep::default();
        arrive(&mut pipes, id, &["hop", "", "body", "more"]);
        let request = rep.recv(&mut pipes).unwrap();
        assert_eq!(request, Message::from_iter(["body", "more"]));
        rep.send(&mut pipes, "reply".into()).unwrap();
        let sent = &pipes.get(id).unwrap().outbound;
        assert_eq!(sent[0], Message::from_iter(["hop", "", "reply"]));
    }

    /// libzmq discards a request whose only empty frame is its last one:
    /// a delimiter has a body after it. Nothing is left to reply to.
    #[test]
    fn requests_without_a_delimited_body_are_discarded() {
        let mut pipes = Pipes::default();
        let id = pipes.add(10, 10);
        let mut rep = Rep::default();
        arrive(&mut pipes, id, &["no delimiter"]);
        arrive(&mut pipes, id, &["hop", ""]);
        arrive(&mut pipes, id, &[""]);
        assert!(matches!(rep.recv(&mut pipes), Err(Error::WouldBlock)));
        assert!(matches!(
            rep.send(&mut pipes, "x".into()),
            Err((Error::State(_), _))
        ));
        arrive(&mut pipes, id, &["", ""]);
        assert_eq!(rep.recv(&mut pipes).unwrap(), Message::from(""));
    }
}
