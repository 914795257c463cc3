"""ipc:// against pyzmq: REQ/REP, PUB/SUB and PUSH/PULL over a Unix socket
file, ferrozmq and pyzmq each binding in turn."""

import pytest
import zmq

from conftest import BIND_SIDES, numbered, scripted_at


def linked_ipc(spawn, ctx, tmp_path, ours_binds, our_type, zmq_type):
    endpoint = f"ipc://{tmp_path / 'zmq.sock'}"
    return scripted_at(spawn, ctx, endpoint, ours_binds, our_type, zmq_type)


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_req_rep_over_ipc(spawn, ctx, tmp_path, ours_binds):
    rep, req = linked_ipc(spawn, ctx, tmp_path, ours_binds, "rep", zmq.REQ)
    for n in range(3):
        req.send_multipart([b"request", bytes([n])])
        assert rep.recv() == [b"request", bytes([n])]
        rep.send([b"reply", bytes([n])])
        assert req.recv_multipart() == [b"reply", bytes([n])]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_pyzmq_pub_to_our_sub_over_ipc(spawn, ctx, tmp_path, ours_binds):
    sub, publisher = linked_ipc(spawn, ctx, tmp_path, ours_binds, "sub", zmq.XPUB)
    sub.subscribe(b"A")
    while not publisher.poll(10):
        assert sub.idle() is None
    assert publisher.recv() == b"\x01A"
    publisher.send_multipart([b"B", b"no"])
    publisher.send_multipart([b"A", b"yes"])
    assert sub.recv() == [b"A", b"yes"]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_our_push_to_pyzmq_pull_over_ipc(spawn, ctx, tmp_path, ours_binds):
    push, pull = linked_ipc(spawn, ctx, tmp_path, ours_binds, "push", zmq.PULL)
    for i in range(20):
        push.send(numbered(i))
    for i in range(20):
        assert pull.recv_multipart() == numbered(i)
