//! The HTTP/1.1 upgrade that opens a WebSocket (RFC 6455 section 4), both
//! sides, within fixed bounds: a head of at most [`HEAD_LIMIT`] bytes and
//! [`MAX_HEADERS`] header lines, read before anything else is allocated.

use std::future::poll_fn;
use std::io::{self, Read, Write};

use ferrozmq_proto::Zws;
use tungstenite::handshake::derive_accept_key;

use super::io::{Link, Way};

/// The most bytes a request or response head may have.
pub(super) const HEAD_LIMIT: usize = 8 * 1024;
/// The most header lines it may have.
pub(super) const MAX_HEADERS: usize = 32;

fn invalid(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("websocket upgrade: {why}"),
    )
}

/// Reads a head, up to and including its blank line; what came after it
/// (the peer's first frames, if it did not wait) is returned too.
pub(super) async fn read_head(link: &mut Link) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = poll_fn(|cx| link.poll(cx, Way::Read, |l| l.read(&mut chunk))).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > HEAD_LIMIT {
            return Err(invalid("head too large"));
        }
    }
}

/// Writes all of `bytes` and flushes them.
pub(super) async fn write_all(link: &mut Link, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        let n = poll_fn(|cx| link.poll(cx, Way::Write, |l| l.write(bytes))).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
    }
    poll_fn(|cx| link.poll(cx, Way::Write, Write::flush)).await
}

/// What a server needs from an upgrade request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Request {
    /// The request target: a path, without its query.
    pub(super) path: String,
    pub(super) key: String,
    /// The subprotocols offered, in order.
    pub(super) protocols: Vec<String>,
}

/// Why a request is refused, as an HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    BadRequest,
    NotFound,
    /// Not a WebSocket upgrade at all.
    UpgradeRequired,
    /// The path's socket has too many connections waiting for it.
    Unavailable,
}

impl Status {
    /// The response that says so, closing the connection.
    pub(super) fn response(self) -> &'static [u8] {
        match self {
            Self::BadRequest => {
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            }
            Self::NotFound => {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            }
            Self::Unavailable => {
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            }
            Self::UpgradeRequired => {
                b"HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            }
        }
    }
}

/// Whether a comma-separated header value lists `token` (any case).
fn lists(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Parses an upgrade request head (RFC 6455 section 4.2.1).
pub(super) fn parse_request(head: &[u8]) -> Result<Request, Status> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Status::BadRequest),
    }
    if req.method != Some("GET") || req.version != Some(1) {
        return Err(Status::BadRequest);
    }
    let target = req.path.ok_or(Status::BadRequest)?;
    let path = target.split('?').next().unwrap_or("/").to_owned();
    let (mut upgrade, mut connection, mut version) = (false, false, false);
    let mut key = None;
    let mut protocols = Vec::new();
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("upgrade") {
            upgrade |= lists(h.value, "websocket");
        } else if name.eq_ignore_ascii_case("connection") {
            connection |= lists(h.value, "upgrade");
        } else if name.eq_ignore_ascii_case("sec-websocket-version") {
            version = h.value.trim_ascii() == b"13";
        } else if name.eq_ignore_ascii_case("sec-websocket-key") {
            key = std::str::from_utf8(h.value)
                .ok()
                .map(|k| k.trim().to_owned());
        } else if name.eq_ignore_ascii_case("sec-websocket-protocol") {
            // The header may come more than once, each a list.
            let value = std::str::from_utf8(h.value).map_err(|_| Status::BadRequest)?;
            protocols.extend(value.split(',').map(|p| p.trim().to_owned()));
        }
    }
    if !upgrade || !connection {
        return Err(Status::UpgradeRequired);
    }
    let key = key
        .filter(|k| !k.is_empty() && version)
        .ok_or(Status::BadRequest)?;
    Ok(Request {
        path,
        key,
        protocols,
    })
}

/// The path of a plain `GET` (not an upgrade), for a page.
pub(super) fn get_path(head: &[u8]) -> Option<String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) if req.method == Some("GET") => {}
        _ => return None,
    }
    let target = req.path?;
    Some(target.split('?').next().unwrap_or("/").to_owned())
}

/// A page's `200 OK`, closing the connection after it.
pub(super) fn page_response(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}

/// The first subprotocol offered that `accepts` takes (libzmq's rule),
/// with the name it was offered under (answered as it came).
pub(super) fn choose(request: &Request, accepts: impl Fn(Zws) -> bool) -> Option<(Zws, &str)> {
    request
        .protocols
        .iter()
        .filter_map(|p| Zws::from_subprotocol(p).map(|zws| (zws, p.as_str())))
        .find(|(zws, _)| accepts(*zws))
}

/// The server's `101 Switching Protocols`, naming the `subprotocol` as
/// the client offered it.
pub(super) fn accept_response(request: &Request, subprotocol: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\
         Sec-WebSocket-Protocol: {}\r\n\r\n",
        derive_accept_key(request.key.as_bytes()),
        subprotocol
    )
    .into_bytes()
}

/// A client's upgrade request, offering `offers` in order.
pub(super) fn request(host: &str, path: &str, key: &str, offers: &[Zws]) -> Vec<u8> {
    let offers: Vec<&str> = offers.iter().map(|z| z.subprotocol()).collect();
    format!(
        "GET {path} HTTP/1.1\r\n\
         Host: {host}\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\n\
         Sec-WebSocket-Protocol: {}\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        offers.join(", ")
    )
    .into_bytes()
}

/// Checks a server's response to our request (sent with `key`): a 101
/// with the right accept key and one of our `offers`, which it returns.
pub(super) fn parse_response(head: &[u8], key: &str, offers: &[Zws]) -> io::Result<Zws> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    match res.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(invalid("malformed response")),
    }
    if res.code != Some(101) {
        return Err(invalid(&format!(
            "the server answered {} {}",
            res.code.unwrap_or(0),
            res.reason.unwrap_or("")
        )));
    }
    let header = |name: &str| {
        res.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let expected = derive_accept_key(key.as_bytes());
    if header("sec-websocket-accept").map(<[u8]>::trim_ascii) != Some(expected.as_bytes()) {
        return Err(invalid("wrong Sec-WebSocket-Accept"));
    }
    let chosen = header("sec-websocket-protocol")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(Zws::from_subprotocol)
        .ok_or_else(|| invalid("no ZWS subprotocol chosen"))?;
    if !offers.contains(&chosen) {
        return Err(invalid("a subprotocol we did not offer"));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use ferrozmq_proto::MechanismName;

    use super::*;

    const NULL: Zws = Zws::Mechanism(MechanismName::Null);

    /// What libzmq 4.3 sends: the last path segment, the host without its
    /// port, both subprotocols in one header.
    #[test]
    fn a_libzmq_request_is_understood() {
        let head = b"GET /zmq HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Protocol: ZWS2.0/NULL,ZWS2.0\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let req = parse_request(head).unwrap();
        assert_eq!(req.path, "/zmq");
        assert_eq!(req.protocols, ["ZWS2.0/NULL", "ZWS2.0"]);
        assert_eq!(
            choose(&req, |z| z == Zws::Bare),
            Some((Zws::Bare, "ZWS2.0"))
        );
        assert_eq!(choose(&req, |_| true), Some((NULL, "ZWS2.0/NULL")));
        let response = accept_response(&req, "ZWS2.0/NULL");
        assert!(
            String::from_utf8(response)
                .unwrap()
                .contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            "RFC 6455's example key"
        );
    }

    /// A browser's request: headers in any case, `keep-alive, Upgrade`,
    /// several protocol headers, a query.
    #[test]
    fn a_browser_request_is_understood() {
        let head = b"GET /ws?x=1 HTTP/1.1\r\nhost: h:8080\r\nconnection: keep-alive, Upgrade\r\n\
upgrade: WebSocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: abc\r\n\
sec-websocket-protocol: chat\r\nsec-websocket-protocol: ZWS2.0\r\n\r\n";
        let req = parse_request(head).unwrap();
        assert_eq!(req.path, "/ws");
        assert_eq!(
            choose(&req, |z| z == Zws::Bare),
            Some((Zws::Bare, "ZWS2.0"))
        );
    }

    #[test]
    fn bad_requests_are_refused_with_a_status() {
        let cases: [(&[u8], Status); 5] = [
            (b"POST / HTTP/1.1\r\n\r\n", Status::BadRequest),
            (
                b"GET / HTTP/1.0\r\nUpgrade: websocket\r\n\r\n",
                Status::BadRequest,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                Status::UpgradeRequired,
            ),
            (
                b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
                Status::BadRequest,
            ),
            (b"\x00\xff garbage\r\n\r\n", Status::BadRequest),
        ];
        for (head, status) in cases {
            assert_eq!(parse_request(head), Err(status));
        }
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "X: y\r\n".repeat(MAX_HEADERS + 1)
        );
        assert_eq!(parse_request(many.as_bytes()), Err(Status::BadRequest));
    }

    #[test]
    fn a_response_is_checked() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let good =
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n";
        assert_eq!(parse_response(good, key, &[NULL, Zws::Bare]).unwrap(), NULL);
        assert!(
            parse_response(good, key, &[Zws::Bare]).is_err(),
            "not offered"
        );
        assert!(parse_response(good, "other", &[NULL]).is_err(), "wrong key");
        let refused = b"HTTP/1.1 404 Not Found\r\n\r\n";
        let e = parse_response(refused, key, &[NULL]).unwrap_err();
        assert!(e.to_string().contains("404"), "{e}");
        let request = String::from_utf8(request("h:1", "/a/b", key, &[NULL, Zws::Bare])).unwrap();
        assert!(request.starts_with("GET /a/b HTTP/1.1\r\nHost: h:1\r\n"));
        assert!(request.contains("Sec-WebSocket-Protocol: ZWS2.0/NULL, ZWS2.0\r\n"));
    }
}
