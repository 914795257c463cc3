"""`ferrozmq proxy` between pyzmq peers: the zguide's request-reply broker
(ROUTER/DEALER) and forwarder (XSUB/XPUB), with a capture socket."""

import zmq

from conftest import CLI, free_endpoint


def test_router_dealer_broker_between_pyzmq_clients_and_workers(spawn, ctx):
    front, back, cap = free_endpoint(), free_endpoint(), free_endpoint()
    capture = ctx.socket(zmq.PULL)
    capture.bind(cap)
    spawn(CLI, "proxy", "--frontend", f"router@{front}", "--backend", f"dealer@{back}", "--capture", f"push>{cap}")
    worker = ctx.socket(zmq.REP)
    worker.connect(back)
    clients = [ctx.socket(zmq.REQ) for _ in range(3)]
    for n, client in enumerate(clients):
        client.connect(front)
        client.send_multipart([b"request", str(n).encode()])
    for _ in clients:
        request = worker.recv_multipart()
        worker.send_multipart([b"reply"] + request[1:])
    for n, client in enumerate(clients):
        assert client.recv_multipart() == [b"reply", str(n).encode()]
    copies = [capture.recv_multipart() for _ in range(6)]
    assert sum(1 for c in copies if c[-2:-1] == [b"request"]) == 3


def test_xsub_xpub_forwarder_carries_subscriptions_and_messages(spawn, ctx):
    front, back = free_endpoint(), free_endpoint()
    publisher = ctx.socket(zmq.PUB)
    publisher.bind(front)
    spawn(CLI, "proxy", "--frontend", f"xsub>{front}", "--backend", f"xpub@{back}")
    subscriber = ctx.socket(zmq.SUB)
    subscriber.connect(back)
    subscriber.setsockopt(zmq.SUBSCRIBE, b"A")
    # The subscription travels SUB -> XPUB -> XSUB -> PUB; until it has
    # arrived the publisher drops what it sends.
    while True:
        publisher.send(b"B not this")
        publisher.send(b"A this")
        if subscriber.poll(20):
            break
    assert subscriber.recv() == b"A this"
