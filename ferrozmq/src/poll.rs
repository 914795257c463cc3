//! [`poll`]: waiting on several blocking sockets at once, as `zmq_poll`
//! (rust-zmq's `zmq::poll`, pyzmq's `Poller`). Async code uses
//! `tokio::select!` over the sockets' futures instead.

use std::future::poll_fn;
use std::ops::BitOr;
use std::task::Poll;
use std::time::Duration;

use crate::blocking::block_on;
use crate::{Result, Socket};

/// What to wait for on a socket, and what was found ready.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events(u8);

impl Events {
    /// Nothing.
    pub const NONE: Self = Self(0);
    /// A `recv` would return now (`ZMQ_POLLIN`).
    pub const READABLE: Self = Self(1);
    /// A `send` would go now without waiting (`ZMQ_POLLOUT`).
    pub const WRITABLE: Self = Self(2);

    /// Whether these include readable.
    pub fn is_readable(self) -> bool {
        self.0 & Self::READABLE.0 != 0
    }

    /// Whether these include writable.
    pub fn is_writable(self) -> bool {
        self.0 & Self::WRITABLE.0 != 0
    }

    /// Whether these are none.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Events {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// A socket to [`poll`], what to wait for on it, and, after the call,
/// what was found ready.
#[derive(Debug)]
pub struct PollItem<'a> {
    socket: &'a Socket,
    events: Events,
    ready: Events,
}

impl<'a> PollItem<'a> {
    /// Waits for `events` on `socket`.
    pub fn new(socket: &'a Socket, events: Events) -> Self {
        Self {
            socket,
            events,
            ready: Events::NONE,
        }
    }

    /// What the last [`poll`] found ready, of what was asked.
    pub fn ready(&self) -> Events {
        self.ready
    }

    /// Whether the last [`poll`] found the socket readable.
    pub fn is_readable(&self) -> bool {
        self.ready.is_readable()
    }

    /// Whether the last [`poll`] found the socket writable.
    pub fn is_writable(&self) -> bool {
        self.ready.is_writable()
    }
}

/// Waits until one of `items` is ready for what it asks, or `timeout`
/// passes (`None`: no limit; zero: just look), and returns how many are
/// ready (0 on timeout); each item then says what it found. A readable
/// socket keeps the message the look took for its next `recv`.
///
/// ```
/// use std::time::Duration;
/// use ferrozmq::{Context, Events, PollItem, SocketType, poll};
///
/// let ctx = Context::new();
/// let mut pull = ctx.socket(SocketType::Pull)?;
/// pull.bind("tcp://127.0.0.1:*")?;
/// let mut push = ctx.socket(SocketType::Push)?;
/// push.connect(&pull.last_endpoint().unwrap())?;
/// push.send("work")?;
/// let mut items = [PollItem::new(&pull, Events::READABLE)];
/// assert_eq!(poll(&mut items, Some(Duration::from_secs(10)))?, 1);
/// assert!(items[0].is_readable());
/// assert_eq!(pull.recv()?.first().unwrap(), "work");
/// # Ok::<(), ferrozmq::Error>(())
/// ```
pub fn poll(items: &mut [PollItem<'_>], timeout: Option<Duration>) -> Result<usize> {
    let look = poll_fn(|cx| {
        let mut ready = 0;
        for item in items.iter_mut() {
            item.ready = item.socket.poll_events(item.events, cx);
            ready += usize::from(!item.ready.is_empty());
        }
        if ready > 0 {
            Poll::Ready(ready)
        } else {
            Poll::Pending
        }
    });
    Ok(block_on(look, timeout).unwrap_or(0))
}
