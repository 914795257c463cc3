//! NULL (RFC 23 "The NULL Security Mechanism"): each side sends READY with
//! its properties; nothing is authenticated or encrypted. As in libzmq, a
//! side with a ZAP domain first asks the ZAP handler whether the peer may
//! connect, and only then sends READY (or ERROR).

use bytes::{Bytes, BytesMut};

use super::{Mechanism, MechanismName, Status, with_zap_properties, zap_error};
use crate::command::{Command, READY};
use crate::zap::{ZapReply, ZapRequest};
use crate::{Metadata, ProtocolError};

/// Where the ZAP exchange of one NULL handshake stands.
#[derive(Debug, PartialEq, Eq)]
enum Zap {
    /// No ZAP handler is asked.
    Off,
    /// The request is still to be handed out.
    ToAsk,
    /// Waiting for the answer.
    Asked,
    /// The handler allowed the peer.
    Allowed { user_id: Bytes },
    /// The handler refused the peer: an ERROR is sent, unless the status
    /// was 300 (libzmq sends none for a temporary failure).
    Refused { error: Option<Bytes> },
}

/// One side of a NULL handshake.
#[derive(Debug)]
pub struct Null {
    /// Our READY properties.
    properties: Metadata,
    zap: Zap,
    ready_sent: bool,
    peer: Option<Metadata>,
    /// What the ZAP handler added to the peer's properties.
    zap_metadata: Metadata,
}

impl Null {
    /// A NULL handshake announcing `properties`; `zap` asks a ZAP handler
    /// before the peer is accepted.
    pub fn new(properties: Metadata, zap: bool) -> Self {
        Self {
            properties,
            zap: if zap { Zap::ToAsk } else { Zap::Off },
            ready_sent: false,
            peer: None,
            zap_metadata: Metadata::new(),
        }
    }
}

impl Mechanism for Null {
    fn name(&self) -> MechanismName {
        MechanismName::Null
    }

    fn as_server(&self) -> bool {
        false
    }

    fn next_command(&mut self) -> Option<Bytes> {
        match &mut self.zap {
            Zap::Refused { error } => return error.take(),
            Zap::ToAsk | Zap::Asked => return None,
            Zap::Off | Zap::Allowed { .. } => {}
        }
        if self.ready_sent {
            return None;
        }
        self.ready_sent = true;
        let mut body = BytesMut::new();
        Command::Ready(std::mem::take(&mut self.properties)).encode_body(&mut body);
        Some(body.freeze())
    }

    fn handle_command(&mut self, name: &[u8], data: Bytes) -> Result<(), ProtocolError> {
        if name != READY {
            return Err(ProtocolError::UnexpectedCommand("expected READY"));
        }
        if self.peer.is_some() {
            return Err(ProtocolError::UnexpectedCommand("a second READY"));
        }
        self.peer = Some(Metadata::parse(data)?);
        Ok(())
    }

    fn zap_request(&mut self) -> Option<ZapRequest> {
        if self.zap != Zap::ToAsk {
            return None;
        }
        self.zap = Zap::Asked;
        Some(ZapRequest {
            mechanism: MechanismName::Null,
            credentials: Vec::new(),
        })
    }

    fn handle_zap_reply(&mut self, reply: ZapReply) -> Result<(), ProtocolError> {
        if self.zap != Zap::Asked {
            return Err(ProtocolError::UnexpectedZapReply);
        }
        if let Err(e) = reply.check() {
            let error = zap_error(reply.status_code);
            self.zap = Zap::Refused { error };
            return Err(e);
        }
        self.zap_metadata = reply.metadata;
        self.zap = Zap::Allowed {
            user_id: reply.user_id,
        };
        Ok(())
    }

    fn status(&self) -> Status {
        let zap_done = matches!(self.zap, Zap::Off | Zap::Allowed { .. });
        if zap_done && self.ready_sent && self.peer.is_some() {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    /// The peer's READY properties, then those the ZAP handler gave it.
    fn take_peer_properties(&mut self) -> Metadata {
        with_zap_properties(self.peer.take(), &self.zap_metadata)
    }

    fn user_id(&self) -> Option<&Bytes> {
        match &self.zap {
            Zap::Allowed { user_id } if !user_id.is_empty() => Some(user_id),
            _ => None,
        }
    }
}
