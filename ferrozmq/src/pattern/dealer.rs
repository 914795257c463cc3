//! DEALER (RFC 28): load-balances outgoing messages over its peers and
//! fair-queues incoming ones, with no envelope of its own: the
//! asynchronous client of a ROUTER, or of REP (then the application adds
//! the empty delimiter).

use super::{Behaviour, FairQueue, HwmPolicy, LoadBalance, Pattern, probe};
use crate::peer::Peer;
use crate::pipe::{PipeId, Pipes};
use crate::{Error, Message};

/// A DEALER socket's routing state.
#[derive(Debug, Default)]
pub(crate) struct Dealer {
    lb: LoadBalance,
    fq: FairQueue,
    probe: bool,
}

impl Pattern for Dealer {
    const POLICY: HwmPolicy = HwmPolicy::Block;

    fn attach(&mut self, id: PipeId) -> bool {
        self.lb.activate(id);
        true
    }

    fn up(&mut self, id: PipeId, _: &Peer, pipes: &mut Pipes) {
        if self.probe {
            probe(id, pipes);
        }
    }

    fn configure(&mut self, behaviour: &Behaviour) {
        self.probe = behaviour.probe_router;
    }

    fn detach(&mut self, id: PipeId) {
        self.lb.remove(id);
        self.fq.remove(id);
    }

    fn readable(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }

    fn writable(&mut self, id: PipeId) {
        self.lb.activate(id);
    }

    fn can_send(&self) -> bool {
        self.lb.has_room()
    }

    /// RFC 28: "SHALL route outgoing messages to available peers using a
    /// round-robin strategy" and "SHALL block on sending" when none can
    /// take one; the message goes as it is.
    fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        self.lb.send_or_wait(msg, pipes)
    }

    /// RFC 28: "SHALL receive incoming messages from its peers using a
    /// fair-queuing strategy", delivered as they came.
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        self.fq.recv_or_wait(pipes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::tests::Harness;

    /// RFC 28: round-robin out, fair-queued in, no envelope added or
    /// removed either way.
    #[test]
    fn round_robin_out_fair_queue_in_no_envelope() {
        let mut h = Harness::new();
        let [a, b] = [h.pipe(10), h.pipe(10)];
        let mut dealer = Dealer::default();
        dealer.attach(a);
        dealer.attach(b);
        for text in ["1", "2", "3"] {
            dealer.send(text.into(), &mut h.pipes).unwrap();
        }
        assert_eq!(h.drain(a), ["1".into(), "3".into()] as [Message; 2]);
        assert_eq!(h.drain(b), ["2".into()] as [Message; 1]);
        h.arrive(a, &["a1", "more"]);
        h.arrive(a, &["a2"]);
        h.arrive(b, &["b1"]);
        for id in h.readable() {
            dealer.readable(id, &mut h.pipes);
        }
        let got: Vec<Message> = std::iter::from_fn(|| dealer.recv(&mut h.pipes).ok()).collect();
        let want: [Message; 3] = [
            ["a1", "more"].into_iter().collect(),
            "b1".into(),
            "a2".into(),
        ];
        assert_eq!(got, want);
    }

    /// RFC 28: with no peer that can take it, a send blocks (here: gives
    /// the message back with `WouldBlock`).
    #[test]
    fn blocks_with_no_peer_or_all_full() {
        let mut h = Harness::new();
        let mut dealer = Dealer::default();
        let (e, msg) = dealer.send("x".into(), &mut h.pipes).unwrap_err();
        assert!(matches!(e, Error::WouldBlock));
        assert_eq!(msg, "x".into());
        let a = h.pipe(1);
        dealer.attach(a);
        dealer.send("1".into(), &mut h.pipes).unwrap();
        let (e, _) = dealer.send("2".into(), &mut h.pipes).unwrap_err();
        assert!(matches!(e, Error::WouldBlock));
    }
}
