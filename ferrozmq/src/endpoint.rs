//! Endpoint strings: `tcp://host:port`, `ipc://path`, `inproc://name` and
//! `ws://host:port/path` (`wss://` too).

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::{Error, Result};

/// A parsed endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `tcp://host:port`. `host` is `*`, an IP address (IPv6 in brackets
    /// in the string, without them here, its scope as an interface index)
    /// or a DNS name; `port` 0 means an ephemeral port (written `*` or
    /// `0`). A connect may name the local
    /// address to connect from, as libzmq's `tcp://source;host:port` does:
    /// `source` is `*` (every IPv4 interface), an IP address or a network
    /// interface's, and its port `*` or `0` lets the system choose.
    Tcp {
        host: String,
        port: u16,
        source: Option<SocketAddr>,
    },
    /// `ipc://path`: a Unix domain socket at a file path, or (Linux)
    /// `ipc://@name`, a name in the abstract namespace.
    Ipc(IpcAddr),
    /// `inproc://name`: a name among the sockets of one context.
    Inproc(String),
    /// `ws://host:port/path` (`wss://` with `tls`): ZMTP over WebSocket
    /// (RFC 45). Host and port as for TCP; the path is `/` when none is
    /// given.
    Ws {
        host: String,
        port: u16,
        path: String,
        tls: bool,
    },
}

/// Where an `ipc://` endpoint is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum IpcAddr {
    Path(std::path::PathBuf),
    Abstract(String),
}

/// The most bytes a Unix socket's path may have (`sun_path` is 108 bytes
/// with its terminating zero on Linux).
const IPC_PATH_MAX: usize = 107;

impl Endpoint {
    /// Parses an endpoint string. `for_bind` allows `*` and port 0, and
    /// rules out a source address.
    pub(crate) fn parse(s: &str, for_bind: bool) -> Result<Self> {
        let invalid = || Error::InvalidEndpoint(s.to_owned());
        let (scheme, rest) = s.split_once("://").ok_or_else(invalid)?;
        match scheme {
            "tcp" => {}
            "ipc" => return parse_ipc(rest).ok_or_else(invalid),
            "inproc" if !rest.is_empty() => return Ok(Self::Inproc(rest.to_owned())),
            "inproc" => return Err(invalid()),
            "ws" | "wss" => return parse_ws(rest, scheme == "wss", for_bind).ok_or_else(invalid),
            "pgm" | "epgm" | "tipc" | "vmci" | "udp" => {
                return Err(Error::Unsupported(format!("transport {scheme}:// ({s})")));
            }
            _ => return Err(invalid()),
        }
        let (source, peer) = match rest.rsplit_once(';') {
            Some((source, peer)) if !for_bind => {
                (Some(parse_source(source).ok_or_else(invalid)?), peer)
            }
            _ => (None, rest),
        };
        let (host, port) = parse_host_port(peer, for_bind).ok_or_else(invalid)?;
        Ok(Self::Tcp { host, port, source })
    }

    /// The addresses to bind, best first: `*` is every IPv4 interface (as
    /// in libzmq without its IPv6 option; `[::]` is every interface); a
    /// literal address is taken as it is; a name is, as in libzmq, first a
    /// network interface (`eth0`: its addresses) and else a host name to
    /// resolve. IPv4 addresses come first, so that `localhost` means
    /// 127.0.0.1 where libzmq peers look for it.
    pub(crate) fn bind_addrs(&self) -> std::io::Result<Vec<SocketAddr>> {
        let mut addrs = self.local_addrs();
        if addrs.is_empty() {
            addrs = self.authority().to_socket_addrs()?.collect();
            addrs.sort_by_key(SocketAddr::is_ipv6);
        }
        Ok(addrs)
    }

    /// What the host means with no name looked up: `*`, a literal, or a
    /// network interface's addresses (IPv4 first); none for anything else.
    fn local_addrs(&self) -> Vec<SocketAddr> {
        let Self::Tcp { host, port, .. } = self else {
            return Vec::new();
        };
        if host == "*" {
            return vec![SocketAddr::from(([0, 0, 0, 0], *port))];
        }
        if let Ok(literal) = self.authority().parse() {
            return vec![literal];
        }
        let mut addrs = interface_addrs(host, *port);
        addrs.sort_by_key(SocketAddr::is_ipv6);
        addrs
    }

    /// Whether the host is `*`, every interface.
    pub(crate) fn is_wildcard(&self) -> bool {
        matches!(self, Self::Tcp { host, .. } if host == "*")
    }

    /// The port (0: any).
    pub(crate) fn port(&self) -> u16 {
        match self {
            Self::Tcp { port, .. } => *port,
            Self::Ws { port, .. } => *port,
            Self::Ipc(_) | Self::Inproc(_) => 0,
        }
    }

    /// The TCP endpoint under a WebSocket one (itself for TCP).
    pub(crate) fn tcp(&self) -> Self {
        match self {
            Self::Ws { host, port, .. } => Self::Tcp {
                host: host.clone(),
                port: *port,
                source: None,
            },
            other => other.clone(),
        }
    }

    /// The `host:port` string handed to the resolver.
    pub(crate) fn authority(&self) -> String {
        let (Self::Tcp { host, port, .. } | Self::Ws { host, port, .. }) = self else {
            return String::new();
        };
        if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }
    }

    /// The endpoint string of a bound or connected address.
    pub(crate) fn from_addr(addr: SocketAddr) -> Self {
        let host = match addr {
            SocketAddr::V6(v6) if v6.scope_id() != 0 => format!("{}%{}", v6.ip(), v6.scope_id()),
            _ => addr.ip().to_string(),
        };
        Self::Tcp {
            host,
            port: addr.port(),
            source: None,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp {
                source: Some(source),
                ..
            } => write!(f, "tcp://{source};{}", self.authority()),
            Self::Tcp { .. } => write!(f, "tcp://{}", self.authority()),
            Self::Ipc(IpcAddr::Path(path)) => write!(f, "ipc://{}", path.display()),
            Self::Ipc(IpcAddr::Abstract(name)) => write!(f, "ipc://@{name}"),
            Self::Inproc(name) => write!(f, "inproc://{name}"),
            Self::Ws { path, tls, .. } => {
                let scheme = if *tls { "wss" } else { "ws" };
                write!(f, "{scheme}://{}{path}", self.authority())
            }
        }
    }
}

/// `path` or `@name`: not empty, short enough for a Unix socket address,
/// no zero byte.
fn parse_ipc(rest: &str) -> Option<Endpoint> {
    let fits = |s: &str| !s.is_empty() && s.len() <= IPC_PATH_MAX && !s.contains('\0');
    let addr = match rest.strip_prefix('@') {
        Some(name) if fits(name) => IpcAddr::Abstract(name.to_owned()),
        None if fits(rest) => IpcAddr::Path(rest.into()),
        _ => return None,
    };
    Some(Endpoint::Ipc(addr))
}

/// The longest path a WebSocket endpoint may have.
const WS_PATH_MAX: usize = 1024;

/// `host:port/path`: a TCP address, then a path of visible ASCII (what an
/// HTTP request line can carry), `/` if none.
fn parse_ws(rest: &str, tls: bool, for_bind: bool) -> Option<Endpoint> {
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    let visible = |b: u8| b.is_ascii_graphic();
    if path.len() > WS_PATH_MAX || !path.bytes().all(visible) {
        return None;
    }
    let (host, port) = parse_host_port(authority, for_bind)?;
    Some(Endpoint::Ws {
        host,
        port,
        path: path.to_owned(),
        tls,
    })
}

/// `host:port`, the host unbracketed; `for_bind` allows `*` and port 0.
fn parse_host_port(s: &str, for_bind: bool) -> Option<(String, u16)> {
    let (host, port) = s.rsplit_once(':')?;
    let port = match port {
        "*" | "0" if for_bind => 0,
        _ => match port.parse::<u16>() {
            Ok(p) if p != 0 && port.bytes().all(|b| b.is_ascii_digit()) => p,
            _ => return None,
        },
    };
    let host = match host.strip_prefix('[') {
        Some(inner) => ipv6_host(inner.strip_suffix(']')?)?,
        None if host == "*" && for_bind => host.to_owned(),
        None if is_host_name(host) => host.to_owned(),
        None => return None,
    };
    Some((host, port))
}

/// An IPv6 literal, with its scope (`fe80::1%eth0` or `fe80::1%2`) as an
/// interface index, the form the system's address parser takes.
fn ipv6_host(s: &str) -> Option<String> {
    let (ip, scope) = match s.split_once('%') {
        Some((ip, scope)) => (ip, Some(scope)),
        None => (s, None),
    };
    ip.parse::<std::net::Ipv6Addr>().ok()?;
    let index = match scope {
        None => return Some(ip.to_owned()),
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse::<u32>().ok()?
        }
        Some(name) => interfaces(name).next()?.index?,
    };
    Some(format!("{ip}%{index}"))
}

/// A connect's source address: `*`, an IP literal or a network
/// interface (its first address); as in libzmq, no host name is looked
/// up. The port may be `*` or `0`.
fn parse_source(s: &str) -> Option<SocketAddr> {
    let (host, port) = parse_host_port(s, true)?;
    let local = Endpoint::Tcp {
        host,
        port,
        source: None,
    };
    local.local_addrs().first().copied()
}

/// The addresses of the network interface `name`. IPv6 link-local ones
/// are left out: one is usable only with its scope, which a bind by name
/// does not ask for (`tcp://[fe80::…%eth0]:port` does).
fn interface_addrs(name: &str, port: u16) -> Vec<SocketAddr> {
    interfaces(name)
        .filter(|i| !(i.ip().is_ipv6() && i.is_link_local()))
        .map(|i| SocketAddr::new(i.ip(), port))
        .collect()
}

/// The addresses of the network interface `name`, one entry each; none
/// when there is no such interface (or the system cannot list them).
fn interfaces(name: &str) -> impl Iterator<Item = if_addrs::Interface> {
    if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(move |i| i.name == name)
}

/// A DNS name or IPv4 literal: letters, digits, `-`, `.`, `_`.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Endpoint {
        Endpoint::Tcp {
            host: host.to_owned(),
            port,
            source: None,
        }
    }

    /// Each string is refused as a connect endpoint.
    fn assert_invalid(bad: &[&str]) {
        for bad in bad {
            assert!(
                matches!(Endpoint::parse(bad, false), Err(Error::InvalidEndpoint(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn parses_the_forms_libzmq_accepts() {
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:5555", false).unwrap(),
            tcp("127.0.0.1", 5555)
        );
        assert_eq!(Endpoint::parse("tcp://*:*", true).unwrap(), tcp("*", 0));
        assert_eq!(Endpoint::parse("tcp://*:0", true).unwrap(), tcp("*", 0));
        assert_eq!(
            Endpoint::parse("tcp://[::1]:80", false).unwrap(),
            tcp("::1", 80)
        );
        assert_eq!(
            Endpoint::parse("tcp://localhost:9", false).unwrap(),
            tcp("localhost", 9)
        );
        assert_eq!(tcp("::1", 80).to_string(), "tcp://[::1]:80");
        assert_eq!(
            tcp("*", 0).bind_addrs().unwrap(),
            [SocketAddr::from(([0, 0, 0, 0], 0))]
        );
        assert_eq!(
            tcp("::1", 7).bind_addrs().unwrap(),
            [SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 7))]
        );
    }

    /// libzmq binds an interface by its name: the loopback's addresses,
    /// IPv4 first.
    #[cfg(target_os = "linux")]
    #[test]
    fn binds_a_network_interface_by_name() {
        let addrs = tcp("lo", 9).bind_addrs().unwrap();
        assert_eq!(addrs.first(), Some(&SocketAddr::from(([127, 0, 0, 1], 9))));
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
    }

    /// An IPv6 scope names the interface (by name or index) that a
    /// link-local address belongs to, and survives into `last_endpoint`.
    #[cfg(target_os = "linux")]
    #[test]
    fn ipv6_scopes_are_interface_indexes() {
        let scoped = |index| {
            SocketAddr::V6(std::net::SocketAddrV6::new(
                "fe80::1".parse().unwrap(),
                5,
                0,
                index,
            ))
        };
        let lo = Endpoint::parse("tcp://[fe80::1%lo]:5", false).unwrap();
        assert_eq!(lo, tcp("fe80::1%1", 5));
        assert_eq!(lo.to_string(), "tcp://[fe80::1%1]:5");
        assert_eq!(lo.bind_addrs().unwrap(), [scoped(1)]);
        assert_eq!(
            Endpoint::parse("tcp://[fe80::1%7]:5", false).unwrap(),
            tcp("fe80::1%7", 5)
        );
        assert_eq!(Endpoint::from_addr(scoped(7)), tcp("fe80::1%7", 5));
        assert_invalid(&[
            "tcp://[fe80::1%]:5",
            "tcp://[fe80::1%nope0]:5",
            "tcp://[fe80::1%-1]:5",
        ]);
    }

    /// libzmq's `source;peer` connect form: the source is bindable (`*`,
    /// port `*`/`0`, an interface) but never a host name to look up.
    #[test]
    fn parses_a_source_address_for_connect() {
        let with = |source: SocketAddr| Endpoint::Tcp {
            host: "h".to_owned(),
            port: 5,
            source: Some(source),
        };
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.2:0;h:5", false).unwrap(),
            with(SocketAddr::from(([127, 0, 0, 2], 0)))
        );
        assert_eq!(
            Endpoint::parse("tcp://*:*;h:5", false).unwrap(),
            with(SocketAddr::from(([0, 0, 0, 0], 0)))
        );
        let v6 = Endpoint::parse("tcp://[::1]:7000;h:5", false).unwrap();
        assert_eq!(
            v6,
            with(SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 7000)))
        );
        assert_eq!(v6.to_string(), "tcp://[::1]:7000;h:5");
        assert_eq!(v6.authority(), "h:5");
        #[cfg(target_os = "linux")]
        assert_eq!(
            Endpoint::parse("tcp://lo:0;h:5", false).unwrap(),
            with(SocketAddr::from(([127, 0, 0, 1], 0)))
        );
        assert_invalid(&[
            "tcp://localhost:0;h:5",
            "tcp://127.0.0.1;h:5",
            "tcp://;h:5",
            "tcp://1.2.3.4:0;",
            "tcp://1.2.3.4:0;h:0",
        ]);
        assert!(matches!(
            Endpoint::parse("tcp://1.2.3.4:0;*:5", true),
            Err(Error::InvalidEndpoint(_))
        ));
    }

    #[test]
    fn rejects_bad_strings_without_panicking() {
        assert_invalid(&[
            "",
            "tcp://",
            "tcp://host",
            "tcp://:5",
            "tcp://[::1%:5",
            "tcp://[::1:5",
            "tcp://h:65536",
            "tcp://h:-1",
            "tcp://h:+5",
            "tcp://h:x",
            "tcp://*:5",
            "tcp://h:*",
            "tcp://h:0",
            "foo://h:5",
            "tcp//h:5",
            "tcp://a b:5",
            "tcp://é:5",
            "inproc://",
            "ws://h",
            "ws://h:5/a b",
            "ws://*:5/x",
        ]);
        assert_eq!(
            Endpoint::parse("ws://127.0.0.1:8080/api/zmq", false).unwrap(),
            Endpoint::Ws {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/api/zmq".into(),
                tls: false,
            }
        );
        let bound = Endpoint::parse("wss://*:0", true).unwrap();
        assert_eq!(bound.to_string(), "wss://*:0/");
        assert_eq!(bound.tcp(), Endpoint::parse("tcp://*:0", true).unwrap());
        assert!(matches!(
            Endpoint::parse("pgm://eth0;239.0.0.1:5555", false),
            Err(Error::Unsupported(_))
        ));
        assert_eq!(
            Endpoint::parse("inproc://a/b:c", true).unwrap(),
            Endpoint::Inproc("a/b:c".into())
        );
    }

    /// `ipc://path` and `ipc://@name`; an empty one, or one too long for a
    /// Unix socket address, is refused.
    #[test]
    fn ipc_endpoints() {
        let path = Endpoint::parse("ipc:///tmp/a.sock", true).unwrap();
        assert_eq!(path, Endpoint::Ipc(IpcAddr::Path("/tmp/a.sock".into())));
        assert_eq!(path.to_string(), "ipc:///tmp/a.sock");
        let name = Endpoint::parse("ipc://@svc", false).unwrap();
        assert_eq!(name, Endpoint::Ipc(IpcAddr::Abstract("svc".into())));
        assert_eq!(name.to_string(), "ipc://@svc");
        let long = format!("ipc:///{}", "x".repeat(IPC_PATH_MAX));
        for bad in ["ipc://", "ipc://@", long.as_str()] {
            assert!(
                matches!(Endpoint::parse(bad, true), Err(Error::InvalidEndpoint(_))),
                "{bad}"
            );
        }
    }
}
