//! PLAIN (RFC 24 "ZMTP PLAIN Authentication"): the client sends a user
//! name and password in clear (HELLO), the server answers WELCOME, the
//! client sends its properties (INITIATE), the server its own (READY). The
//! server asks a ZAP handler about the credentials before its WELCOME
//! when the I/O layer has one; libzmq refuses PLAIN clients without a
//! handler, and ferrozmq's I/O layer does the same. The greeting's
//! as-server bit is not checked: libzmq 4.3's PLAIN server sends it clear;
//! two clients (or two servers) fail on the commands instead.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::{Mechanism, MechanismName, Status, ZapAnswer};
use crate::command::{Command, READY};
use crate::zap::{ZapReply, ZapRequest};
use crate::{Metadata, ProtocolError};

const HELLO: &[u8] = b"HELLO";
const WELCOME: &[u8] = b"WELCOME";
const INITIATE: &[u8] = b"INITIATE";

/// A command body: its name (length first), then `data`.
fn command(name: &[u8], data: &[u8]) -> Bytes {
    let mut body = BytesMut::with_capacity(1 + name.len() + data.len());
    body.put_u8(name.len() as u8);
    body.put_slice(name);
    body.put_slice(data);
    body.freeze()
}

/// Where a PLAIN client stands.
#[derive(Debug, PartialEq, Eq)]
enum ClientState {
    SendHello,
    WaitWelcome,
    SendInitiate,
    WaitReady,
    Ready,
}

/// The client side: it has a user name and password.
#[derive(Debug)]
pub struct PlainClient {
    username: Bytes,
    password: Bytes,
    properties: Metadata,
    state: ClientState,
    peer: Option<Metadata>,
}

impl PlainClient {
    /// A client that logs in as `username` with `password` (at most 255
    /// bytes each: longer ones are cut there, as the wire carries a byte
    /// for the length) and announces `properties` in INITIATE.
    pub fn new(username: Bytes, password: Bytes, properties: Metadata) -> Self {
        Self {
            username: username.slice(..username.len().min(255)),
            password: password.slice(..password.len().min(255)),
            properties,
            state: ClientState::SendHello,
            peer: None,
        }
    }
}

impl Mechanism for PlainClient {
    fn name(&self) -> MechanismName {
        MechanismName::Plain
    }

    fn as_server(&self) -> bool {
        false
    }

    fn next_command(&mut self) -> Option<Bytes> {
        match self.state {
            ClientState::SendHello => {
                self.state = ClientState::WaitWelcome;
                let mut data = BytesMut::new();
                data.put_u8(self.username.len() as u8);
                data.put_slice(&self.username);
                data.put_u8(self.password.len() as u8);
                data.put_slice(&self.password);
                Some(command(HELLO, &data))
            }
            ClientState::SendInitiate => {
                self.state = ClientState::WaitReady;
                let mut data = BytesMut::new();
                std::mem::take(&mut self.properties).encode(&mut data);
                Some(command(INITIATE, &data))
            }
            _ => None,
        }
    }

    fn handle_command(&mut self, name: &[u8], data: Bytes) -> Result<(), ProtocolError> {
        match (&self.state, name) {
            (ClientState::WaitWelcome, WELCOME) if data.is_empty() => {
                self.state = ClientState::SendInitiate;
                Ok(())
            }
            (ClientState::WaitWelcome, WELCOME) => Err(ProtocolError::MalformedCommand("WELCOME")),
            (ClientState::WaitReady, READY) => {
                self.peer = Some(Metadata::parse(data)?);
                self.state = ClientState::Ready;
                Ok(())
            }
            _ => Err(ProtocolError::UnexpectedCommand(
                "PLAIN client: expected WELCOME, then READY",
            )),
        }
    }

    fn status(&self) -> Status {
        if self.state == ClientState::Ready {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    fn take_peer_properties(&mut self) -> Metadata {
        self.peer.take().unwrap_or_default()
    }
}

/// Where a PLAIN server stands.
#[derive(Debug, PartialEq, Eq)]
enum ServerState {
    WaitHello,
    /// The ZAP request is still to be handed out.
    ToAsk,
    /// Waiting for the ZAP answer.
    Asked,
    SendWelcome,
    WaitInitiate,
    SendReady,
    Ready,
    /// Refused: the ERROR is still to send (if any).
    Refused,
}

/// The server side: it checks a client's credentials through ZAP.
#[derive(Debug)]
pub struct PlainServer {
    properties: Metadata,
    zap: bool,
    state: ServerState,
    credentials: Vec<Bytes>,
    answer: ZapAnswer,
    peer: Option<Metadata>,
}

impl PlainServer {
    /// A server announcing `properties` in READY; `zap` asks a ZAP handler
    /// about each client's credentials (without one, every client is let
    /// in: the I/O layer decides whether that may happen).
    pub fn new(properties: Metadata, zap: bool) -> Self {
        Self {
            properties,
            zap,
            state: ServerState::WaitHello,
            credentials: Vec::new(),
            answer: ZapAnswer::default(),
            peer: None,
        }
    }

    /// HELLO's data: a user name and a password, each after its length,
    /// and nothing after them.
    fn parse_hello(mut data: Bytes) -> Result<(Bytes, Bytes), ProtocolError> {
        let malformed = ProtocolError::MalformedCommand("HELLO");
        let field = |data: &mut Bytes| {
            if data.is_empty() {
                return Err(malformed.clone());
            }
            let len = usize::from(data.get_u8());
            if data.len() < len {
                return Err(malformed.clone());
            }
            Ok(data.split_to(len))
        };
        let username = field(&mut data)?;
        let password = field(&mut data)?;
        if !data.is_empty() {
            return Err(ProtocolError::MalformedCommand("HELLO"));
        }
        Ok((username, password))
    }
}

impl Mechanism for PlainServer {
    fn name(&self) -> MechanismName {
        MechanismName::Plain
    }

    fn as_server(&self) -> bool {
        true
    }

    fn next_command(&mut self) -> Option<Bytes> {
        match self.state {
            ServerState::SendWelcome => {
                self.state = ServerState::WaitInitiate;
                Some(command(WELCOME, &[]))
            }
            ServerState::SendReady => {
                self.state = ServerState::Ready;
                let mut body = BytesMut::new();
                Command::Ready(std::mem::take(&mut self.properties)).encode_body(&mut body);
                Some(body.freeze())
            }
            ServerState::Refused => self.answer.take_error(),
            _ => None,
        }
    }

    fn handle_command(&mut self, name: &[u8], data: Bytes) -> Result<(), ProtocolError> {
        match (&self.state, name) {
            (ServerState::WaitHello, HELLO) => {
                let (username, password) = Self::parse_hello(data)?;
                self.credentials = vec![username, password];
                self.state = if self.zap {
                    ServerState::ToAsk
                } else {
                    ServerState::SendWelcome
                };
                Ok(())
            }
            (ServerState::WaitInitiate, INITIATE) => {
                self.peer = Some(Metadata::parse(data)?);
                self.state = ServerState::SendReady;
                Ok(())
            }
            _ => Err(ProtocolError::UnexpectedCommand(
                "PLAIN server: expected HELLO, then INITIATE",
            )),
        }
    }

    fn zap_request(&mut self) -> Option<ZapRequest> {
        if self.state != ServerState::ToAsk {
            return None;
        }
        self.state = ServerState::Asked;
        Some(ZapRequest {
            mechanism: MechanismName::Plain,
            credentials: std::mem::take(&mut self.credentials),
        })
    }

    fn handle_zap_reply(&mut self, reply: ZapReply) -> Result<(), ProtocolError> {
        if self.state != ServerState::Asked {
            return Err(ProtocolError::UnexpectedZapReply);
        }
        let taken = self.answer.take(reply);
        self.state = match taken {
            Ok(()) => ServerState::SendWelcome,
            Err(_) => ServerState::Refused,
        };
        taken
    }

    fn status(&self) -> Status {
        if self.state == ServerState::Ready {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    /// The client's INITIATE properties, then those the ZAP handler gave.
    fn take_peer_properties(&mut self) -> Metadata {
        self.answer.properties(self.peer.take())
    }

    fn user_id(&self) -> Option<&Bytes> {
        self.answer.user_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(socket_type: &'static str) -> Metadata {
        let mut m = Metadata::new();
        m.insert("Socket-Type", socket_type);
        m
    }

    /// Runs a handshake between two mechanisms, commands passed whole;
    /// `zap` answers the server's request.
    fn exchange(
        client: &mut PlainClient,
        server: &mut PlainServer,
        zap: impl Fn(&ZapRequest) -> ZapReply,
    ) -> Result<(), ProtocolError> {
        for _ in 0..8 {
            while let Some(body) = client.next_command() {
                let (name, data) = Command::split(body)?;
                server.handle_command(&name, data)?;
            }
            if let Some(request) = server.zap_request() {
                server.handle_zap_reply(zap(&request))?;
            }
            while let Some(body) = server.next_command() {
                let (name, data) = Command::split(body)?;
                client.handle_command(&name, data)?;
            }
        }
        Ok(())
    }

    #[test]
    fn a_handshake_with_credentials_checked_by_zap() {
        let mut client = PlainClient::new("admin".into(), "secret".into(), props("REQ"));
        let mut server = PlainServer::new(props("REP"), true);
        let mut reply = ZapReply::new(200);
        reply.user_id = Bytes::from_static(b"the-admin");
        exchange(&mut client, &mut server, |request| {
            assert_eq!(request.credentials, [&b"admin"[..], b"secret"]);
            reply.clone()
        })
        .unwrap();
        assert_eq!(client.status(), Status::Ready);
        assert_eq!(server.status(), Status::Ready);
        assert_eq!(server.user_id().unwrap(), "the-admin");
        assert_eq!(
            server.take_peer_properties().get("Socket-Type").unwrap(),
            "REQ"
        );
        assert_eq!(
            client.take_peer_properties().get("Socket-Type").unwrap(),
            "REP"
        );
    }

    /// The golden bytes of HELLO, as RFC 24 lays it out.
    #[test]
    fn hello_is_as_the_rfc_says() {
        let mut client = PlainClient::new("u".into(), "pw".into(), Metadata::new());
        assert_eq!(client.next_command().unwrap(), &b"\x05HELLO\x01u\x02pw"[..]);
        assert_eq!(client.next_command(), None, "nothing before WELCOME");
    }

    #[test]
    fn a_refusal_sends_error_and_fails() {
        let mut client = PlainClient::new("u".into(), "bad".into(), Metadata::new());
        let mut server = PlainServer::new(Metadata::new(), true);
        let failed = exchange(&mut client, &mut server, |_| ZapReply::new(400));
        assert!(matches!(
            failed,
            Err(ProtocolError::AuthenticationFailed { .. })
        ));
        let error = server.next_command().unwrap();
        assert_eq!(&error[..], b"\x05ERROR\x03400");
        assert_eq!(server.status(), Status::Handshaking);
    }

    /// Lengths that do not add up, or bytes after the password, are
    /// malformed, as in libzmq.
    #[test]
    fn malformed_hellos_are_refused() {
        for data in [
            &b""[..],
            b"\x05us",
            b"\x01u",
            b"\x01u\x03pw",
            b"\x01u\x02pwX",
        ] {
            let mut server = PlainServer::new(Metadata::new(), true);
            assert_eq!(
                server.handle_command(HELLO, Bytes::copy_from_slice(data)),
                Err(ProtocolError::MalformedCommand("HELLO")),
                "{data:?}"
            );
        }
        let mut server = PlainServer::new(Metadata::new(), false);
        assert!(
            server.handle_command(INITIATE, Bytes::new()).is_err(),
            "INITIATE first"
        );
        let mut client = PlainClient::new("u".into(), "p".into(), Metadata::new());
        client.next_command();
        assert!(
            client
                .handle_command(WELCOME, Bytes::from_static(b"x"))
                .is_err()
        );
        assert!(
            client.handle_command(READY, Bytes::new()).is_err(),
            "READY before WELCOME"
        );
    }
}
