//! TCP: bind a listener, accept, connect (from a source address if the
//! endpoint names one).

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::BufMut;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::{Start, Stream, Transport, Tuning};
use crate::endpoint::Endpoint;
use crate::options::Options;
use crate::peer::PeerAddress;
use crate::{Error, Result};

/// The TCP transport.
pub(crate) struct Tcp;

/// Binds a listening socket to the first of the endpoint's addresses that
/// works. It looks names up and blocks: the async API calls it off the
/// runtime.
///
/// Binding is synchronous so that "address in use" is the caller's error,
/// not a background task's.
pub(crate) fn bind(
    endpoint: &Endpoint,
    original: &str,
    ipv6: bool,
) -> Result<std::net::TcpListener> {
    if ipv6 && endpoint.is_wildcard() {
        return bind_dual_stack(endpoint.port()).map_err(|e| bind_error(e, original));
    }
    let addrs = endpoint
        .bind_addrs()
        .map_err(|_| Error::InvalidEndpoint(original.to_owned()))?;
    let mut last = Error::InvalidEndpoint(original.to_owned());
    for addr in addrs {
        match std::net::TcpListener::bind(addr) {
            Ok(listener) => {
                listener.set_nonblocking(true)?;
                return Ok(listener);
            }
            Err(e) => last = bind_error(e, original),
        }
    }
    Err(last)
}

/// Every interface of both families on `port`: one IPv6 socket that takes
/// IPv4 connections too (as IPv4-mapped addresses).
fn bind_dual_stack(port: u16) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV6, Type::STREAM, None)?;
    socket.set_only_v6(false)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, port)).into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

fn bind_error(e: io::Error, endpoint: &str) -> Error {
    match e.kind() {
        io::ErrorKind::AddrInUse => Error::AddrInUse(endpoint.to_owned()),
        io::ErrorKind::AddrNotAvailable => Error::AddrNotAvailable(endpoint.to_owned()),
        _ => Error::Io(e),
    }
}

impl Transport for Tcp {
    type Stream = TcpStream;
    type Raw = TcpStream;
    type Listener = TcpListener;

    async fn accept(listener: &mut TcpListener) -> io::Result<(TcpStream, PeerAddress)> {
        let (stream, peer) = listener.accept().await?;
        Ok((ready(stream), peer.into()))
    }

    async fn connect(endpoint: &Endpoint) -> io::Result<(TcpStream, PeerAddress)> {
        let stream = dial(endpoint).await?;
        let peer = stream.peer_addr()?;
        Ok((ready(stream), peer.into()))
    }

    async fn open(stream: TcpStream, _: &Options) -> io::Result<(TcpStream, Start)> {
        Ok((stream, Start::Greeting))
    }
}

/// At most this many bytes wait in the kernel, written but not yet sent
/// because the peer does not take them: past it, the engine stops writing
/// and messages wait in the pipe, under the high-water mark. (Without it,
/// a peer that stops reading lets the kernel's send buffer, which Linux
/// grows to megabytes, swallow messages the HWM was meant to hold back, as
/// libzmq's does.)
const UNSENT_LIMIT: u32 = 256 * 1024;

/// Prepares a new connection: small messages must not wait for Nagle
/// (libzmq sets this too), and the kernel holds back little unsent.
fn ready(stream: TcpStream) -> TcpStream {
    let _ = stream.set_nodelay(true);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = socket2::SockRef::from(&stream).set_tcp_notsent_lowat(UNSENT_LIMIT);
    stream
}

/// Opens a connection to `endpoint`, from its source address if it names
/// one: each of the peer's addresses in the source's family is tried in
/// turn, as `TcpStream::connect` tries them all.
async fn dial(endpoint: &Endpoint) -> io::Result<TcpStream> {
    let Endpoint::Tcp {
        source: Some(source),
        ..
    } = endpoint
    else {
        return TcpStream::connect(endpoint.authority()).await;
    };
    let mut failed = None;
    for peer in tokio::net::lookup_host(endpoint.authority()).await? {
        if peer.is_ipv4() != source.is_ipv4() {
            continue;
        }
        let socket = match peer {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        // As in libzmq: connects to several peers may share a source port.
        socket.set_reuseaddr(true)?;
        socket.bind(*source)?;
        match socket.connect(peer).await {
            Ok(stream) => return Ok(stream),
            Err(e) => failed = Some(e),
        }
    }
    Err(failed.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("{endpoint}: the peer has no address in the source's family"),
        )
    }))
}

impl Stream for TcpStream {
    super::tokio_stream_methods!(TcpStream);

    /// Each option the system refuses is left at its default: a
    /// connection is not dropped for a tuning it could not have.
    fn tune(&self, tuning: &Tuning) {
        let socket = socket2::SockRef::from(self);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(bytes) = tuning.unsent_limit {
            let _ = socket.set_tcp_notsent_lowat(bytes);
        }
        if let Some(bytes) = tuning.sndbuf {
            let _ = socket.set_send_buffer_size(bytes);
        }
        if let Some(bytes) = tuning.rcvbuf {
            let _ = socket.set_recv_buffer_size(bytes);
        }
        if let Some(tos) = tuning.tos {
            let _ = match self.local_addr() {
                Ok(addr) if addr.is_ipv6() => socket.set_tclass_v6(tos),
                _ => socket.set_tos_v4(tos),
            };
        }
        if let Some(on) = tuning.keepalive {
            let _ = socket.set_keepalive(on);
        }
        if tuning.keepalive == Some(true) {
            let mut keepalive = socket2::TcpKeepalive::new();
            if let Some(idle) = tuning.keepalive_idle {
                keepalive = keepalive.with_time(idle);
            }
            if let Some(intvl) = tuning.keepalive_intvl {
                keepalive = keepalive.with_interval(intvl);
            }
            if let Some(cnt) = tuning.keepalive_cnt {
                keepalive = keepalive.with_retries(cnt);
            }
            let _ = socket.set_tcp_keepalive(&keepalive);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Each option of a `Tuning` reaches the connection's kernel socket.
    #[tokio::test]
    async fn tuning_reaches_the_kernel() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let tuning = Tuning {
            sndbuf: Some(300_000),
            rcvbuf: Some(200_000),
            tos: Some(0x10),
            keepalive: Some(true),
            keepalive_idle: Some(Duration::from_secs(77)),
            keepalive_intvl: Some(Duration::from_secs(7)),
            keepalive_cnt: Some(5),
            ..Tuning::default()
        };
        client.tune(&tuning);
        let socket = socket2::SockRef::from(&client);
        // Linux doubles what is asked, for its own bookkeeping.
        assert!(socket.send_buffer_size().unwrap() >= 300_000);
        assert!(socket.recv_buffer_size().unwrap() >= 200_000);
        assert_eq!(socket.tos_v4().unwrap(), 0x10);
        assert!(socket.keepalive().unwrap());
        assert_eq!(
            socket.tcp_keepalive_time().unwrap(),
            Duration::from_secs(77)
        );
        assert_eq!(
            socket.tcp_keepalive_interval().unwrap(),
            Duration::from_secs(7)
        );
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), 5);
    }
}
