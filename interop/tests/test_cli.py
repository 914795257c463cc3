"""The `ferrozmq` server and client against pyzmq's REQ and REP."""

import threading

import zmq

from conftest import CLI, WAIT, free_endpoint, free_port


def test_pyzmq_req_talks_to_ferrozmq_server_and_stop_ends_it(spawn, ctx):
    ep = free_endpoint()
    server = spawn(CLI, "server", "--bind", ep)
    req = ctx.socket(zmq.REQ)
    req.connect(ep)
    req.send(b"Hello")
    assert req.recv() == b"Message Received"
    assert server.line() == "Received request: Hello"
    req.send_multipart([b"two", b"parts\x00"])
    assert req.recv() == b"Message Received"
    assert server.line() == "Received request: two\tparts\\x00"
    req.send(b"stop")
    assert req.recv() == b"Message Received"
    assert server.line() == "Received request: stop"
    assert server.wait() == 0


def test_server_default_endpoint_is_127_0_0_1_9999(spawn, ctx):
    server = spawn(CLI, "server", "--reply", "pong")
    req = ctx.socket(zmq.REQ)
    req.connect("tcp://127.0.0.1:9999")
    req.send(b"stop")
    assert req.recv() == b"pong"
    assert server.wait() == 0


def rep_server(ctx, ep, count, received):
    rep = ctx.socket(zmq.REP)
    rep.bind(ep)

    def serve():
        for _ in range(count):
            received.append(rep.recv_multipart())
            rep.send(b"World")
        rep.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_ferrozmq_client_talks_to_pyzmq_rep(spawn, ctx):
    ep = free_endpoint()
    received = []
    thread = rep_server(ctx, ep, 3, received)
    client = spawn(CLI, "client", "--connect", ep, "--count", "3", "hi")
    assert [client.line() for _ in range(3)] == ["Received: World"] * 3
    assert client.wait() == 0
    thread.join(WAIT)
    assert received == [[b"hi"]] * 3


def test_client_round_robins_over_three_pyzmq_servers(spawn, ctx):
    endpoints = [free_endpoint() for _ in range(3)]
    received = [[] for _ in endpoints]
    threads = [rep_server(ctx, ep, 2, got) for ep, got in zip(endpoints, received)]
    args = [a for ep in endpoints for a in ("--connect", ep)]
    client = spawn(CLI, "client", *args, "--count", "6")
    assert client.wait() == 0
    for t in threads:
        t.join(WAIT)
    assert [len(r) for r in received] == [2, 2, 2]


def test_client_started_before_the_server_still_gets_its_reply(spawn, ctx):
    ep = free_endpoint()
    client = spawn(CLI, "client", "--connect", ep)
    received = []
    thread = rep_server(ctx, ep, 1, received)
    assert client.line() == "Received: World"
    assert client.wait() == 0
    thread.join(WAIT)


def one_line_error(child, expected):
    assert child.wait() == 1
    err = child.stderr()
    assert err.count("\n") == 1, err
    assert err.startswith("ferrozmq: error: ") and expected in err, err
    assert "panicked" not in err and "backtrace" not in err, err


def test_bad_endpoint_address_in_use_and_timeout_are_one_line_errors(spawn, ctx):
    one_line_error(spawn(CLI, "server", "--bind", "tcp://no-port"), "invalid endpoint")
    taken = ctx.socket(zmq.REP)
    port = free_port()
    taken.bind(f"tcp://127.0.0.1:{port}")
    one_line_error(spawn(CLI, "server", "--bind", f"tcp://127.0.0.1:{port}"), "address in use")
    one_line_error(
        spawn(CLI, "client", "--connect", free_endpoint(), "--timeout", "0.5"),
        "timed out waiting for a reply",
    )
