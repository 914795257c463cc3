"""PUSH/PULL with pyzmq both ways and both bind sides: 100k messages of 0 B
to 1 MiB, order kept."""

import pytest
import zmq

from conftest import BIND_SIDES, WAIT, linked, numbered, scripted

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


def test_push_blocks_at_the_hwm_of_a_pull_that_does_not_read(spawn, ctx):
    """RFC 30 and libzmq: a PUSH blocks (here: refuses without waiting)
    once its peer holds its high-water mark, and goes on when it reads."""
    ours, theirs = scripted(spawn, ctx, True, "push", zmq.PULL, options=[(zmq.RCVHWM, 10)])
    ours.child.write("send " + b"first".hex())
    assert ours.child.line() == "SENT"
    assert theirs.recv() == b"first"
    accepted, refused = ours.flood(200_000)
    assert refused > 0 and accepted < 200_000, (accepted, refused)
    for _ in range(accepted):
        theirs.recv()
    ours.child.write("send " + b"after".hex())
    assert ours.child.line() == "SENT"
    assert theirs.recv() == b"after"
