//! ZMTP 3.1 as a sans-IO state machine: bytes and `now` in, events and bytes out.
//!
//! The pieces, in the order a connection meets them: the [`Greeting`], a
//! security [`Mechanism`] (NULL; its handshake may wait on [`ZapRequest`]),
//! then [`Frame`]s, [`Command`]s and [`Message`]s.
//!
//! This crate holds no sockets, no runtime and no clock. A transport feeds
//! the bytes it read into a [`Connection`], writes out what the connection
//! queued in its [`OutBuffer`], and calls [`Connection::handle_timeout`] when
//! [`Connection::poll_timeout`] says so. Every parser here takes untrusted
//! input: it never panics and never allocates on a peer's say-so beyond the
//! limits in [`Config`].
//!
//! No `unsafe` but two calls: CURVE's Salsa20 runs in SSE2 registers,
//! which every x86-64 CPU has, or AVX2 ones, when the CPU says it has
//! them (`mechanism/salsa.rs`).
#![deny(unsafe_code)]

mod command;
mod connection;
mod error;
mod frame;
mod greeting;
mod mechanism;
mod message;
mod metadata;
mod out_buffer;
mod reader;
mod socket_type;
pub mod z85;
mod zap;

pub use command::{Command, Ping, Pong};
pub use connection::{Config, Connection, Event, PeerInfo};
pub use error::ProtocolError;
pub use frame::{Frame, FrameDecoder, FrameFlags, encode_frame_header};
pub use greeting::{Greeting, SIGNATURE};
pub use mechanism::{
    CurveClient, CurveSecret, CurveServer, Mechanism, MechanismName, Null, PlainClient,
    PlainServer, Security, Status, Zws,
};
pub use message::Message;
pub use metadata::Metadata;
pub use out_buffer::OutBuffer;
pub use socket_type::{SocketType, UnknownSocketType};
pub use zap::{ZapReply, ZapRequest};
