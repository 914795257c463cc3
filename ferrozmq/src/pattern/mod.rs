//! The routing rules of each socket type. They run inside `send`/`recv`, on
//! the caller's side, under the socket's lock: no extra hop through a task.

mod load_balance;
mod pull;
mod push;
mod rep;
mod req;

use ferrozmq_proto::SocketType;

use crate::pipe::{PipeId, Pipes};
use crate::{Error, Message};
use load_balance::LoadBalance;

/// One socket type's routing state.
#[derive(Debug)]
pub(crate) enum Pattern {
    Req(req::Req),
    Rep(rep::Rep),
    Push(push::Push),
    Pull,
}

impl Pattern {
    pub(crate) fn new(socket_type: SocketType) -> Result<Self, Error> {
        Ok(match socket_type {
            SocketType::Req => Self::Req(req::Req::default()),
            SocketType::Rep => Self::Rep(rep::Rep::default()),
            SocketType::Push => Self::Push(push::Push::default()),
            SocketType::Pull => Self::Pull,
            other => return Err(Error::Unsupported(format!("{other} sockets"))),
        })
    }

    /// A pipe joined the socket.
    pub(crate) fn attach(&mut self, id: PipeId) {
        if let Some(lb) = self.load_balance() {
            lb.attach(id);
        }
    }

    /// A pipe left the socket.
    pub(crate) fn detach(&mut self, id: PipeId) {
        if let Some(lb) = self.load_balance() {
            lb.detach(id);
        }
    }

    fn load_balance(&mut self) -> Option<&mut LoadBalance> {
        match self {
            Self::Req(req) => Some(&mut req.lb),
            Self::Push(push) => Some(&mut push.lb),
            Self::Rep(_) | Self::Pull => None,
        }
    }

    /// Routes one outgoing message. `Err(WouldBlock)` means no pipe can take
    /// it now; the message is handed back either way.
    pub(crate) fn send(&mut self, pipes: &mut Pipes, msg: Message) -> Result<(), (Error, Message)> {
        match self {
            Self::Req(req) => req.send(pipes, msg),
            Self::Rep(rep) => rep.send(pipes, msg),
            Self::Push(push) => push.send(pipes, msg),
            Self::Pull => Err((Error::Unsupported("send on a PULL socket".into()), msg)),
        }
    }

    /// Takes one incoming message. `Err(WouldBlock)` means none is there yet.
    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        match self {
            Self::Req(req) => req.recv(pipes),
            Self::Rep(rep) => rep.recv(pipes),
            Self::Pull => pull::recv(pipes),
            Self::Push(_) => Err(Error::Unsupported("recv on a PUSH socket".into())),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::VecDeque;
    use std::task::Waker;

    use super::*;

    /// A message of `parts` arrives on pipe `id`, as its engine would
    /// deliver it.
    pub(crate) fn arrive(pipes: &mut Pipes, id: PipeId, parts: &[&'static str]) {
        let msg: Message = parts.iter().copied().collect();
        pipes.push_inbound(id, &mut VecDeque::from([msg]), Waker::noop());
    }
}
