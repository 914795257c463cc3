//! PUSH (RFC 30): load-balances messages over its peers; never receives.

use super::{HwmPolicy, LoadBalance, Pattern, unsupported};
use crate::pipe::{PipeId, Pipes, Read};
use crate::{Error, Message};

/// A PUSH socket's routing state.
#[derive(Debug, Default)]
pub(crate) struct Push {
    lb: LoadBalance,
}

impl Pattern for Push {
    const POLICY: HwmPolicy = HwmPolicy::Block;

    fn attach(&mut self, id: PipeId) -> bool {
        self.lb.activate(id);
        true
    }

    fn detach(&mut self, id: PipeId) {
        self.lb.remove(id);
    }

    /// A peer has nothing to send to a PUSH (a PULL never sends): whatever
    /// comes is dropped, so that it holds nothing.
    fn readable(&mut self, id: PipeId, pipes: &mut Pipes) {
        while let Read::Item(_) = pipes.read(id) {}
    }

    fn writable(&mut self, id: PipeId) {
        self.lb.activate(id);
    }

    fn can_send(&self) -> bool {
        self.lb.has_room()
    }

    /// RFC 30: "SHALL route outgoing messages to connected peers using a
    /// round-robin strategy" and "SHALL block on sending" when no peer can
    /// take one.
    fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        self.lb.send_or_wait(msg, pipes)
    }

    fn recv(&mut self, _: &mut Pipes) -> Result<Message, Error> {
        Err(unsupported("recv on a PUSH socket"))
    }
}
