//! [`AsyncSocket`]: the async API, for use inside tokio.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

use super::{Bound, SocketCore, common_methods, expired};
use crate::endpoint::Endpoint;
use crate::{Error, Message, Result, SendError, SocketType};

/// A ZeroMQ socket with an async API.
///
/// Made inside a tokio runtime, its connections run as tasks on that
/// runtime, so `send`/`recv` need no hop to another thread.
///
/// `send` and `recv` take `&self`: one task may send while another
/// receives (share the socket in an `Arc`), as a DEALER or ROUTER server
/// does.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ferrozmq::Error> {
/// use ferrozmq::{Context, SocketType};
///
/// let ctx = Context::new();
/// let mut pull = ctx.async_socket(SocketType::Pull)?;
/// pull.bind("tcp://127.0.0.1:*").await?;
/// let mut push = ctx.async_socket(SocketType::Push)?;
/// push.connect(&pull.last_endpoint().unwrap()).await?;
/// push.send("job 1").await?;
/// assert_eq!(pull.recv().await?.first().unwrap(), "job 1");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncSocket {
    pub(super) core: SocketCore,
}

/// A task that sends this many messages in a row without ever waiting
/// (no high-water mark stopped it) yields once, so that connection tasks
/// on its thread get to write what it queued (zmq.rs's PUB queued a
/// gigabyte and starved its writer). A send that waits yields anyway;
/// tokio's own budget (128 operations) would cost small messages a third
/// of their throughput.
const YIELD_EVERY: u32 = 1024;

impl AsyncSocket {
    pub(crate) fn new(core: SocketCore) -> Self {
        Self { core }
    }

    common_methods!();

    /// Binds to a local endpoint; see [`crate::Socket::bind`]. Name and
    /// interface look-ups run off the runtime.
    pub async fn bind(&self, endpoint: &str) -> Result<()> {
        let setup = self.core.bind_setup();
        self.bind_with(endpoint, move |given| Bound::new(given, &setup))
            .await
    }

    /// [`bind`](Self::bind) with its blocking step given (a test slows it).
    async fn bind_with(
        &self,
        endpoint: &str,
        bind: impl FnOnce(&str) -> Result<Bound> + Send + 'static,
    ) -> Result<()> {
        let given = endpoint.to_owned();
        let bound = self.core.off_runtime(move || bind(&given)).await;
        let bound = self.core.bind_failed(endpoint, bound)?;
        self.core.listen(bound)
    }

    /// Connects to an endpoint; see [`crate::Socket::connect`]. Interface
    /// look-ups run off the runtime (and the peer's name is looked up when
    /// each connection is made).
    pub async fn connect(&self, endpoint: &str) -> Result<()> {
        self.connect_with(endpoint, |given| Endpoint::parse(given, false))
            .await
    }

    /// [`connect`](Self::connect) with its blocking step given (a test
    /// slows it).
    async fn connect_with(
        &self,
        endpoint: &str,
        parse: fn(&str) -> Result<Endpoint>,
    ) -> Result<()> {
        let given = endpoint.to_owned();
        let parsed = self.core.off_runtime(move || parse(&given)).await?;
        self.core.connect(parsed, endpoint)
    }

    /// See [`crate::Socket::unbind`].
    pub async fn unbind(&self, endpoint: &str) -> Result<()> {
        self.core.unbind(endpoint)
    }

    /// See [`crate::Socket::disconnect`].
    pub async fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.core.disconnect(endpoint)
    }

    /// Closes the socket and waits until what it had queued is sent, or
    /// its linger period has passed. A socket made inside a runtime runs
    /// its connections there, so they end when that runtime ends: close
    /// it like this before returning from `main`, or messages still queued
    /// are lost. Dropping it closes it without waiting.
    pub async fn close(self) {
        self.core.close().flushed().await;
    }

    /// Sends a message, waiting while no peer can take it (up to the send
    /// timeout). On failure the message comes back in the error.
    ///
    /// Cancel safety: a send dropped before it completes (a losing
    /// `tokio::select!` branch) has not sent its message, which is dropped.
    pub fn send(
        &self,
        msg: impl Into<Message>,
    ) -> impl Future<Output = Result<(), SendError>> + Send + '_ {
        Sending {
            socket: self,
            msg: Some(msg.into()),
            wait: Wait::new(self.core.send_timeout.get()),
            started: false,
            waited: false,
        }
    }

    /// Receives a message, waiting until one arrives (up to the receive
    /// timeout).
    ///
    /// Cancel safety: a receive dropped before it completes has taken no
    /// message; the next one gets it.
    pub fn recv(&self) -> impl Future<Output = Result<Message>> + Send + '_ {
        Receiving {
            socket: self,
            wait: Wait::new(self.core.recv_timeout.get()),
        }
    }
}

/// How long a send or receive may wait; its timer is armed only once it
/// does wait, and zero means "don't".
struct Wait {
    timeout: Option<Duration>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Wait {
    fn new(timeout: Option<Duration>) -> Self {
        Self {
            timeout,
            timer: None,
        }
    }

    /// After the call found it must wait: whether its time is up (else the
    /// timer will wake the task when it is).
    fn is_up(&mut self, cx: &mut Context<'_>) -> bool {
        match self.timeout {
            None => false,
            Some(Duration::ZERO) => true,
            Some(t) => self
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(t)))
                .as_mut()
                .poll(cx)
                .is_ready(),
        }
    }

    fn error(&self) -> Error {
        expired(self.timeout)
    }
}

/// The future of [`AsyncSocket::send`].
struct Sending<'a> {
    socket: &'a AsyncSocket,
    /// The message, until it is queued (or comes back in an error).
    msg: Option<Message>,
    wait: Wait,
    /// The first poll has been made.
    started: bool,
    /// Some poll had to wait.
    waited: bool,
}

impl Future for Sending<'_> {
    type Output = Result<(), SendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let core = &this.socket.core;
        let mut routing = core.routing();
        if !this.started {
            this.started = true;
            if routing.sends_in_a_row >= YIELD_EVERY {
                // Before the message is queued, so that a send cancelled
                // here (a losing `select!` branch) has sent nothing.
                routing.sends_in_a_row = 0;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        match routing.poll_send(&core.shared.mailbox, cx, &mut this.msg) {
            Poll::Ready(result) => {
                routing.sends_in_a_row = if this.waited {
                    0
                } else {
                    routing.sends_in_a_row + 1
                };
                Poll::Ready(result)
            }
            Poll::Pending => {
                drop(routing);
                this.waited = true;
                if !this.wait.is_up(cx) {
                    return Poll::Pending;
                }
                Poll::Ready(Err(SendError {
                    error: this.wait.error(),
                    message: this.msg.take().unwrap_or_default(),
                }))
            }
        }
    }
}

/// The future of [`AsyncSocket::recv`].
struct Receiving<'a> {
    socket: &'a AsyncSocket,
    wait: Wait,
}

impl Future for Receiving<'_> {
    type Output = Result<Message>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let core = &this.socket.core;
        match core.routing().poll_recv(&core.shared.mailbox, cx) {
            Poll::Pending if this.wait.is_up(cx) => Poll::Ready(Err(this.wait.error())),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Condvar, Mutex};

    use super::*;
    use crate::Context;

    /// Set by a task of the test's runtime, once that runtime has run it.
    static TICKED: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

    /// Waits for [`TICKED`]: it comes only if the caller's runtime (one
    /// thread) is free while this runs.
    fn wait_for_the_runtime() -> Result<()> {
        let (flag, changed) = &TICKED;
        let flag = flag.lock().unwrap();
        let (flag, _) = changed
            .wait_timeout_while(flag, Duration::from_secs(10), |ticked| !*ticked)
            .unwrap();
        if *flag {
            Ok(())
        } else {
            Err(Error::Unsupported("the runtime was blocked".into()))
        }
    }

    fn tick() {
        *TICKED.0.lock().unwrap() = true;
        TICKED.1.notify_all();
    }

    /// An async bind or connect never blocks its runtime: name and
    /// interface look-ups (here, made to block until another task of a
    /// one-thread runtime has run) happen off it.
    #[test]
    fn look_ups_run_off_the_runtime() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let ctx = Context::new();
        runtime.block_on(async {
            let rep = ctx.async_socket(SocketType::Rep).unwrap();
            tokio::spawn(async { tick() });
            let setup = rep.core.bind_setup();
            let slow_bind =
                move |given: &str| wait_for_the_runtime().and_then(|()| Bound::new(given, &setup));
            rep.bind_with("tcp://127.0.0.1:*", slow_bind).await.unwrap();
            let req = ctx.async_socket(SocketType::Req).unwrap();
            let slow_parse =
                |given: &str| wait_for_the_runtime().and_then(|()| Endpoint::parse(given, false));
            let ep = rep.last_endpoint().unwrap();
            req.connect_with(&ep, slow_parse).await.unwrap();
            req.send("through").await.unwrap();
            assert_eq!(rep.recv().await.unwrap().first().unwrap(), "through");
        });
    }
}
