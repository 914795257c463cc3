//! ferrozmq: ZeroMQ in pure Rust.
//!
//! It speaks ZMTP 3.1 byte for byte, so a ferrozmq program and a
//! pyzmq/libzmq program talk without either knowing. This release has the
//! REQ, REP, PUSH and PULL socket types over TCP, a blocking ([`Socket`])
//! and an async ([`AsyncSocket`]) API over one core, and a [`Monitor`] of
//! connection events.
//!
//! ```
//! use ferrozmq::{Context, Message, SocketType};
//!
//! let ctx = Context::new();
//! let mut server = ctx.socket(SocketType::Rep)?;
//! server.bind("tcp://127.0.0.1:*")?;
//! let mut client = ctx.socket(SocketType::Req)?;
//! client.connect(&server.last_endpoint().unwrap())?;
//!
//! client.send(Message::from_iter(["two", "parts"]))?;
//! let request = server.recv()?;
//! assert_eq!(request.len(), 2);
//! server.send("Message Received")?;
//! assert_eq!(client.recv()?.first().unwrap(), "Message Received");
//! # Ok::<(), ferrozmq::Error>(())
//! ```

mod auth;
mod blocking;
mod context;
mod endpoint;
mod engine;
mod error;
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod internals;
mod keys;
mod mailbox;
mod monitor;
mod options;
mod pattern;
mod peer;
mod pipe;
mod poll;
mod proxy;
mod session;
mod socket;
mod transport;
mod zap;

pub use auth::Authenticator;
pub use context::Context;
pub use error::{Error, Result, SendError};
pub use ferrozmq_proto::{Message, ProtocolError, SocketType};
pub use keys::{certificate, curve_keypair, curve_public};
pub use monitor::{Event, Failure, Monitor, Reason};
pub use peer::PeerAddress;
pub use poll::{Events, PollItem, poll};
pub use proxy::{proxy, proxy_steerable};
pub use socket::{AsyncSocket, Socket};

pub use bytes::Bytes;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
