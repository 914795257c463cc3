//! [`Handshakes`]: the accepted connections of one listener still in their
//! handshake, and how many may be.
//!
//! A connection gets a pipe only once its handshake completes (robustness
//! row 1), but a half-open one still holds a file descriptor and a task
//! until `handshake_ivl` runs out. A flood of them must not lock real
//! clients out: past [`MAX_IN_PROGRESS`], and whenever the listener runs out
//! of file descriptors, the oldest handshake in progress is dropped, if it
//! has had [`STRAGGLER`] to finish. A real client's handshake takes a round
//! trip, so only stragglers are dropped: a burst of young handshakes may
//! run over the cap for a moment, and an accept that fails with nothing
//! old enough to drop waits out the usual backoff.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// Handshakes in progress per listener before the oldest is dropped.
pub(super) const MAX_IN_PROGRESS: usize = 1024;

/// How long a handshake may take before it counts as a straggler that may
/// be dropped to make room.
pub(super) const STRAGGLER: Duration = Duration::from_secs(1);

/// The handshakes in progress, oldest first.
#[derive(Debug, Default)]
pub(super) struct Handshakes {
    in_progress: VecDeque<(Instant, oneshot::Sender<()>)>,
}

/// Held by a handshake in progress; [`Shed::shed`] resolves when the
/// listener drops it (or the listener is gone). Dropping it ends the
/// handshake's claim to a place.
#[derive(Debug)]
pub(super) struct Shed(oneshot::Receiver<()>);

impl Handshakes {
    /// A place for a handshake that starts `now`, shedding the oldest
    /// straggler when all are taken.
    pub(super) fn admit(&mut self, now: Instant) -> Shed {
        self.in_progress.retain(|(_, place)| !place.is_closed());
        if self.in_progress.len() >= MAX_IN_PROGRESS {
            self.shed_straggler(now);
        }
        let (place, shed) = oneshot::channel();
        self.in_progress.push_back((now, place));
        Shed(shed)
    }

    /// Drops the oldest handshake in progress if it started at least
    /// [`STRAGGLER`] before `now` (to free its file descriptor); false
    /// when there is none.
    pub(super) fn shed_straggler(&mut self, now: Instant) -> bool {
        while let Some((started, place)) = self.in_progress.front() {
            if place.is_closed() {
                self.in_progress.pop_front();
            } else if now.saturating_duration_since(*started) < STRAGGLER {
                return false;
            } else {
                let (_, place) = self.in_progress.pop_front().expect("a front entry");
                let _ = place.send(());
                return true;
            }
        }
        false
    }
}

impl Shed {
    /// Resolves when this handshake is to be dropped.
    pub(super) async fn shed(&mut self) {
        let _ = (&mut self.0).await;
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    fn is_shed(shed: &mut Shed) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        pin!(shed.shed()).poll(&mut cx) == Poll::Ready(())
    }

    /// Past the cap, the oldest live straggler goes first; a young one is
    /// never shed, so a burst of real clients runs over the cap instead.
    #[test]
    fn only_the_oldest_straggler_is_shed() {
        let start = Instant::now();
        let mut handshakes = Handshakes::default();
        let mut places: Vec<Shed> = (0..MAX_IN_PROGRESS)
            .map(|_| handshakes.admit(start))
            .collect();
        // The first one finished its handshake: its place is free again.
        drop(places.remove(0));
        let _fills_it = handshakes.admit(start);
        let _young_burst = handshakes.admit(start);
        assert!(places.iter_mut().all(|p| !is_shed(p)), "all too young");
        assert!(!handshakes.shed_straggler(start + STRAGGLER / 2));
        let later = start + STRAGGLER;
        let mut newest = handshakes.admit(later);
        assert!(is_shed(&mut places[0]), "the oldest live straggler");
        assert!(places[1..].iter_mut().all(|p| !is_shed(p)));
        assert!(handshakes.shed_straggler(later));
        assert!(is_shed(&mut places[1]));
        assert!(!is_shed(&mut newest));
    }
}
