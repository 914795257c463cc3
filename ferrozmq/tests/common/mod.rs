//! What the security tests (`plain.rs`, `curve.rs`) share: sockets whose
//! waits are bounded, and the handshake outcomes their monitors report.

use std::time::Duration;

use ferrozmq::{Context, Event, Failure, Monitor, Socket, SocketType};

/// How long any wait may take.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// A socket whose sends and receives give up after [`WAIT`].
pub(crate) fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_recv_timeout(Some(WAIT)).unwrap();
    s.set_send_timeout(Some(WAIT)).unwrap();
    s
}

/// The next handshake outcome a monitor reports: true for success.
pub(crate) fn handshake(events: &mut Monitor) -> bool {
    loop {
        match events.recv_timeout(Some(WAIT)) {
            Some(Event::HandshakeSucceeded { .. }) => return true,
            Some(Event::HandshakeFailed { .. }) => return false,
            Some(_) => {}
            None => panic!("no handshake outcome"),
        }
    }
}

/// The kind of the next handshake failure a monitor reports.
pub(crate) fn failure(events: &mut Monitor) -> Failure {
    loop {
        match events.recv_timeout(Some(WAIT)) {
            Some(Event::HandshakeFailed { reason, .. }) => return reason.failure(),
            Some(Event::HandshakeSucceeded { .. }) => panic!("let in"),
            Some(_) => {}
            None => panic!("no handshake outcome"),
        }
    }
}
