//! [`Shared`]: the state of one socket that its caller and its connection
//! tasks both touch, behind one lock.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use ferrozmq_proto::SocketType;

use tokio::sync::mpsc::{self, error::TrySendError};

use crate::monitor::{Event, Monitor};
use crate::options::Options;
use crate::pattern::Pattern;
use crate::pipe::{Closing, PipeId, Pipes, Pulled, register};
use crate::{Error, Message, SendError};

/// One socket's pipes, routing state and options.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) socket_type: SocketType,
    state: Mutex<State>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) pipes: Pipes,
    pattern: Pattern,
    pub(crate) options: Options,
    closed: bool,
    monitors: Vec<mpsc::Sender<Event>>,
}

impl Shared {
    pub(crate) fn new(socket_type: SocketType) -> Result<Self, Error> {
        Ok(Self {
            socket_type,
            state: Mutex::new(State {
                pipes: Pipes::default(),
                pattern: Pattern::new(socket_type)?,
                options: Options::default(),
                closed: false,
                monitors: Vec::new(),
            }),
        })
    }

    /// Runs `f` under the lock, then calls the wakers it collected.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (result, to_wake) = {
            let mut state = self.lock();
            let result = f(&mut state);
            (result, std::mem::take(&mut state.pipes.to_wake))
        };
        to_wake.into_iter().for_each(Waker::wake);
        result
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic under the lock cannot leave the queues half-updated in a
        // way that matters more than losing the socket, so keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new receiver of this socket's events.
    pub(crate) fn monitor(&self) -> Monitor {
        let (tx, monitor) = Monitor::new();
        self.with(|state| state.monitors.push(tx));
        monitor
    }

    /// Tells every monitor; a full one misses the event, a dropped one is
    /// forgotten.
    pub(crate) fn emit(&self, event: Event) {
        self.with(|state| {
            state
                .monitors
                .retain(|tx| !matches!(tx.try_send(event.clone()), Err(TrySendError::Closed(_))));
        });
    }

    pub(crate) fn options(&self) -> Options {
        self.lock().options.clone()
    }

    /// Caller side: routes `msg`, or keeps the caller's waker when no pipe
    /// can take it.
    pub(crate) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        msg: &mut Option<Message>,
    ) -> Poll<Result<(), SendError>> {
        self.with(|state| {
            let Some(message) = msg.take() else {
                return Poll::Ready(Ok(()));
            };
            if state.closed {
                return Poll::Ready(Err(SendError {
                    error: Error::Closed,
                    message,
                }));
            }
            if message.is_empty() {
                return Poll::Ready(Err(SendError {
                    error: Error::EmptyMessage,
                    message,
                }));
            }
            match state.pattern.send(&mut state.pipes, message) {
                Ok(()) => Poll::Ready(Ok(())),
                Err((Error::WouldBlock, message)) => {
                    register(&mut state.pipes.send_waker, cx.waker());
                    *msg = Some(message);
                    Poll::Pending
                }
                Err((error, message)) => Poll::Ready(Err(SendError { error, message })),
            }
        })
    }

    /// Caller side: takes the next message, or keeps the caller's waker.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<Message, Error>> {
        self.with(|state| {
            if state.closed {
                return Poll::Ready(Err(Error::Closed));
            }
            match state.pattern.recv(&mut state.pipes) {
                Err(Error::WouldBlock) => {
                    register(&mut state.pipes.recv_waker, cx.waker());
                    Poll::Pending
                }
                other => Poll::Ready(other),
            }
        })
    }

    /// A pipe for a `connect`: it exists (and takes messages) before the
    /// peer does, and lives across reconnections.
    pub(crate) fn add_connect_pipe(&self) -> PipeId {
        self.with(add_pipe)
    }

    /// An accepted connection finished its handshake: give it a pipe.
    /// `None` when the socket is closed.
    pub(crate) fn attach_accepted(&self) -> Option<PipeId> {
        self.with(|state| (!state.closed).then(|| add_pipe(state)))
    }

    /// No new message is routed to the pipe; its engine may still flush.
    pub(crate) fn stop_routing(&self, id: PipeId) {
        self.with(|state| state.pattern.detach(id));
    }

    /// The pipe will never be served again.
    pub(crate) fn detach(&self, id: PipeId) {
        self.with(|state| {
            state.pattern.detach(id);
            state.pipes.detach(id);
        });
    }

    /// Whether a pipe has nothing left to send.
    pub(crate) fn outbound_empty(&self, id: PipeId) -> bool {
        self.with(|state| state.pipes.get(id).is_none_or(|p| p.outbound.is_empty()))
    }

    /// Engine side, see [`Pipes::push_inbound`].
    pub(crate) fn push_inbound(
        &self,
        id: PipeId,
        batch: &mut VecDeque<Message>,
        waker: &Waker,
    ) -> bool {
        self.with(|state| state.pipes.push_inbound(id, batch, waker))
    }

    /// Engine side, see [`Pipes::pull_outbound`].
    pub(crate) fn pull_outbound(
        &self,
        id: PipeId,
        into: &mut VecDeque<Message>,
        max_bytes: usize,
        waker: &Waker,
    ) -> Pulled {
        self.with(|state| state.pipes.pull_outbound(id, into, max_bytes, waker))
    }

    /// Asks one pipe's engine to flush and stop.
    pub(crate) fn close_pipe(&self, id: PipeId, closing: Closing) {
        self.with(|state| state.pipes.close(id, closing));
    }

    /// The caller closed the socket: fail pending calls, drop what was
    /// received, and let every engine flush within the linger period.
    pub(crate) fn close(&self, closing: Closing) {
        self.with(|state| {
            state.closed = true;
            state.pipes.close_all(closing);
        });
    }
}

/// Adds a pipe with the current high-water marks and lets the pattern route
/// to it; a sender waiting for a peer may go on.
fn add_pipe(state: &mut State) -> PipeId {
    let id = state.pipes.add(state.options.sndhwm, state.options.rcvhwm);
    state.pattern.attach(id);
    state.pipes.wake_sender();
    id
}
