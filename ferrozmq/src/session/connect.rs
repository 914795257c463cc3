//! A connected endpoint: connect, serve the connection, and reconnect
//! after a wait (libzmq's backoff up to `reconnect_ivl_max`, plus random
//! jitter up to `reconnect_ivl`, so that many clients of one server do not
//! all come back at once) until the endpoint closes. The pipe outlives
//! each connection, so queued messages wait for the next one.

use std::hash::{BuildHasher, RandomState};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::{Lifecycle, Link, run_until_closed};
use crate::endpoint::Endpoint;
use crate::engine::End;
use crate::monitor::{Event, Reason};
use crate::peer::{Peer, PeerAddress};
use crate::pipe::{Closing, EngineEnd, PipeId};
use crate::socket::shared::SocketShared;
use crate::transport::Transport;
use ferrozmq_proto::ProtocolError;

/// What connecting to one endpoint needs.
pub(crate) struct Connecter {
    pub(crate) endpoint: Endpoint,
    pub(crate) name: Arc<str>,
    pub(crate) pipe: PipeId,
    pub(crate) end: EngineEnd,
    pub(crate) shared: Arc<SocketShared>,
    pub(crate) lifecycle: Lifecycle,
}

/// How a connection went.
enum Served {
    /// Its handshake completed; it has ended since.
    Worked,
    /// The peer refused us with ERROR (RFC 37: trying again at once with
    /// the same credentials would be refused again).
    Refused,
    /// It failed before its handshake completed.
    Failed,
    /// The endpoint gave up while it was in its handshake.
    GaveUp,
}

impl Connecter {
    /// Connects and reconnects until the endpoint closes.
    ///
    /// Once the endpoint closes, connecting goes on only while the pipe
    /// holds messages and the linger period lasts: a connect, a handshake
    /// or a wait in progress is abandoned as soon as either runs out.
    pub(crate) async fn run<T: Transport>(self) {
        let options = self.shared.options();
        let mut backoff = Backoff::new(options.reconnect_ivl, options.reconnect_ivl_max);
        loop {
            self.shared.emit(Event::ConnectDelayed {
                endpoint: self.name.to_string(),
            });
            let attempt = connect_within::<T>(&self.endpoint, options.connect_timeout);
            let connected = tokio::select! {
                biased;
                _ = self.give_up() => break,
                connected = attempt => connected,
            };
            match connected {
                Ok((raw, peer)) => {
                    let link = Link::new(self.shared.clone(), self.name.clone(), peer);
                    link.emit(|endpoint, peer| Event::Connected { endpoint, peer });
                    match self.serve::<T>(&link, raw).await {
                        Served::Worked => backoff.reset(),
                        Served::Refused => backoff.refused(),
                        Served::Failed => {}
                        Served::GaveUp => break,
                    }
                }
                Err(e) => tracing::debug!(endpoint = %self.endpoint, error = %e, "connect failed"),
            }
            let delay = backoff.next();
            self.shared.emit(Event::ConnectRetried {
                endpoint: self.name.to_string(),
                delay,
            });
            tokio::select! {
                biased;
                _ = self.give_up() => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
        self.end.terminate();
    }

    /// One connection serving the pipe: its handshake, then messages until
    /// either side ends it.
    async fn serve<T: Transport>(&self, link: &Link, raw: T::Raw) -> Served {
        let handshake = tokio::select! {
            handshake = link.handshake::<T>(raw) => handshake,
            reason = self.give_up() => {
                link.handshake_failed(reason);
                return Served::GaveUp;
            }
        };
        let refused = matches!(handshake, Err(End::Protocol(ProtocolError::PeerError(_))));
        let Some((mut engine, info)) = link.handshaken(handshake) else {
            return if refused {
                Served::Refused
            } else {
                Served::Failed
            };
        };
        self.shared.up(self.pipe, Peer::new(info, &link.peer));
        link.succeeded();
        let why = run_until_closed(&mut engine, &self.end, &self.lifecycle).await;
        self.shared.lost(self.pipe);
        link.ended(why);
        Served::Worked
    }

    /// Resolves when the endpoint should stop trying, with why: it is
    /// closing and its pipe holds nothing to flush, or its linger deadline
    /// has passed. (The pipe cannot drain while no connection serves it,
    /// so it is looked at only when the endpoint starts closing.)
    async fn give_up(&self) -> Reason {
        let mut lifecycle = self.lifecycle.clone();
        loop {
            let state = *lifecycle.borrow_and_update();
            if let Closing::Linger(deadline) = state {
                if self.end.outbound.is_empty() {
                    return Reason::Closed;
                }
                match deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                    // Linger forever: only a connection that flushes ends it.
                    None => std::future::pending().await,
                }
                return Reason::LingerExpired;
            }
            if lifecycle.changed().await.is_err() {
                return Reason::Closed;
            }
        }
    }
}

/// A connect that gives up after `timeout` (libzmq's `ZMQ_CONNECT_TIMEOUT`:
/// a peer that never answers does not hold the endpoint for the system's
/// own, much longer, timeout).
async fn connect_within<T: Transport>(
    endpoint: &Endpoint,
    timeout: Option<Duration>,
) -> io::Result<(T::Raw, PeerAddress)> {
    match timeout.filter(|t| !t.is_zero()) {
        None => T::connect(endpoint).await,
        Some(t) => tokio::time::timeout(t, T::connect(endpoint))
            .await
            .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into())),
    }
}

/// The waits between attempts, as libzmq: `reconnect_ivl` plus random
/// jitter up to `reconnect_ivl`; with a `reconnect_ivl_max` above it, the
/// base doubles after each attempt up to that maximum, and comes back to
/// `reconnect_ivl` after a connection that worked.
#[derive(Debug)]
struct Backoff {
    ivl: Duration,
    max: Option<Duration>,
    current: Duration,
}

impl Backoff {
    fn new(ivl: Duration, max: Option<Duration>) -> Self {
        Self {
            ivl,
            max: max.filter(|max| *max > ivl),
            current: ivl,
        }
    }

    /// The wait before the next attempt.
    fn next(&mut self) -> Duration {
        let delay = self.current.saturating_add(jitter(self.ivl));
        if let Some(max) = self.max {
            self.current = self.current.saturating_mul(2).min(max);
        }
        delay
    }

    /// A connection worked: the next wait starts from `reconnect_ivl`.
    fn reset(&mut self) {
        self.current = self.ivl;
    }

    /// The peer refused us with ERROR: the wait doubles, whatever
    /// `reconnect_ivl_max` says, up to the larger of it and
    /// [`REFUSED_MAX`], so a client refused for its credentials does not
    /// knock again ten times a second.
    fn refused(&mut self) {
        let max = self.max.unwrap_or(REFUSED_MAX).max(REFUSED_MAX);
        self.current = self.current.saturating_mul(2).min(max);
    }
}

/// The longest wait after refusals (ERROR from the peer).
const REFUSED_MAX: Duration = Duration::from_secs(30);

/// A random duration below `bound` (zero for a zero bound).
fn jitter(bound: Duration) -> Duration {
    let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    // Each `RandomState` has fresh random keys: hashing nothing with them
    // gives a random number, with no dependency for it.
    Duration::from_nanos(RandomState::new().hash_one(()) % nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn within(d: Duration, base: Duration, ivl: Duration) -> bool {
        d >= base && d < base + ivl
    }

    /// libzmq: each wait is the base plus jitter below `reconnect_ivl`;
    /// the base doubles only with a maximum above the interval.
    #[test]
    fn waits_double_up_to_the_maximum_with_jitter() {
        let ivl = 100 * MS;
        let mut plain = Backoff::new(ivl, None);
        for _ in 0..5 {
            assert!(within(plain.next(), ivl, ivl));
        }
        let mut b = Backoff::new(ivl, Some(1000 * MS));
        for base in [100, 200, 400, 800, 1000, 1000] {
            assert!(within(b.next(), base * MS, ivl), "{base}");
        }
        b.reset();
        assert!(within(b.next(), ivl, ivl), "back to the interval");
        let mut low_max = Backoff::new(ivl, Some(50 * MS));
        assert!(within(low_max.next(), ivl, ivl));
        assert!(within(low_max.next(), ivl, ivl));
    }

    /// RFC 37: after an ERROR the wait grows even without a maximum set,
    /// up to 30 s, and a connection that works brings it back.
    #[test]
    fn refusals_back_off_to_thirty_seconds() {
        let ivl = 100 * MS;
        let mut b = Backoff::new(ivl, None);
        let mut last = Duration::ZERO;
        for _ in 0..12 {
            b.refused();
            last = b.next();
        }
        assert!(within(last, REFUSED_MAX, ivl), "{last:?}");
        b.reset();
        assert!(within(b.next(), ivl, ivl));
    }

    /// Jitter spreads: 64 draws below a second are not all one value.
    #[test]
    fn jitter_is_random_and_bounded() {
        let draws: Vec<Duration> = (0..64).map(|_| jitter(1000 * MS)).collect();
        assert!(draws.iter().all(|d| *d < 1000 * MS));
        assert!(draws.iter().any(|d| *d != draws[0]));
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }
}
