//! Load-balancing (libzmq's `lb`): each message goes to the next pipe in
//! turn that has room under its high-water mark.

use crate::pipe::{PipeId, Pipes};

/// The pipes taking part, in turn order.
#[derive(Debug, Default)]
pub(crate) struct LoadBalance {
    pipes: Vec<PipeId>,
    next: usize,
}

impl LoadBalance {
    pub(crate) fn attach(&mut self, id: PipeId) {
        self.pipes.push(id);
    }

    pub(crate) fn detach(&mut self, id: PipeId) {
        if let Some(i) = self.pipes.iter().position(|&p| p == id) {
            self.pipes.remove(i);
            if i < self.next {
                self.next -= 1;
            }
        }
    }

    /// The next pipe with room, round-robin; `None` when every pipe is full
    /// (or there is none): the sender waits.
    pub(crate) fn pick(&mut self, pipes: &Pipes) -> Option<PipeId> {
        let n = self.pipes.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            let id = self.pipes[i];
            if pipes.get(id).is_some_and(|p| p.has_room()) {
                self.next = (i + 1) % n;
                return Some(id);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_skips_full_pipes() {
        let mut pipes = Pipes::default();
        let a = pipes.add(1, 0);
        let b = pipes.add(1, 0);
        let c = pipes.add(1, 0);
        let mut lb = LoadBalance::default();
        for id in [a, b, c] {
            lb.attach(id);
        }
        assert_eq!(lb.pick(&pipes), Some(a));
        assert_eq!(lb.pick(&pipes), Some(b));
        pipes.push_outbound(c, "x".into());
        assert_eq!(lb.pick(&pipes), Some(a), "c is full");
        lb.detach(a);
        assert_eq!(lb.pick(&pipes), Some(b));
        pipes.push_outbound(b, "x".into());
        assert_eq!(lb.pick(&pipes), None);
    }
}
