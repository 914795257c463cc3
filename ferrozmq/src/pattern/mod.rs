//! The routing rules of each socket type, one file per type behind one
//! interface ([`Pattern`]), over small shared parts: [`LoadBalance`]
//! (libzmq's `lb`) and [`FairQueue`] (`fq`), which share a [`Rotation`];
//! a publisher's `FanOut` and a subscriber's `Subscriptions`, over a
//! subscription `Trie`.
//!
//! A pattern runs inside `send` and `recv`, on the caller's side, under
//! the socket's routing lock: no engine ever touches it, and no message
//! takes a hop through a router task. Adding a socket type is one more
//! file and one more line in [`AnyPattern`].

mod dealer;
mod fair_queue;
mod fan_out;
mod identities;
mod load_balance;
mod pair;
mod publisher;
mod pull;
mod push;
mod rep;
mod req;
mod rotation;
mod router;
mod stream;
mod sub;
mod subscriptions;
mod trie;
mod xpub;
mod xsub;

use std::fmt;

use bytes::Bytes;
use ferrozmq_proto::SocketType;

use crate::peer::Peer;
use crate::pipe::{Item, PipeId, Pipes, Written};
use crate::{Error, Message};
pub(crate) use fair_queue::FairQueue;
pub(crate) use load_balance::LoadBalance;
use rotation::Rotation;

/// What a socket type does when a peer's pipe is at its high-water mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HwmPolicy {
    /// `send` waits for room (or says `WouldBlock`): PUSH, DEALER, REQ,
    /// PAIR.
    Block,
    /// The message is dropped for that peer: PUB, XPUB, ROUTER (and a
    /// REP's reply).
    Drop,
}

/// The options that change how a socket type routes (libzmq's names and
/// defaults). A socket keeps them and hands them to its pattern whenever
/// one changes; each type reads those that apply to it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Behaviour {
    /// ROUTER: a message for an unknown identity is an error
    /// (`HostUnreachable`), and one for a full peer waits.
    pub(crate) router_mandatory: bool,
    /// ROUTER: a peer announcing an identity in use takes it over.
    pub(crate) router_handover: bool,
    /// ROUTER, DEALER, REQ: send an empty message to each peer connected to.
    pub(crate) probe_router: bool,
    /// REQ: each request carries an id its reply must carry back.
    pub(crate) req_correlate: bool,
    /// REQ: a new request may be sent before the reply; the old one is
    /// given up.
    pub(crate) req_relaxed: bool,
    /// XPUB: every subscribe is passed on, repeats too.
    pub(crate) xpub_verbose: bool,
    /// XPUB: every unsubscribe is passed on too.
    pub(crate) xpub_verboser: bool,
    /// XPUB: a message sent to each new subscriber.
    pub(crate) xpub_welcome_msg: Option<Bytes>,
    /// XPUB: subscriptions are passed on, not applied; the application
    /// applies them with `subscribe`.
    pub(crate) xpub_manual: bool,
    /// PUB, XPUB, SUB: a subscription matches the messages that do *not*
    /// start with it.
    pub(crate) invert_matching: bool,
}

/// One socket type's routing rules.
///
/// Pipes come and go through `attach` and `detach`; a pipe made by
/// `connect` lives across its connections, which come and go through `up`
/// and `lost` (an accepted pipe is up from its attach to its detach).
/// `readable` and `writable` say a pipe the pattern found empty or full
/// has changed. `detach` comes only once a pipe's last message was read.
pub(crate) trait Pattern: fmt::Debug + Send {
    /// What a full pipe means to `send`.
    const POLICY: HwmPolicy;

    /// A new pipe; false refuses it (its connection is then closed).
    fn attach(&mut self, id: PipeId) -> bool;

    /// A connect pipe was just made, its connection still to come: what
    /// must go first may be queued now (libzmq's `xattach_pipe`).
    fn connecting(&mut self, id: PipeId, pipes: &mut Pipes) {
        let _ = (id, pipes);
    }

    /// A connection to `peer` now serves pipe `id`.
    fn up(&mut self, id: PipeId, peer: &Peer, pipes: &mut Pipes) {
        let _ = (id, peer, pipes);
    }

    /// The connection serving pipe `id` ended; the pipe stays.
    fn lost(&mut self, id: PipeId) {
        let _ = id;
    }

    /// Pipe `id` is gone.
    fn detach(&mut self, id: PipeId);

    /// The socket's [`Behaviour`] options changed.
    fn configure(&mut self, behaviour: &Behaviour) {
        let _ = behaviour;
    }

    /// Pipe `id`, found empty, has something to read.
    fn readable(&mut self, id: PipeId, pipes: &mut Pipes);

    /// Pipe `id`, found full, has room.
    fn writable(&mut self, id: PipeId);

    /// A subscription command read from pipe `id` (PUB and XPUB use them;
    /// every other type ignores them, as libzmq does).
    fn command(&mut self, id: PipeId, command: Item) {
        let _ = (id, command);
    }

    /// SUB's subscribe (`on`) and unsubscribe options (and an XPUB's with
    /// `xpub_manual`); other types have none.
    fn subscribe(&mut self, prefix: Bytes, on: bool, pipes: &mut Pipes) -> Result<(), Error> {
        let _ = (prefix, on, pipes);
        Err(unsupported("subscriptions on a socket that is not a SUB"))
    }

    /// Whether a `send` would go now without waiting (a poller's
    /// "writable"). Types that drop what cannot go always can.
    fn can_send(&self) -> bool {
        true
    }

    /// Routes one outgoing message. `Err(WouldBlock)` means it cannot go
    /// now and the caller may wait; the message comes back either way.
    fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)>;

    /// Takes one incoming message; `Err(WouldBlock)` when none is there.
    fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error>;
}

/// Every socket type's pattern, dispatched statically.
#[derive(Debug)]
pub(crate) enum AnyPattern {
    Req(req::Req),
    Rep(rep::Rep),
    Push(push::Push),
    Pull(pull::Pull),
    Dealer(dealer::Dealer),
    Router(router::Router),
    Pair(pair::Pair),
    Pub(publisher::Pub),
    Sub(sub::Sub),
    XPub(xpub::XPub),
    XSub(xsub::XSub),
    Stream(stream::Stream),
}

macro_rules! each {
    ($self:ident, $p:ident => $e:expr) => {
        match $self {
            AnyPattern::Req($p) => $e,
            AnyPattern::Rep($p) => $e,
            AnyPattern::Push($p) => $e,
            AnyPattern::Pull($p) => $e,
            AnyPattern::Dealer($p) => $e,
            AnyPattern::Router($p) => $e,
            AnyPattern::Pair($p) => $e,
            AnyPattern::Pub($p) => $e,
            AnyPattern::Sub($p) => $e,
            AnyPattern::XPub($p) => $e,
            AnyPattern::XSub($p) => $e,
            AnyPattern::Stream($p) => $e,
        }
    };
}

impl AnyPattern {
    pub(crate) fn new(socket_type: SocketType) -> Result<Self, Error> {
        Ok(match socket_type {
            SocketType::Req => Self::Req(req::Req::default()),
            SocketType::Rep => Self::Rep(rep::Rep::default()),
            SocketType::Push => Self::Push(push::Push::default()),
            SocketType::Pull => Self::Pull(pull::Pull::default()),
            SocketType::Dealer => Self::Dealer(dealer::Dealer::default()),
            SocketType::Router => Self::Router(router::Router::default()),
            SocketType::Pair => Self::Pair(pair::Pair::default()),
            SocketType::Pub => Self::Pub(publisher::Pub::default()),
            SocketType::Sub => Self::Sub(sub::Sub::default()),
            SocketType::XPub => Self::XPub(xpub::XPub::default()),
            SocketType::XSub => Self::XSub(xsub::XSub::default()),
            SocketType::Stream => Self::Stream(stream::Stream::default()),
            other => return Err(Error::Unsupported(format!("{other} sockets"))),
        })
    }

    pub(crate) fn attach(&mut self, id: PipeId) -> bool {
        each!(self, p => p.attach(id))
    }

    pub(crate) fn connecting(&mut self, id: PipeId, pipes: &mut Pipes) {
        each!(self, p => p.connecting(id, pipes))
    }

    pub(crate) fn up(&mut self, id: PipeId, peer: &Peer, pipes: &mut Pipes) {
        each!(self, p => p.up(id, peer, pipes))
    }

    pub(crate) fn subscribe(
        &mut self,
        prefix: Bytes,
        on: bool,
        pipes: &mut Pipes,
    ) -> Result<(), Error> {
        each!(self, p => p.subscribe(prefix, on, pipes))
    }

    pub(crate) fn lost(&mut self, id: PipeId) {
        each!(self, p => p.lost(id))
    }

    pub(crate) fn detach(&mut self, id: PipeId) {
        each!(self, p => p.detach(id))
    }

    pub(crate) fn configure(&mut self, behaviour: &Behaviour) {
        each!(self, p => p.configure(behaviour))
    }

    pub(crate) fn can_send(&self) -> bool {
        each!(self, p => p.can_send())
    }

    /// Whether the type alternates receiving and sending (REQ, REP): a
    /// message taken for the caller but not yet received by it must be
    /// received before the next send.
    pub(crate) fn alternates(&self) -> bool {
        matches!(self, Self::Req(_) | Self::Rep(_))
    }

    pub(crate) fn readable(&mut self, id: PipeId, pipes: &mut Pipes) {
        each!(self, p => p.readable(id, pipes))
    }

    pub(crate) fn writable(&mut self, id: PipeId) {
        each!(self, p => p.writable(id))
    }

    pub(crate) fn send(&mut self, msg: Message, pipes: &mut Pipes) -> Result<(), (Error, Message)> {
        each!(self, p => p.send(msg, pipes))
    }

    pub(crate) fn recv(&mut self, pipes: &mut Pipes) -> Result<Message, Error> {
        each!(self, p => p.recv(pipes))
    }
}

/// Writes `msg` to pipe `id` as `policy` says a full (or gone) pipe is
/// met: [`HwmPolicy::Drop`] loses the message, [`HwmPolicy::Block`] gives
/// it back to wait with (`WouldBlock`).
fn write_to(
    pipes: &mut Pipes,
    id: PipeId,
    msg: Message,
    policy: HwmPolicy,
) -> Result<(), (Error, Message)> {
    match (pipes.write(id, msg), policy) {
        (Written::Ok, _) => Ok(()),
        (Written::Full(_) | Written::Gone(_), HwmPolicy::Drop) => Ok(()),
        (Written::Full(msg) | Written::Gone(msg), HwmPolicy::Block) => {
            Err((Error::WouldBlock, msg))
        }
    }
}

/// `probe_router`: an empty message to a peer whose connection just came
/// up, so that a ROUTER there learns our identity at once.
fn probe(id: PipeId, pipes: &mut Pipes) {
    pipes.write(id, Message::from(Bytes::new()));
}

/// The error of an operation the socket type does not have.
fn unsupported(what: &str) -> Error {
    Error::Unsupported(what.to_owned())
}

#[cfg(test)]
pub(crate) mod tests;
