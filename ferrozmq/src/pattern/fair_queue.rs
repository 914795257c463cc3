//! Fair-queuing (libzmq's `fq`): one message from each pipe that has one,
//! in turn.

use super::Rotation;
use crate::pipe::{Item, PipeId, Pipes, Read};
use crate::{Error, Message};

/// The pipes that may have something to read, in turn order. A pipe found
/// empty leaves the turn until it says it has something again.
#[derive(Debug, Default)]
pub(crate) struct FairQueue {
    turn: Rotation,
}

impl FairQueue {
    /// A pipe with something to read joins the turn.
    pub(crate) fn activate(&mut self, id: PipeId) {
        self.turn.activate(id);
    }

    /// A pipe leaves the turn.
    pub(crate) fn remove(&mut self, id: PipeId) {
        self.turn.remove(id);
    }

    /// The next item in turn, with the pipe it came from.
    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Option<(PipeId, Item)> {
        let read = |id, ()| match pipes.read(id) {
            Read::Item(item) => Ok((id, item)),
            Read::Empty | Read::Gone => Err(()),
        };
        self.turn.offer((), read).ok()
    }

    /// The next message in turn, for a type that delivers messages as they
    /// came; `WouldBlock` when none is there.
    pub(crate) fn recv_or_wait(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        self.recv_message(pipes)
            .map(|(_, msg)| msg)
            .ok_or(Error::WouldBlock)
    }

    /// The next message in turn, with the pipe it came from; commands met
    /// on the way are dropped (only PUB and XPUB read them).
    pub(crate) fn recv_message(&mut self, pipes: &mut Pipes) -> Option<(PipeId, Message)> {
        loop {
            if let (id, Item::Message(msg)) = self.recv(pipes)? {
                return Some((id, msg));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::Harness;

    fn text(item: Item) -> Message {
        match item {
            Item::Message(m) => m,
            other => panic!("{other:?}"),
        }
    }

    /// RFC 30: "SHALL receive incoming messages from its peers using a
    /// fair-queuing strategy": one from each in turn.
    #[test]
    fn one_message_per_pipe_in_turn() {
        let mut h = Harness::new();
        let (a, b) = (h.pipe(10), h.pipe(10));
        let mut fq = FairQueue::default();
        h.arrive(a, &["a1"]);
        h.arrive(a, &["a2"]);
        h.arrive(b, &["b1"]);
        for id in h.readable() {
            fq.activate(id);
        }
        let got: Vec<(PipeId, Message)> =
            std::iter::from_fn(|| fq.recv(&mut h.pipes).map(|(id, i)| (id, text(i)))).collect();
        assert_eq!(got, [(a, "a1".into()), (b, "b1".into()), (a, "a2".into())]);
        h.arrive(b, &["b2"]);
        assert_eq!(h.readable(), [b], "b said it has more");
    }
}
