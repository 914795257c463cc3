"""The library's REQ and REP against pyzmq's, both directions, both bind
sides (through `ferrozmq-peer`)."""

import ipaddress
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from conftest import BIND_SIDES, PEER, WAIT, free_port, hex_parts, linked, parse_hex_parts

REQUESTS = [
    [b"Hello"],
    [b"multi", b"part", b"request"],
    [b"", b"empty", b"", b"frames", b""],
    [b"\x00\xff" * 10, bytes(range(256))],
    [b"big", b"x" * (1 << 20)],
]


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_pyzmq_req_to_ferrozmq_rep(spawn, ctx, ours_binds):
    _, req = linked(spawn, ctx, ours_binds, zmq.REQ, "rep")
    for parts in REQUESTS:
        req.send_multipart(parts)
        assert req.recv_multipart() == parts


@pytest.mark.parametrize("ours_binds", **BIND_SIDES)
def test_ferrozmq_req_to_pyzmq_rep(spawn, ctx, ours_binds):
    req, rep = linked(spawn, ctx, ours_binds, zmq.REP, "req", stdin=True)
    for parts in REQUESTS:
        req.write(hex_parts(parts))
        assert rep.recv_multipart() == parts
        rep.send_multipart(parts[::-1])
        assert parse_hex_parts(req.line()) == parts[::-1]


def rep_peer(spawn):
    """A ferrozmq REP echo server bound to an ephemeral port."""
    peer = spawn(PEER, "rep", "--bind", "tcp://127.0.0.1:0")
    return peer.ready()


def test_one_ferrozmq_rep_serves_50_concurrent_pyzmq_clients(spawn, ctx):
    ep = rep_peer(spawn)
    errors = []

    def client(n):
        try:
            s = ctx.socket(zmq.REQ)
            s.connect(ep)
            for i in range(20):
                s.send_multipart([b"client", str(n).encode(), str(i).encode()])
                assert s.recv_multipart() == [b"client", str(n).encode(), str(i).encode()]
            s.close()
        except Exception as e:  # reported below, with the client's number
            errors.append((n, repr(e)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
    assert errors == []


def test_one_ferrozmq_req_round_robins_over_three_pyzmq_reps(spawn, ctx):
    reps = []
    for _ in range(3):
        rep = ctx.socket(zmq.REP)
        rep.bind("tcp://127.0.0.1:*")
        reps.append(rep)
    args = [a for r in reps for a in ("--connect", r.getsockopt(zmq.LAST_ENDPOINT).decode())]
    req = spawn(PEER, "req", *args, stdin=True)
    req.ready()
    poller = zmq.Poller()
    for r in reps:
        poller.register(r, zmq.POLLIN)
    served = [0, 0, 0]
    for i in range(9):
        req.write(hex_parts([str(i).encode()]))
        ready = dict(poller.poll(WAIT * 1000))
        (index,) = [k for k, r in enumerate(reps) if r in ready]
        assert reps[index].recv() == str(i).encode()
        reps[index].send(b"ok")
        assert req.line() == b"ok".hex()
        served[index] += 1
    assert served == [3, 3, 3]


def watch(sock):
    """A monitor on `sock` for connection losses."""
    return sock.get_monitor_socket(zmq.EVENT_DISCONNECTED | zmq.EVENT_CLOSED)


def disconnections(monitor, seconds):
    """Waits `seconds` for monitor events; returns the ones that came."""
    events = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if monitor.poll(int(left * 1000)):
            events.append(recv_monitor_message(monitor)["event"])
    return events


def heartbeating(sock):
    sock.setsockopt(zmq.HEARTBEAT_IVL, 100)
    sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 1000)
    sock.setsockopt(zmq.HEARTBEAT_TTL, 1000)


def test_pyzmq_heartbeats_against_ferrozmq_rep_keep_the_connection(spawn, ctx):
    """pyzmq PINGs every 100 ms and drops the link if no reply comes in 1 s:
    our PONGs must keep it up for seconds, traffic or not."""
    ep = rep_peer(spawn)
    req = ctx.socket(zmq.REQ)
    heartbeating(req)
    monitor = watch(req)
    req.connect(ep)
    for i in range(6):
        req.send(b"ping %d" % i)
        assert req.recv() == b"ping %d" % i
        assert disconnections(monitor, 0.8) == []


def test_ferrozmq_req_heartbeats_against_pyzmq_rep_keep_the_connection(spawn, ctx):
    """Both sides heartbeat: pyzmq REP bound, ferrozmq REQ with its own
    PINGs; pyzmq answers them and sees no silence."""
    rep = ctx.socket(zmq.REP)
    heartbeating(rep)
    monitor = watch(rep)
    rep.bind("tcp://127.0.0.1:*")
    ep = rep.getsockopt(zmq.LAST_ENDPOINT).decode()
    req = spawn(PEER, "req", "--connect", ep, "--heartbeat-ivl", "100",
                "--heartbeat-timeout", "1000", stdin=True)
    req.ready()
    for i in range(6):
        req.write(hex_parts([b"%d" % i]))
        assert rep.recv() == b"%d" % i
        rep.send(b"ok")
        assert req.line() == b"ok".hex()
        assert disconnections(monitor, 0.8) == []


def test_pyzmq_dealer_to_ferrozmq_rep_keeps_each_envelope(spawn, ctx):
    """A DEALER speaks to REP with its own delimiter; REP answers along the
    whole envelope, however many hops it has, and in order."""
    ep = rep_peer(spawn)
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(ep)
    requests = [[b"", b"one"], [b"hop", b"", b"two"], [b"a", b"b", b"", b"x", b"y"]]
    for parts in requests * 10:
        dealer.send_multipart(parts)
    for parts in requests * 10:
        assert dealer.recv_multipart() == parts


def test_ferrozmq_req_to_pyzmq_router_with_and_without_a_routing_id(spawn, ctx):
    """ROUTER sees [routing id, "", body]: the id REQ announces in its READY,
    or one ROUTER makes up when it announces none."""
    router = ctx.socket(zmq.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    ep = router.getsockopt(zmq.LAST_ENDPOINT).decode()
    for extra, expected_id in [(["--routing-id", "fz-req-1"], b"fz-req-1"), ([], None)]:
        req = spawn(PEER, "req", "--connect", ep, *extra, stdin=True)
        req.ready()
        req.write(hex_parts([b"hello"]))
        routing_id, delimiter, body = router.recv_multipart()
        assert (delimiter, body) == (b"", b"hello")
        if expected_id is None:
            assert len(routing_id) == 5 and routing_id[0] == 0, routing_id
        else:
            assert routing_id == expected_id
        router.send_multipart([routing_id, b"", b"world"])
        assert req.line() == b"world".hex()
        req.kill()


def test_pyzmq_req_whose_routing_id_starts_with_zero_is_served(spawn, ctx):
    """RFC 37: only a ROUTER uses the Identity; REP ignores it, as
    libzmq's REP does, even where it starts with a zero octet."""
    ep = rep_peer(spawn)
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.ROUTING_ID, b"\x00abc")
    req.connect(ep)
    req.send(b"zero")
    assert req.recv() == b"zero"


def test_a_request_from_pyzmq_tells_ferrozmq_who_sent_it(spawn, ctx):
    """zmq_msg_gets on our side: a request from pyzmq's REQ carries its
    Socket-Type, its Identity (the routing id pyzmq set) and the address
    it came from."""
    rep = spawn(PEER, "rep", "--bind", "tcp://127.0.0.1:*",
                "--properties", "Socket-Type,Identity,Peer-Address,User-Id")
    ep = rep.ready()
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.ROUTING_ID, b"py-1")
    req.connect(ep)
    req.send(b"who am I")
    assert rep.line() == "PROPERTIES " + " ".join([
        "Socket-Type=" + b"REQ".hex(),
        "Identity=" + b"py-1".hex(),
        "Peer-Address=" + b"127.0.0.1".hex(),
        "User-Id=-",
    ])
    assert req.recv() == b"who am I"


def test_ferrozmq_req_connects_from_a_source_address_as_libzmq_writes_it(spawn, ctx):
    """libzmq's `tcp://source;peer` connect form: the connection to pyzmq's
    REP comes from the source address and port (the kernel's table of
    connections shows it; pyzmq's Peer-Address shows the address)."""
    rep = ctx.socket(zmq.REP)
    rep.bind("tcp://127.0.0.1:*")
    ep = rep.getsockopt(zmq.LAST_ENDPOINT).decode()
    source = free_port()
    req = spawn(PEER, "req", "--connect", f"tcp://127.0.0.1:{source};{ep[len('tcp://'):]}", stdin=True)
    req.ready()
    req.write(hex_parts([b"from the source"]))
    frame = rep.recv(copy=False)
    assert (frame.bytes, frame.get("Peer-Address")) == (b"from the source", "127.0.0.1")
    rep_port = ep.rsplit(":", 1)[1]
    established = subprocess.run(
        ["ss", "-tnH", "state", "established", f"( sport = :{source} and dport = :{rep_port} )"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert established.strip(), f"no connection from port {source} to {rep_port}"
    rep.send(b"ok")
    assert req.line() == b"ok".hex()


@pytest.mark.parametrize("name", [name for _, name in socket.if_nameindex()])
def test_ferrozmq_binds_an_interface_name_as_libzmq_does(spawn, ctx, name):
    """`tcp://eth0:*` binds the interface's address: the one libzmq picks,
    or, where libzmq finds none, an error."""
    probe = ctx.socket(zmq.REP)
    try:
        probe.bind(f"tcp://{name}:*")
    except zmq.ZMQError:
        peer = spawn(PEER, "rep", "--bind", f"tcp://{name}:*")
        assert peer.wait() != 0
        return
    theirs = probe.getsockopt(zmq.LAST_ENDPOINT).decode()
    ours = spawn(PEER, "rep", "--bind", f"tcp://{name}:*").ready()
    assert ours.rsplit(":", 1)[0] == theirs.rsplit(":", 1)[0]
    req = ctx.socket(zmq.REQ)
    req.connect(ours)
    req.send(name.encode())
    assert req.recv() == name.encode()


def link_local_address():
    """An IPv6 link-local address of this machine and its interface's name,
    or None (from /proc/net/if_inet6: address, index, prefix, scope 0x20)."""
    try:
        lines = Path("/proc/net/if_inet6").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        hexaddr, _, _, scope, _, name = line.split()
        if scope == "20":
            return str(ipaddress.IPv6Address(bytes.fromhex(hexaddr))), name
    return None


@pytest.mark.skipif(link_local_address() is None, reason="no IPv6 link-local address here")
def test_ipv6_link_local_with_a_scope_both_ways(spawn, ctx):
    """`tcp://[fe80::…%eth0]:port`: a scoped address binds and connects, and
    the last endpoint ferrozmq reports (scope as an index) is one libzmq
    connects to."""
    ip, name = link_local_address()
    ours = spawn(PEER, "rep", "--bind", f"tcp://[{ip}%{name}]:0").ready()
    assert ours.startswith(f"tcp://[{ip}%") and "%" + name not in ours, ours
    req = ctx.socket(zmq.REQ)
    req.ipv6 = True
    req.connect(ours)
    req.send(b"scoped")
    assert req.recv() == b"scoped"

    rep = ctx.socket(zmq.REP)
    rep.ipv6 = True
    rep.bind(f"tcp://[{ip}%{name}]:*")
    port = rep.getsockopt(zmq.LAST_ENDPOINT).decode().rsplit(":", 1)[1]
    client = spawn(PEER, "req", "--connect", f"tcp://[{ip}%{name}]:{port}", stdin=True)
    client.ready()
    client.write(hex_parts([b"back"]))
    assert rep.recv() == b"back"
    rep.send(b"ok")
    assert client.line() == b"ok".hex()
