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
    /// including the empty delimiter) and keeps it for the reply; a message
    /// without a delimiter is discarded.
    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        if self.replying_to.is_some() {
            return Err(Error::State(
                "a REP socket must send the reply before receiving again",
            ));
        }
        while let Some((id, msg)) = pipes.pop_inbound() {
            let mut parts = msg.into_parts();
            let Some(delimiter) = parts.iter().position(Bytes::is_empty) else {
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
