//! [`Routing`]: a socket's pattern and pipes, touched only by its caller.
//! Each `send` and `recv` first applies what the mailbox says changed,
//! then lets the pattern route; a call that cannot go on leaves its waker
//! with the mailbox.

use std::task::{Context, Poll};

use crate::mailbox::{Mailbox, Notice, Waiting};
use crate::pattern::{AnyPattern, Behaviour};
use crate::pipe::{Closing, Pipe, PipeId, Pipes};
use crate::{Error, Message, SendError, SocketType};

/// One socket's routing state.
#[derive(Debug)]
pub(crate) struct Routing {
    pattern: AnyPattern,
    behaviour: Behaviour,
    /// A message `poll` took to see that the socket is readable; the next
    /// `recv` returns it. With it, whether the socket could send before
    /// (taking a REQ's reply or a REP's request changes that, but the
    /// caller has not received it yet).
    peeked: Option<(Message, bool)>,
    pipes: Pipes,
    /// `connect` pipes made with `immediate`: in the pattern only while
    /// their connection is up.
    immediate: Vec<PipeId>,
    /// `connect` pipes whose peer the socket names itself
    /// (`connect_routing_id`), with the name.
    named: Vec<(PipeId, bytes::Bytes)>,
    /// Notices taken from the mailbox, being applied.
    notices: Vec<Notice>,
    closed: bool,
    /// Async sends in a row that went through without waiting (see the
    /// async API's `YIELD_EVERY`).
    pub(crate) sends_in_a_row: u32,
    /// The last call was a `recv` that got a message. The next send is
    /// then likely its answer (the request-reply rhythm), and is written
    /// straight to an idle connection on the caller's thread, saving the
    /// hand-over to the connection's task; a stream of sends is left to
    /// that task, which batches them.
    after_recv: bool,
}

impl Routing {
    pub(crate) fn new(socket_type: SocketType) -> Result<Self, Error> {
        Ok(Self {
            pattern: AnyPattern::new(socket_type)?,
            behaviour: Behaviour::default(),
            peeked: None,
            immediate: Vec::new(),
            named: Vec::new(),
            pipes: Pipes::default(),
            notices: Vec::new(),
            closed: false,
            sends_in_a_row: 0,
            after_recv: false,
        })
    }

    /// Applies what changed since the last call.
    fn update(&mut self, mailbox: &Mailbox) {
        if !mailbox.has_news() {
            return;
        }
        let mut notices = std::mem::take(&mut self.notices);
        mailbox.take(&mut notices);
        for notice in notices.drain(..) {
            self.apply(notice);
        }
        self.notices = notices;
        self.finish();
    }

    fn apply(&mut self, notice: Notice) {
        match notice {
            Notice::Attached(pipe, peer) => {
                let id = pipe.id;
                self.pipes.insert(pipe);
                self.pipes.set_peer(id, peer.properties.clone());
                if self.pattern.attach(id) {
                    self.pattern.up(id, &peer, &mut self.pipes);
                } else {
                    self.pipes.close(id, Closing::now());
                }
            }
            Notice::Up(id, mut peer) if self.pipes.contains(id) => {
                if let Some((_, name)) = self.named.iter().find(|(p, _)| *p == id) {
                    peer.routing_id = Some(name.clone());
                }
                self.pipes.set_peer(id, peer.properties.clone());
                if self.immediate.contains(&id) && !self.pattern.attach(id) {
                    self.pipes.close(id, Closing::now());
                    return;
                }
                self.pattern.up(id, &peer, &mut self.pipes);
            }
            Notice::Lost(id) if self.immediate.contains(&id) => self.pattern.detach(id),
            Notice::Lost(id) if self.pipes.contains(id) => self.pattern.lost(id),
            Notice::Readable(id) if self.pipes.contains(id) => {
                self.pattern.readable(id, &mut self.pipes);
            }
            Notice::Writable(id) if self.pipes.contains(id) => self.pattern.writable(id),
            // About a pipe that is gone already.
            _ => {}
        }
    }

    /// Detaches the pipes found over during the last call.
    fn finish(&mut self) {
        if self.pipes.has_finished() {
            for id in self.pipes.take_finished() {
                self.forget(id);
            }
        }
    }

    /// A pipe is gone: the pattern and the per-pipe settings forget it.
    fn forget(&mut self, id: PipeId) {
        self.pattern.detach(id);
        self.immediate.retain(|&p| p != id);
        self.named.retain(|(p, _)| *p != id);
    }

    /// A pipe made by `connect`: it takes messages before its peer exists,
    /// unless `immediate` (libzmq's `ZMQ_IMMEDIATE`) says to route only to
    /// connections that are up.
    pub(crate) fn attach_connect(
        &mut self,
        pipe: Pipe,
        immediate: bool,
        named: Option<bytes::Bytes>,
    ) {
        let id = pipe.id;
        self.pipes.insert(pipe);
        if let Some(name) = named {
            self.named.push((id, name));
        }
        if immediate {
            self.immediate.push(id);
        } else if self.pattern.attach(id) {
            self.pattern.connecting(id, &mut self.pipes);
        } else {
            self.pipes.close(id, Closing::now());
        }
    }

    /// `disconnect`: the pipe leaves the routing at once (no new message
    /// goes to it); what it already holds is flushed by `closing`.
    pub(crate) fn close_pipe(&mut self, id: PipeId, closing: Closing) {
        self.pipes.close(id, closing);
        self.forget(id);
    }

    /// `unbind` of an inproc name: the pipes it gave the socket (some
    /// perhaps still announced only in the mailbox) close.
    pub(crate) fn close_pipes(&mut self, mailbox: &Mailbox, ids: &[PipeId], closing: Closing) {
        self.update(mailbox);
        for &id in ids {
            self.close_pipe(id, closing);
        }
    }

    /// The socket closes: every pipe (also those the mailbox still held)
    /// flushes by `closing`; what was received and not read is dropped.
    pub(crate) fn close(&mut self, mailbox: &Mailbox, closing: Closing) {
        self.closed = true;
        for notice in mailbox.close() {
            if let Notice::Attached(pipe, _) = notice {
                pipe.close(closing);
            }
        }
        self.pipes.close_all(closing);
    }

    /// Changes the pattern's options.
    pub(crate) fn configure(&mut self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.behaviour);
        self.pattern.configure(&self.behaviour);
    }

    /// The pattern's options.
    pub(crate) fn behaviour(&self) -> &Behaviour {
        &self.behaviour
    }

    /// SUB's subscribe (`on`) or unsubscribe.
    pub(crate) fn subscribe(
        &mut self,
        mailbox: &Mailbox,
        prefix: bytes::Bytes,
        on: bool,
    ) -> Result<(), Error> {
        self.update(mailbox);
        self.pattern.subscribe(prefix, on, &mut self.pipes)
    }

    /// Routes `msg`, or leaves the caller's waker when it cannot go now.
    pub(crate) fn poll_send(
        &mut self,
        mailbox: &Mailbox,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<(), SendError>> {
        self.pipes.set_direct(self.after_recv);
        let sent = self.poll_send_inner(mailbox, cx, slot);
        if sent.is_ready() {
            self.after_recv = false;
        }
        sent
    }

    fn poll_send_inner(
        &mut self,
        mailbox: &Mailbox,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<(), SendError>> {
        loop {
            self.update(mailbox);
            let Some(message) = slot.take() else {
                return Poll::Ready(Ok(()));
            };
            let error = if self.closed {
                Error::Closed
            } else if self.peeked.is_some() && self.pattern.alternates() {
                // `poll` took the message this send must come after.
                Error::State("the message a poll found must be received before sending")
            } else if message.is_empty() {
                Error::EmptyMessage
            } else {
                match self.pattern.send(message, &mut self.pipes) {
                    Ok(()) => {
                        self.finish();
                        return Poll::Ready(Ok(()));
                    }
                    Err((Error::WouldBlock, message)) => {
                        self.finish();
                        *slot = Some(message);
                        if mailbox.wait(Waiting::Send, cx.waker()) {
                            return Poll::Pending;
                        }
                        continue;
                    }
                    Err((error, message)) => {
                        return Poll::Ready(Err(SendError { error, message }));
                    }
                }
            };
            return Poll::Ready(Err(SendError { error, message }));
        }
    }

    /// Takes the next message, or leaves the caller's waker.
    pub(crate) fn poll_recv(
        &mut self,
        mailbox: &Mailbox,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Message, Error>> {
        if let Some((msg, _)) = self.peeked.take() {
            self.after_recv = true;
            return Poll::Ready(Ok(msg));
        }
        loop {
            self.update(mailbox);
            if self.closed {
                return Poll::Ready(Err(Error::Closed));
            }
            let result = self.pattern.recv(&mut self.pipes);
            self.finish();
            match result {
                Err(Error::WouldBlock) => {
                    if mailbox.wait(Waiting::Recv, cx.waker()) {
                        return Poll::Pending;
                    }
                }
                other => {
                    self.after_recv = other.is_ok();
                    return Poll::Ready(other);
                }
            }
        }
    }

    /// Whether a `recv` would return now (a message, or the socket's
    /// closing); otherwise the caller's waker is left. The message a
    /// check takes is kept for that `recv`.
    pub(crate) fn poll_readable(&mut self, mailbox: &Mailbox, cx: &mut Context<'_>) -> bool {
        if self.peeked.is_some() {
            return true;
        }
        self.update(mailbox);
        let could_send = self.pattern.can_send();
        match self.poll_recv(mailbox, cx) {
            Poll::Ready(Ok(msg)) => {
                self.peeked = Some((msg, could_send));
                true
            }
            Poll::Ready(Err(Error::Closed)) => true,
            // A type that cannot receive is never readable.
            Poll::Ready(Err(_)) | Poll::Pending => false,
        }
    }

    /// Whether a `send` would go now without waiting; otherwise the
    /// caller's waker is left.
    pub(crate) fn poll_writable(&mut self, mailbox: &Mailbox, cx: &mut Context<'_>) -> bool {
        if let Some((_, could_send)) = self.peeked {
            return could_send;
        }
        loop {
            self.update(mailbox);
            if self.closed || self.pattern.can_send() {
                return !self.closed;
            }
            if mailbox.wait(Waiting::Send, cx.waker()) {
                return false;
            }
        }
    }
}
