//! [`Context`]: owns the I/O runtime that runs the connection tasks.

use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tokio::runtime::{Handle, Runtime};

use crate::socket::{AsyncSocket, Socket, SocketCore};
use crate::{Error, Result, SocketType};

/// The home of a set of sockets: it owns the I/O threads (a tokio runtime,
/// one thread by default, like libzmq's `io_threads = 1`).
///
/// Cloning is cheap and gives another handle to the same context. The
/// runtime lives until the last context handle and the last socket are
/// dropped; then the drop waits for closed sockets to flush what they still
/// hold, each within its `linger` period.
#[derive(Clone, Debug)]
pub struct Context {
    inner: Arc<ContextInner>,
}

#[derive(Debug)]
pub(crate) struct ContextInner {
    runtime: Option<Runtime>,
    tasks: Arc<Tasks>,
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
                tasks: Arc::default(),
            }),
        })
    }

    /// A socket with the blocking API. Its connections run on this
    /// context's I/O threads.
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        let handle = self.inner.handle().clone();
        Ok(Socket::new(SocketCore::new(
            self.inner.clone(),
            handle,
            socket_type,
        )?))
    }

    /// A socket with the async API. Created inside a tokio runtime, its
    /// connections run on that runtime (no hop to another thread);
    /// otherwise on this context's I/O threads.
    pub fn async_socket(&self, socket_type: SocketType) -> Result<AsyncSocket> {
        let handle = Handle::try_current().unwrap_or_else(|_| self.inner.handle().clone());
        Ok(AsyncSocket::new(SocketCore::new(
            self.inner.clone(),
            handle,
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
    fn handle(&self) -> &Handle {
        // The runtime is only taken out in `drop`.
        self.runtime
            .as_ref()
            .expect("runtime present until drop")
            .handle()
    }
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        if Handle::try_current().is_ok() {
            // Blocking here would stall the caller's runtime.
            runtime.shutdown_background();
        } else {
            self.tasks.wait_idle();
            drop(runtime);
        }
    }
}

/// Spawns a socket's tasks on its runtime, counted by its context.
#[derive(Clone, Debug)]
pub(crate) struct Spawner {
    tasks: Arc<Tasks>,
    handle: Handle,
}

impl Spawner {
    pub(crate) fn new(ctx: &ContextInner, handle: Handle) -> Self {
        Self {
            tasks: ctx.tasks.clone(),
            handle,
        }
    }

    /// Spawns `future`, counted until it finishes or is dropped.
    pub(crate) fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        *self.tasks.lock() += 1;
        let guard = TaskGuard(self.tasks.clone());
        self.handle.spawn(async move {
            let _guard = guard;
            future.await;
        });
    }

    /// Enters the runtime, as creating a tokio socket needs.
    pub(crate) fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.handle.enter()
    }
}

/// Counts the live connection tasks of a context, so that its drop can wait
/// for lingering sockets.
#[derive(Debug, Default)]
struct Tasks {
    count: Mutex<usize>,
    idle: Condvar,
}

impl Tasks {
    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.count.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_idle(&self) {
        let mut count = self.lock();
        while *count > 0 {
            count = self
                .idle
                .wait(count)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

struct TaskGuard(Arc<Tasks>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let mut count = self.0.lock();
        *count -= 1;
        if *count == 0 {
            self.0.idle.notify_all();
        }
    }
}
