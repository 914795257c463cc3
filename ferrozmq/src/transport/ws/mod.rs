//! `ws://` and `wss://`: ZMTP over WebSocket, as RFC 45 (ZWS 2.0) says.
//!
//! A bound port may serve several paths, each its own socket: the port's
//! dispatcher accepts, reads each request's head (TLS first, for wss),
//! and hands the connection to the socket bound to its path; that
//! socket's session answers the upgrade with the subprotocol its security
//! takes ([`Transport::open`]) and runs ZMTP over the WebSocket. libzmq
//! asks for only the last segment of a path (`ws://h:p/a/b` sends
//! `GET /b`): a request that matches no path exactly goes to the one path
//! whose last segment it is.

mod http;
mod io;
mod stream;
mod tls;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use ferrozmq_proto::Zws;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tungstenite::protocol::Role;

use self::io::{Link, Tcp as SyncTcp};
use super::tcp::{self, Tcp};
use super::{Start, Transport};
use crate::endpoint::Endpoint;
use crate::options::Options;
use crate::peer::PeerAddress;
use crate::{Error, Result};
pub(crate) use stream::WsStream;
pub(crate) use tls::TlsOptions;

/// A request head that has not come whole within this is dropped.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections of one port whose request head is still awaited; past
/// this, new ones are closed at once.
const MAX_PENDING_HEADS: usize = 1024;
/// Upgraded connections waiting for their socket's session.
const QUEUE: usize = 128;

/// The WebSocket transport.
pub(crate) struct Ws;

/// A connection before its WebSocket opens.
#[derive(Debug)]
pub(crate) struct Raw(Opening);

#[derive(Debug)]
enum Opening {
    /// Accepted: its request is read, the answer is the session's.
    Accepted {
        link: Link,
        request: http::Request,
        early: Vec<u8>,
    },
    /// Connected: the request is still to send.
    Connected { link: Link, endpoint: Endpoint },
}

/// One bound path: the connections the port's dispatcher hands it.
#[derive(Debug)]
pub(crate) struct WsListener {
    port: Arc<Port>,
    path: String,
    accepted: mpsc::Receiver<(Raw, PeerAddress)>,
}

impl Drop for WsListener {
    fn drop(&mut self) {
        self.port.lock().remove(&self.path);
    }
}

/// A page a ws port serves to a plain `GET`: its content type and body.
pub(crate) type Page = (String, bytes::Bytes);

/// A bound port and its paths.
#[derive(Debug)]
struct Port {
    paths: Mutex<HashMap<String, mpsc::Sender<(Raw, PeerAddress)>>>,
    /// Pages for plain `GET`s, by path (the `http_page` option of the
    /// sockets bound to the port).
    pages: Mutex<HashMap<String, Page>>,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// Dropped with the port: its dispatcher stops.
    _alive: watch::Sender<()>,
}

impl Port {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, mpsc::Sender<(Raw, PeerAddress)>>> {
        self.paths.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where a request for `path` goes: the exact path, else the one
    /// bound path whose last segment it is (what libzmq asks for).
    fn route(&self, path: &str) -> Option<mpsc::Sender<(Raw, PeerAddress)>> {
        let paths = self.lock();
        if let Some(tx) = paths.get(path) {
            return Some(tx.clone());
        }
        let mut by_segment = paths
            .iter()
            .filter(|(bound, _)| bound.rsplit('/').next() == path.strip_prefix('/'));
        match (by_segment.next(), by_segment.next()) {
            (Some((_, tx)), None) => Some(tx.clone()),
            _ => None,
        }
    }
}

/// The ws ports bound in one context, by the address asked for.
#[derive(Debug, Default)]
pub(crate) struct Ports {
    ports: Mutex<HashMap<(String, u16), Weak<Port>>>,
}

impl Ports {
    /// Binds `endpoint` (a ws one): on a port of this context already
    /// serving other paths, or a new one. It may look names up and block.
    pub(crate) fn bind(
        &self,
        endpoint: &Endpoint,
        given: &str,
        options: &Options,
        runtime: &Handle,
    ) -> Result<(WsListener, Endpoint)> {
        let Endpoint::Ws {
            host,
            port,
            path,
            tls,
        } = endpoint
        else {
            return Err(Error::InvalidEndpoint(given.to_owned()));
        };
        let mut ports = self.ports.lock().unwrap_or_else(PoisonError::into_inner);
        ports.retain(|_, p| p.strong_count() > 0);
        let shared = (*port != 0)
            .then(|| ports.get(&(host.clone(), *port)).and_then(Weak::upgrade))
            .flatten();
        let (bound, resolved) = match shared {
            Some(bound) if bound.tls.is_some() == *tls => (bound, endpoint.clone()),
            Some(_) => return Err(Error::AddrInUse(given.to_owned())),
            None => {
                let server_tls = match tls {
                    true => Some(options.tls.server_config()?),
                    false => None,
                };
                let listener = tcp::bind(&endpoint.tcp(), given, options.ipv6)?;
                let local = listener.local_addr()?;
                let (alive, stopped) = watch::channel(());
                let bound = Arc::new(Port {
                    paths: Mutex::default(),
                    pages: Mutex::default(),
                    tls: server_tls,
                    _alive: alive,
                });
                let listener = {
                    let _runtime = runtime.enter();
                    TcpListener::from_std(listener)?
                };
                runtime.spawn(dispatch(listener, Arc::downgrade(&bound), stopped));
                // Found again by the host asked for, and by the address
                // it resolved to (a later bind of the resolved endpoint).
                ports.insert((host.clone(), local.port()), Arc::downgrade(&bound));
                ports.insert(
                    (local.ip().to_string(), local.port()),
                    Arc::downgrade(&bound),
                );
                let mut resolved = Endpoint::from_addr(local);
                if let Endpoint::Tcp { host, port, .. } = resolved {
                    resolved = Endpoint::Ws {
                        host,
                        port,
                        path: path.clone(),
                        tls: *tls,
                    };
                }
                (bound, resolved)
            }
        };
        bound
            .pages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(options.http_pages.iter().cloned());
        let (tx, accepted) = mpsc::channel(QUEUE);
        {
            let mut paths = bound.lock();
            if paths.contains_key(path) {
                return Err(Error::AddrInUse(given.to_owned()));
            }
            paths.insert(path.clone(), tx);
        }
        Ok((
            WsListener {
                port: bound,
                path: path.clone(),
                accepted,
            },
            resolved,
        ))
    }
}

/// Accepts on a port until it is dropped; each connection's head is read
/// in a task of its own, so a slow one holds up no other.
async fn dispatch(listener: TcpListener, port: Weak<Port>, mut stopped: watch::Receiver<()>) {
    let pending = Arc::new(AtomicUsize::new(0));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((tcp, peer)) = accepted else {
            // Out of descriptors, most likely: let some go first.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if pending.load(Ordering::Relaxed) >= MAX_PENDING_HEADS {
            continue;
        }
        let Some(bound) = port.upgrade() else {
            return;
        };
        pending.fetch_add(1, Ordering::Relaxed);
        let pending = pending.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(HEAD_TIMEOUT, route(tcp, peer.into(), bound)).await;
            pending.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Reads a connection's request and hands it to its path's socket, or
/// answers why not.
async fn route(tcp: tokio::net::TcpStream, peer: PeerAddress, port: Arc<Port>) {
    let _ = tcp.set_nodelay(true);
    let tcp = SyncTcp(tcp);
    let mut link = match &port.tls {
        Some(config) => match rustls::ServerConnection::new(config.clone()) {
            Ok(conn) => Link::Server(Box::new(rustls::StreamOwned::new(conn, tcp))),
            Err(_) => return,
        },
        None => Link::Plain(tcp),
    };
    let Ok((head, early)) = http::read_head(&mut link).await else {
        return;
    };
    let refusal = match http::parse_request(&head) {
        Ok(request) => match port.route(&request.path) {
            Some(socket) => {
                let raw = Raw(Opening::Accepted {
                    link,
                    request,
                    early,
                });
                match socket.try_send((raw, peer)) {
                    Ok(()) => return,
                    Err(refused) => {
                        let (Raw(Opening::Accepted { link: back, .. }), _) = refused.into_inner()
                        else {
                            return;
                        };
                        link = back;
                        http::Status::Unavailable
                    }
                }
            }
            None => http::Status::NotFound,
        },
        Err(http::Status::UpgradeRequired) => {
            let page = http::get_path(&head).and_then(|path| {
                let pages = port.pages.lock().unwrap_or_else(PoisonError::into_inner);
                pages.get(&path).cloned()
            });
            match page {
                Some((content_type, body)) => {
                    let response = http::page_response(&content_type, &body);
                    let _ = http::write_all(&mut link, &response).await;
                    link.close_notify();
                    return;
                }
                None => http::Status::UpgradeRequired,
            }
        }
        Err(status) => status,
    };
    let _ = http::write_all(&mut link, refusal.response()).await;
    link.close_notify();
}

impl Transport for Ws {
    type Stream = WsStream;
    type Raw = Raw;
    type Listener = WsListener;

    async fn accept(listener: &mut WsListener) -> std::io::Result<(Raw, PeerAddress)> {
        match listener.accepted.recv().await {
            Some(accepted) => Ok(accepted),
            // The port holds the sender as long as we hold the port.
            None => std::future::pending().await,
        }
    }

    async fn connect(endpoint: &Endpoint) -> std::io::Result<(Raw, PeerAddress)> {
        let (tcp, peer) = Tcp::connect(&endpoint.tcp()).await?;
        let link = Link::Plain(SyncTcp(tcp));
        Ok((
            Raw(Opening::Connected {
                link,
                endpoint: endpoint.clone(),
            }),
            peer,
        ))
    }

    async fn open(raw: Raw, options: &Options) -> std::io::Result<(WsStream, Start)> {
        let security = options.security();
        let max_frame = options
            .max_msg_size
            .map_or(stream::DEFAULT_MAX_FRAME, |max| {
                usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1)
            });
        match raw.0 {
            Opening::Accepted {
                mut link,
                request,
                early,
            } => {
                let Some((zws, offered)) = http::choose(&request, |z| security.accepts_zws(z))
                else {
                    let _ = http::write_all(&mut link, http::Status::BadRequest.response()).await;
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "websocket upgrade: no subprotocol this socket takes was offered",
                    ));
                };
                http::write_all(&mut link, &http::accept_response(&request, offered)).await?;
                Ok((
                    WsStream::new(link, Role::Server, early, max_frame),
                    Start::Zws(zws),
                ))
            }
            Opening::Connected { link, endpoint } => {
                let Endpoint::Ws {
                    host,
                    port,
                    path,
                    tls,
                } = &endpoint
                else {
                    return Err(std::io::ErrorKind::InvalidInput.into());
                };
                let mut link = match (tls, link) {
                    (true, Link::Plain(tcp)) => options.tls.client(host, tcp)?,
                    (_, link) => link,
                };
                let offers = security.zws_offers();
                let key = tungstenite::handshake::client::generate_key();
                let authority = Endpoint::Ws {
                    host: host.clone(),
                    port: *port,
                    path: String::new(),
                    tls: *tls,
                }
                .authority();
                http::write_all(&mut link, &http::request(&authority, path, &key, &offers)).await?;
                let (head, early) = http::read_head(&mut link).await?;
                let zws: Zws = http::parse_response(&head, &key, &offers)?;
                Ok((
                    WsStream::new(link, Role::Client, early, max_frame),
                    Start::Zws(zws),
                ))
            }
        }
    }
}
