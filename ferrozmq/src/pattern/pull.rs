//! PULL (RFC 30): fair-queues messages from its peers; never sends.

use crate::pipe::Pipes;
use crate::{Error, Message};

/// RFC 30: "SHALL receive incoming messages from its peers using a
/// fair-queuing strategy".
pub(crate) fn recv(pipes: &mut Pipes) -> Result<Message, Error> {
    pipes
        .pop_inbound()
        .map(|(_, msg)| msg)
        .ok_or(Error::WouldBlock)
}
