//! A bound endpoint: accept connections until it closes; each gets a task
//! of its own, and a pipe only once its handshake completes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::handshakes::{Handshakes, Shed};
use super::{Lifecycle, Link, closing, run_until_closed};
use crate::context::Spawner;
use crate::engine::End;
use crate::monitor::{Event, Reason};
use crate::peer::Peer;
use crate::socket::shared::SocketShared;
use crate::transport::Transport;

/// Pause after an accept error (e.g. out of file descriptors), so the loop
/// neither spins nor allocates while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The pause after an accept error that shed a straggling handshake: long
/// enough for it to close its descriptor. Each such retry sheds a
/// handshake at least a second old, so the loop turns over no faster than
/// stragglers come.
const SHED_BACKOFF: Duration = Duration::from_millis(1);

/// Accepts connections on `listener` until the endpoint closes.
pub(crate) async fn run<T: Transport>(
    mut listener: T::Listener,
    endpoint: Arc<str>,
    shared: Arc<SocketShared>,
    mut lifecycle: Lifecycle,
    spawner: Spawner,
) {
    let mut handshakes = Handshakes::default();
    loop {
        let accepted = tokio::select! {
            accepted = T::accept(&mut listener) => accepted,
            _ = closing(&mut lifecycle) => break,
        };
        match accepted {
            Ok((raw, peer)) => {
                let link = Link::new(shared.clone(), endpoint.clone(), peer);
                link.emit(|endpoint, peer| Event::Accepted { endpoint, peer });
                let place = handshakes.admit(Instant::now());
                spawner.spawn(serve::<T>(link, raw, place, lifecycle.clone()));
            }
            Err(e) => {
                // Out of file descriptors, most likely: a straggling
                // handshake gives its own back, and the next accept may
                // use it at once.
                let shed = handshakes.shed_straggler(Instant::now());
                tracing::warn!(%endpoint, error = %e, shed, "accept failed; backing off");
                shared.emit(Event::AcceptFailed {
                    endpoint: endpoint.to_string(),
                    error: e.kind(),
                });
                let backoff = if shed { SHED_BACKOFF } else { ACCEPT_BACKOFF };
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = closing(&mut lifecycle) => break,
                }
            }
        }
    }
    // The port is free before anyone hears it is closed.
    drop(listener);
    shared.emit(Event::Closed {
        endpoint: endpoint.to_string(),
    });
}

/// One accepted connection: its handshake (abandoned if the endpoint
/// closes, or the listener needs its place), then a pipe of its own until
/// either side ends it.
async fn serve<T: Transport>(link: Link, raw: T::Raw, mut place: Shed, mut lifecycle: Lifecycle) {
    let handshake = tokio::select! {
        biased;
        _ = closing(&mut lifecycle) => {
            link.handshake_failed(Reason::Closed);
            return;
        }
        handshake = link.handshake::<T>(raw) => handshake,
        () = place.shed() => Err(End::Shed),
    };
    drop(place);
    let Some((mut engine, info)) = link.handshaken(handshake) else {
        return;
    };
    let (pipe, end) = link.shared.new_pipe();
    if !link.shared.attach(pipe, Peer::new(info, &link.peer)) {
        return;
    }
    link.succeeded();
    let why = run_until_closed(&mut engine, &end, &lifecycle).await;
    end.terminate();
    link.ended(why);
}
