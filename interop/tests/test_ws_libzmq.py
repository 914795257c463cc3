"""ws:// against libzmq's own WebSocket transport: Debian's libzmq 4.3.4
(python3-zmq; pyzmq's wheel is built without ws). REQ/REP, PUB/SUB and
PUSH/PULL, ferrozmq and libzmq each binding in turn. scripts/test.sh runs
this file with the Debian interpreter; under the pyzmq wheel it is skipped."""

import pytest
import zmq

from conftest import (
    BIND_SIDES,
    PEER,
    curve_client,
    curve_server,
    free_port,
    numbered,
    our_plain_request,
    plain_client,
    scripted_at,
)

pytestmark = pytest.mark.skipif(not zmq.has("WS"), reason="this libzmq has no ws transport")


def linked_ws(spawn, ctx, ours_binds, our_type, zmq_type, path="/zmq"):
    """A scripted ferrozmq socket and a libzmq one over ws. libzmq asks for
    the last segment of a path only; a ferrozmq server takes that too."""
    endpoint = f"ws://127.0.0.1:{free_port()}{path}"
    return scripted_at(spawn, ctx, endpoint, ours_binds, our_type, zmq_type)


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_req_rep_over_ws(spawn, ctx, ours_binds):
    rep, req = linked_ws(spawn, ctx, ours_binds, "rep", zmq.REQ, path="/api/zmq")
    for n in range(3):
        req.send_multipart([b"request", bytes([n])])
        assert rep.recv() == [b"request", bytes([n])]
        rep.send([b"reply", bytes([n])])
        assert req.recv_multipart() == [b"reply", bytes([n])]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_our_req_to_libzmq_rep_over_ws(spawn, ctx, ours_binds):
    req, rep = linked_ws(spawn, ctx, ours_binds, "req", zmq.REP)
    req.send([b"ping", b""])
    assert rep.recv_multipart() == [b"ping", b""]
    rep.send_multipart([b"pong"])
    assert req.recv() == [b"pong"]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_libzmq_pub_to_our_sub_over_ws(spawn, ctx, ours_binds):
    sub, publisher = linked_ws(spawn, ctx, ours_binds, "sub", zmq.XPUB)
    sub.subscribe(b"A")
    # The subscription arrives as libzmq's ws engine sends its own: a
    # message starting with 1.
    while not publisher.poll(10):
        assert sub.idle() is None
    assert publisher.recv() == b"\x01A"
    publisher.send_multipart([b"B", b"no"])
    publisher.send_multipart([b"A", b"yes"])
    assert sub.recv() == [b"A", b"yes"]
    sub.subscribe(b"A", on=False)
    assert publisher.recv() == b"\x00A"


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_our_pub_to_libzmq_sub_over_ws(spawn, ctx, ours_binds):
    publisher, sub = linked_ws(spawn, ctx, ours_binds, "pub", zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"news")
    sub.setsockopt(zmq.RCVTIMEO, 20)
    for _ in range(1000):
        publisher.send([b"weather"])
        publisher.send([b"news", b"1"])
        try:
            got = sub.recv_multipart()
            break
        except zmq.Again:
            continue
    else:
        raise AssertionError("the subscription never reached us")
    assert got == [b"news", b"1"]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_push_pull_both_ways_over_ws(spawn, ctx, ours_binds):
    push, pull = linked_ws(spawn, ctx, ours_binds, "push", zmq.PULL)
    for i in range(30):
        push.send(numbered(i))
    for i in range(30):
        assert pull.recv_multipart() == numbered(i)
    pull_ours, push_theirs = linked_ws(spawn, ctx, ours_binds, "pull", zmq.PUSH)
    for i in range(30):
        push_theirs.send_multipart(numbered(i))
    for i in range(30):
        assert pull_ours.recv() == numbered(i)


def test_libzmq_heartbeats_over_ws_are_answered(spawn, ctx):
    """libzmq pings over ws with WebSocket pings; a peer that did not
    answer would be dropped after the heartbeat timeout."""
    rep, req = linked_ws(spawn, ctx, True, "rep", zmq.REQ)
    req.setsockopt(zmq.HEARTBEAT_IVL, 50)
    req.setsockopt(zmq.HEARTBEAT_TIMEOUT, 200)
    monitor = req.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    req.send(b"first")
    assert rep.recv() == [b"first"]
    rep.send([b"ok"])
    assert req.recv() == b"ok"
    # Ten timeouts' worth of heartbeats, and still connected.
    assert not monitor.poll(2000)
    req.send(b"second")
    assert rep.recv() == [b"second"]


def test_plain_over_ws_both_ways(spawn, ctx):
    """ZWS2.0/PLAIN: our client to libzmq's server (its ZAP handler pyzmq's
    ThreadAuthenticator), and libzmq's client to our server."""
    from zmq.auth.thread import ThreadAuthenticator

    auth = ThreadAuthenticator(ctx)
    auth.start()
    try:
        auth.configure_plain(domain="*", passwords={"admin": "secret"})
        rep = ctx.socket(zmq.REP)
        rep.plain_server = True
        endpoint = f"ws://127.0.0.1:{free_port()}/zmq"
        rep.bind(endpoint)
        frame = our_plain_request(spawn, rep, endpoint)
        assert frame.bytes == b"hi"
        assert frame.get("User-Id") == "admin"
    finally:
        auth.stop()

    ours = spawn(PEER, "rep", "--properties", "User-Id", "--bind", f"ws://127.0.0.1:{free_port()}/zmq", "--plain-allow", "admin:secret")
    endpoint = ours.ready()
    client = plain_client(ctx, zmq.REQ, "admin", "secret")
    client.connect(endpoint)
    client.send(b"hello")
    assert ours.line() == "PROPERTIES User-Id=" + b"admin".hex()
    assert client.recv() == b"hello"


def test_curve_over_ws_both_ways(spawn, ctx):
    """ZWS2.0/CURVE: our client to libzmq's CURVE server, libzmq's client
    to ours."""
    server_public, server_secret = (k.decode() for k in zmq.curve_keypair())
    client_public, client_secret = (k.decode() for k in zmq.curve_keypair())
    rep = curve_server(ctx, zmq.REP, server_secret)
    endpoint = f"ws://127.0.0.1:{free_port()}/zmq"
    rep.bind(endpoint)
    req = spawn(
        PEER, "req", "--connect", endpoint, "--curve-secret", client_secret, "--curve-server-key", server_public,
        stdin=True,
    )
    req.ready()
    req.write("6869")
    assert rep.recv() == b"hi"
    rep.send(b"ok")
    assert req.line() == "6f6b"

    ours = spawn(PEER, "rep", "--bind", f"ws://127.0.0.1:{free_port()}/zmq", "--curve-server-secret", server_secret)
    endpoint = ours.ready()
    client = curve_client(ctx, zmq.REQ, client_public, client_secret, server_public)
    client.connect(endpoint)
    client.send(b"boxed over ws")
    assert client.recv() == b"boxed over ws"
