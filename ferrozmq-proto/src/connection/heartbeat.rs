//! ZMTP 3.1 heartbeats (RFC 37 "Connection Heartbeating"): when to PING,
//! and when the peer's silence ends the connection.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::ProtocolError;
use crate::command::Ping;

/// The heartbeat timers of one connection.
#[derive(Debug)]
pub(super) struct Heartbeat {
    ivl: Option<Duration>,
    timeout: Option<Duration>,
    ttl: Duration,
    next_ping: Option<Instant>,
    /// Set when we sent a PING: drop unless something arrives by then.
    ping_deadline: Option<Instant>,
    /// Set by the peer's PING TTL: drop unless something arrives by then.
    ttl_deadline: Option<Instant>,
    /// Where our last PONG ends in the output: until it is written, a PING
    /// gets no other (libzmq keeps one PONG pending), so a peer that floods
    /// PINGs and reads nothing cannot make our output grow.
    pong_end: u64,
}

impl Heartbeat {
    /// `ivl`: PING this often (none or zero: never); `timeout`: after a
    /// PING, how long to wait for any traffic (none: `ivl`; zero: forever);
    /// `ttl`: what our PINGs announce.
    pub(super) fn new(ivl: Option<Duration>, timeout: Option<Duration>, ttl: Duration) -> Self {
        Self {
            ivl,
            timeout,
            ttl,
            next_ping: None,
            ping_deadline: None,
            ttl_deadline: None,
            pong_end: 0,
        }
    }

    /// The handshake completed: PINGs start.
    pub(super) fn start(&mut self, now: Instant) {
        self.next_ping = deadline(now, self.ivl);
    }

    /// Something came from the peer (RFC 37: "any incoming traffic" is a
    /// sign of life, not just a PONG).
    pub(super) fn alive(&mut self) {
        self.ping_deadline = None;
        self.ttl_deadline = None;
    }

    /// The peer sent a PING with `ttl`. True when a PONG should go out:
    /// none is pending, since our output has been `written` past the last.
    pub(super) fn on_ping(&mut self, ttl: Duration, now: Instant, written: u64) -> bool {
        // Zero means no TTL; else at most 6553.5 s from now.
        self.ttl_deadline = deadline(now, Some(ttl));
        written >= self.pong_end
    }

    /// A PONG was queued; it is written once the output reaches `end`.
    pub(super) fn pong_queued(&mut self, end: u64) {
        self.pong_end = end;
    }

    /// The earliest time [`Heartbeat::handle_timeout`] has work.
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        [self.next_ping, self.ping_deadline, self.ttl_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    /// Fires what is due: the peer's silence past our PING's timeout or
    /// its TTL is an error; else a PING to send, if one is due.
    pub(super) fn handle_timeout(&mut self, now: Instant) -> Result<Option<Ping>, ProtocolError> {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.ping_deadline) {
            return Err(ProtocolError::HeartbeatTimeout);
        }
        if due(self.ttl_deadline) {
            return Err(ProtocolError::TtlExpired);
        }
        if !due(self.next_ping) {
            return Ok(None);
        }
        self.next_ping = deadline(now, self.ivl);
        // Armed only if none is: libzmq does not push it back on every PING.
        if self.ping_deadline.is_none() {
            self.ping_deadline = deadline(now, self.timeout.or(self.ivl));
        }
        Ok(Some(Ping {
            ttl: self.ttl,
            context: Bytes::new(),
        }))
    }
}

/// `now + d`, or none for no duration, a zero one (libzmq's "off") or one
/// past what `Instant` can hold.
pub(super) fn deadline(now: Instant, d: Option<Duration>) -> Option<Instant> {
    d.filter(|d| !d.is_zero()).and_then(|d| now.checked_add(d))
}
