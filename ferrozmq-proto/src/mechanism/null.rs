//! NULL (RFC 23 "The NULL Security Mechanism"): each side sends READY with
//! its properties; nothing is authenticated or encrypted. As in libzmq, a
//! side with a ZAP domain first asks the ZAP handler whether the peer may
//! connect, and only then sends READY (or ERROR).

use bytes::{Bytes, BytesMut};

use super::{Mechanism, MechanismName, Status, ZapAnswer};
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
    Allowed,
    /// The handler refused the peer: its ERROR, if any, is still to send.
    Refused,
}

/// One side of a NULL handshake.
#[derive(Debug)]
pub struct Null {
    /// Our READY properties.
    properties: Metadata,
    zap: Zap,
    answer: ZapAnswer,
    ready_sent: bool,
    peer: Option<Metadata>,
}

impl Null {
    /// A NULL handshake announcing `properties`; `zap` asks a ZAP handler
    /// before the peer is accepted.
    pub fn new(properties: Metadata, zap: bool) -> Self {
        Self {
            properties,
            zap: if zap { Zap::ToAsk } else { Zap::Off },
            answer: ZapAnswer::default(),
            ready_sent: false,
            peer: None,
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
        match self.zap {
            Zap::Refused => return self.answer.take_error(),
            Zap::ToAsk | Zap::Asked => return None,
            Zap::Off | Zap::Allowed => {}
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
        let taken = self.answer.take(reply);
        self.zap = match taken {
            Ok(()) => Zap::Allowed,
            Err(_) => Zap::Refused,
        };
        taken
    }

    fn status(&self) -> Status {
        let zap_done = matches!(self.zap, Zap::Off | Zap::Allowed);
        if zap_done && self.ready_sent && self.peer.is_some() {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    /// The peer's READY properties, then those the ZAP handler gave it.
    fn take_peer_properties(&mut self) -> Metadata {
        self.answer.properties(self.peer.take())
    }

    fn user_id(&self) -> Option<&Bytes> {
        self.answer.user_id()
    }
}
