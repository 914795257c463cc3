//! PAIR (RFC 31): one peer at a time, messages both ways, no routing.

use super::{FairQueue, HwmPolicy, Pattern, write_to};
use crate::pipe::{PipeId, Pipes};
use crate::{Error, Message};

/// A PAIR socket's state: its one pipe.
#[derive(Debug, Default)]
pub(crate) struct Pair {
    pipe: Option<PipeId>,
    fq: FairQueue,
    /// The pipe was found full, and has not said it has room since.
    full: bool,
}

impl Pattern for Pair {
    const POLICY: HwmPolicy = HwmPolicy::Block;

    /// RFC 31: "SHALL accept at most one peer"; a second is refused while
    /// the first is attached (libzmq closes its connection too).
    fn attach(&mut self, id: PipeId) -> bool {
        if self.pipe.is_some() {
            return false;
        }
        self.pipe = Some(id);
        self.full = false;
        true
    }

    fn detach(&mut self, id: PipeId) {
        if self.pipe == Some(id) {
            self.pipe = None;
            self.fq.remove(id);
        }
    }

    fn readable(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _: PipeId) {
        self.full = false;
    }

    fn can_send(&self) -> bool {
        self.pipe.is_some() && !self.full
    }

    /// RFC 31: "SHALL block on sending" while it has no peer or the
    /// peer's pipe is full.
    fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        let sent = match self.pipe {
            Some(id) => write_to(pipes, id, msg, Self::POLICY),
            None => Err((Error::WouldBlock, msg)),
        };
        self.full = matches!(sent, Err((Error::WouldBlock, _))) && self.pipe.is_some();
        sent
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        self.fq.recv_or_wait(pipes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::Harness;

    /// RFC 31: one peer; a second is refused until the first is gone.
    #[test]
    fn a_second_peer_is_refused_until_the_first_leaves() {
        let mut h = Harness::new();
        let [a, b] = [h.pipe(10), h.pipe(10)];
        let mut pair = Pair::default();
        assert!(pair.attach(a));
        assert!(!pair.attach(b));
        pair.send("to a".into(), &mut h.pipes).unwrap();
        assert_eq!(h.drain(a), ["to a".into()] as [Message; 1]);
        pair.detach(a);
        let (e, _) = pair.send("nobody".into(), &mut h.pipes).unwrap_err();
        assert!(matches!(e, Error::WouldBlock), "blocks with no peer");
        assert!(pair.attach(b));
        h.arrive(b, &["from b"]);
        for id in h.readable() {
            pair.readable(id, &mut h.pipes);
        }
        assert_eq!(pair.recv(&mut h.pipes).unwrap(), "from b".into());
    }
}
