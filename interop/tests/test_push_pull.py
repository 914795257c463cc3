"""PUSH/PULL with pyzmq both ways and both bind sides: 100k messages of 0 B
to 1 MiB, order kept."""

import pytest
import zmq

from conftest import PEER, WAIT, free_endpoint, numbered

COUNT = 100_000


@pytest.mark.parametrize("ours_binds", [True, False], ids=["ferrozmq-binds", "pyzmq-binds"])
def test_ferrozmq_push_to_pyzmq_pull(spawn, ctx, ours_binds):
    pull = ctx.socket(zmq.PULL)
    if ours_binds:
        push = spawn(PEER, "push", "--bind", "tcp://127.0.0.1:0", "--count", COUNT)
        pull.connect(push.ready())
    else:
        ep = free_endpoint()
        pull.bind(ep)
        push = spawn(PEER, "push", "--connect", ep, "--count", COUNT)
        push.ready()
    for i in range(COUNT):
        parts = pull.recv_multipart()
        if parts != numbered(i):
            pytest.fail(f"message {i} is wrong: sizes {[len(p) for p in parts]}")
    assert push.line() == f"SENT {COUNT}"
    assert push.wait() == 0


@pytest.mark.parametrize("ours_binds", [True, False], ids=["ferrozmq-binds", "pyzmq-binds"])
def test_pyzmq_push_to_ferrozmq_pull(spawn, ctx, ours_binds):
    push = ctx.socket(zmq.PUSH)
    if ours_binds:
        pull = spawn(PEER, "pull", "--bind", "tcp://127.0.0.1:0", "--count", COUNT)
        push.connect(pull.ready())
    else:
        ep = free_endpoint()
        push.bind(ep)
        pull = spawn(PEER, "pull", "--connect", ep, "--count", COUNT)
        pull.ready()
    for i in range(COUNT):
        push.send_multipart(numbered(i), copy=False)
    assert pull.line(timeout=WAIT * 3) == f"OK {COUNT}"
    assert pull.wait() == 0
