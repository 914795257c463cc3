"""DEALER, ROUTER and PAIR against pyzmq (RFC 28, RFC 31): every compatible
pair, ferrozmq on one side, pyzmq on the other, each side binding in turn."""

import pytest
import zmq

from conftest import BIND_SIDES, scripted

BODIES = [[b"one"], [b"multi", b"part", b""], [b"big", b"x" * (1 << 20)]]


def send_when_routable(router, parts):
    """Sends from a pyzmq ROUTER once the peer is known: with
    ROUTER_MANDATORY, a peer whose handshake is not done yet is an error."""
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)
    for _ in range(2000):
        try:
            router.send_multipart(parts)
            return
        except zmq.ZMQError as e:
            if e.errno != zmq.EHOSTUNREACH:
                raise
            router.poll(10)
    raise AssertionError("the peer never became routable")


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_pyzmq_req_to_ferrozmq_router(spawn, ctx, ours_binds):
    router, req = scripted(spawn, ctx, ours_binds, "router", zmq.REQ)
    for body in BODIES:
        req.send_multipart(body)
        identity, delimiter, *got = router.recv()
        # libzmq's generated identity: five bytes, the first zero.
        assert (len(identity), identity[0], delimiter, got) == (5, 0, b"", body)
        router.send([identity, b"", b"re:"] + body)
        assert req.recv_multipart() == [b"re:"] + body


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_ferrozmq_dealer_to_pyzmq_rep(spawn, ctx, ours_binds):
    dealer, rep = scripted(spawn, ctx, ours_binds, "dealer", zmq.REP)
    for body in BODIES:
        dealer.send([b""] + body)
        assert rep.recv_multipart() == body
        rep.send_multipart(body[::-1])
        assert dealer.recv() == [b""] + body[::-1]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_pyzmq_dealer_to_ferrozmq_router_by_identity(spawn, ctx, ours_binds):
    router, dealer = scripted(
        spawn, ctx, ours_binds, "router", zmq.DEALER, options=[(zmq.ROUTING_ID, b"client-7")]
    )
    for body in BODIES:
        dealer.send_multipart(body)
        assert router.recv() == [b"client-7"] + body
        router.send([b"client-7", b"back"] + body)
        assert dealer.recv_multipart() == [b"back"] + body


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_ferrozmq_dealer_to_pyzmq_router_by_identity(spawn, ctx, ours_binds):
    dealer, router = scripted(spawn, ctx, ours_binds, "dealer", zmq.ROUTER, "--routing-id", "ours")
    for body in BODIES:
        dealer.send(body)
        assert router.recv_multipart() == [b"ours"] + body
        router.send_multipart([b"ours", b"back"] + body)
        assert dealer.recv() == [b"back"] + body


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_dealer_to_dealer(spawn, ctx, ours_binds):
    ours, theirs = scripted(spawn, ctx, ours_binds, "dealer", zmq.DEALER)
    for body in BODIES:
        ours.send(body)
        assert theirs.recv_multipart() == body
        theirs.send_multipart(body[::-1])
        assert ours.recv() == body[::-1]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_router_to_router(spawn, ctx, ours_binds):
    ours, theirs = scripted(
        spawn, ctx, ours_binds, "router", zmq.ROUTER, "--routing-id", "ours", options=[(zmq.ROUTING_ID, b"theirs")]
    )
    # Whichever connected, the other learns its identity at the handshake.
    send_when_routable(theirs, [b"ours", b"hello"])
    assert ours.recv() == [b"theirs", b"hello"]
    for body in BODIES:
        ours.send([b"theirs"] + body)
        assert theirs.recv_multipart() == [b"ours"] + body


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_pair_to_pair(spawn, ctx, ours_binds):
    ours, theirs = scripted(spawn, ctx, ours_binds, "pair", zmq.PAIR)
    for body in BODIES:
        ours.send(body)
        assert theirs.recv_multipart() == body
        theirs.send_multipart(body[::-1])
        assert ours.recv() == body[::-1]


def test_a_second_pyzmq_pair_is_refused(spawn, ctx):
    ours, first = scripted(spawn, ctx, True, "pair", zmq.PAIR)
    endpoint = first.getsockopt(zmq.LAST_ENDPOINT).decode()
    first.send(b"first")
    assert ours.recv() == [b"first"]
    second = ctx.socket(zmq.PAIR)
    second.connect(endpoint)
    second.send(b"second")  # queued by libzmq; never delivered here
    ours.send([b"to the first"])
    assert first.recv_multipart() == [b"to the first"]
    first.send(b"again")
    assert ours.recv() == [b"again"]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_correlated_relaxed_req_to_pyzmq_router(spawn, ctx, ours_binds):
    req, router = scripted(
        spawn, ctx, ours_binds, "req", zmq.ROUTER, "--set", "req_correlate", "--set", "req_relaxed"
    )
    req.send([b"first"])
    identity, first_id, delimiter, body = router.recv_multipart()
    assert (len(first_id), delimiter, body) == (4, b"", b"first")
    req.send([b"second"])  # relaxed: no reply to the first needed
    _, second_id, _, _ = router.recv_multipart()
    assert second_id != first_id
    router.send_multipart([identity, first_id, b"", b"late"])
    router.send_multipart([identity, second_id, b"", b"right"])
    assert req.recv() == [b"right"], "the late reply is not taken"


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_probe_router_reaches_pyzmq_router(spawn, ctx, ours_binds):
    ours, router = scripted(spawn, ctx, ours_binds, "dealer", zmq.ROUTER, "--set", "probe_router", "--routing-id", "d")
    while not router.poll(10):
        ours.idle()  # a connection is taken in (and probed) when the socket is called
    assert router.recv_multipart() == [b"d", b""]


def test_router_mandatory_reports_an_unknown_identity(spawn, ctx):
    router, dealer = scripted(spawn, ctx, True, "router", zmq.DEALER, "--set", "router_mandatory")
    router.child.write("send " + "6e6f626f6479 78")
    assert router.child.line() == "ERR host unreachable"
    dealer.send(b"hi")
    identity, body = router.recv()
    router.send([identity, b"reply"])
    assert dealer.recv() == b"reply"


def test_xpub_welcome_message_reaches_pyzmq_sub(spawn, ctx):
    ours, sub = scripted(spawn, ctx, True, "xpub", zmq.SUB, "--set", "xpub_welcome_msg=WELCOME")
    sub.setsockopt(zmq.SUBSCRIBE, b"WELCOME")
    while not sub.poll(10):
        ours.idle()
    assert sub.recv() == b"WELCOME"
