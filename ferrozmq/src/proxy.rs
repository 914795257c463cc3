//! [`proxy`] and [`proxy_steerable`] (libzmq's `zmq_proxy` and
//! `zmq_proxy_steerable`), and [`AsyncSocket::proxy`]: messages moved both
//! ways between a frontend and a backend socket, each also copied to a
//! capture socket if there is one.

use std::future::poll_fn;
use std::task::{Context, Poll};

use crate::blocking::block_on;
use crate::socket::Polled;
use crate::{AsyncSocket, Bytes, Error, Message, Result, Socket, SocketType};

/// Moves messages between `frontend` and `backend`, both ways, for as long
/// as both work (like libzmq's, it runs until a socket fails; stop one with
/// [`proxy_steerable`]'s `TERMINATE`); each message is also sent,
/// without waiting, to `capture`. A message waits while the side it goes
/// to cannot take it, as libzmq's proxy does. The usual pairs are ROUTER
/// and DEALER (a request-reply broker), XSUB and XPUB (a forwarder) and
/// PULL and PUSH (a streamer).
pub fn proxy(
    frontend: &mut Socket,
    backend: &mut Socket,
    capture: Option<&mut Socket>,
) -> Result<()> {
    let mut state = Proxy::default();
    let mut capture = capture;
    let mut control: Option<&mut Socket> = None;
    block_on(
        poll_fn(|cx| state.poll(frontend, backend, &mut capture, &mut control, cx)),
        None,
    )
    .unwrap_or(Err(Error::Closed))
}

/// [`proxy`], steered by the messages `control` receives (as
/// `zmq_proxy_steerable`): `PAUSE` stops moving messages, `RESUME` starts
/// again, `TERMINATE` returns `Ok`, and `STATISTICS` is answered (send
/// it from a REQ to a REP `control`) with eight frames of 8-byte
/// little-endian counts: messages and bytes received by the frontend,
/// sent by it, received by the backend, sent by it.
pub fn proxy_steerable(
    frontend: &mut Socket,
    backend: &mut Socket,
    capture: Option<&mut Socket>,
    control: &mut Socket,
) -> Result<()> {
    let mut state = Proxy::default();
    let (mut capture, mut control) = (capture, Some(control));
    block_on(
        poll_fn(|cx| state.poll(frontend, backend, &mut capture, &mut control, cx)),
        None,
    )
    .unwrap_or(Err(Error::Closed))
}

impl AsyncSocket {
    /// [`proxy`] for async sockets: moves messages between `frontend` and
    /// `backend` until one of them fails, copying each to `capture`.
    pub async fn proxy(
        frontend: &AsyncSocket,
        backend: &AsyncSocket,
        capture: Option<&AsyncSocket>,
    ) -> Result<()> {
        let mut state = Proxy::default();
        let (mut front, mut back, mut capture) = (frontend, backend, capture);
        let mut capture = capture.as_mut();
        let mut control: Option<&mut &AsyncSocket> = None;
        poll_fn(|cx| state.poll(&mut front, &mut back, &mut capture, &mut control, cx)).await
    }
}

/// Messages moved in one direction before the proxy lets the other run.
const BUDGET: usize = 64;

/// A proxy's state between polls.
#[derive(Debug, Default)]
struct Proxy {
    /// A message received from the frontend, waiting to go to the backend.
    to_back: Option<Message>,
    /// And the other way.
    to_front: Option<Message>,
    /// The answer to a `STATISTICS`, waiting to go.
    answer: Option<Message>,
    paused: bool,
    /// libzmq's order: frontend messages in, bytes in, messages out, bytes
    /// out; then the backend's.
    stats: [u64; 8],
}

impl Proxy {
    fn poll<P: Polled>(
        &mut self,
        front: &mut P,
        back: &mut P,
        capture: &mut Option<&mut P>,
        control: &mut Option<&mut P>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<()>> {
        if let Some(control) = control.as_deref_mut()
            && let Poll::Ready(done) = self.steer(control, cx)
        {
            return Poll::Ready(done);
        }
        if self.paused {
            return Poll::Pending;
        }
        let forward = pump(
            front,
            back,
            capture,
            &mut self.to_back,
            &mut self.stats,
            0,
            cx,
        );
        let backward = pump(
            back,
            front,
            capture,
            &mut self.to_front,
            &mut self.stats,
            4,
            cx,
        );
        match (forward, backward) {
            (Poll::Ready(Err(e)), _) | (_, Poll::Ready(Err(e))) => Poll::Ready(Err(e)),
            (Poll::Ready(Ok(())), _) | (_, Poll::Ready(Ok(()))) => {
                // A budget ran out: the other direction and the control
                // socket get their turn before this one goes on.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            _ => Poll::Pending,
        }
    }

    /// Takes the control socket's commands; `Ready` ends the proxy.
    fn steer<P: Polled>(&mut self, control: &mut P, cx: &mut Context<'_>) -> Poll<Result<()>> {
        loop {
            if self.answer.is_some() {
                match control.poll_send(cx, &mut self.answer) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e.error)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            let command = match control.poll_recv(cx) {
                Poll::Ready(command) => command?,
                Poll::Pending => return Poll::Pending,
            };
            match command.first().map(|c| &c[..]) {
                Some(b"PAUSE") => self.paused = true,
                Some(b"RESUME") => {
                    self.paused = false;
                    cx.waker().wake_by_ref();
                }
                Some(b"TERMINATE") => return Poll::Ready(Ok(())),
                Some(b"STATISTICS") => {
                    let frames = self
                        .stats
                        .iter()
                        .map(|n| Bytes::copy_from_slice(&n.to_le_bytes()));
                    self.answer = Some(frames.collect());
                }
                // libzmq ignores what it does not know, too.
                _ => {}
            }
        }
    }
}

/// Moves messages from `from` to `to` until one side must wait (`Pending`),
/// one fails, or the budget is spent (`Ready(Ok)`). `stats` are counted
/// from `at` (the `from` side's four counters) and `at ^ 4` (the other's).
fn pump<P: Polled>(
    from: &mut P,
    to: &mut P,
    capture: &mut Option<&mut P>,
    waiting: &mut Option<Message>,
    stats: &mut [u64; 8],
    at: usize,
    cx: &mut Context<'_>,
) -> Poll<Result<()>> {
    if matches!(from.socket_type(), SocketType::Push | SocketType::Pub) {
        // Nothing ever comes this way (libzmq's proxy polls only the
        // sockets that can receive).
        return Poll::Pending;
    }
    for _ in 0..BUDGET {
        if let Some(msg) = waiting {
            let size = msg.size() as u64;
            match to.poll_send(cx, waiting) {
                Poll::Ready(Ok(())) => {
                    stats[(at ^ 4) + 2] += 1;
                    stats[(at ^ 4) + 3] += size;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let msg = match from.poll_recv(cx) {
            Poll::Ready(msg) => msg?,
            Poll::Pending => return Poll::Pending,
        };
        stats[at] += 1;
        stats[at + 1] += msg.size() as u64;
        if let Some(capture) = capture {
            // A copy that cannot go now is dropped: capture never holds
            // the proxy back.
            let mut copy = Some(msg.clone());
            let _ = capture.poll_send(
                &mut Context::from_waker(std::task::Waker::noop()),
                &mut copy,
            );
        }
        *waiting = Some(msg);
    }
    Poll::Ready(Ok(()))
}
