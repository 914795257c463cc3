"""A libzmq peer for the ferrozmq.js tests: binds one socket over ws.

    zmq_peer.py MODE ENDPOINT [CURVE_SECRET]

MODE is rep, router, pair, pull, pub or xpub (pub and xpub publish
"weather" and "news" messages all the time). Given a CURVE secret key
(Z85), the socket is a CURVE server with it, pyzmq's ThreadAuthenticator
lets any client in, and each received message's "User-Id" (which it
sets to the client's public key in Z85) is reported with it. It prints one JSON object a line:
{"event": "ready", "endpoint": ...} once bound, then an event for each thing
it receives (frames as latin-1 strings). It exits when its stdin closes, or
after a minute at most.
"""

import json
import os
import sys
import threading
import time

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

LIFETIME = 60.0


def report(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def text(frames):
    return [frame.decode("latin-1") for frame in frames]


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


def main():
    mode, endpoint = sys.argv[1], sys.argv[2]
    curve_secret = sys.argv[3] if len(sys.argv) > 3 else None
    socket_type = {"rep": zmq.REP, "router": zmq.ROUTER, "pair": zmq.PAIR,
                   "pull": zmq.PULL, "pub": zmq.PUB, "xpub": zmq.XPUB}[mode]
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    socket = zmq.Context.instance().socket(socket_type)
    socket.linger = 0
    if curve_secret:
        auth = ThreadAuthenticator(zmq.Context.instance())
        auth.start()
        auth.configure_curve(domain="*", location=zmq.auth.CURVE_ALLOW_ANY)
        socket.curve_server = True
        socket.curve_secretkey = curve_secret.encode()
    socket.bind(endpoint)
    public_key = zmq.curve_public(curve_secret.encode()).decode() if curve_secret else None
    report("ready", endpoint=socket.getsockopt_string(zmq.LAST_ENDPOINT), pid=os.getpid(),
           public_key=public_key)
    deadline = time.monotonic() + LIFETIME
    sequence = 0
    while time.monotonic() < deadline:
        if not socket.poll(20):
            if mode in ("pub", "xpub"):
                # Publish all the time: subscriptions take a while to arrive.
                sequence += 1
                for topic in (b"weather", b"news"):
                    socket.send_multipart([topic, b"%d:%d" % (os.getpid(), sequence)])
            continue
        parts = socket.recv_multipart(copy=False)
        frames = [part.bytes for part in parts]
        user_id = parts[-1].get("User-Id") if curve_secret else None
        if mode == "xpub":
            kind = "subscribe" if frames[0][:1] == b"\x01" else "unsubscribe"
            report(kind, prefix=frames[0][1:].decode("latin-1"))
            continue
        report("received", frames=text(frames), user_id=user_id)
        if mode == "rep":
            if frames[0] == b"hang":
                continue  # never answer: the test kills us while REQ waits
            socket.send_multipart([b"re"] + frames)
        elif mode in ("router", "pair"):
            socket.send_multipart(frames)
        # REP cannot receive again without replying: a hung REP just waits.
    os._exit(0)


if __name__ == "__main__":
    main()
