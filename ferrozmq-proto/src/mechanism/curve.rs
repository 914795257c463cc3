//! CURVE (RFC 26 "CurveZMQ", as libzmq runs it under ZMTP): transient
//! keys per connection for perfect forward secrecy, the client
//! authenticated by a vouch made with its permanent key, a cookie so the
//! server holds no state between WELCOME and INITIATE, and every frame
//! afterwards a MESSAGE box carrying its flags inside. Boxes are
//! libsodium's `crypto_box` (X25519, XSalsa20-Poly1305): see `salsa.rs`.

use bytes::{BufMut, Bytes, BytesMut};
use zeroize::Zeroize;

use super::salsa::{BoxKey, Boxes, MAC};
use super::{Mechanism, MechanismName, Status, ZapAnswer};
use crate::command::READY;
use crate::frame::{Frame, FrameFlags};
use crate::mechanism::encode_plain;
use crate::zap::{ZapReply, ZapRequest};
use crate::{Metadata, OutBuffer, ProtocolError};

const HELLO: &[u8] = b"HELLO";
const WELCOME: &[u8] = b"WELCOME";
const INITIATE: &[u8] = b"INITIATE";
const MESSAGE: &[u8] = b"\x07MESSAGE";

/// A cookie: its nonce's 16 bytes, then the box of C' and s'.
const COOKIE: usize = 16 + 64 + MAC;
/// A vouch: its nonce's 16 bytes, then the box of C' and S.
const VOUCH: usize = 16 + 64 + MAC;
/// HELLO's body, all of it (RFC 26: exactly 200 bytes).
const HELLO_LEN: usize = 200;
/// The most metadata an INITIATE may carry: what a ZMTP handshake frame
/// may weigh (64 KiB) bounds it already; this says so.
const INITIATE_MAX: usize = 64 * 1024;

/// A CURVE key pair or key, 32 bytes; a secret one is wiped when dropped
/// and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct CurveSecret([u8; 32]);

impl CurveSecret {
    /// A secret key from its 32 bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The public key that goes with it.
    pub fn public(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(self.0)).to_bytes()
    }

    /// A new random key pair: public, secret.
    pub fn generate() -> ([u8; 32], Self) {
        let secret = Self(random());
        (secret.public(), secret)
    }
}

impl Drop for CurveSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for CurveSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CurveSecret(..)")
    }
}

/// A box between `ours` (secret) and `theirs` (public); refused for a
/// public key of low order or all zeros, whose shared secret would be
/// known to anyone (as libsodium refuses it).
fn salsa_box(theirs: &[u8; 32], ours: &CurveSecret) -> Result<BoxKey, ProtocolError> {
    BoxKey::between(theirs, ours.as_bytes())
        .ok_or(ProtocolError::MalformedCommand("a CURVE key of low order"))
}

/// A 24-byte nonce: a 16- or 8-byte prefix and the rest.
fn nonce(prefix: &[u8], rest: &[u8]) -> [u8; 24] {
    let mut n = [0u8; 24];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(rest);
    n
}

/// Random bytes from the operating system, for keys and long nonces.
fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).expect("the operating system has no random numbers");
    out
}

/// The next short nonce of a counter, as it goes on the wire.
fn next_short(counter: &mut u64) -> [u8; 8] {
    let n = *counter;
    *counter += 1;
    n.to_be_bytes()
}

fn open(
    b: &BoxKey,
    n: &[u8; 24],
    sealed: &[u8],
    what: &'static str,
) -> Result<Vec<u8>, ProtocolError> {
    b.open(n, sealed)
        .ok_or(ProtocolError::MalformedCommand(what))
}

/// A command body: name (length first), then its data.
fn command(name: &[u8], parts: &[&[u8]]) -> Bytes {
    let mut body = BytesMut::new();
    body.put_u8(name.len() as u8);
    body.put_slice(name);
    for part in parts {
        body.put_slice(part);
    }
    body.freeze()
}

fn key32(bytes: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes[..32]);
    key
}

/// The traffic after the handshake: a box per frame, short nonces going
/// up each way.
struct Traffic {
    /// The boxes we send, and those the peer sends: the same key, each
    /// side's nonce prefix.
    ours: Boxes,
    theirs: Boxes,
    next_nonce: u64,
    /// The last short nonce the peer used; the next must be above it.
    peer_nonce: u64,
}

impl std::fmt::Debug for Traffic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Traffic")
            .field("next_nonce", &self.next_nonce)
            .field("peer_nonce", &self.peer_nonce)
            .finish_non_exhaustive()
    }
}

impl Traffic {
    /// Boxes a frame, once the handshake has set up the traffic (before,
    /// the connection sends nothing through the mechanism).
    fn encode_on(traffic: &mut Option<Self>, flags: u8, body: &Bytes, out: &mut OutBuffer) {
        if let Some(traffic) = traffic {
            traffic.encode(flags, body, out);
        }
    }

    /// Opens a frame; data before the handshake completed is an error.
    fn decode_on(traffic: &mut Option<Self>, frame: Frame) -> Result<Frame, ProtocolError> {
        match traffic {
            Some(traffic) => traffic.decode(frame),
            None => Err(ProtocolError::DataBeforeReady),
        }
    }

    fn encode(&mut self, flags: u8, body: &Bytes, out: &mut OutBuffer) {
        let short = next_short(&mut self.next_nonce);
        let mut inner = 0;
        if flags & FrameFlags::MORE != 0 {
            inner |= 0x01;
        }
        if flags & FrameFlags::COMMAND != 0 {
            inner |= 0x02;
        }
        // MESSAGE, the nonce, room for the MAC, then the flags and the
        // body, sealed where they lie.
        let mut frame = BytesMut::with_capacity(MESSAGE.len() + 8 + MAC + 1 + body.len());
        frame.put_slice(MESSAGE);
        frame.put_slice(&short);
        let boxed = frame.len();
        frame.put_bytes(0, MAC);
        frame.put_u8(inner);
        frame.put_slice(body);
        self.ours.seal_in_place(&short, &mut frame[boxed..]);
        encode_plain(0, &frame.freeze(), out);
    }

    /// Opens a MESSAGE; its short nonce must be above the last one, and is
    /// looked at only once the box is known to be the peer's.
    fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        let body = frame.body;
        if !body.starts_with(MESSAGE) {
            return Err(ProtocolError::UnexpectedCommand("expected MESSAGE"));
        }
        if body.len() < MESSAGE.len() + 8 + MAC + 1 {
            return Err(ProtocolError::MalformedCommand("MESSAGE"));
        }
        let mut short = [0u8; 8];
        short.copy_from_slice(&body[MESSAGE.len()..MESSAGE.len() + 8]);
        let plain = self
            .theirs
            .open(&short, &body[MESSAGE.len() + 8..])
            .ok_or(ProtocolError::MalformedCommand("MESSAGE"))?;
        let n = u64::from_be_bytes(short);
        if n <= self.peer_nonce {
            return Err(ProtocolError::MalformedCommand(
                "a MESSAGE nonce that does not go up",
            ));
        }
        self.peer_nonce = n;
        let inner = plain[0];
        let mut flags = 0;
        if inner & 0x01 != 0 {
            flags |= FrameFlags::MORE;
        }
        if inner & 0x02 != 0 {
            flags |= FrameFlags::COMMAND;
        }
        Ok(Frame {
            flags: FrameFlags(flags),
            body: Bytes::from(plain).slice(1..),
        })
    }
}

/// Where a CURVE client stands.
#[derive(Debug, PartialEq, Eq)]
enum ClientState {
    SendHello,
    WaitWelcome,
    SendInitiate,
    WaitReady,
    Ready,
}

/// The client side: its permanent keys and the server's public key.
#[derive(Debug)]
pub struct CurveClient {
    public: [u8; 32],
    secret: CurveSecret,
    server: [u8; 32],
    transient: CurveSecret,
    properties: Metadata,
    state: ClientState,
    next_nonce: u64,
    /// From WELCOME: the server's transient key and its cookie.
    server_transient: [u8; 32],
    cookie: Vec<u8>,
    traffic: Option<Traffic>,
    peer: Option<Metadata>,
}

impl CurveClient {
    /// A client with its key pair, for the server whose public key is
    /// `server`, announcing `properties` in INITIATE.
    pub fn new(
        public: [u8; 32],
        secret: CurveSecret,
        server: [u8; 32],
        properties: Metadata,
    ) -> Self {
        Self {
            public,
            secret,
            server,
            transient: CurveSecret::generate().1,
            properties,
            state: ClientState::SendHello,
            next_nonce: 1,
            server_transient: [0; 32],
            cookie: Vec::new(),
            traffic: None,
            peer: None,
        }
    }

    fn hello(&mut self) -> Result<Bytes, ProtocolError> {
        let short = next_short(&mut self.next_nonce);
        let b = salsa_box(&self.server, &self.transient)?;
        let sealed = b.seal(&nonce(b"CurveZMQHELLO---", &short), &[0u8; 64]);
        let transient = self.transient.public();
        Ok(command(
            HELLO,
            &[&[1, 0], &[0u8; 72], &transient, &short, &sealed],
        ))
    }

    fn initiate(&mut self) -> Result<Bytes, ProtocolError> {
        let vouch_nonce = random::<16>();
        let to_server_transient = salsa_box(&self.server_transient, &self.secret)?;
        let mut vouch_plain = Vec::with_capacity(64);
        vouch_plain.extend_from_slice(&self.transient.public());
        vouch_plain.extend_from_slice(&self.server);
        let vouch = to_server_transient.seal(&nonce(b"VOUCH---", &vouch_nonce), &vouch_plain);
        let mut plain = BytesMut::new();
        plain.put_slice(&self.public);
        plain.put_slice(&vouch_nonce);
        plain.put_slice(&vouch);
        std::mem::take(&mut self.properties).encode(&mut plain);
        let short = next_short(&mut self.next_nonce);
        let b = salsa_box(&self.server_transient, &self.transient)?;
        let sealed = b.seal(&nonce(b"CurveZMQINITIATE", &short), &plain);
        Ok(command(INITIATE, &[&self.cookie, &short, &sealed]))
    }
}

impl Mechanism for CurveClient {
    fn name(&self) -> MechanismName {
        MechanismName::Curve
    }

    fn as_server(&self) -> bool {
        false
    }

    fn next_command(&mut self) -> Option<Bytes> {
        let body = match self.state {
            ClientState::SendHello => self.hello(),
            ClientState::SendInitiate => self.initiate(),
            _ => return None,
        };
        self.state = match self.state {
            ClientState::SendHello => ClientState::WaitWelcome,
            _ => ClientState::WaitReady,
        };
        // A key refused as low order leaves nothing to send: the peer's
        // next command then finds the handshake stuck and it times out.
        body.ok()
    }

    fn handle_command(&mut self, name: &[u8], data: Bytes) -> Result<(), ProtocolError> {
        match (&self.state, name) {
            (ClientState::WaitWelcome, WELCOME) => {
                if data.len() != 16 + 32 + COOKIE + MAC {
                    return Err(ProtocolError::MalformedCommand("WELCOME"));
                }
                let b = salsa_box(&self.server, &self.transient)?;
                let plain = open(&b, &nonce(b"WELCOME-", &data[..16]), &data[16..], "WELCOME")?;
                self.server_transient = key32(&plain);
                self.cookie = plain[32..].to_vec();
                self.state = ClientState::SendInitiate;
                Ok(())
            }
            (ClientState::WaitReady, READY) => {
                if data.len() < 8 + MAC {
                    return Err(ProtocolError::MalformedCommand("READY"));
                }
                let b = salsa_box(&self.server_transient, &self.transient)?;
                let plain = open(
                    &b,
                    &nonce(b"CurveZMQREADY---", &data[..8]),
                    &data[8..],
                    "READY",
                )?;
                self.peer = Some(Metadata::parse(Bytes::from(plain))?);
                self.traffic = Some(Traffic {
                    ours: b.boxes(b"CurveZMQMESSAGEC"),
                    theirs: b.boxes(b"CurveZMQMESSAGES"),
                    next_nonce: self.next_nonce,
                    peer_nonce: u64::from_be_bytes(data[..8].try_into().unwrap_or_default()),
                });
                self.state = ClientState::Ready;
                Ok(())
            }
            _ => Err(ProtocolError::UnexpectedCommand(
                "CURVE client: expected WELCOME, then READY",
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

    fn encode(&mut self, flags: u8, body: &Bytes, out: &mut OutBuffer) {
        Traffic::encode_on(&mut self.traffic, flags, body, out);
    }

    fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        Traffic::decode_on(&mut self.traffic, frame)
    }

    fn is_transparent(&self) -> bool {
        false
    }
}

/// Where a CURVE server stands.
#[derive(Debug, PartialEq, Eq)]
enum ServerState {
    WaitHello,
    SendWelcome,
    WaitInitiate,
    ToAsk,
    Asked,
    SendReady,
    Ready,
    Refused,
}

/// The server side: its permanent key pair; it learns each client's
/// permanent key, and asks ZAP about it when the I/O layer has a handler.
#[derive(Debug)]
pub struct CurveServer {
    secret: CurveSecret,
    public: [u8; 32],
    properties: Metadata,
    zap: bool,
    state: ServerState,
    /// This connection's transient key pair, and the cookie key (made for
    /// this connection alone: a cookie from another is worthless here).
    transient: CurveSecret,
    cookie_key: [u8; 32],
    client_transient: [u8; 32],
    client: [u8; 32],
    peer_nonce: u64,
    next_nonce: u64,
    answer: ZapAnswer,
    peer: Option<Metadata>,
    traffic: Option<Traffic>,
}

impl CurveServer {
    /// A server with its secret key, announcing `properties` in READY;
    /// `zap` asks a ZAP handler about each client's public key.
    pub fn new(secret: CurveSecret, properties: Metadata, zap: bool) -> Self {
        let mut cookie_key = [0u8; 32];
        cookie_key[..16].copy_from_slice(&random::<16>());
        cookie_key[16..].copy_from_slice(&random::<16>());
        Self {
            public: secret.public(),
            secret,
            properties,
            zap,
            state: ServerState::WaitHello,
            transient: CurveSecret::generate().1,
            cookie_key,
            client_transient: [0; 32],
            client: [0; 32],
            peer_nonce: 0,
            next_nonce: 1,
            answer: ZapAnswer::default(),
            peer: None,
            traffic: None,
        }
    }

    fn hello(&mut self, data: &[u8]) -> Result<(), ProtocolError> {
        let malformed = ProtocolError::MalformedCommand("HELLO");
        if data.len() != HELLO_LEN - 1 - HELLO.len() || data[..2] != [1, 0] {
            return Err(malformed);
        }
        let client_transient = key32(&data[74..106]);
        let short = &data[106..114];
        let b = salsa_box(&client_transient, &self.secret)?;
        let plain = open(
            &b,
            &nonce(b"CurveZMQHELLO---", short),
            &data[114..],
            "HELLO",
        )?;
        if plain != [0u8; 64] {
            return Err(malformed);
        }
        self.client_transient = client_transient;
        self.peer_nonce = u64::from_be_bytes(short.try_into().unwrap_or_default());
        self.state = ServerState::SendWelcome;
        Ok(())
    }

    fn welcome(&mut self) -> Result<Bytes, ProtocolError> {
        let cookie_nonce = random::<16>();
        let mut cookie_plain = Vec::with_capacity(64);
        cookie_plain.extend_from_slice(&self.client_transient);
        cookie_plain.extend_from_slice(self.transient.as_bytes());
        let sealed_cookie =
            BoxKey::new(self.cookie_key).seal(&nonce(b"COOKIE--", &cookie_nonce), &cookie_plain);
        cookie_plain.zeroize();
        let mut plain = Vec::with_capacity(32 + COOKIE);
        plain.extend_from_slice(&self.transient.public());
        plain.extend_from_slice(&cookie_nonce);
        plain.extend_from_slice(&sealed_cookie);
        let welcome_nonce = random::<16>();
        let b = salsa_box(&self.client_transient, &self.secret)?;
        let sealed = b.seal(&nonce(b"WELCOME-", &welcome_nonce), &plain);
        Ok(command(WELCOME, &[&welcome_nonce, &sealed]))
    }

    fn initiate(&mut self, mut data: Bytes) -> Result<(), ProtocolError> {
        let malformed = ProtocolError::MalformedCommand("INITIATE");
        if data.len() < COOKIE + 8 + MAC + 32 + VOUCH || data.len() > INITIATE_MAX {
            return Err(malformed);
        }
        let cookie = data.split_to(COOKIE);
        let mut cookie_plain = open(
            &BoxKey::new(self.cookie_key),
            &nonce(b"COOKIE--", &cookie[..16]),
            &cookie[16..],
            "INITIATE's cookie",
        )?;
        let ours = cookie_plain[..32] == self.client_transient
            && cookie_plain[32..] == *self.transient.as_bytes();
        cookie_plain.zeroize();
        if !ours {
            return Err(ProtocolError::MalformedCommand("INITIATE's cookie"));
        }
        let short = data.split_to(8);
        let b = salsa_box(&self.client_transient, &self.transient)?;
        let plain = open(&b, &nonce(b"CurveZMQINITIATE", &short), &data, "INITIATE")?;
        let n = u64::from_be_bytes(short[..].try_into().unwrap_or_default());
        if n <= self.peer_nonce {
            return Err(ProtocolError::MalformedCommand(
                "an INITIATE nonce that does not go up",
            ));
        }
        self.peer_nonce = n;
        if plain.len() < 32 + VOUCH {
            return Err(malformed);
        }
        let client = key32(&plain);
        let vouch = &plain[32..32 + VOUCH];
        let vouched = salsa_box(&client, &self.transient)?;
        let vouch_plain = open(
            &vouched,
            &nonce(b"VOUCH---", &vouch[..16]),
            &vouch[16..],
            "a vouch",
        )?;
        if vouch_plain[..32] != self.client_transient || vouch_plain[32..] != self.public {
            return Err(ProtocolError::MalformedCommand("a vouch for another key"));
        }
        self.peer = Some(Metadata::parse(Bytes::copy_from_slice(
            &plain[32 + VOUCH..],
        ))?);
        self.client = client;
        self.state = if self.zap {
            ServerState::ToAsk
        } else {
            ServerState::SendReady
        };
        Ok(())
    }

    fn ready(&mut self) -> Result<Bytes, ProtocolError> {
        let mut plain = BytesMut::new();
        std::mem::take(&mut self.properties).encode(&mut plain);
        let short = next_short(&mut self.next_nonce);
        let b = salsa_box(&self.client_transient, &self.transient)?;
        let sealed = b.seal(&nonce(b"CurveZMQREADY---", &short), &plain);
        self.traffic = Some(Traffic {
            ours: b.boxes(b"CurveZMQMESSAGES"),
            theirs: b.boxes(b"CurveZMQMESSAGEC"),
            next_nonce: self.next_nonce,
            peer_nonce: self.peer_nonce,
        });
        Ok(command(READY, &[&short, &sealed]))
    }
}

impl Mechanism for CurveServer {
    fn name(&self) -> MechanismName {
        MechanismName::Curve
    }

    fn as_server(&self) -> bool {
        true
    }

    fn next_command(&mut self) -> Option<Bytes> {
        match self.state {
            ServerState::SendWelcome => {
                self.state = ServerState::WaitInitiate;
                self.welcome().ok()
            }
            ServerState::SendReady => {
                self.state = ServerState::Ready;
                self.ready().ok()
            }
            ServerState::Refused => self.answer.take_error(),
            _ => None,
        }
    }

    fn handle_command(&mut self, name: &[u8], data: Bytes) -> Result<(), ProtocolError> {
        match (&self.state, name) {
            (ServerState::WaitHello, HELLO) => self.hello(&data),
            (ServerState::WaitInitiate, INITIATE) => self.initiate(data),
            _ => Err(ProtocolError::UnexpectedCommand(
                "CURVE server: expected HELLO, then INITIATE",
            )),
        }
    }

    fn zap_request(&mut self) -> Option<ZapRequest> {
        if self.state != ServerState::ToAsk {
            return None;
        }
        self.state = ServerState::Asked;
        Some(ZapRequest {
            mechanism: MechanismName::Curve,
            credentials: vec![Bytes::copy_from_slice(&self.client)],
        })
    }

    fn handle_zap_reply(&mut self, reply: ZapReply) -> Result<(), ProtocolError> {
        if self.state != ServerState::Asked {
            return Err(ProtocolError::UnexpectedZapReply);
        }
        let taken = self.answer.take(reply);
        self.state = match taken {
            Ok(()) => ServerState::SendReady,
            Err(_) => ServerState::Refused,
        };
        taken
    }

    fn status(&self) -> Status {
        if self.state == ServerState::Ready && self.traffic.is_some() {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    fn take_peer_properties(&mut self) -> Metadata {
        self.answer.properties(self.peer.take())
    }

    fn user_id(&self) -> Option<&Bytes> {
        self.answer.user_id()
    }

    fn encode(&mut self, flags: u8, body: &Bytes, out: &mut OutBuffer) {
        Traffic::encode_on(&mut self.traffic, flags, body, out);
    }

    fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        Traffic::decode_on(&mut self.traffic, frame)
    }

    fn is_transparent(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Command;

    fn props() -> Metadata {
        let mut m = Metadata::new();
        m.insert("Socket-Type", "DEALER");
        m
    }

    /// A client and a server that know each other's keys.
    fn pair() -> (CurveClient, CurveServer, [u8; 32]) {
        let (server_public, server_secret) = CurveSecret::generate();
        let (client_public, client_secret) = CurveSecret::generate();
        let client = CurveClient::new(client_public, client_secret, server_public, props());
        (
            client,
            CurveServer::new(server_secret, props(), false),
            client_public,
        )
    }

    fn split(body: Bytes) -> (Bytes, Bytes) {
        Command::split(body).unwrap()
    }

    /// Runs HELLO and WELCOME.
    fn welcome(client: &mut CurveClient, server: &mut CurveServer) {
        let (name, data) = split(client.next_command().unwrap());
        server.handle_command(&name, data).unwrap();
        let (name, data) = split(server.next_command().unwrap());
        client.handle_command(&name, data).unwrap();
    }

    /// Runs HELLO and WELCOME; the INITIATE the client then sends.
    fn to_initiate(client: &mut CurveClient, server: &mut CurveServer) -> Bytes {
        welcome(client, server);
        split(client.next_command().unwrap()).1
    }

    #[test]
    fn a_hello_of_the_wrong_size_is_refused() {
        let (mut client, mut server, _) = pair();
        let (_, data) = split(client.next_command().unwrap());
        assert_eq!(data.len() + 1 + HELLO.len(), HELLO_LEN, "ours is 200 bytes");
        for cut in [data.slice(..data.len() - 1), {
            let mut longer = data.to_vec();
            longer.push(0);
            Bytes::from(longer)
        }] {
            assert!(server.handle_command(HELLO, cut).is_err());
        }
        let mut bad_version = data.to_vec();
        bad_version[0] = 2;
        assert!(
            server
                .handle_command(HELLO, Bytes::from(bad_version))
                .is_err()
        );
    }

    /// A cookie is only good on the connection that made it: another
    /// server connection (another cookie key, another transient key)
    /// refuses an INITIATE carrying it.
    #[test]
    fn a_cookie_from_another_connection_is_refused() {
        let (server_public, server_secret) = CurveSecret::generate();
        let (client_public, client_secret) = CurveSecret::generate();
        let mut client =
            CurveClient::new(client_public, client_secret.clone(), server_public, props());
        let mut first = CurveServer::new(server_secret.clone(), props(), false);
        let initiate = to_initiate(&mut client, &mut first);
        let mut other_client =
            CurveClient::new(client_public, client_secret, server_public, props());
        let mut second = CurveServer::new(server_secret, props(), false);
        let _ = to_initiate(&mut other_client, &mut second);
        assert_eq!(
            second.handle_command(INITIATE, initiate.clone()),
            Err(ProtocolError::MalformedCommand("INITIATE's cookie"))
        );
        first.handle_command(INITIATE, initiate).unwrap();
    }

    /// A vouch made for another server key (here: the client names the
    /// wrong server in it) is refused.
    #[test]
    fn a_vouch_for_another_key_is_refused() {
        let (mut client, mut server, _) = pair();
        welcome(&mut client, &mut server);
        // The client's vouch names this key as the server's.
        client.server = CurveSecret::generate().0;
        let (_, data) = split(client.next_command().unwrap());
        assert_eq!(
            server.handle_command(INITIATE, data),
            Err(ProtocolError::MalformedCommand("a vouch for another key"))
        );
    }

    /// INITIATE's metadata is bounded: an INITIATE past 64 KiB is refused
    /// before anything is opened.
    #[test]
    fn a_huge_initiate_is_refused() {
        let (mut client, mut server, _) = pair();
        let _ = to_initiate(&mut client, &mut server);
        let huge = Bytes::from(vec![0u8; INITIATE_MAX + 1]);
        assert_eq!(
            server.handle_command(INITIATE, huge),
            Err(ProtocolError::MalformedCommand("INITIATE"))
        );
    }

    /// The whole handshake, then MESSAGE boxes: flags travel inside, a
    /// reordered or replayed nonce is refused (after the box opened), and
    /// a tampered box is refused.
    #[test]
    fn messages_are_boxed_and_their_nonces_go_up() {
        let (mut client, mut server, client_public) = pair();
        let initiate = to_initiate(&mut client, &mut server);
        server.handle_command(INITIATE, initiate).unwrap();
        assert_eq!(server.client, client_public);
        let (name, data) = split(server.next_command().unwrap());
        client.handle_command(&name, data).unwrap();
        assert_eq!(client.status(), Status::Ready);
        assert_eq!(server.status(), Status::Ready);
        let mut boxes = Vec::new();
        for body in [&b"first"[..], b"second"] {
            let mut out = OutBuffer::new();
            client.encode(FrameFlags::MORE, &Bytes::copy_from_slice(body), &mut out);
            let mut wire = BytesMut::from(&out.to_vec()[..]);
            let frame = crate::FrameDecoder
                .decode(&mut wire, u64::MAX)
                .unwrap()
                .unwrap();
            boxes.push(frame);
        }
        let second = server.decode(boxes[1].clone()).unwrap();
        assert_eq!(&second.body[..], b"second");
        assert!(second.flags.more());
        assert!(server.decode(boxes[0].clone()).is_err(), "an older nonce");
        assert!(server.decode(boxes[1].clone()).is_err(), "a replay");
        let mut tampered = boxes[1].clone();
        let mut body = tampered.body.to_vec();
        let last = body.len() - 1;
        body[last] ^= 1;
        tampered.body = Bytes::from(body);
        assert!(server.decode(tampered).is_err());
    }
}
