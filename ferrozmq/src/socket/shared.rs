//! [`SocketShared`]: what a socket shares with its sessions: its type and
//! options, its mailbox, its monitors. The routing state is not here: only
//! the socket's caller touches it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use ferrozmq_proto::{Metadata, SocketType};
use tokio::sync::mpsc::{self, error::TrySendError};

use crate::context::ContextInner;
use crate::mailbox::{Mailbox, Notice};
use crate::monitor::{Event, Monitor};
use crate::options::Options;
use crate::peer::Peer;
use crate::pipe::{self, Closing, EngineEnd, Hwm, Pipe, PipeId};

/// The part of a socket its sessions hold.
#[derive(Debug)]
pub(crate) struct SocketShared {
    pub(crate) socket_type: SocketType,
    options: Mutex<Options>,
    pub(crate) mailbox: Arc<Mailbox>,
    monitors: Mutex<Vec<mpsc::Sender<Event>>>,
    next_pipe: AtomicU64,
    /// Whether the caller encodes each message as it queues it (see
    /// `pipe::with_engine`): worth it where the caller and the engines
    /// share a runtime, as moving the work there saves handing over each
    /// message; where they run on different threads (the blocking API),
    /// measured slower, as the caller's thread then does the I/O thread's
    /// work while the two contend for the pipe's lock.
    encode_ahead: bool,
    /// The context, for what sessions ask of it (the ZAP handler).
    pub(crate) ctx: Weak<ContextInner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // What these locks guard stays valid whatever panicked while holding
    // them (a list, a set of values): go on.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SocketShared {
    pub(crate) fn new(
        socket_type: SocketType,
        encode_ahead: bool,
        ctx: Weak<ContextInner>,
    ) -> Self {
        Self {
            ctx,
            // A STREAM connection's bytes are not ZMTP frames.
            encode_ahead: encode_ahead && socket_type != SocketType::Stream,
            socket_type,
            options: Mutex::new(Options::default()),
            mailbox: Arc::new(Mailbox::default()),
            monitors: Mutex::new(Vec::new()),
            next_pipe: AtomicU64::new(0),
        }
    }

    /// The options as they are now.
    pub(crate) fn options(&self) -> Options {
        lock(&self.options).clone()
    }

    /// Reads or changes the options.
    pub(crate) fn with_options<R>(&self, f: impl FnOnce(&mut Options) -> R) -> R {
        f(&mut lock(&self.options))
    }

    /// A new receiver of this socket's events.
    pub(crate) fn monitor(&self) -> Monitor {
        let (tx, monitor) = Monitor::new();
        lock(&self.monitors).push(tx);
        monitor
    }

    /// Tells every monitor; a full one misses the event (but for the last,
    /// `MonitorStopped`), a dropped one is forgotten.
    pub(crate) fn emit(&self, event: Event) {
        let mut monitors = lock(&self.monitors);
        monitors.retain(|tx| !matches!(tx.try_send(event.clone()), Err(TrySendError::Closed(_))));
    }

    /// A new pipe with the socket's high-water marks now.
    pub(crate) fn new_pipe(&self) -> (Pipe, EngineEnd) {
        let id = self.next_pipe_id();
        let plain = self.encode_ahead && lock(&self.options).security().sends_plain_frames();
        pipe::with_engine(id, &self.mailbox, self.hwm(), plain)
    }

    /// An id for a new pipe of this socket.
    pub(crate) fn next_pipe_id(&self) -> PipeId {
        self.next_pipe.fetch_add(1, Ordering::Relaxed)
    }

    /// The high-water marks a new pipe gets now.
    pub(crate) fn hwm(&self) -> Hwm {
        let options = lock(&self.options);
        Hwm {
            send: options.sndhwm,
            recv: options.rcvhwm,
            conflate: options.conflate,
        }
    }

    /// What this socket's READY would say about it.
    pub(crate) fn ready_properties(&self) -> Metadata {
        lock(&self.options)
            .protocol_config(self.socket_type)
            .ready_properties()
    }

    /// An accepted connection's pipe joins the socket; false when the
    /// socket is closed (the pipe is closed then).
    pub(crate) fn attach(&self, pipe: Pipe, peer: Peer) -> bool {
        match self.mailbox.post(Notice::Attached(pipe, peer)) {
            Ok(()) => true,
            Err(Notice::Attached(pipe, _)) => {
                pipe.close(Closing::now());
                false
            }
            Err(_) => false,
        }
    }

    /// A connect pipe's connection completed its handshake.
    pub(crate) fn up(&self, id: PipeId, peer: Peer) {
        let _closed_socket_needs_no_news = self.mailbox.post(Notice::Up(id, peer));
    }

    /// A connect pipe's connection ended.
    pub(crate) fn lost(&self, id: PipeId) {
        let _closed_socket_needs_no_news = self.mailbox.post(Notice::Lost(id));
    }
}

impl Drop for SocketShared {
    /// The socket and every task of it are gone: each monitor's last event.
    fn drop(&mut self) {
        self.emit(Event::MonitorStopped);
    }
}
