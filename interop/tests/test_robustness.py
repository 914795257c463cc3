"""A ferrozmq REP keeps serving a real pyzmq client while raw sockets send
it garbage, a truncated greeting, a frame declaring 2^63 bytes, or a ZMTP
2.0 greeting (robustness rows 1, 2 and 5, docs/robustness.md)."""

import socket

import pytest
import zmq

from conftest import PEER, WAIT

SIGNATURE = b"\xff" + b"\x00" * 7 + b"\x01\x7f"
NULL_GREETING_REST = b"\x03\x01" + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31


def ready_command(socket_type: bytes) -> bytes:
    body = b"\x05READY" + b"\x0bSocket-Type" + len(socket_type).to_bytes(4, "big") + socket_type
    return b"\x04" + bytes([len(body)]) + body


BAD_INPUTS = {
    "garbage": b"\x42" * 200,
    "truncated-greeting": SIGNATURE[:6],
    "zmtp-2.0-greeting": SIGNATURE + b"\x01\x05",
    "frame-declaring-2^63-bytes": SIGNATURE + NULL_GREETING_REST + ready_command(b"REQ")
    + b"\x02" + (1 << 63).to_bytes(8, "big"),
}


@pytest.mark.parametrize("bad", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_server_keeps_serving_while_a_raw_socket_misbehaves(spawn, ctx, bad):
    peer = spawn(PEER, "rep", "--bind", "tcp://127.0.0.1:0")
    ep = peer.ready()
    host, port = ep.removeprefix("tcp://").rsplit(":", 1)
    raw = socket.create_connection((host, int(port)), timeout=WAIT)
    raw.sendall(bad)
    req = ctx.socket(zmq.REQ)
    req.connect(ep)
    for i in range(3):
        req.send(b"good %d" % i)
        assert req.recv() == b"good %d" % i
    if bad != BAD_INPUTS["truncated-greeting"]:
        # Every other input is refused at once: the server closes the socket.
        while raw.recv(4096):
            pass
    raw.close()


def test_a_handshake_flood_does_not_lock_real_clients_out(spawn, ctx):
    """robustness: handshake flood. With file descriptors to spare for
    about 50 connections, 120 raw sockets send half a signature and wait.
    Without a cap they would hold every descriptor until the 30 s
    handshake interval; the oldest are dropped instead, and a real client
    is served long before that."""
    peer = spawn("sh", "-c", f'ulimit -n 64 && exec "{PEER}" rep --monitor --bind tcp://127.0.0.1:0')
    ep = peer.ready()
    host, port = ep.removeprefix("tcp://").rsplit(":", 1)
    flood = []
    for _ in range(120):
        s = socket.create_connection((host, int(port)), timeout=WAIT)
        s.sendall(SIGNATURE[:5])
        flood.append(s)
    req = ctx.socket(zmq.REQ)
    req.connect(ep)
    req.send(b"real client")
    assert req.recv() == b"real client"
    for s in flood:
        s.close()
    peer.kill()
    events = peer.stderr()
    assert "AcceptFailed" in events, "the monitor says why accepts failed"
    assert "TooManyHandshakes" in events, "and which handshakes made room"
