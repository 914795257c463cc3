"""The `ferrozmq <type>` cat tools against pyzmq, one test per socket type:
what a user pipes together in a shell."""

import zmq

from conftest import CLI, free_endpoint


def bound(ctx, zmq_type, *options):
    sock = ctx.socket(zmq_type)
    for option, value in options:
        sock.setsockopt(option, value)
    ep = free_endpoint()
    sock.bind(ep)
    return sock, ep


def test_push_sends_stdin_lines_to_pyzmq_pull(spawn, ctx):
    pull, ep = bound(ctx, zmq.PULL)
    push = spawn(CLI, "push", "--connect", ep, stdin=True)
    push.write("one")
    push.write("two\tframes")
    push.write("binary\\x00\\xff")
    push.proc.stdin.close()
    assert [pull.recv_multipart() for _ in range(3)] == [[b"one"], [b"two", b"frames"], [b"binary\x00\xff"]]
    assert push.wait() == 0


def test_pull_prints_what_pyzmq_push_sends(spawn, ctx):
    push, ep = bound(ctx, zmq.PUSH)
    pull = spawn(CLI, "pull", "--connect", ep, "--count", "2")
    push.send_multipart([b"a", b"b\x01"])
    push.send(b"caf\xc3\xa9")
    assert [pull.line(), pull.line()] == ["a\tb\\x01", "café"]
    assert pull.wait() == 0


def test_req_to_pyzmq_rep(spawn, ctx):
    rep, ep = bound(ctx, zmq.REP)
    req = spawn(CLI, "req", "--connect", ep, "--send", "hello", "--send", "again")
    for request in [b"hello", b"again"]:
        assert rep.recv() == request
        rep.send(b"re " + request)
    assert [req.line(), req.line()] == ["re hello", "re again"]
    assert req.wait() == 0


def test_rep_answers_pyzmq_req(spawn, ctx):
    ep = free_endpoint()
    rep = spawn(CLI, "rep", "--bind", ep, "--send", "first", "--send", "rest", "--count", "3")
    req = ctx.socket(zmq.REQ)
    req.connect(ep)
    answers = []
    for i in range(3):
        req.send(b"q%d" % i)
        answers.append(req.recv())
    assert answers == [b"first", b"rest", b"rest"]
    assert [rep.line() for _ in range(3)] == ["q0", "q1", "q2"]
    assert rep.wait() == 0


def test_dealer_to_pyzmq_router(spawn, ctx):
    router, ep = bound(ctx, zmq.ROUTER)
    dealer = spawn(CLI, "dealer", "--connect", ep, "--routing-id", "cat", "--send", "hi", "--count", "1")
    assert router.recv_multipart() == [b"cat", b"hi"]
    router.send_multipart([b"cat", b"back", b"two"])
    assert dealer.line() == "back\ttwo"
    assert dealer.wait() == 0


def test_router_prints_the_identity_and_answers_by_it(spawn, ctx):
    ep = free_endpoint()
    router = spawn(CLI, "router", "--bind", ep, "--count", "1")
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.ROUTING_ID, b"py")
    dealer.connect(ep)
    dealer.send(b"hello")
    assert router.line() == "py\thello"
    assert router.wait() == 0


def test_pub_to_pyzmq_sub(spawn, ctx):
    sub, ep = bound(ctx, zmq.SUB, (zmq.SUBSCRIBE, b"A"))
    pub = spawn(CLI, "pub", "--connect", ep, stdin=True)
    # A publisher drops what it sends before the subscription reaches it.
    while True:
        pub.write("B not this")
        pub.write("A this")
        if sub.poll(50):
            break
    assert sub.recv() == b"A this"
    pub.proc.stdin.close()
    assert pub.wait() == 0


def test_sub_prints_only_its_prefixes(spawn, ctx):
    pub, ep = bound(ctx, zmq.PUB)
    sub = spawn(CLI, "sub", "--connect", ep, "--subscribe", "A", "--count", "1")
    while sub.proc.poll() is None:
        pub.send(b"B not this")
        pub.send(b"A this")
        if not sub.lines.empty():
            break
        zmq.Poller().poll(20)
    assert sub.line() == "A this"
    assert sub.wait() == 0


def test_xpub_prints_subscriptions_of_pyzmq_sub(spawn, ctx):
    ep = free_endpoint()
    xpub = spawn(CLI, "xpub", "--bind", ep, "--count", "1")
    sub = ctx.socket(zmq.SUB)
    sub.connect(ep)
    sub.setsockopt(zmq.SUBSCRIBE, b"topic")
    while xpub.lines.empty():
        sub.poll(20)  # lets libzmq take in the connection and subscribe
    assert xpub.line() == "\\x01topic"
    assert xpub.wait() == 0


def test_xsub_subscribes_at_pyzmq_xpub(spawn, ctx):
    xpub, ep = bound(ctx, zmq.XPUB)
    xsub = spawn(CLI, "xsub", "--connect", ep, "--send", "\\x01A", "--count", "1")
    assert xpub.recv() == b"\x01A"
    xpub.send_multipart([b"A", b"news"])
    assert xsub.line() == "A\tnews"
    assert xsub.wait() == 0


def test_pair_with_pyzmq_pair(spawn, ctx):
    pair, ep = bound(ctx, zmq.PAIR)
    ours = spawn(CLI, "pair", "--connect", ep, "--send", "ping", "--count", "1")
    assert pair.recv() == b"ping"
    pair.send(b"pong")
    assert ours.line() == "pong"
    assert ours.wait() == 0


def test_a_timeout_is_exit_status_1(spawn):
    pull = spawn(CLI, "pull", "--bind", free_endpoint(), "--count", "1", "--timeout", "0.2")
    assert pull.wait() == 1
    assert pull.stderr().strip() == "ferrozmq: error: timed out"
