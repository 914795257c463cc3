"""Publish-subscribe with peers that are not plain pyzmq sockets: a ZMTP 3.0
subscriber and publisher written on raw sockets (3.0 has no SUBSCRIBE
command: subscriptions are messages starting with 1 or 0), a pyzmq
publisher that restarts (our SUB reconnects and subscribes again), and
pyzmq with heartbeats on."""

import socket
import threading

import pytest
import zmq

from conftest import PEER, WAIT, free_port, scripted

SIGNATURE = b"\xff" + b"\x00" * 7 + b"\x01\x7f"


def greeting_30() -> bytes:
    """A ZMTP 3.0 greeting, NULL mechanism."""
    return SIGNATURE + b"\x03\x00" + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31


def ready(socket_type: bytes) -> bytes:
    body = b"\x05READY" + b"\x0bSocket-Type" + len(socket_type).to_bytes(4, "big") + socket_type
    return b"\x04" + bytes([len(body)]) + body


def frame(body: bytes, more=False) -> bytes:
    assert len(body) < 256
    return bytes([1 if more else 0, len(body)]) + body


class Raw:
    """A raw TCP peer that reads whole ZMTP frames."""

    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(WAIT)
        self.buf = b""

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            assert chunk, "the peer closed the connection"
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def handshake(self, socket_type: bytes):
        self.sock.sendall(greeting_30() + ready(socket_type))
        greeting = self.read(64)
        assert greeting[10] == 3
        flags, size = self.read(2)
        assert flags == 0x04, "a READY command"
        assert self.read(size).startswith(b"\x05READY")

    def frame(self):
        flags, size = self.read(2)
        return flags, self.read(size)


def test_our_pub_serves_a_zmtp_30_subscriber(spawn):
    peer = spawn(PEER, "script", "--type", "pub", "--bind", "tcp://127.0.0.1:0", stdin=True)
    host, port = peer.ready().rsplit("/", 1)[1].split(":")
    raw = Raw(socket.create_connection((host, int(port))))
    raw.handshake(b"SUB")
    raw.sock.sendall(frame(b"\x01A"))
    # Until the subscription has been taken in, the PUB drops what it sends.
    while True:
        peer.write("send " + b"B no".hex())
        peer.write("send " + b"A yes".hex())
        assert peer.line() == "SENT" and peer.line() == "SENT"
        raw.sock.settimeout(0.05)
        try:
            flags, body = raw.frame()
            break
        except socket.timeout:
            continue
    assert (flags, body) == (0, b"A yes")


def test_our_sub_subscribes_with_a_message_to_a_zmtp_30_publisher(spawn):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    peer = spawn(PEER, "script", "--type", "sub", "--connect", f"tcp://127.0.0.1:{port}", stdin=True)
    peer.ready()
    peer.write("subscribe " + b"A".hex())
    assert peer.line() == "DONE"
    listener.settimeout(WAIT)
    conn, _ = listener.accept()
    raw = Raw(conn)
    raw.handshake(b"PUB")
    # The socket takes the connection in on its next call.
    peer.write("idle 20")
    assert peer.line() == "NONE"
    assert raw.frame() == (0, b"\x01A"), "a 3.0 peer gets a message, not a SUBSCRIBE command"
    raw.sock.sendall(frame(b"B no") + frame(b"A yes"))
    peer.write("recv")
    assert peer.line() == b"A yes".hex()


def bind_when_free(sock, endpoint):
    """libzmq closes a listener in its I/O thread, a little after
    `close`: the port may still be taken for a moment."""
    for _ in range(500):
        try:
            sock.bind(endpoint)
            return
        except zmq.ZMQError as e:
            if e.errno != zmq.EADDRINUSE:
                raise
            sock.poll(10)
    raise AssertionError(f"{endpoint} never became free")


def test_our_sub_resubscribes_to_a_restarted_pyzmq_pub(spawn, ctx):
    port = free_port()
    endpoint = f"tcp://127.0.0.1:{port}"
    peer = spawn(PEER, "script", "--type", "sub", "--connect", endpoint, stdin=True)
    peer.ready()
    peer.write("subscribe " + b"A".hex())
    assert peer.line() == "DONE"
    for life in range(2):
        publisher = ctx.socket(zmq.XPUB)
        bind_when_free(publisher, endpoint)
        # The subscription arrives again on each new connection.
        while not publisher.poll(10):
            peer.write("idle 10")
            peer.line()
        assert publisher.recv() == b"\x01A"
        publisher.send(b"A life %d" % life)
        peer.write("recv")
        assert peer.line() == (b"A life %d" % life).hex()
        publisher.close(linger=0)


def test_pub_sub_with_pyzmq_heartbeats(spawn, ctx):
    ours, theirs = scripted(
        spawn,
        ctx,
        True,
        "sub",
        zmq.XPUB,
        "--heartbeat-ivl",
        "50",
        options=[(zmq.HEARTBEAT_IVL, 50), (zmq.HEARTBEAT_TIMEOUT, 500)],
    )
    ours.subscribe(b"")
    while not theirs.poll(10):
        assert ours.idle() is None
    assert theirs.recv() == b"\x01"
    for n in range(20):
        theirs.send(b"tick %d" % n)
        assert ours.recv() == [b"tick %d" % n]
        if n % 5 == 0:
            ours.idle(120)  # longer than a few heartbeat intervals
