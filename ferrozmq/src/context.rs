//! [`Context`]: owns the I/O runtime that runs the connection tasks.

use std::future::Future;
use std::sync::Arc;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::mpsc;

use crate::blocking::block_on;
use crate::socket::{AsyncSocket, Socket, SocketCore};
use crate::transport::inproc::Registry;
use crate::transport::ws::Ports;
use crate::{Error, Result, SocketType};

/// The home of a set of sockets: it owns the I/O threads (a tokio runtime,
/// one thread by default, like libzmq's `io_threads = 1`).
///
/// Cloning is cheap and gives another handle to the same context. The
/// runtime lives until the last context handle and the last socket are
/// dropped; then the drop waits for closed sockets to flush what they still
/// hold, each within its `linger` period. Inside a tokio runtime, where it
/// must not block, it leaves the flush to a thread of its own, which a
/// process that exits right after cuts short: there, close the sockets
/// ([`Socket::close`], [`AsyncSocket::close`]) to be sure. The connections
/// of an [`AsyncSocket`] made inside a runtime run on that runtime and end
/// with it: close it before the runtime ends.
#[derive(Clone, Debug)]
pub struct Context {
    inner: Arc<ContextInner>,
}

#[derive(Debug)]
pub(crate) struct ContextInner {
    runtime: Option<Runtime>,
    /// The tasks on this context's own runtime (not those of async sockets
    /// on a caller's runtime: nothing here could wait for those).
    tasks: Option<TaskSet>,
    /// The `inproc://` names bound in this context.
    pub(crate) inproc: Registry,
    /// The `ws://` ports bound in this context, each serving its paths.
    pub(crate) ws: Ports,
}

impl Context {
    /// A context with one I/O thread.
    ///
    /// # Panics
    ///
    /// If the operating system refuses to start a thread.
    pub fn new() -> Self {
        Self::with_io_threads(1).expect("cannot start the ferrozmq I/O thread")
    }

    /// A context with `n` I/O threads (at least one).
    pub fn with_io_threads(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidOption("io_threads must be at least 1"));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .thread_name("ferrozmq-io")
            .enable_all()
            .build()?;
        Ok(Self {
            inner: Arc::new(ContextInner {
                runtime: Some(runtime),
                tasks: Some(TaskSet::new()),
                inproc: Registry::default(),
                ws: Ports::default(),
            }),
        })
    }

    /// A socket with the blocking API. Its connections run on this
    /// context's I/O threads.
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        let spawner = self.inner.spawner(None);
        Ok(Socket::new(SocketCore::new(
            self.inner.clone(),
            spawner,
            socket_type,
        )?))
    }

    /// A socket with the async API. Created inside a tokio runtime, its
    /// connections run on that runtime (no hop to another thread);
    /// otherwise on this context's I/O threads.
    pub fn async_socket(&self, socket_type: SocketType) -> Result<AsyncSocket> {
        let spawner = self.inner.spawner(Handle::try_current().ok());
        Ok(AsyncSocket::new(SocketCore::new(
            self.inner.clone(),
            spawner,
            socket_type,
        )?))
    }
}

impl Default for Context {
    fn default() -> Self {
        Self::new()
    }
}

impl ContextInner {
    /// A spawner for a new socket: on `callers` runtime if given, else on
    /// this context's, whose tasks its drop waits for.
    pub(crate) fn spawner(&self, callers: Option<Handle>) -> Spawner {
        let socket = TaskSet::new();
        let (handle, context) = match callers {
            Some(handle) => (handle, None),
            None => (
                // The runtime and the task set are only taken out in `drop`.
                self.runtime
                    .as_ref()
                    .expect("runtime present until drop")
                    .handle()
                    .clone(),
                self.tasks.as_ref().map(TaskSet::token),
            ),
        };
        Spawner {
            handle,
            tokens: Tokens {
                _socket: socket.token(),
                _context: context,
            },
            socket_tasks: Some(socket),
        }
    }
}

impl Drop for ContextInner {
    /// Waits for lingering sockets to flush (each within its linger
    /// period), then stops the I/O threads.
    fn drop(&mut self) {
        let (Some(runtime), Some(tasks)) = (self.runtime.take(), self.tasks.take()) else {
            return;
        };
        if Handle::try_current().is_err() {
            block_on(tasks.wait(), None);
            drop(runtime);
            return;
        }
        // Blocking here would stall the caller's runtime (and tokio forbids
        // dropping a runtime there): a thread of its own waits instead.
        let runtime = StopInBackground(Some(runtime));
        let waiter = std::thread::Builder::new()
            .name("ferrozmq-linger".into())
            .spawn(move || {
                block_on(tasks.wait(), None);
                drop(runtime);
            });
        if let Err(e) = waiter {
            tracing::warn!(error = %e, "no thread to wait for lingering sockets; they are cut short");
        }
    }
}

/// A runtime that, when dropped, stops without waiting for its threads:
/// the one way to stop it that is allowed inside another runtime.
struct StopInBackground(Option<Runtime>);

impl Drop for StopInBackground {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Spawns one socket's tasks on its runtime. Every task holds the socket's
/// token, and on the context's runtime the context's too, so that closing
/// either can wait for them.
#[derive(Debug)]
pub(crate) struct Spawner {
    handle: Handle,
    tokens: Tokens,
    /// The socket's own set, taken by whoever waits for it to close.
    socket_tasks: Option<TaskSet>,
}

/// Held, never read: what counts is when they are dropped.
#[derive(Clone, Debug)]
struct Tokens {
    _socket: Token,
    _context: Option<Token>,
}

impl Spawner {
    /// Spawns `future`, which holds the tokens until it finishes or is
    /// dropped.
    pub(crate) fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let tokens = self.tokens.clone();
        self.handle.spawn(async move {
            let _tokens = tokens;
            future.await;
        });
    }

    /// Whether the tasks run on the runtime of the socket's caller (an
    /// async socket made inside one), rather than the context's threads.
    pub(crate) fn on_callers_runtime(&self) -> bool {
        self.tokens._context.is_none()
    }

    /// A spawner for the tasks a task spawns (an accept loop's
    /// connections): same runtime, same tokens.
    pub(crate) fn child(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            tokens: self.tokens.clone(),
            socket_tasks: None,
        }
    }

    /// Runs `f` on the runtime's blocking threads (for work that would
    /// stall its workers, such as name look-ups).
    pub(crate) fn spawn_blocking<T, F>(&self, f: F) -> tokio::task::JoinHandle<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// The runtime the socket's tasks run on.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Enters the runtime, as creating a tokio socket needs.
    pub(crate) fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.handle.enter()
    }

    /// The socket's task set, to wait for once the socket is closed; the
    /// spawner's own token is dropped with it.
    pub(crate) fn take_socket_tasks(&mut self) -> Option<TaskSet> {
        self.socket_tasks.take()
    }
}

/// Held by a task of a [`TaskSet`].
type Token = mpsc::Sender<()>;

/// A set of tasks to wait for: each holds a [`Token`], and [`TaskSet::wait`]
/// returns once every token is gone. Nothing is ever sent: a channel's
/// receiver learns when its last sender is dropped.
#[derive(Debug)]
pub(crate) struct TaskSet {
    token: Token,
    gone: mpsc::Receiver<()>,
}

impl TaskSet {
    fn new() -> Self {
        let (token, gone) = mpsc::channel(1);
        Self { token, gone }
    }

    fn token(&self) -> Token {
        self.token.clone()
    }

    /// Resolves once every token handed out is dropped.
    pub(crate) async fn wait(self) {
        let Self { token, mut gone } = self;
        drop(token);
        while gone.recv().await.is_some() {}
    }
}
