//! [`Wire`]: a connection's stream and protocol state, shared between its
//! engine and the socket's caller, who may write a message straight to it
//! ([`DirectWrite`]) instead of handing it over to the engine's thread.

use std::io::{self, IoSlice};
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use ferrozmq_proto::Connection;

use super::{End, MAX_SLICES};
use crate::Message;
use crate::pipe::DirectWrite;
use crate::transport::Stream;

/// A connection's stream and protocol state.
pub(crate) struct Wire<S> {
    locked: Mutex<Locked<S>>,
    /// The engine's task, to wake when a direct write left bytes for it.
    engine: Mutex<Option<Waker>>,
}

impl<S> std::fmt::Debug for Wire<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wire")
    }
}

/// What one holder at a time works on: the protocol state and the stream
/// (reading it needs it exclusively: a read that drains the kernel's
/// buffer clears the readiness it was woken for).
pub(super) struct Locked<S> {
    pub(super) conn: Connection,
    pub(super) stream: S,
    /// The stream still holds written bytes it has not sent on
    /// ([`Stream::poll_flush`]).
    pub(super) held: bool,
}

/// The connection, locked for one round of work.
pub(super) struct Io<'a, S> {
    locked: MutexGuard<'a, Locked<S>>,
}

impl<S> Deref for Io<'_, S> {
    type Target = Locked<S>;

    fn deref(&self) -> &Locked<S> {
        &self.locked
    }
}

impl<S> DerefMut for Io<'_, S> {
    fn deref_mut(&mut self) -> &mut Locked<S> {
        &mut self.locked
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The protocol state is left consistent between calls; a panic in one
    // ends that connection's task, not the state's validity.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: Stream> Wire<S> {
    pub(super) fn new(stream: S, conn: Connection) -> Self {
        Self {
            locked: Mutex::new(Locked {
                conn,
                stream,
                held: false,
            }),
            engine: Mutex::new(None),
        }
    }

    /// The connection, for the engine's round of work.
    pub(super) fn io(&self) -> Io<'_, S> {
        Io {
            locked: lock(&self.locked),
        }
    }

    /// The engine's task, to wake after a direct write.
    pub(super) fn set_waker(&self, waker: &Waker) {
        let mut engine = lock(&self.engine);
        if !engine.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *engine = Some(waker.clone());
        }
    }
}

impl<S: Stream> Io<'_, S> {
    /// Writes what the connection queued, in as few syscalls as it takes,
    /// registering for writability when the kernel takes no more.
    pub(super) fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<bool, End> {
        let mut progress = false;
        while !self.conn.out().is_empty() {
            if self.stream.poll_write_ready(cx).is_pending() {
                break;
            }
            match self.write_some()? {
                Poll::Ready(()) => progress = true,
                Poll::Pending => {}
            }
        }
        let flushed = self.stream.poll_flush(cx)?;
        self.held = flushed.is_pending();
        Ok(progress)
    }

    /// One vectored write of what is queued; pending when the kernel
    /// takes nothing now.
    fn write_some(&mut self) -> Result<Poll<()>, End> {
        let locked = &mut *self.locked;
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let n = locked.conn.out().io_slices(&mut slices);
        match locked.stream.try_write_vectored(&slices[..n]) {
            Ok(0) => Err(io::Error::from(io::ErrorKind::WriteZero).into()),
            Ok(written) => {
                locked.conn.out().advance(written);
                Ok(Poll::Ready(()))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Poll::Pending),
            Err(e) => Err(e.into()),
        }
    }

    /// At the end, one try at writing what is queued (an ERROR command
    /// tells the peer why), and the stream's goodbye.
    pub(super) fn flush_best_effort(&mut self) {
        let _ = self.write_some();
        self.stream.farewell();
    }
}

impl<S: Stream> DirectWrite for Wire<S> {
    /// Encodes `msg` and writes it on the caller's thread, unless the
    /// engine is at work on the connection (then it comes back). What the
    /// kernel does not take at once stays in the connection's output, and
    /// the engine is woken to write it (and to meet any error).
    fn write(&self, msg: Message) -> Result<(), Message> {
        let Ok(locked) = self.locked.try_lock() else {
            return Err(msg);
        };
        debug_assert!(locked.stream.direct_writes());
        let mut io = Io { locked };
        if !io.conn.is_ready() {
            return Err(msg);
        }
        io.conn.send_message(&msg);
        drop(msg);
        while !io.conn.out().is_empty() {
            if !matches!(io.write_some(), Ok(Poll::Ready(()))) {
                break;
            }
        }
        let left = !io.conn.out().is_empty();
        drop(io);
        if left && let Some(engine) = lock(&self.engine).as_ref() {
            engine.wake_by_ref();
        }
        Ok(())
    }
}
