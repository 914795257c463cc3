//! [`Mailbox`]: how a socket's connections tell the socket's caller what
//! changed, without touching its routing state.
//!
//! Sessions and pipes post [`Notice`]s; the caller takes them at its next
//! `send` or `recv` (or is woken for them while it waits) and applies them
//! to its pattern. Notices are few: one per pipe lifecycle step, and one
//! per queue going from empty to non-empty or from full to its low-water
//! mark while the caller waited on it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use crate::peer::Peer;
use crate::pipe::{Pipe, PipeId};

/// Something that changed for one of the socket's pipes.
#[derive(Debug)]
pub(crate) enum Notice {
    /// An accepted connection completed its handshake: a new pipe, whose
    /// connection is up.
    Attached(Pipe, Peer),
    /// A connect pipe's connection completed its handshake.
    Up(PipeId, Peer),
    /// A connect pipe's connection ended; the pipe lives on and keeps
    /// what is queued for the next one.
    Lost(PipeId),
    /// A pipe the caller found empty has something to read.
    Readable(PipeId),
    /// A pipe the caller found full has room again.
    Writable(PipeId),
}

/// Which of the caller's operations waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waiting {
    Send,
    Recv,
}

/// A socket's mailbox.
#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    inner: Mutex<Inner>,
    /// Notices are waiting: checked without the lock on every call.
    pending: AtomicBool,
}

#[derive(Debug, Default)]
struct Inner {
    notices: Vec<Notice>,
    /// The callers waiting to send and to receive (several tasks may share
    /// an async socket).
    senders: Vec<Waker>,
    receivers: Vec<Waker>,
    /// The socket is closed: notices are refused.
    closed: bool,
}

impl Inner {
    fn take_wakers(&mut self) -> impl Iterator<Item = Waker> + use<> {
        let senders = std::mem::take(&mut self.senders);
        let receivers = std::mem::take(&mut self.receivers);
        senders.into_iter().chain(receivers)
    }
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Posts a notice and wakes the caller if it waits. A closed socket
    /// refuses it: the notice comes back, for the poster to clean up.
    pub(crate) fn post(&self, notice: Notice) -> Result<(), Notice> {
        let wakers = {
            let mut inner = self.lock();
            if inner.closed {
                return Err(notice);
            }
            inner.notices.push(notice);
            self.pending.store(true, Ordering::Release);
            inner.take_wakers()
        };
        wakers.for_each(Waker::wake);
        Ok(())
    }

    /// Whether notices are waiting (a hint: [`Mailbox::take`] is the
    /// answer; a caller about to wait learns of late ones from
    /// [`Mailbox::wait`]).
    pub(crate) fn has_news(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Moves the waiting notices, in order, to `into`.
    pub(crate) fn take(&self, into: &mut Vec<Notice>) {
        if !self.has_news() {
            return;
        }
        let mut inner = self.lock();
        self.pending.store(false, Ordering::Relaxed);
        into.append(&mut inner.notices);
    }

    /// Leaves `waker` to be woken by the next notice, unless one is
    /// already waiting: then false, and the caller looks again.
    pub(crate) fn wait(&self, waiting: Waiting, waker: &Waker) -> bool {
        let mut inner = self.lock();
        if !inner.notices.is_empty() {
            return false;
        }
        let waiters = match waiting {
            Waiting::Send => &mut inner.senders,
            Waiting::Recv => &mut inner.receivers,
        };
        if !waiters.iter().any(|w| w.will_wake(waker)) {
            waiters.push(waker.clone());
        }
        true
    }

    /// The socket closes: later notices are refused; those waiting come
    /// back to be cleaned up, and a waiting caller is woken.
    pub(crate) fn close(&self) -> Vec<Notice> {
        let (notices, wakers) = {
            let mut inner = self.lock();
            inner.closed = true;
            self.pending.store(false, Ordering::Relaxed);
            (std::mem::take(&mut inner.notices), inner.take_wakers())
        };
        wakers.for_each(Waker::wake);
        notices
    }
}
