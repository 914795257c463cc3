"""PLAIN (RFC 24) against pyzmq, each side as server: a pyzmq server with
pyzmq's own ZAP handler (`ThreadAuthenticator`), and a ferrozmq server
with a ZAP handler of ferrozmq sockets (`ferrozmq-peer --plain-allow`);
a good password gets in with its User-Id, a bad one does not."""

import pytest
import zmq
from zmq.auth.thread import ThreadAuthenticator

from conftest import CLI, PEER, free_endpoint, our_plain_request, plain_client


@pytest.fixture
def authenticator(ctx):
    auth = ThreadAuthenticator(ctx)
    auth.start()
    auth.configure_plain(domain="*", passwords={"admin": "secret"})
    yield auth
    auth.stop()


def test_our_client_against_a_pyzmq_server(spawn, ctx, authenticator):
    rep = ctx.socket(zmq.REP)
    rep.plain_server = True
    endpoint = free_endpoint()
    rep.bind(endpoint)
    frame = our_plain_request(spawn, rep, endpoint)
    assert frame.bytes == b"hi"
    assert frame.get("User-Id") == "admin"
    assert frame.get("Socket-Type") == "REQ"


def test_our_client_with_a_bad_password_is_refused(spawn, ctx, authenticator):
    rep = ctx.socket(zmq.REP)
    rep.plain_server = True
    endpoint = free_endpoint()
    rep.bind(endpoint)
    monitor = rep.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH)
    req = spawn(
        PEER, "req", "--connect", endpoint, "--plain-user", "admin", "--plain-password", "wrong", "--monitor", stdin=True
    )
    req.ready()
    req.write("6869")
    assert monitor.poll(20000), "pyzmq saw no failed authentication"
    assert not rep.poll(200), "nothing got through"


@pytest.mark.parametrize("password,allowed", [("secret", True), ("wrong", False)])
def test_pyzmq_client_against_our_server(spawn, ctx, password, allowed):
    rep = spawn(PEER, "rep", "--properties", "User-Id", "--bind", "tcp://127.0.0.1:0", "--plain-allow", "admin:secret")
    endpoint = rep.ready()
    req = plain_client(ctx, zmq.REQ, "admin", password)
    req.connect(endpoint)
    req.send(b"hello")
    if allowed:
        assert rep.line() == "PROPERTIES User-Id=" + b"admin".hex()
        assert req.recv() == b"hello"
    else:
        # libzmq gets ERROR and gives up on this connection.
        monitor = req.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
        assert monitor.poll(20000) or not req.poll(500)
        assert not req.poll(300), "no reply without a password that works"


def test_a_plain_server_without_a_handler_refuses_clients(spawn, ctx):
    """As libzmq: a PLAIN server needs a ZAP handler."""
    rep = spawn(PEER, "rep", "--bind", "tcp://127.0.0.1:0", "--plain-server-alone", "--monitor")
    endpoint = rep.ready()
    req = plain_client(ctx, zmq.REQ, "admin", "secret")
    req.connect(endpoint)
    req.send(b"hello")
    assert not req.poll(1000), "let in without a handler"


def test_the_cli_server_with_plain_users(spawn, ctx):
    """`ferrozmq server --plain-allow` against a pyzmq PLAIN client."""
    endpoint = free_endpoint()
    server = spawn(CLI, "server", "--bind", endpoint, "--plain-allow", "admin:secret")
    req = plain_client(ctx, zmq.REQ, "admin", "secret")
    req.connect(endpoint)
    req.send(b"from pyzmq")
    assert req.recv() == b"Message Received"
    assert server.line() == "Received request: from pyzmq"
