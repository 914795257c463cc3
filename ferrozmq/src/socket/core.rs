//! [`SocketCore`]: what both socket fronts share: the routing state, the
//! part shared with the sessions, the endpoints and the tasks serving them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::watch;

use super::routing::Routing;
use super::shared::SocketShared;
use crate::blocking::deadline;
use crate::context::{ContextInner, Spawner, TaskSet};
use crate::endpoint::Endpoint;
use crate::endpoint::IpcAddr;
use crate::mailbox::Mailbox;
use crate::monitor::Event;
use crate::options::Options;
use crate::pattern::Behaviour;
use crate::pipe::{Closing, PipeId};
use crate::session::{Lifecycle, connect::Connecter, listen};
use crate::transport::Transport;
use crate::transport::ipc::{self, Ipc, IpcListener};
use crate::transport::tcp::{self, Tcp};
use crate::transport::ws::{Ws, WsListener};
use crate::{Error, Result, SocketType};

/// One socket: its routing state, endpoints and runtime. Dropping it
/// closes the socket.
#[derive(Debug)]
pub(crate) struct SocketCore {
    pub(crate) shared: Arc<SocketShared>,
    routing: Mutex<Routing>,
    spawner: Spawner,
    endpoints: Mutex<Endpoints>,
    /// Read on every send/recv, so kept out of the option lock.
    pub(crate) send_timeout: Timeout,
    pub(crate) recv_timeout: Timeout,
    /// Keeps the context's runtime alive while the socket is; holds its
    /// inproc names.
    ctx: Arc<ContextInner>,
}

#[derive(Debug, Default)]
struct Endpoints {
    list: Vec<EndpointEntry>,
    last: Option<String>,
}

#[derive(Debug)]
struct EndpointEntry {
    kind: Kind,
    /// The string the caller gave.
    given: String,
    /// The resolved form (a bind's real port), when different.
    resolved: String,
    /// Tells the endpoint's tasks to close.
    lifecycle: watch::Sender<Closing>,
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Bind,
    /// An inproc name this socket holds.
    BindInproc(String),
    /// A connect endpoint and its pipe.
    Connect(PipeId),
}

/// A bound listener, before it is handed to its runtime.
pub(crate) struct Bound {
    given: String,
    listener: Listener,
}

/// What binding needs from its socket, to take off the runtime.
pub(crate) struct BindSetup {
    options: Options,
    ctx: Arc<ContextInner>,
    runtime: Handle,
}

/// A bound listener of one transport.
enum Listener {
    Tcp(std::net::TcpListener),
    Ipc(std::os::unix::net::UnixListener, IpcAddr),
    /// A path on a ws port (shared, perhaps, with other sockets), and the
    /// resolved endpoint.
    Ws(WsListener, Endpoint),
    /// Nothing listens: the name is claimed in the context at `listen`.
    Inproc(String),
}

impl Bound {
    /// Parses, looks up and binds `given`; with `ipv6`, `*` is every
    /// interface of both families (libzmq's `ZMQ_IPV6`). It blocks on name
    /// and interface look-ups: the async API calls it off the runtime.
    pub(crate) fn new(given: &str, setup: &BindSetup) -> Result<Self> {
        let endpoint = Endpoint::parse(given, true)?;
        let listener = match &endpoint {
            Endpoint::Tcp { .. } => Listener::Tcp(tcp::bind(&endpoint, given, setup.options.ipv6)?),
            Endpoint::Ws { .. } => {
                let (listener, resolved) =
                    setup
                        .ctx
                        .ws
                        .bind(&endpoint, given, &setup.options, &setup.runtime)?;
                Listener::Ws(listener, resolved)
            }
            Endpoint::Ipc(addr) => Listener::Ipc(ipc::bind(addr, given)?, addr.clone()),
            Endpoint::Inproc(name) => Listener::Inproc(name.clone()),
        };
        Ok(Self {
            given: given.to_owned(),
            listener,
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic under these locks cannot leave them half-updated in a way
    // that matters more than losing the socket: go on.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SocketCore {
    pub(crate) fn new(
        ctx: Arc<ContextInner>,
        spawner: Spawner,
        socket_type: SocketType,
    ) -> Result<Self> {
        Ok(Self {
            shared: Arc::new(SocketShared::new(
                socket_type,
                spawner.on_callers_runtime(),
                Arc::downgrade(&ctx),
            )),
            routing: Mutex::new(Routing::new(socket_type)?),
            spawner,
            endpoints: Mutex::default(),
            send_timeout: Timeout::default(),
            recv_timeout: Timeout::default(),
            ctx,
        })
    }

    /// The routing state, for one `send` or `recv` step.
    pub(crate) fn routing(&self) -> MutexGuard<'_, Routing> {
        lock(&self.routing)
    }

    /// The routing state and the mailbox, for a caller that holds the
    /// socket exclusively (the blocking API's `&mut self` calls): no lock
    /// is taken, since only the socket's caller ever touches them.
    pub(crate) fn exclusive(&mut self) -> (&mut Routing, &Mailbox) {
        let routing = self
            .routing
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        (routing, &self.shared.mailbox)
    }

    /// Sets a routing option that only `types` have (libzmq: EINVAL on
    /// another type).
    pub(crate) fn behave(
        &self,
        types: &[SocketType],
        what: &'static str,
        change: impl FnOnce(&mut Behaviour),
    ) -> Result<()> {
        if !types.contains(&self.shared.socket_type) {
            return Err(Error::InvalidOption(what));
        }
        self.routing().configure(change);
        Ok(())
    }

    /// What a bind needs, to run off the runtime.
    pub(crate) fn bind_setup(&self) -> BindSetup {
        BindSetup {
            options: self.options(),
            ctx: self.ctx.clone(),
            runtime: self.spawner.handle().clone(),
        }
    }

    /// Reads a routing option.
    pub(crate) fn behaviour<T>(&self, read: impl FnOnce(&Behaviour) -> T) -> T {
        read(self.routing().behaviour())
    }

    pub(crate) fn options(&self) -> Options {
        self.shared.options()
    }

    pub(crate) fn set(&self, f: impl FnOnce(&mut Options)) -> Result<()> {
        self.shared.with_options(f);
        Ok(())
    }

    pub(crate) fn get<T>(&self, f: impl FnOnce(&Options) -> T) -> T {
        self.shared.with_options(|o| f(o))
    }

    pub(crate) fn last_endpoint(&self) -> Option<String> {
        lock(&self.endpoints).last.clone()
    }

    /// Runs `f` off the runtime (it blocks on look-ups) and waits for it.
    pub(crate) async fn off_runtime<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.spawner
            .spawn_blocking(f)
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?
    }

    /// Tells the monitors a listener is up, and starts accepting on it;
    /// returns its resolved endpoint.
    fn serve<T: Transport>(
        &self,
        listener: T::Listener,
        resolved: String,
        watch: Lifecycle,
    ) -> String {
        self.shared.emit(Event::Listening {
            endpoint: resolved.clone(),
        });
        let endpoint = resolved.as_str().into();
        let run = listen::run::<T>(
            listener,
            endpoint,
            self.shared.clone(),
            watch,
            self.spawner.child(),
        );
        self.spawner.spawn(run);
        resolved
    }

    /// Tells the monitors of a failed `bind`, and passes its result on.
    pub(crate) fn bind_failed(&self, endpoint: &str, bound: Result<Bound>) -> Result<Bound> {
        if let Err(e) = &bound {
            self.shared.emit(Event::BindFailed {
                endpoint: endpoint.to_owned(),
                error: e.to_string(),
            });
        }
        bound
    }

    /// Listens on a bound endpoint.
    pub(crate) fn listen(&self, bound: Bound) -> Result<()> {
        let (lifecycle, watch) = watch::channel(Closing::Open);
        let mut kind = Kind::Bind;
        let resolved = match bound.listener {
            Listener::Tcp(listener) => {
                let resolved = Endpoint::from_addr(listener.local_addr()?).to_string();
                let listener = {
                    let _runtime = self.spawner.enter();
                    tokio::net::TcpListener::from_std(listener)?
                };
                self.serve::<Tcp>(listener, resolved, watch)
            }
            Listener::Ipc(listener, addr) => {
                let listener = {
                    let _runtime = self.spawner.enter();
                    IpcListener::new(listener, &addr)?
                };
                self.serve::<Ipc>(listener, Endpoint::Ipc(addr).to_string(), watch)
            }
            Listener::Ws(listener, resolved) => {
                self.carries(&resolved)?;
                self.serve::<Ws>(listener, resolved.to_string(), watch)
            }
            Listener::Inproc(name) => {
                let endpoint = Endpoint::Inproc(name.clone());
                let claimed = self
                    .carries(&endpoint)
                    .and_then(|()| self.ctx.inproc.bind(&name, &self.shared));
                if let Err(e) = claimed {
                    self.shared.emit(Event::BindFailed {
                        endpoint: bound.given,
                        error: e.to_string(),
                    });
                    return Err(e);
                }
                kind = Kind::BindInproc(name.clone());
                Endpoint::Inproc(name).to_string()
            }
        };
        let mut endpoints = lock(&self.endpoints);
        endpoints.last = Some(resolved.clone());
        endpoints.list.push(EndpointEntry {
            kind,
            given: bound.given,
            resolved,
            lifecycle,
        });
        Ok(())
    }

    /// Starts connecting to a parsed endpoint: its pipe takes messages at
    /// once (with `immediate`, only while its connection is up).
    pub(crate) fn connect(&self, endpoint: Endpoint, given: &str) -> Result<()> {
        let resolved = endpoint.to_string();
        let immediate = self.get(|o| o.immediate);
        let named = self.shared.with_options(|o| o.connect_routing_id.take());
        self.carries(&endpoint)?;
        let (lifecycle, watch) = watch::channel(Closing::Open);
        if let Endpoint::Inproc(name) = &endpoint {
            let pipe = self.ctx.inproc.connect(name, &self.shared);
            let id = pipe.id;
            self.routing().attach_connect(pipe, immediate, named);
            self.add_connect(id, given, resolved, lifecycle);
            return Ok(());
        }
        let (pipe, end) = self.shared.new_pipe();
        let id = pipe.id;
        self.routing().attach_connect(pipe, immediate, named);
        let connecter = Connecter {
            endpoint: endpoint.clone(),
            name: given.into(),
            pipe: id,
            end,
            shared: self.shared.clone(),
            lifecycle: watch,
        };
        match endpoint {
            Endpoint::Ipc(_) => self.spawner.spawn(connecter.run::<Ipc>()),
            Endpoint::Ws { .. } => self.spawner.spawn(connecter.run::<Ws>()),
            _ => self.spawner.spawn(connecter.run::<Tcp>()),
        }
        self.add_connect(id, given, resolved, lifecycle);
        Ok(())
    }

    fn add_connect(
        &self,
        id: PipeId,
        given: &str,
        resolved: String,
        lifecycle: watch::Sender<Closing>,
    ) {
        let mut endpoints = lock(&self.endpoints);
        endpoints.last = Some(given.to_owned());
        endpoints.list.push(EndpointEntry {
            kind: Kind::Connect(id),
            given: given.to_owned(),
            resolved,
            lifecycle,
        });
    }

    /// Whether the socket's type can use the endpoint's transport: a
    /// STREAM socket's peers are raw TCP or IPC byte streams, as in
    /// libzmq.
    fn carries(&self, endpoint: &Endpoint) -> Result<()> {
        let raw = self.shared.socket_type == SocketType::Stream;
        match endpoint {
            Endpoint::Inproc(_) | Endpoint::Ws { .. } if raw => Err(Error::Unsupported(format!(
                "STREAM sockets over {}",
                endpoint.to_string().split("://").next().unwrap_or_default()
            ))),
            _ => Ok(()),
        }
    }

    pub(crate) fn unbind(&self, endpoint: &str) -> Result<()> {
        self.close_endpoint(endpoint, |kind| {
            matches!(kind, Kind::Bind | Kind::BindInproc(_))
        })
    }

    /// The pipe leaves the routing at once (no new message goes to it);
    /// what it already holds is flushed within the linger period.
    pub(crate) fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.close_endpoint(endpoint, |kind| matches!(kind, Kind::Connect(_)))
    }

    fn close_endpoint(&self, name: &str, kind: impl Fn(&Kind) -> bool) -> Result<()> {
        let closing = self.linger_deadline();
        let entry = {
            let mut endpoints = lock(&self.endpoints);
            let index = endpoints
                .list
                .iter()
                .position(|e| kind(&e.kind) && (e.given == name || e.resolved == name))
                .ok_or_else(|| Error::EndpointNotFound(name.to_owned()))?;
            endpoints.list.remove(index)
        };
        match &entry.kind {
            Kind::Connect(pipe) => self.routing().close_pipe(*pipe, closing),
            Kind::BindInproc(name) => {
                let pipes = self.ctx.inproc.unbind(name, &self.shared);
                self.routing()
                    .close_pipes(&self.shared.mailbox, &pipes, closing);
            }
            Kind::Bind => {}
        }
        entry.lifecycle.send_replace(closing);
        Ok(())
    }

    fn linger_deadline(&self) -> Closing {
        Closing::Linger(deadline(self.options().linger))
    }

    /// Closes the socket (as dropping it does) and returns what to wait on
    /// for its tasks to end: each flushes within the linger period. The
    /// context stays alive until the wait is over.
    pub(crate) fn close(mut self) -> Closed {
        let tasks = self.spawner.take_socket_tasks();
        let ctx = self.ctx.clone();
        drop(self);
        Closed { tasks, _ctx: ctx }
    }
}

/// A send or receive timeout; `None` (wait forever) is stored as `u64::MAX`.
#[derive(Debug)]
pub(crate) struct Timeout(AtomicU64);

impl Default for Timeout {
    fn default() -> Self {
        Self(AtomicU64::new(u64::MAX))
    }
}

impl Timeout {
    pub(crate) fn get(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            u64::MAX => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    pub(crate) fn set(&self, timeout: Option<Duration>) {
        let nanos = timeout.map_or(u64::MAX, |t| {
            u64::try_from(t.as_nanos())
                .unwrap_or(u64::MAX - 1)
                .min(u64::MAX - 1)
        });
        self.0.store(nanos, Ordering::Relaxed);
    }
}

/// A closed socket whose tasks may still be flushing.
pub(crate) struct Closed {
    tasks: Option<TaskSet>,
    _ctx: Arc<ContextInner>,
}

impl Closed {
    /// Resolves once every task of the socket has ended.
    pub(crate) async fn flushed(self) {
        if let Some(tasks) = self.tasks {
            tasks.wait().await;
        }
    }
}

impl Drop for SocketCore {
    fn drop(&mut self) {
        let closing = self.linger_deadline();
        self.routing().close(&self.shared.mailbox, closing);
        for entry in &lock(&self.endpoints).list {
            entry.lifecycle.send_replace(closing);
            if let Kind::BindInproc(name) = &entry.kind {
                self.ctx.inproc.unbind(name, &self.shared);
            }
        }
    }
}
