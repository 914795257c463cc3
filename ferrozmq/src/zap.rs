//! The ZAP client (RFC 27): a handshake that waits on the ZAP handler asks
//! it here, over `inproc://zeromq.zap.01` in the socket's context, as
//! libzmq does; so a handler written as a plain REP or ROUTER socket
//! works with ferrozmq as with libzmq.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use ferrozmq_proto::{ProtocolError, ZapReply, ZapRequest};
use tokio::runtime::Handle;

use crate::context::ContextInner;
use crate::socket::{AsyncSocket, SocketCore};
use crate::{Message, SocketType};

/// Where the ZAP handler is bound.
pub(crate) const HANDLER: &str = "zeromq.zap.01";

/// What the I/O layer adds to a mechanism's request.
pub(crate) struct Asking<'a> {
    pub(crate) domain: &'a [u8],
    pub(crate) address: &'a [u8],
    pub(crate) identity: &'a [u8],
    /// How long the handler may take (the rest of the handshake's time).
    pub(crate) within: Option<Duration>,
}

/// Asks the handler of `ctx` about `request`; its reply, or why there is
/// none (no handler, no answer in time, a malformed answer: each fails the
/// handshake, closed).
pub(crate) async fn ask(
    ctx: &Arc<ContextInner>,
    request: &ZapRequest,
    asking: Asking<'_>,
) -> Result<ZapReply, ProtocolError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let id = NEXT.fetch_add(1, Ordering::Relaxed).to_string();
    let no_answer = || ProtocolError::AuthenticationFailed { status_code: 500 };
    let spawner = ctx.spawner(Handle::try_current().ok());
    let core =
        SocketCore::new(ctx.clone(), spawner, SocketType::Dealer).map_err(|_| no_answer())?;
    let socket = AsyncSocket::new(core);
    socket
        .set_linger(Some(Duration::ZERO))
        .map_err(|_| no_answer())?;
    socket
        .connect(&format!("inproc://{HANDLER}"))
        .await
        .map_err(|_| no_answer())?;
    let mut frames = vec![Bytes::new()];
    frames.extend(request.frames(
        id.as_bytes(),
        asking.domain,
        asking.address,
        asking.identity,
    ));
    socket
        .send(Message::from(frames))
        .await
        .map_err(|_| no_answer())?;
    let answer = match asking.within {
        Some(limit) => tokio::time::timeout(limit, socket.recv())
            .await
            .map_err(|_| ProtocolError::HandshakeTimeout)?,
        None => socket.recv().await,
    };
    let answer = answer.map_err(|_| no_answer())?;
    // A REP handler's reply comes after the empty delimiter we sent.
    let parts = match answer.parts() {
        [empty, rest @ ..] if empty.is_empty() => rest,
        parts => parts,
    };
    ZapReply::parse(parts, id.as_bytes())
}
