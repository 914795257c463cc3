//! PULL (RFC 30): fair-queues messages from its peers; never sends.

use super::{FairQueue, HwmPolicy, Pattern, unsupported};
use crate::pipe::{PipeId, Pipes};
use crate::{Error, Message};

/// A PULL socket's routing state.
#[derive(Debug, Default)]
pub(crate) struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
    const POLICY: HwmPolicy = HwmPolicy::Block;

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

    fn can_send(&self) -> bool {
        false
    }

    fn send(&mut self, msg: Message, _: &mut Pipes) -> Result<(), (Error, Message)> {
        Err((unsupported("send on a PULL socket"), msg))
    }

    /// RFC 30: "SHALL receive incoming messages from its peers using a
    /// fair-queuing strategy".
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        self.fq.recv_or_wait(pipes)
    }
}
