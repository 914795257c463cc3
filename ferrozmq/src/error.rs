//! [`Error`]: what a caller of the socket API can get back, and act on.

use crate::Message;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error a caller can act on.
///
/// Bad input from a peer is never one of these: that peer's connection is
/// dropped and the socket goes on serving the others.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation would block (a non-blocking `try_send`/`try_recv`, or a
    /// full pipe): try again later.
    #[error("resource temporarily unavailable")]
    WouldBlock,
    /// The send or receive timeout passed first.
    #[error("timed out")]
    Timeout,
    /// The socket is in the wrong state for this call, e.g. a REQ socket
    /// sending a second request before it received the reply.
    #[error("operation not valid in the current socket state: {0}")]
    State(&'static str),
    /// The endpoint string could not be parsed.
    #[error("invalid endpoint: {0}")]
    InvalidEndpoint(String),
    /// Another socket is already bound to the address.
    #[error("address in use: {0}")]
    AddrInUse(String),
    /// The address cannot be bound on this host.
    #[error("address not available: {0}")]
    AddrNotAvailable(String),
    /// `unbind`/`disconnect` of an endpoint this socket never bound/connected.
    #[error("endpoint not found: {0}")]
    EndpointNotFound(String),
    /// The socket type, transport or operation is not supported (yet).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// An option value out of range.
    #[error("invalid option value: {0}")]
    InvalidOption(&'static str),
    /// A message with no parts: there is nothing to put on the wire (an
    /// empty message is one empty part, `Message::from("")`).
    #[error("a message needs at least one part")]
    EmptyMessage,
    /// A routed message names a peer that is not connected.
    #[error("host unreachable")]
    HostUnreachable,
    /// The socket or its context is closed.
    #[error("socket closed")]
    Closed,
    /// An operating-system error, e.g. while binding.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A failed send: the error, and the message handed back to the caller.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SendError {
    /// Why the message was not queued.
    pub error: Error,
    /// The message, unchanged.
    pub message: Message,
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        e.error
    }
}
