//! STREAM sockets (libzmq's `ZMQ_STREAM`) against plain TCP peers: the
//! connection notices, reads in, writes out, and closing by an empty frame.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use ferrozmq::{Bytes, Context, Error, Message, Socket, SocketType};

fn stream_socket(ctx: &Context) -> Socket {
    let s = ctx.socket(SocketType::Stream).unwrap();
    s.set_recv_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn parts(msg: &Message) -> (Bytes, Bytes) {
    assert_eq!(msg.len(), 2, "{msg:?}");
    (msg.parts()[0].clone(), msg.parts()[1].clone())
}

/// A plain TCP client: its connection is announced, its bytes arrive with
/// its identity, a reply goes back raw, and `[identity, ""]` closes it.
#[test]
fn a_raw_tcp_client_is_served() {
    let ctx = Context::new();
    let mut server = stream_socket(&ctx);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let addr = server.last_endpoint().unwrap().replace("tcp://", "");
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();

    let (identity, empty) = parts(&server.recv().unwrap());
    assert_eq!(
        (identity.len(), identity[0], empty.len()),
        (5, 0, 0),
        "the connect notice"
    );
    client.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut request = Vec::new();
    while request.len() < 18 {
        let (from, bytes) = parts(&server.recv().unwrap());
        assert_eq!(from, identity);
        request.extend_from_slice(&bytes);
    }
    assert_eq!(request, b"GET / HTTP/1.0\r\n\r\n");
    let reply: Message = [
        identity.clone(),
        Bytes::from_static(b"HTTP/1.0 200 OK\r\n\r\nhello"),
    ]
    .into_iter()
    .collect();
    server.send(reply).unwrap();
    let close: Message = [identity.clone(), Bytes::new()].into_iter().collect();
    server.send(close).unwrap();
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).unwrap();
    assert_eq!(
        answer, b"HTTP/1.0 200 OK\r\n\r\nhello",
        "all of it, then the close"
    );
    assert_eq!(
        parts(&server.recv().unwrap()),
        (identity, Bytes::new()),
        "the disconnect notice"
    );
}

/// A STREAM socket connects to a plain TCP server and talks raw; a
/// message for an identity it does not have fails with HostUnreachable.
#[test]
fn a_stream_socket_connects_to_a_raw_tcp_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ctx = Context::new();
    let mut client = stream_socket(&ctx);
    client
        .connect(&format!("tcp://{}", listener.local_addr().unwrap()))
        .unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let (identity, _) = parts(&client.recv().unwrap());
    let ping: Message = [identity.clone(), Bytes::from_static(b"ping")]
        .into_iter()
        .collect();
    client.send(ping).unwrap();
    let mut got = [0u8; 4];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"ping");
    peer.write_all(b"pong").unwrap();
    assert_eq!(
        parts(&client.recv().unwrap()),
        (identity, Bytes::from_static(b"pong"))
    );
    let stray: Message = [Bytes::from_static(b"\0nope"), Bytes::from_static(b"x")]
        .into_iter()
        .collect();
    assert!(matches!(
        client.send(stray).unwrap_err().error,
        Error::HostUnreachable
    ));
}
