//! [`Handshakes`]: the accepted connections of one listener still in their
//! handshake, and how many may be.
//!
//! A connection gets a pipe only once its handshake completes (RELIABILITY
//! row 1), but a half-open one still holds a file descriptor and a task
//! until `handshake_ivl` runs out. A flood of them must not lock real
//! clients out: past [`MAX_IN_PROGRESS`], and whenever the listener runs out
//! of file descriptors, the oldest handshake in progress is dropped. A real
//! client's handshake takes a round trip, so the oldest is a straggler.

use std::collections::VecDeque;

use tokio::sync::oneshot;

/// Handshakes in progress per listener before the oldest is dropped.
pub(crate) const MAX_IN_PROGRESS: usize = 1024;

/// The handshakes in progress, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Handshakes {
    in_progress: VecDeque<oneshot::Sender<()>>,
}

/// Held by a handshake in progress; [`Shed::shed`] resolves when the
/// listener drops it (or the listener is gone). Dropping it ends the
/// handshake's claim to a place.
#[derive(Debug)]
pub(crate) struct Shed(oneshot::Receiver<()>);

impl Handshakes {
    /// A place for a new handshake, shedding the oldest when all are taken.
    pub(crate) fn admit(&mut self) -> Shed {
        self.in_progress.retain(|place| !place.is_closed());
        if self.in_progress.len() >= MAX_IN_PROGRESS {
            self.shed_oldest();
        }
        let (place, shed) = oneshot::channel();
        self.in_progress.push_back(place);
        Shed(shed)
    }

    /// Drops the oldest handshake in progress (to free its file
    /// descriptor); false when there is none.
    pub(crate) fn shed_oldest(&mut self) -> bool {
        while let Some(place) = self.in_progress.pop_front() {
            if !place.is_closed() {
                let _ = place.send(());
                return true;
            }
        }
        false
    }
}

impl Shed {
    /// Resolves when this handshake is to be dropped.
    pub(crate) async fn shed(&mut self) {
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

    #[test]
    fn the_oldest_live_handshake_goes_first() {
        let mut handshakes = Handshakes::default();
        let mut places: Vec<Shed> = (0..MAX_IN_PROGRESS).map(|_| handshakes.admit()).collect();
        // The first one finished its handshake: its place is free again.
        drop(places.remove(0));
        let mut newest = handshakes.admit();
        assert!(places.iter_mut().all(|p| !is_shed(p)), "room was left");
        let _one_more = handshakes.admit();
        assert!(is_shed(&mut places[0]), "the oldest live one is dropped");
        assert!(places[1..].iter_mut().all(|p| !is_shed(p)));
        assert!(handshakes.shed_oldest());
        assert!(is_shed(&mut places[1]));
        assert!(!is_shed(&mut newest));
    }
}
