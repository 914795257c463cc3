//! `inproc://`: sockets of one context joined by a pipe with no engine
//! between them. A message moves from one socket's queue to the other's
//! by value, never encoded; each socket is the producer of one queue and
//! the consumer of the other.
//!
//! The context keeps a [`Registry`] of bound names. A `connect` makes its
//! pipe at once, so it takes messages before anything is bound (libzmq
//! allows connect before bind); the binder joins it when it binds, or at
//! once if it is bound already. What a handshake would exchange is
//! exchanged as the sockets join: each side's READY properties
//! (`Socket-Type`, `Identity`), checked as a handshake checks them. Each
//! way's high-water mark is the sender's send mark plus the receiver's
//! receive mark (0, no limit, if either is), as in libzmq.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::mailbox::Notice;
use crate::monitor::{Event, Reason};
use crate::peer::{Peer, PeerAddress};
use crate::pipe::{Closing, Notify, Pipe, PipeId, Queue};
use crate::socket::shared::SocketShared;
use crate::{Error, Result};
use ferrozmq_proto::PeerInfo;

/// The names bound in one context.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    names: Mutex<HashMap<String, Slot>>,
}

#[derive(Debug)]
enum Slot {
    /// A socket is bound to the name; with the pipes it was given.
    Bound {
        socket: Weak<SocketShared>,
        pipes: Vec<PipeId>,
    },
    /// Nothing is bound yet; these connects wait for it.
    Waiting(Vec<Half>),
}

/// A connect's pipe, waiting for its binder.
#[derive(Debug)]
struct Half {
    socket: Weak<SocketShared>,
    id: PipeId,
    /// The connecter's queue to the binder, and the binder's to it.
    to_binder: Arc<Queue>,
    from_binder: Arc<Queue>,
}

/// Each way's mark: the sender's plus the receiver's, or none if either
/// has none.
fn sum(send: usize, recv: usize) -> usize {
    if send == 0 || recv == 0 {
        0
    } else {
        send.saturating_add(recv)
    }
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        // The map stays valid whatever panicked under the lock.
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Binds `name` for `binder`; the connects waiting for it join it now.
    pub(crate) fn bind(&self, name: &str, binder: &Arc<SocketShared>) -> Result<()> {
        let mut names = self.lock();
        let waiting = match names.remove(name) {
            Some(Slot::Bound { socket, pipes }) if socket.strong_count() > 0 => {
                names.insert(name.to_owned(), Slot::Bound { socket, pipes });
                return Err(Error::AddrInUse(format!("inproc://{name}")));
            }
            Some(Slot::Waiting(halves)) => halves,
            _ => Vec::new(),
        };
        let mut pipes = Vec::new();
        for half in waiting {
            if let Some(connecter) = half.socket.upgrade() {
                pipes.extend(join(name, half, &connecter, binder));
            }
        }
        names.insert(
            name.to_owned(),
            Slot::Bound {
                socket: Arc::downgrade(binder),
                pipes,
            },
        );
        Ok(())
    }

    /// Whether a live socket is bound to `name`.
    pub(crate) fn is_bound(&self, name: &str) -> bool {
        matches!(self.lock().get(name), Some(Slot::Bound { socket, .. }) if socket.strong_count() > 0)
    }

    /// Unbinds `name`, if `binder` holds it: the pipes it was given, to
    /// close.
    pub(crate) fn unbind(&self, name: &str, binder: &SocketShared) -> Vec<PipeId> {
        let mut names = self.lock();
        match names.get(name) {
            Some(Slot::Bound { socket, .. }) if std::ptr::eq(socket.as_ptr(), binder) => {}
            _ => return Vec::new(),
        }
        match names.remove(name) {
            Some(Slot::Bound { pipes, .. }) => pipes,
            _ => Vec::new(),
        }
    }

    /// A pipe from `connecter` to whatever binds `name`, now or later; it
    /// takes messages at once.
    pub(crate) fn connect(&self, name: &str, connecter: &Arc<SocketShared>) -> Pipe {
        let id = connecter.next_pipe_id();
        let hwm = connecter.hwm();
        let ours = Notify::Socket {
            mailbox: Arc::downgrade(&connecter.mailbox),
            pipe: id,
        };
        // Until a binder joins, its end is told nothing.
        let to_binder = Arc::new(Queue::new(hwm.send, false, Notify::task(), ours.clone()));
        let from_binder = Arc::new(Queue::new(hwm.recv, false, ours, Notify::task()));
        let pipe = Pipe {
            id,
            inbound: from_binder.clone(),
            outbound: to_binder.clone(),
        };
        let half = Half {
            socket: Arc::downgrade(connecter),
            id,
            to_binder,
            from_binder,
        };
        let mut names = self.lock();
        match names.get_mut(name) {
            Some(Slot::Bound { socket, pipes }) => match socket.upgrade() {
                Some(binder) => pipes.extend(join(name, half, connecter, &binder)),
                None => {
                    names.insert(name.to_owned(), Slot::Waiting(vec![half]));
                }
            },
            Some(Slot::Waiting(halves)) => {
                halves.retain(|h| h.socket.strong_count() > 0);
                halves.push(half);
            }
            None => {
                names.insert(name.to_owned(), Slot::Waiting(vec![half]));
            }
        }
        pipe
    }
}

/// The binder takes its end of a connect's pipe, and each socket learns
/// who the other is; the binder's id for the pipe, unless the two refuse
/// each other (then the pipe is closed and both monitors hear why).
fn join(
    name: &str,
    half: Half,
    connecter: &Arc<SocketShared>,
    binder: &Arc<SocketShared>,
) -> Option<PipeId> {
    let endpoint = format!("inproc://{name}");
    let (for_binder, for_connecter) = match (peer(connecter, binder), peer(binder, connecter)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => {
            half.to_binder.close_producer(Closing::now());
            half.from_binder.close_producer(Closing::now());
            half.to_binder.close_consumer();
            half.from_binder.close_consumer();
            for socket in [connecter, binder] {
                socket.emit(Event::HandshakeFailed {
                    endpoint: endpoint.clone(),
                    peer: PeerAddress::Inproc,
                    reason: Reason::Protocol(e.clone()),
                });
            }
            return None;
        }
    };
    let (send, recv) = (connecter.hwm(), binder.hwm());
    let id = binder.next_pipe_id();
    let theirs = Notify::Socket {
        mailbox: Arc::downgrade(&binder.mailbox),
        pipe: id,
    };
    half.from_binder
        .join_producer(theirs.clone(), sum(recv.send, send.recv));
    let pipe = Pipe {
        id,
        inbound: half.to_binder.clone(),
        outbound: half.from_binder,
    };
    if !binder.attach(pipe, for_binder) {
        return None;
    }
    half.to_binder
        .join_consumer(theirs, sum(send.send, recv.recv));
    let _closed_socket_needs_no_news = connecter.mailbox.post(Notice::Up(half.id, for_connecter));
    for socket in [connecter, binder] {
        socket.emit(Event::HandshakeSucceeded {
            endpoint: endpoint.clone(),
            peer: PeerAddress::Inproc,
        });
    }
    Some(id)
}

/// `of` as `to` sees it, had they shaken hands; an error if `to` refuses it.
fn peer(of: &SocketShared, to: &SocketShared) -> Result<Peer, ferrozmq_proto::ProtocolError> {
    let properties = of.ready_properties();
    let info = PeerInfo::from_properties(properties, to.socket_type)?;
    Ok(Peer::new(info, &PeerAddress::Inproc))
}
