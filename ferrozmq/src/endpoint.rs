//! Endpoint strings: `tcp://host:port` (more transports come later).

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use crate::{Error, Result};

/// A parsed endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `tcp://host:port`. `host` is `*`, an IP address (IPv6 in brackets
    /// in the string, without them here) or a DNS name; `port` 0 means an
    /// ephemeral port (written `*` or `0`).
    Tcp { host: String, port: u16 },
}

impl Endpoint {
    /// Parses an endpoint string. `for_bind` allows `*` and port 0.
    pub(crate) fn parse(s: &str, for_bind: bool) -> Result<Self> {
        let invalid = || Error::InvalidEndpoint(s.to_owned());
        let (scheme, rest) = s.split_once("://").ok_or_else(invalid)?;
        match scheme {
            "tcp" => {}
            "ipc" | "inproc" | "ws" | "wss" | "pgm" | "epgm" | "tipc" | "vmci" | "udp" => {
                return Err(Error::Unsupported(format!("transport {scheme}:// ({s})")));
            }
            _ => return Err(invalid()),
        }
        let (host, port) = rest.rsplit_once(':').ok_or_else(invalid)?;
        let port = match port {
            "*" | "0" if for_bind => 0,
            _ => match port.parse::<u16>() {
                Ok(p) if p != 0 && port.bytes().all(|b| b.is_ascii_digit()) => p,
                _ => return Err(invalid()),
            },
        };
        let host = match host.strip_prefix('[') {
            Some(inner) => {
                let ip = inner.strip_suffix(']').ok_or_else(invalid)?;
                ip.parse::<std::net::Ipv6Addr>().map_err(|_| invalid())?;
                ip.to_owned()
            }
            None if host == "*" && for_bind => host.to_owned(),
            None if is_host_name(host) => host.to_owned(),
            None => return Err(invalid()),
        };
        Ok(Self::Tcp { host, port })
    }

    /// The addresses to bind, best first: `*` is every IPv4 interface (as
    /// in libzmq without its IPv6 option; `[::]` is every interface); a
    /// literal address is taken as it is; a name is resolved, its IPv4
    /// addresses first, so that `localhost` means 127.0.0.1 where libzmq
    /// peers look for it.
    pub(crate) fn bind_addrs(&self) -> std::io::Result<Vec<SocketAddr>> {
        let Self::Tcp { host, port } = self;
        if host == "*" {
            return Ok(vec![SocketAddr::from(([0, 0, 0, 0], *port))]);
        }
        let mut addrs: Vec<SocketAddr> = self.authority().to_socket_addrs()?.collect();
        addrs.sort_by_key(SocketAddr::is_ipv6);
        Ok(addrs)
    }

    /// The `host:port` string handed to the resolver.
    pub(crate) fn authority(&self) -> String {
        let Self::Tcp { host, port } = self;
        match host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
            _ => format!("{host}:{port}"),
        }
    }

    /// The endpoint string of a bound or connected address.
    pub(crate) fn from_addr(addr: SocketAddr) -> Self {
        Self::Tcp {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tcp://{}", self.authority())
    }
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

    #[test]
    fn rejects_bad_strings_without_panicking() {
        for bad in [
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
        ] {
            assert!(
                matches!(Endpoint::parse(bad, false), Err(Error::InvalidEndpoint(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Endpoint::parse("ipc:///tmp/x", true),
            Err(Error::Unsupported(_))
        ));
    }
}
