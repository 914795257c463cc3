//! Load-balancing (libzmq's `lb`): each message goes to the next pipe in
//! turn that has room under its high-water mark.

use super::Rotation;
use crate::pipe::{PipeId, Pipes, Written};
use crate::{Error, Message};

/// The pipes that can take a message now, in turn order. A pipe found full
/// leaves the turn until it says it has room again.
#[derive(Debug, Default)]
pub(crate) struct LoadBalance {
    turn: Rotation,
}

impl LoadBalance {
    /// A new pipe, or one with room again, joins the turn.
    pub(crate) fn activate(&mut self, id: PipeId) {
        self.turn.activate(id);
    }

    /// Whether some pipe may take a message now (none is known full).
    pub(crate) fn has_room(&self) -> bool {
        !self.turn.is_empty()
    }

    /// [`send`](Self::send) for a type whose sender waits when no pipe
    /// takes the message (`WouldBlock`, the message given back).
    pub(crate) fn send_or_wait(
        &mut self,
        msg: Message,
        pipes: &mut Pipes,
    ) -> Result<(), (Error, Message)> {
        self.send(msg, pipes)
            .map(drop)
            .map_err(|msg| (Error::WouldBlock, msg))
    }

    /// A pipe leaves the turn.
    pub(crate) fn remove(&mut self, id: PipeId) {
        self.turn.remove(id);
    }

    /// Writes `msg` to the next pipe in turn that takes it; `Err` gives it
    /// back when none does (every pipe is full, or there is none): the
    /// sender waits.
    pub(crate) fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<PipeId, Message> {
        let write = |id, msg| match pipes.write(id, msg) {
            Written::Ok => Ok(id),
            Written::Full(back) | Written::Gone(back) => Err(back),
        };
        self.turn.offer(msg, write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::Harness;

    /// RFC 30: round-robin over the peers; a full one is skipped until it
    /// has room again.
    #[test]
    fn round_robin_skips_full_pipes() {
        let mut h = Harness::new();
        let [a, b, c] = [h.pipe(1), h.pipe(1), h.pipe(1)];
        let mut lb = LoadBalance::default();
        for id in [a, b, c] {
            lb.activate(id);
        }
        assert_eq!(lb.send("1".into(), &mut h.pipes), Ok(a));
        assert_eq!(lb.send("2".into(), &mut h.pipes), Ok(b));
        assert_eq!(lb.send("3".into(), &mut h.pipes), Ok(c));
        assert!(lb.send("4".into(), &mut h.pipes).is_err(), "all full");
        h.drain(b);
        lb.activate(b);
        assert_eq!(lb.send("5".into(), &mut h.pipes), Ok(b));
        lb.remove(b);
        assert!(lb.send("6".into(), &mut h.pipes).is_err());
    }
}
