"""PUB, SUB, XPUB and XSUB against pyzmq (RFC 29): every compatible pair,
ferrozmq on one side, pyzmq on the other, each side binding in turn;
prefix filtering, multipart messages, subscriptions both as ZMTP 3.1
commands and as XPUB/XSUB messages, and the unsubscribe an XPUB makes up
when a subscriber leaves."""

import threading

import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from conftest import BIND_SIDES, WAIT, scripted

SEQUENCE = [[b"B-not-this"], [b"A1", b"x"], [b"other"], [b"A2", b"multi", b"part"], [b"A-end"]]
EXPECTED = [[b"A1", b"x"], [b"A2", b"multi", b"part"], [b"A-end"]]


def sync_from_ours(ours, theirs):
    """Our publisher sends `A-sync` until pyzmq's subscriber has one (its
    subscription has arrived), then pyzmq drains the extra ones."""
    for _ in range(500):
        ours.send([b"A-sync"])
        if theirs.poll(20):
            break
    else:
        raise AssertionError("the subscription never reached the publisher")
    while theirs.poll(100):
        assert theirs.recv_multipart() == [b"A-sync"]


def publish_until_received(publisher, received: threading.Event):
    """pyzmq's publisher sends `A-sync` until our subscriber says it has
    one."""

    def run():
        while not received.wait(0.01):
            publisher.send(b"A-sync")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def first_notice(ours, theirs):
    """The first message our XPUB gets. libzmq's SUB takes in a new
    connection (and sends it the subscriptions) only when its application
    calls it, so pyzmq's side is polled meanwhile."""
    while True:
        theirs.poll(10)
        msg = ours.idle()
        if msg is not None:
            return msg


def receive_sequence_skipping_syncs(ours):
    got = []
    while len(got) < len(EXPECTED):
        msg = ours.recv()
        if msg != [b"A-sync"]:
            got.append(msg)
    return got


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
@pytest.mark.parametrize("their_type", [zmq.SUB, zmq.XSUB], ids=["SUB", "XSUB"])
def test_ferrozmq_pub_to_pyzmq_subscriber(spawn, ctx, ours_binds, their_type):
    ours, theirs = scripted(spawn, ctx, ours_binds, "pub", their_type)
    if their_type == zmq.SUB:
        theirs.setsockopt(zmq.SUBSCRIBE, b"A")
    else:
        theirs.send(b"\x01A")
    sync_from_ours(ours, theirs)
    for msg in SEQUENCE:
        ours.send(msg)
    assert [theirs.recv_multipart() for _ in EXPECTED] == EXPECTED
    assert not theirs.poll(100), "a message that matches nothing came"


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_pyzmq_pub_to_ferrozmq_sub(spawn, ctx, ours_binds):
    ours, theirs = scripted(spawn, ctx, ours_binds, "sub", zmq.PUB)
    ours.subscribe(b"A")
    received = threading.Event()
    thread = publish_until_received(theirs, received)
    assert ours.recv() == [b"A-sync"]
    received.set()
    thread.join()
    for msg in SEQUENCE:
        theirs.send_multipart(msg)
    assert receive_sequence_skipping_syncs(ours) == EXPECTED


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_pyzmq_xpub_sees_ferrozmq_sub_subscribe_and_unsubscribe(spawn, ctx, ours_binds):
    ours, theirs = scripted(spawn, ctx, ours_binds, "sub", zmq.XPUB)
    ours.subscribe(b"A")
    ours.subscribe(b"")
    got = []
    while len(got) < 2:
        # Until our socket has taken in the connection, it has no one to
        # send subscriptions to.
        assert ours.idle() is None
        while theirs.poll(0):
            got.append(theirs.recv())
    assert sorted(got) == [b"\x01", b"\x01A"]
    for msg in SEQUENCE:
        theirs.send_multipart(msg)
    assert [ours.recv() for _ in SEQUENCE] == SEQUENCE, "the empty prefix takes everything"
    ours.subscribe(b"", on=False)
    assert theirs.recv() == b"\x00"
    # Subscribed twice, unsubscribed once: still subscribed.
    ours.subscribe(b"A")
    ours.subscribe(b"A", on=False)
    ours.subscribe(b"A", on=False)
    assert theirs.recv() == b"\x00A"


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_ferrozmq_xsub_to_pyzmq_xpub(spawn, ctx, ours_binds):
    ours, theirs = scripted(spawn, ctx, ours_binds, "xsub", zmq.XPUB)
    ours.send([b"\x01A"])
    while not theirs.poll(0):
        assert ours.idle() is None
    assert theirs.recv() == b"\x01A"
    for msg in SEQUENCE:
        theirs.send_multipart(msg)
    assert [ours.recv() for _ in EXPECTED] == EXPECTED
    # Anything else an XSUB sends reaches the XPUB's application.
    ours.send([b"upstream", b"message"])
    assert theirs.recv_multipart() == [b"upstream", b"message"]
    ours.send([b"\x00A"])
    assert theirs.recv() == b"\x00A"


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_ferrozmq_xpub_to_pyzmq_sub(spawn, ctx, ours_binds):
    ours, theirs = scripted(spawn, ctx, ours_binds, "xpub", zmq.SUB)
    theirs.setsockopt(zmq.SUBSCRIBE, b"A")
    assert first_notice(ours, theirs) == [b"\x01A"]
    for msg in SEQUENCE:
        ours.send(msg)
    assert [theirs.recv_multipart() for _ in EXPECTED] == EXPECTED
    theirs.setsockopt(zmq.UNSUBSCRIBE, b"A")
    assert ours.recv() == [b"\x00A"]
    theirs.setsockopt(zmq.SUBSCRIBE, b"B")
    assert ours.recv() == [b"\x01B"]
    # A subscriber that leaves is unsubscribed for it.
    theirs.close()
    assert ours.recv() == [b"\x00B"]


def test_pub_to_pull_is_refused_at_the_handshake(spawn, ctx):
    ours, _ = scripted(spawn, ctx, True, "pub", zmq.SUB)
    endpoint = _.getsockopt(zmq.LAST_ENDPOINT).decode()
    pull = ctx.socket(zmq.PULL)
    monitor = pull.get_monitor_socket()
    pull.connect(endpoint)
    while True:
        assert monitor.poll(int(WAIT * 1000)), "no handshake event"
        event = recv_monitor_message(monitor)["event"]
        assert event != zmq.EVENT_HANDSHAKE_SUCCEEDED
        if event in (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_DISCONNECTED):
            break



def test_pub_drops_for_a_subscriber_that_does_not_read(spawn, ctx):
    """RFC 29 and libzmq: a PUB never blocks; what a full subscriber
    cannot take is dropped for it."""
    ours, theirs = scripted(spawn, ctx, True, "pub", zmq.SUB, options=[(zmq.RCVHWM, 10), (zmq.SUBSCRIBE, b"")])
    sync_from_ours(ours, theirs)
    accepted, refused = ours.flood(200_000)
    assert (accepted, refused) == (200_000, 0)
    received = 0
    while theirs.poll(200):
        theirs.recv()
        received += 1
    assert 0 < received < 200_000, received



def test_manual_xpub_applies_what_the_application_says(spawn, ctx):
    """xpub_manual: our XPUB receives a pyzmq SUB's subscription and, told
    to, subscribes it to a narrower prefix than it asked for."""
    ours, theirs = scripted(spawn, ctx, True, "xpub", zmq.SUB, "--set", "xpub_manual")
    theirs.setsockopt(zmq.SUBSCRIBE, b"A")
    assert first_notice(ours, theirs) == [b"\x01A"]
    ours.subscribe(b"A2")
    for msg in SEQUENCE:
        ours.send(msg)
    assert theirs.recv_multipart() == [b"A2", b"multi", b"part"]
    assert not theirs.poll(100), "only what the application subscribed it to"
