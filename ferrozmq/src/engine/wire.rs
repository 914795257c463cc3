//! [`Wire`]: a connection's stream and protocol state, shared between its
//! engine and the socket's caller, who may write a message straight to it
//! ([`DirectWrite`]) instead of handing it over to the engine's thread.

use std::io::{self, IoSlice};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use ferrozmq_proto::Connection;

use super::{End, MAX_SLICES};
use crate::Message;
use crate::pipe::DirectWrite;
use crate::transport::Stream;

/// A connection's stream and protocol state.
pub(crate) struct Wire<S> {
    stream: S,
    conn: Mutex<Connection>,
    /// The engine's task, to wake when a direct write left bytes for it.
    engine: Mutex<Option<Waker>>,
}

impl<S> std::fmt::Debug for Wire<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wire")
    }
}

/// The connection, locked for one round of work.
pub(super) struct Io<'a, S> {
    pub(super) conn: MutexGuard<'a, Connection>,
    pub(super) stream: &'a S,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The protocol state is left consistent between calls; a panic in one
    // ends that connection's task, not the state's validity.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: Stream> Wire<S> {
    pub(super) fn new(stream: S, conn: Connection) -> Self {
        Self {
            stream,
            conn: Mutex::new(conn),
            engine: Mutex::new(None),
        }
    }

    /// The connection, for the engine's round of work.
    pub(super) fn io(&self) -> Io<'_, S> {
        Io {
            conn: lock(&self.conn),
            stream: &self.stream,
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
        Ok(progress)
    }

    /// One vectored write of what is queued; pending when the kernel
    /// takes nothing now.
    fn write_some(&mut self) -> Result<Poll<()>, End> {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let n = self.conn.out().io_slices(&mut slices);
        match self.stream.try_write_vectored(&slices[..n]) {
            Ok(0) => Err(io::Error::from(io::ErrorKind::WriteZero).into()),
            Ok(written) => {
                self.conn.out().advance(written);
                Ok(Poll::Ready(()))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Poll::Pending),
            Err(e) => Err(e.into()),
        }
    }

    /// At the end, one try at writing what is queued (an ERROR command
    /// tells the peer why).
    pub(super) fn flush_best_effort(&mut self) {
        let _ = self.write_some();
    }
}

impl<S: Stream> DirectWrite for Wire<S> {
    /// Encodes `msg` and writes it on the caller's thread, unless the
    /// engine is at work on the connection (then it comes back). What the
    /// kernel does not take at once stays in the connection's output, and
    /// the engine is woken to write it (and to meet any error).
    fn write(&self, msg: Message) -> Result<(), Message> {
        let Ok(conn) = self.conn.try_lock() else {
            return Err(msg);
        };
        if !conn.is_ready() {
            return Err(msg);
        }
        let mut io = Io {
            conn,
            stream: &self.stream,
        };
        io.conn.send_message(&msg);
        drop(msg);
        while !io.conn.out().is_empty() {
            if !matches!(io.write_some(), Ok(Poll::Ready(()))) {
                break;
            }
        }
        let left = !io.conn.out().is_empty();
        // The engine may be idle and not look again for a long time.
        io.conn.out().release_if_empty();
        drop(io);
        if left && let Some(engine) = lock(&self.engine).as_ref() {
            engine.wake_by_ref();
        }
        Ok(())
    }
}
