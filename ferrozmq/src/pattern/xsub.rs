//! XSUB (RFC 29): a SUB whose subscriptions are messages the application
//! sends (first byte 1 to subscribe, 0 to unsubscribe, then the prefix),
//! and which receives everything its publishers send.

use super::subscriptions::Subscriptions;
use super::{FairQueue, HwmPolicy, Pattern};
use crate::peer::Peer;
use crate::pipe::{PipeId, Pipes};
use crate::{Error, Message};

/// An XSUB socket's state.
#[derive(Debug, Default)]
pub(crate) struct XSub {
    subscriptions: Subscriptions,
    fq: FairQueue,
}

impl Pattern for XSub {
    /// Other messages go to every publisher, dropped for one that is full
    /// (libzmq's distribution).
    const POLICY: HwmPolicy = HwmPolicy::Drop;

    fn attach(&mut self, id: PipeId) -> bool {
        self.subscriptions.attach(id);
        true
    }

    fn connecting(&mut self, id: PipeId, pipes: &mut Pipes) {
        self.subscriptions.prime(id, pipes);
    }

    fn up(&mut self, id: PipeId, _: &Peer, pipes: &mut Pipes) {
        self.subscriptions.up(id, pipes);
    }

    fn detach(&mut self, id: PipeId) {
        self.subscriptions.detach(id);
        self.fq.remove(id);
    }

    fn readable(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _: PipeId) {}

    /// RFC 29: a message whose first frame starts with 1 subscribes to the
    /// rest of that frame, one starting with 0 unsubscribes; anything else
    /// goes to every publisher as it is.
    fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        match msg.first().and_then(|f| f.first()) {
            Some(&flag @ (0 | 1)) => {
                let prefix = msg.parts()[0].slice(1..);
                if flag == 1 {
                    self.subscriptions.subscribe(prefix, pipes);
                } else {
                    self.subscriptions.unsubscribe(prefix, pipes);
                }
            }
            _ => self.subscriptions.send_to_all(msg, pipes),
        }
        Ok(())
    }

    /// Everything publishers send is delivered: an XSUB does not filter
    /// (libzmq's XSUB neither).
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        self.fq.recv_or_wait(pipes)
    }
}
