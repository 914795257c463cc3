"""STREAM sockets with a raw TCP peer (Python's `socket`), through
ferrozmq-peer's script mode and the `ferrozmq stream` cat."""

import socket
import threading
import time

from conftest import CLI, PEER, WAIT, Script, free_endpoint, parse_hex_parts


def test_stream_serves_a_raw_tcp_client(spawn):
    child = spawn(PEER, "script", "--type", "stream", "--bind", "tcp://127.0.0.1:0", stdin=True)
    host, port = child.ready().rsplit("/", 1)[1].split(":")
    ours = Script(child)
    client = socket.create_connection((host, int(port)))
    client.settimeout(WAIT)
    identity, empty = ours.recv()
    assert (len(identity), identity[0], empty) == (5, 0, b""), "the connect notice"
    client.sendall(b"hello")
    got = b""
    while len(got) < 5:
        frm, data = ours.recv()
        assert frm == identity
        got += data
    assert got == b"hello"
    ours.send([identity, b"world"])
    assert client.recv(5) == b"world"
    ours.send([identity, b""])
    assert client.recv(1) == b"", "closed by the empty frame"
    assert ours.recv() == [identity, b""], "the disconnect notice"


def connect_when_listening(host, port):
    """Connects once the child listens (it says nothing when it does)."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return socket.create_connection((host, port))
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, "the child never listened"
            threading.Event().wait(0.01)


def test_stream_cat_prints_a_raw_clients_bytes(spawn):
    ep = free_endpoint()
    cat = spawn(CLI, "stream", "--bind", ep, "--count", "2")
    host, port = ep.rsplit("/", 1)[1].split(":")
    client = connect_when_listening(host, int(port))
    notice = cat.line()
    identity = notice.split("\t")[0]
    assert notice == identity + "\t" and identity.startswith("\\x00")
    client.sendall(b"hi there")
    assert cat.line() == identity + "\thi there"
    assert cat.wait() == 0
