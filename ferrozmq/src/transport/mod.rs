//! Transports: how a socket binds, accepts, connects and reconnects. Each
//! hands the engine a byte stream; the patterns never see which transport a
//! pipe came from.

mod handshakes;
pub(crate) mod tcp;

use std::time::Instant;

use tokio::sync::watch;

use crate::pipe::Closing;

/// Tells an endpoint's tasks (listener, sessions, handshakes) to stop.
pub(crate) type Lifecycle = watch::Receiver<Closing>;

/// Resolves once the endpoint is asked to close; returns how.
pub(crate) async fn closing(lifecycle: &mut Lifecycle) -> Closing {
    loop {
        let now = *lifecycle.borrow_and_update();
        if now != Closing::Open {
            return now;
        }
        if lifecycle.changed().await.is_err() {
            return Closing::Linger(Some(Instant::now()));
        }
    }
}
