//! PUSH (RFC 30): load-balances messages over its peers; never receives.

use super::LoadBalance;
use crate::pipe::Pipes;
use crate::{Error, Message};

/// A PUSH socket's routing state.
#[derive(Debug, Default)]
pub(crate) struct Push {
    pub(crate) lb: LoadBalance,
}

impl Push {
    /// RFC 30: "SHALL route outgoing messages to connected peers using a
    /// round-robin strategy" and block when no peer can take one.
    pub(crate) fn send(&mut self, pipes: &mut Pipes, msg: Message) -> Result<(), (Error, Message)> {
        match self.lb.pick(pipes) {
            Some(id) => {
                pipes.push_outbound(id, msg);
                Ok(())
            }
            None => Err((Error::WouldBlock, msg)),
        }
    }
}
