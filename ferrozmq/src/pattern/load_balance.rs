//! Load-balancing (libzmq's `lb`): each message goes to the next pipe in
//! turn that has room under its high-water mark.

use crate::Message;
use crate::pipe::{PipeId, Pipes, Written};

/// The pipes that can take a message now, in turn order. A pipe found full
/// leaves the turn until it says it has room again.
#[derive(Debug, Default)]
pub(crate) struct LoadBalance {
    active: Vec<PipeId>,
    next: usize,
}

impl LoadBalance {
    /// A new pipe, or one with room again, joins the turn.
    pub(crate) fn activate(&mut self, id: PipeId) {
        if !self.active.contains(&id) {
            self.active.push(id);
        }
    }

    /// A pipe leaves the turn.
    pub(crate) fn remove(&mut self, id: PipeId) {
        if let Some(i) = self.active.iter().position(|&p| p == id) {
            self.active.remove(i);
            if i < self.next {
                self.next -= 1;
            }
            if self.next >= self.active.len() {
                self.next = 0;
            }
        }
    }

    /// Writes `msg` to the next pipe in turn that takes it; `Err` gives it
    /// back when none does (every pipe is full, or there is none): the
    /// sender waits.
    pub(crate) fn send(&mut self, mut msg: Message, pipes: &mut Pipes) -> Result<PipeId, Message> {
        while !self.active.is_empty() {
            let i = if self.next < self.active.len() {
                self.next
            } else {
                0
            };
            let id = self.active[i];
            match pipes.write(id, msg) {
                Written::Ok => {
                    self.next = i + 1;
                    return Ok(id);
                }
                Written::Full(back) | Written::Gone(back) => {
                    msg = back;
                    self.active.remove(i);
                    self.next = i;
                }
            }
        }
        self.next = 0;
        Err(msg)
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
