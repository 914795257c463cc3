//! `ipc://`: Unix domain sockets, at a file path or (Linux) an abstract
//! name. A bound path is created by `bind` and removed when its listener
//! goes; a file left by a process that died is replaced, one a live
//! listener holds is `AddrInUse`.

use std::io::{self, IoSlice};
use std::os::unix::net::SocketAddr as UnixAddr;
use std::path::PathBuf;
use std::task::{Context, Poll};

use bytes::BufMut;
use tokio::net::{UnixListener, UnixStream};

use super::{Start, Stream, Transport};
use crate::endpoint::{Endpoint, IpcAddr};
use crate::options::Options;
use crate::peer::PeerAddress;
use crate::{Error, Result};

/// The ipc transport.
pub(crate) struct Ipc;

/// A bound ipc listener; its file (if it has one) is removed with it.
#[derive(Debug)]
pub(crate) struct IpcListener {
    listener: UnixListener,
    path: Option<PathBuf>,
}

impl Drop for IpcListener {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The address of an `ipc://` endpoint.
fn address(addr: &IpcAddr) -> io::Result<UnixAddr> {
    match addr {
        IpcAddr::Path(path) => UnixAddr::from_pathname(path),
        #[cfg(any(target_os = "linux", target_os = "android"))]
        IpcAddr::Abstract(name) => {
            use std::os::linux::net::SocketAddrExt;
            UnixAddr::from_abstract_name(name.as_bytes())
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        IpcAddr::Abstract(_) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "abstract socket names are Linux's",
        )),
    }
}

/// Binds `addr` (blocking: called off the runtime by the async API). A
/// file already at the path is taken over only if nothing listens on it.
pub(crate) fn bind(addr: &IpcAddr, original: &str) -> Result<std::os::unix::net::UnixListener> {
    let refused = |e: io::Error| match e.kind() {
        io::ErrorKind::AddrInUse => Error::AddrInUse(original.to_owned()),
        _ => Error::Io(e),
    };
    let unix = address(addr).map_err(|_| Error::InvalidEndpoint(original.to_owned()))?;
    match std::os::unix::net::UnixListener::bind_addr(&unix) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            let IpcAddr::Path(path) = addr else {
                return Err(refused(e));
            };
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(refused(e));
            }
            // A dead process's socket file: nothing answers on it.
            std::fs::remove_file(path).map_err(Error::Io)?;
            std::os::unix::net::UnixListener::bind_addr(&unix).map_err(refused)
        }
        bound => bound.map_err(refused),
    }
    .and_then(|listener| {
        listener.set_nonblocking(true)?;
        Ok(listener)
    })
}

impl IpcListener {
    /// Takes a bound listener onto the current runtime; `addr` says which
    /// file to remove when it goes.
    pub(crate) fn new(
        listener: std::os::unix::net::UnixListener,
        addr: &IpcAddr,
    ) -> io::Result<Self> {
        Ok(Self {
            listener: UnixListener::from_std(listener)?,
            path: match addr {
                IpcAddr::Path(path) => Some(path.clone()),
                IpcAddr::Abstract(_) => None,
            },
        })
    }
}

impl Transport for Ipc {
    type Stream = UnixStream;
    type Raw = UnixStream;
    type Listener = IpcListener;

    async fn accept(listener: &mut IpcListener) -> io::Result<(UnixStream, PeerAddress)> {
        let (stream, _) = listener.listener.accept().await?;
        Ok((stream, PeerAddress::Ipc))
    }

    async fn connect(endpoint: &Endpoint) -> io::Result<(UnixStream, PeerAddress)> {
        let Endpoint::Ipc(addr) = endpoint else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not an ipc endpoint",
            ));
        };
        let std_stream = match addr {
            IpcAddr::Path(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || std::os::unix::net::UnixStream::connect(path))
                    .await
                    .map_err(io::Error::other)??
            }
            IpcAddr::Abstract(_) => std::os::unix::net::UnixStream::connect_addr(&address(addr)?)?,
        };
        std_stream.set_nonblocking(true)?;
        Ok((UnixStream::from_std(std_stream)?, PeerAddress::Ipc))
    }

    async fn open(stream: UnixStream, _: &Options) -> io::Result<(UnixStream, Start)> {
        Ok((stream, Start::Greeting))
    }
}

impl Stream for UnixStream {
    super::tokio_stream_methods!(UnixStream);
}
