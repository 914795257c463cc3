"""PUSH/PULL with pyzmq both ways and both bind sides: 100k messages of 0 B
to 1 MiB, order kept."""

import pytest
import zmq

from conftest import BIND_SIDES, WAIT, linked, numbered

COUNT = 100_000


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_ferrozmq_push_to_pyzmq_pull(spawn, ctx, ours_binds):
    push, pull = linked(spawn, ctx, ours_binds, zmq.PULL, "push", "--count", COUNT)
    for i in range(COUNT):
        parts = pull.recv_multipart()
        if parts != numbered(i):
            pytest.fail(f"message {i} is wrong: sizes {[len(p) for p in parts]}")
    assert push.line() == f"SENT {COUNT}"
    assert push.wait() == 0


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_pyzmq_push_to_ferrozmq_pull(spawn, ctx, ours_binds):
    pull, push = linked(spawn, ctx, ours_binds, zmq.PUSH, "pull", "--count", COUNT)
    for i in range(COUNT):
        push.send_multipart(numbered(i), copy=False)
    assert pull.line(timeout=WAIT * 3) == f"OK {COUNT}"
    assert pull.wait() == 0
