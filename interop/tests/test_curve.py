"""CURVE (RFC 26) against pyzmq (libzmq 4.3.5 with libsodium), each side
as server: REQ/REP and PUB/SUB, a ZAP allow-list (pyzmq's
ThreadAuthenticator on its side, ferrozmq's Authenticator on ours), a
wrong server key failing cleanly, and the User-Id each side sees."""

import pytest
import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from conftest import PEER, curve_client, curve_server, free_endpoint


def keys():
    public, secret = zmq.curve_keypair()
    return public.decode(), secret.decode()


def test_our_client_against_a_pyzmq_server_with_an_allow_list(spawn, ctx, tmp_path):
    server_public, server_secret = keys()
    client_public, client_secret = keys()
    auth = ThreadAuthenticator(ctx)
    auth.start()
    try:
        # pyzmq's certificate directory, holding our client's public key.
        (tmp_path / "client.key").write_text(f'metadata\ncurve\n    public-key = "{client_public}"\n')
        auth.configure_curve(domain="*", location=str(tmp_path))
        rep = curve_server(ctx, zmq.REP, server_secret)
        endpoint = free_endpoint()
        rep.bind(endpoint)
        req = spawn(
            PEER, "req", "--connect", endpoint, "--curve-secret", client_secret, "--curve-server-key", server_public,
            stdin=True,
        )
        req.ready()
        for n in range(3):
            req.write(f"6869{n:02x}")
            frame = rep.recv(copy=False)
            assert frame.bytes == b"hi" + bytes([n])
            assert frame.get("User-Id") == client_public
            rep.send(b"ok")
            assert req.line() == "6f6b"
        # A key not in the directory is refused.
        _, stranger_secret = keys()
        monitor = rep.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        stranger = spawn(
            PEER, "req", "--connect", endpoint, "--curve-secret", stranger_secret, "--curve-server-key", server_public,
            stdin=True,
        )
        stranger.ready()
        stranger.write("6869")
        assert monitor.poll(20000), "pyzmq let an unknown key in"
    finally:
        auth.stop()


@pytest.mark.parametrize("allowed", [True, False])
def test_pyzmq_client_against_our_server(spawn, ctx, allowed):
    server_public, server_secret = keys()
    client_public, client_secret = keys()
    allow = client_public if allowed else keys()[0]
    rep = spawn(
        PEER, "rep", "--properties", "User-Id", "--bind", "tcp://127.0.0.1:0", "--curve-server-secret", server_secret,
        "--curve-allow", allow,
    )
    endpoint = rep.ready()
    req = curve_client(ctx, zmq.REQ, client_public, client_secret, server_public)
    req.connect(endpoint)
    req.send(b"boxed")
    if allowed:
        assert rep.line() == "PROPERTIES User-Id=" + client_public.encode().hex()
        assert req.recv() == b"boxed"
    else:
        assert not req.poll(1000), "an unknown key got a reply"


def test_pub_sub_over_curve_both_ways(spawn, ctx):
    server_public, server_secret = keys()
    client_public, client_secret = keys()
    # pyzmq publishes (no ZAP handler: any client with the key gets in).
    publisher = curve_server(ctx, zmq.PUB, server_secret)
    endpoint = free_endpoint()
    publisher.bind(endpoint)
    sub = spawn(
        PEER, "script", "--type", "sub", "--connect", endpoint, "--curve-secret", client_secret,
        "--curve-server-key", server_public, stdin=True,
    )
    sub.ready()
    sub.write("subscribe 41")
    assert sub.line() == "DONE"
    for _ in range(200):
        publisher.send_multipart([b"A", b"news"])
        sub.write("idle 20")
        got = sub.line()
        if got != "NONE":
            break
    assert got == "41 6e657773"
    # We publish, pyzmq subscribes.
    pub = spawn(
        PEER, "script", "--type", "pub", "--bind", "tcp://127.0.0.1:0", "--curve-server-secret", server_secret,
        stdin=True,
    )
    endpoint = pub.ready()
    subscriber = curve_client(ctx, zmq.SUB, client_public, client_secret, server_public)
    subscriber.subscribe(b"B")
    subscriber.connect(endpoint)
    for _ in range(200):
        pub.write("send 42 626f786564")
        assert pub.line() == "SENT"
        if subscriber.poll(20):
            break
    assert subscriber.recv_multipart() == [b"B", b"boxed"]


def test_a_wrong_server_key_fails_cleanly_on_both_sides(spawn, ctx):
    server_public, server_secret = keys()
    wrong_public, _ = keys()
    client_public, client_secret = keys()
    rep = curve_server(ctx, zmq.REP, server_secret)
    endpoint = free_endpoint()
    rep.bind(endpoint)
    req = spawn(
        PEER, "req", "--connect", endpoint, "--curve-secret", client_secret, "--curve-server-key", wrong_public,
        "--monitor", stdin=True,
    )
    req.ready()
    req.write("6869")
    assert not rep.poll(1000), "a message got through with the wrong key"
    # And pyzmq as the client with the wrong key against our server.
    ours = spawn(PEER, "rep", "--bind", "tcp://127.0.0.1:0", "--curve-server-secret", server_secret)
    endpoint = ours.ready()
    client = curve_client(ctx, zmq.REQ, client_public, client_secret, wrong_public)
    client.connect(endpoint)
    client.send(b"hi")
    assert not client.poll(1000), "a reply with the wrong key"


def test_keygen_certificates_and_the_cli_flags(spawn, ctx, tmp_path):
    """`ferrozmq keygen --out` writes certificates pyzmq loads, and a
    `ferrozmq server --curve-server-secret --curve-allow DIR` lets in the
    pyzmq client whose certificate is in DIR, and no other."""
    import subprocess

    from conftest import CLI

    clients = tmp_path / "clients"
    out = subprocess.run([CLI, "keygen", "--out", clients, "--name", "client"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    client_public, client_secret = zmq.auth.load_certificate(clients / "client.key_secret")
    assert zmq.curve_public(client_secret) == client_public
    keys_out = subprocess.run([CLI, "keygen"], capture_output=True, text=True).stdout.split()
    server_public, server_secret = keys_out
    assert zmq.curve_public(server_secret.encode()).decode() == server_public

    endpoint = free_endpoint()
    server = spawn(CLI, "server", "--bind", endpoint, "--curve-server-secret", server_secret, "--curve-allow", clients)
    req = curve_client(ctx, zmq.REQ, client_public, client_secret, server_public)
    req.connect(endpoint)
    req.send(b"from pyzmq")
    assert req.recv() == b"Message Received"
    assert server.line() == "Received request: from pyzmq"

    stranger_public, stranger_secret = zmq.curve_keypair()
    other = curve_client(ctx, zmq.REQ, stranger_public, stranger_secret, server_public)
    other.connect(endpoint)
    other.send(b"let me in")
    assert not other.poll(1000), "a key not in the directory got in"


def test_the_cli_proxy_is_a_curve_server_in_front_and_a_client_behind(spawn, ctx):
    """`ferrozmq proxy` gives the server's flags to the socket that binds
    and the client's to the one that connects: a pyzmq CURVE client talks
    through it to a pyzmq CURVE server with another key (the proxy's own
    client key made for the run), and a client without CURVE gets nothing."""
    from conftest import CLI

    front_public, front_secret = keys()
    back_public, back_secret = keys()
    rep = curve_server(ctx, zmq.REP, back_secret)
    back = free_endpoint()
    rep.bind(back)
    front = free_endpoint()
    spawn(CLI, "proxy", "--frontend", f"router@{front}", "--backend", f"dealer>{back}",
          "--curve-server-secret", front_secret, "--curve-server-key", back_public)

    client_public, client_secret = keys()
    req = curve_client(ctx, zmq.REQ, client_public, client_secret, front_public)
    req.connect(front)
    req.send(b"through the proxy")
    assert rep.recv() == b"through the proxy"
    rep.send(b"and back")
    assert req.recv() == b"and back"

    plain = ctx.socket(zmq.REQ)
    plain.connect(front)
    plain.send(b"no curve")
    assert not rep.poll(1000), "a client without CURVE got through"
