//! [`Identities`]: which identity each peer has, for the types that
//! address peers by identity (ROUTER, STREAM).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use bytes::Bytes;

use crate::pipe::PipeId;

/// Each peer's identity, both ways.
#[derive(Debug)]
pub(crate) struct Identities {
    pipe_of: HashMap<Bytes, PipeId>,
    identity_of: HashMap<PipeId, Bytes>,
    /// The number in the next identity made up for a peer.
    next_generated: u32,
}

impl Default for Identities {
    /// Generated identities start at a random number, as libzmq's do, so
    /// that two sockets (or one restarted) do not hand out the same ones.
    fn default() -> Self {
        Self {
            pipe_of: HashMap::new(),
            identity_of: HashMap::new(),
            next_generated: RandomState::new().hash_one(0u8) as u32,
        }
    }
}

impl Identities {
    /// An identity for a peer that announced none: five bytes, the first
    /// zero (which no announced identity may start with), then a number
    /// (libzmq's form); never one in use.
    pub(crate) fn generate(&mut self) -> Bytes {
        loop {
            let n = self.next_generated;
            self.next_generated = n.wrapping_add(1);
            let mut id = vec![0u8];
            id.extend_from_slice(&n.to_be_bytes());
            let id = Bytes::from(id);
            if !self.pipe_of.contains_key(&id) {
                return id;
            }
        }
    }

    /// Pipe `id`'s peer has `identity` from now on.
    pub(crate) fn insert(&mut self, id: PipeId, identity: Bytes) {
        self.pipe_of.insert(identity.clone(), id);
        self.identity_of.insert(id, identity);
    }

    /// Pipe `id`'s peer no longer has an identity; returns the one it had.
    pub(crate) fn remove(&mut self, id: PipeId) -> Option<Bytes> {
        let identity = self.identity_of.remove(&id)?;
        self.pipe_of.remove(&identity);
        Some(identity)
    }

    /// The pipe of the peer with `identity`.
    pub(crate) fn pipe(&self, identity: &[u8]) -> Option<PipeId> {
        self.pipe_of.get(identity).copied()
    }

    /// The identity of pipe `id`'s peer.
    pub(crate) fn of(&self, id: PipeId) -> Option<&Bytes> {
        self.identity_of.get(&id)
    }
}
