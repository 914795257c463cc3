//! ZMTP 3.1 as a sans-IO state machine: bytes and `now` in, events and bytes out.
//!
//! This crate holds no sockets, no runtime and no clock. A transport feeds
//! the bytes it read into a [`Connection`], writes out what the connection
//! queued in its [`OutBuffer`], and calls [`Connection::handle_timeout`] when
//! [`Connection::poll_timeout`] says so. Every parser here takes untrusted
//! input: it never panics and never allocates on a peer's say-so beyond the
//! limits in [`Config`].
#![forbid(unsafe_code)]

mod command;
mod connection;
mod error;
mod frame;
mod greeting;
mod message;
mod metadata;
mod out_buffer;
mod reader;
mod socket_type;

pub use command::{Command, Ping, Pong};
pub use connection::{Config, Connection, Event, PeerInfo};
pub use error::ProtocolError;
pub use frame::{Frame, FrameDecoder, FrameFlags, encode_frame_header};
pub use greeting::{Greeting, Mechanism, SIGNATURE};
pub use message::Message;
pub use metadata::Metadata;
pub use out_buffer::OutBuffer;
pub use socket_type::{SocketType, UnknownSocketType};
