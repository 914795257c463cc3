//! STREAM (libzmq's `ZMQ_STREAM`): raw TCP peers, no ZMTP. Each connection
//! gets an identity made up for it; a received message is that identity
//! and the bytes one read brought, a message to send is an identity and
//! the bytes to write. A connection's start and end are each told to the
//! application as its identity and an empty frame, and sending an
//! identity with an empty frame closes that connection.

use std::collections::VecDeque;

use bytes::Bytes;

use super::identities::Identities;
use super::{FairQueue, HwmPolicy, Pattern, write_to};
use crate::peer::Peer;
use crate::pipe::{Closing, PipeId, Pipes};
use crate::{Error, Message};

/// A STREAM socket's state: the identity of each connection.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    fq: FairQueue,
    ids: Identities,
    /// The connections that came and went, for the application.
    notices: VecDeque<Message>,
}

impl Stream {
    /// A connection's end: its identity goes, and the application hears.
    fn forget(&mut self, id: PipeId) {
        self.fq.remove(id);
        if let Some(identity) = self.ids.remove(id) {
            self.notices
                .push_back([identity, Bytes::new()].into_iter().collect());
        }
    }
}

impl Pattern for Stream {
    /// As libzmq: an unknown identity is an error, a full peer waits.
    const POLICY: HwmPolicy = HwmPolicy::Block;

    fn attach(&mut self, _: PipeId) -> bool {
        true
    }

    /// A new connection: the identity `connect_routing_id` gave it, or one
    /// made up (libzmq's form); and an empty message from it.
    fn up(&mut self, id: PipeId, peer: &Peer, _: &mut Pipes) {
        let identity = peer
            .routing_id
            .clone()
            .unwrap_or_else(|| self.ids.generate());
        self.ids.insert(id, identity.clone());
        self.notices
            .push_back([identity, Bytes::new()].into_iter().collect());
    }

    fn lost(&mut self, id: PipeId) {
        self.forget(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.forget(id);
    }

    fn readable(&mut self, id: PipeId, _: &mut Pipes) {
        self.fq.activate(id);
    }

    fn writable(&mut self, _: PipeId) {}

    /// `[identity, bytes]` writes the bytes to that connection;
    /// `[identity, ""]` closes it once what was sent before is written.
    fn send(&mut self, mut msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        if msg.len() != 2 {
            return Err((
                Error::State("a STREAM message is an identity and one frame of bytes"),
                msg,
            ));
        }
        let Some(id) = self.ids.pipe(&msg.parts()[0]) else {
            return Err((Error::HostUnreachable, msg));
        };
        if msg.parts()[1].is_empty() {
            pipes.close(id, Closing::Linger(None));
            self.forget(id);
            return Ok(());
        }
        let identity = msg.parts_mut().remove(0);
        write_to(pipes, id, msg, Self::POLICY).map_err(|(e, mut msg)| {
            msg.push_front(identity);
            (e, msg)
        })
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        if let Some(notice) = self.notices.pop_front() {
            return Ok(notice);
        }
        while let Some((id, mut msg)) = self.fq.recv_message(pipes) {
            if let Some(identity) = self.ids.of(id) {
                msg.push_front(identity.clone());
                return Ok(msg);
            }
        }
        Err(Error::WouldBlock)
    }
}
