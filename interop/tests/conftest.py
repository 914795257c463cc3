"""Fixtures for the interop suite: pyzmq in this process, ferrozmq as the
`ferrozmq` CLI and the `ferrozmq-peer` binary in child processes."""

import os
import queue
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import zmq

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug"
CLI = TARGET / "ferrozmq"
PEER = TARGET / "examples" / "ferrozmq-peer"
WAIT = 20.0  # seconds any single wait may take before the test fails


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_endpoint() -> str:
    return f"tcp://127.0.0.1:{free_port()}"


class Child:
    """A child process whose stdout lines are read by a thread, so a test
    can wait for a line with a deadline."""

    def __init__(self, args, stdin=False):
        self.args = [str(a) for a in args]
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout=WAIT) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.args}: no output within {timeout} s") from None
        if line is None:
            raise AssertionError(f"{self.args}: exited: {self.proc.wait()} {self.proc.stderr.read()}")
        return line

    def ready(self) -> str:
        """Waits for `READY <endpoint>` and returns the endpoint."""
        line = self.line()
        assert line.startswith("READY "), line
        return line.split(" ", 1)[1]

    def write(self, line: str):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait(self, timeout=WAIT) -> int:
        return self.proc.wait(timeout=timeout)

    def stderr(self) -> str:
        return self.proc.stderr.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def spawn():
    """Starts children; kills every one of them when the test ends."""
    children = []

    def start(*args, stdin=False):
        child = Child(args, stdin=stdin)
        children.append(child)
        return child

    yield start
    for child in children:
        child.kill()


@pytest.fixture
def ctx():
    """A pyzmq context whose sockets time out instead of hanging."""
    context = zmq.Context()
    context.setsockopt(zmq.LINGER, 0)
    context.setsockopt(zmq.RCVTIMEO, int(WAIT * 1000))
    context.setsockopt(zmq.SNDTIMEO, int(WAIT * 1000))
    yield context
    context.destroy(linger=0)


def linked(spawn, ctx, ours_binds: bool, zmq_type, *peer_args, stdin=False, options=()):
    """A `ferrozmq-peer` (mode and options in `peer_args`) and a pyzmq socket
    of `zmq_type` (with socket `options`, pairs of option and value, set
    first), connected over tcp; the ferrozmq side binds when `ours_binds`,
    the pyzmq side otherwise."""
    sock = ctx.socket(zmq_type)
    for option, value in options:
        sock.setsockopt(option, value)
    if ours_binds:
        peer = spawn(PEER, *peer_args, "--bind", "tcp://127.0.0.1:0", stdin=stdin)
        sock.connect(peer.ready())
    else:
        endpoint = free_endpoint()
        sock.bind(endpoint)
        peer = spawn(PEER, *peer_args, "--connect", endpoint, stdin=stdin)
        peer.ready()
    return peer, sock


def as_bytes(key) -> bytes:
    return key if isinstance(key, bytes) else key.encode()


def curve_server(ctx, zmq_type, secret):
    """A pyzmq CURVE server socket with the secret key `secret` (Z85)."""
    sock = ctx.socket(zmq_type)
    sock.curve_server = True
    sock.curve_secretkey = as_bytes(secret)
    return sock


def curve_client(ctx, zmq_type, public, secret, server_public):
    """A pyzmq CURVE client socket with its key pair, for `server_public`
    (keys Z85, as str or bytes)."""
    sock = ctx.socket(zmq_type)
    sock.curve_secretkey = as_bytes(secret)
    sock.curve_publickey = as_bytes(public)
    sock.curve_serverkey = as_bytes(server_public)
    return sock


def plain_client(ctx, zmq_type, username, password):
    """A pyzmq PLAIN client socket with these credentials (str)."""
    sock = ctx.socket(zmq_type)
    sock.plain_username = username.encode()
    sock.plain_password = password.encode()
    return sock


def our_plain_request(spawn, rep, endpoint):
    """Our PLAIN REQ (`admin`/`secret`) sends "hi" to the pyzmq PLAIN
    server `rep` bound at `endpoint`, which replies "ok"; returns the
    frame `rep` received, with its properties."""
    req = spawn(PEER, "req", "--connect", endpoint, "--plain-user", "admin", "--plain-password", "secret", stdin=True)
    req.ready()
    req.write("6869")
    frame = rep.recv(copy=False)
    rep.send(b"ok")
    assert req.line() == "6f6b"
    return frame


BIND_SIDES = {"argvalues": [True, False], "ids": ["ferrozmq-binds", "pyzmq-binds"]}


def numbered(i: int):
    """Message `i` of a numbered stream; the same as ferrozmq-peer makes."""
    if i % 1000 == 999:
        size = 1 << 20
    elif i % 100 == 99:
        size = 65536
    else:
        size = [0, 1, 16, 255, 256, 1000, 4096][i % 7]
    return [i.to_bytes(8, "big"), bytes([i % 251]) * size]


def hex_parts(parts) -> str:
    return " ".join(p.hex() if p else "-" for p in parts)


def parse_hex_parts(line: str):
    return [b"" if h == "-" else bytes.fromhex(h) for h in line.split(" ")]


class Script:
    """A `ferrozmq-peer script` child: a ferrozmq socket of any type,
    driven one call at a time."""

    def __init__(self, child):
        self.child = child

    def send(self, parts):
        self.child.write("send " + hex_parts(parts))
        answer = self.child.line()
        assert answer == "SENT", answer

    def subscribe(self, prefix: bytes, on=True):
        self.child.write(("subscribe " if on else "unsubscribe ") + (prefix.hex() or "-"))
        answer = self.child.line()
        assert answer == "DONE", answer

    def flood(self, n):
        """Tries to send `n` messages without waiting; returns how many
        were accepted and how many refused."""
        self.child.write(f"flood {n}")
        _, accepted, _, refused = self.child.line().split(" ")
        return int(accepted), int(refused)

    def idle(self, ms=20):
        """Lets the socket take in what changed (new connections); returns
        a message that came meanwhile, or None."""
        self.child.write(f"idle {ms}")
        answer = self.child.line()
        assert not answer.startswith("ERR"), answer
        return None if answer == "NONE" else parse_hex_parts(answer)

    def recv(self):
        self.child.write("recv")
        answer = self.child.line()
        assert not answer.startswith("ERR"), answer
        return parse_hex_parts(answer)


def scripted_at(spawn, ctx, endpoint: str, ours_binds: bool, our_type: str, zmq_type):
    """A scripted ferrozmq socket of `our_type` and a pyzmq socket of
    `zmq_type` linked at `endpoint` (any transport with a fixed address),
    the ferrozmq side binding when `ours_binds`."""
    sock = ctx.socket(zmq_type)
    if ours_binds:
        child = spawn(PEER, "script", "--type", our_type, "--bind", endpoint, stdin=True)
        assert child.ready() == endpoint
        sock.connect(endpoint)
    else:
        sock.bind(endpoint)
        child = spawn(PEER, "script", "--type", our_type, "--connect", endpoint, stdin=True)
        child.ready()
    return Script(child), sock


def scripted(spawn, ctx, ours_binds: bool, our_type: str, zmq_type, *peer_args, options=()):
    """A scripted ferrozmq socket of `our_type` linked to a pyzmq socket of
    `zmq_type` (see `linked`)."""
    child, sock = linked(
        spawn, ctx, ours_binds, zmq_type, "script", "--type", our_type, *peer_args, stdin=True, options=options
    )
    return Script(child), sock
