//! libzmq through the `zmq` crate: the reference. Threads, as its users
//! write them. Each end has its own context (one I/O thread, the default),
//! as when `local_thr` and `remote_thr` run as two processes; over inproc,
//! which joins only the sockets of one context, the process has one.

use std::sync::OnceLock;

use crate::blocking::{BlockingLib, Kind};
use crate::child::{CurveKeys, LINGER, Params, Transport};
use crate::transports;

pub struct Libzmq;

/// Where the libzmq this process runs comes from: the shared library's
/// path, or a note that zmq-sys linked its vendored static copy.
pub fn loaded_from() -> String {
    std::fs::read_to_string("/proc/self/maps")
        .ok()
        .and_then(|maps| {
            maps.lines()
                .filter_map(|l| l.split_whitespace().nth(5))
                .find(|path| path.contains("/libzmq.so"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| {
            "zmq-sys's vendored static copy, NOT Debian's libzmq: build in bench/ \
             or with --config bench/.cargo/config.toml (see README)"
                .into()
        })
}

/// The same, with a shared library's folder left out.
pub fn loaded_from_file() -> String {
    let from = loaded_from();
    match from.strip_prefix('/') {
        Some(path) => path.rsplit('/').next().unwrap_or(path).to_owned(),
        None => from,
    }
}

pub fn version() -> String {
    let (major, minor, patch) = zmq::version();
    format!("{major}.{minor}.{patch}")
}

/// A socket and the message it receives into, reused as `local_thr` does.
pub struct Sock {
    socket: zmq::Socket,
    msg: zmq::Message,
}

/// A context of its own, or over inproc the process's one.
fn context(transport: Transport) -> zmq::Context {
    static SHARED: OnceLock<zmq::Context> = OnceLock::new();
    if transports::in_process(transport) {
        SHARED.get_or_init(zmq::Context::new).clone()
    } else {
        zmq::Context::new()
    }
}

fn socket(kind: zmq::SocketType, hwm: usize, transport: Transport) -> zmq::Socket {
    let s = context(transport).socket(kind).expect("socket");
    let hwm = i32::try_from(hwm).expect("hwm fits an int");
    s.set_sndhwm(hwm).expect("sndhwm");
    s.set_rcvhwm(hwm).expect("rcvhwm");
    s.set_linger(LINGER.as_millis() as i32).expect("linger");
    s
}

/// With CURVE keys, makes the socket the CURVE server (the bound end:
/// its secret key only) or client (the connecting end: its key pair and
/// the server's public key), as libzmq's `zmq_curve` page says.
fn set_curve(s: &zmq::Socket, kind: Kind, keys: Option<CurveKeys>) {
    let Some(k) = keys else { return };
    if kind.binds() {
        s.set_curve_server(true).expect("curve server");
        s.set_curve_secretkey(&k.server_secret).expect("secret key");
    } else {
        s.set_curve_publickey(&k.client_public).expect("public key");
        s.set_curve_secretkey(&k.client_secret).expect("secret key");
        s.set_curve_serverkey(&k.server_public).expect("server key");
    }
}

fn bind(s: &zmq::Socket, transport: Transport) -> String {
    s.bind(&transport.endpoint("*")).expect("bind");
    s.get_last_endpoint().expect("endpoint").expect("utf-8")
}

impl BlockingLib for Libzmq {
    type Sock = Sock;
    type Payload = Vec<u8>;

    fn socket(kind: Kind, p: Params) -> Sock {
        let socket_type = match kind {
            Kind::Push => zmq::PUSH,
            Kind::Pull => zmq::PULL,
            Kind::Req => zmq::REQ,
            Kind::Rep => zmq::REP,
        };
        let socket = socket(socket_type, p.hwm, p.transport);
        set_curve(&socket, kind, p.curve);
        Sock {
            socket,
            msg: zmq::Message::new(),
        }
    }

    fn bind(s: &mut Sock, transport: Transport) -> String {
        bind(&s.socket, transport)
    }

    fn connect(s: &mut Sock, endpoint: &str) {
        s.socket.connect(endpoint).expect("connect");
    }

    fn payload(size: usize) -> Vec<u8> {
        crate::child::payload(size)
    }

    fn send(s: &mut Sock, payload: &Vec<u8>) {
        // The crate's way to send a slice: copied into a zmq_msg, as
        // zmq_send does.
        s.socket.send(&payload[..], 0).expect("send");
    }

    fn recv(s: &mut Sock) -> usize {
        s.socket.recv(&mut s.msg, 0).expect("recv");
        s.msg.len()
    }

    fn echo(s: &mut Sock) {
        let mut msg = zmq::Message::new();
        s.socket.recv(&mut msg, 0).expect("recv");
        s.socket.send(msg, 0).expect("send");
    }

    fn close(s: Sock) {
        drop(s);
    }
}

/// The `hwm` measurement: PUSH (sndhwm 10) to a PULL (rcvhwm 10) that never
/// reads; how many 16-byte messages the PUSH takes without blocking,
/// retrying for `settle` after the first refusal so the kernel buffers fill.
pub fn hwm_accepted(hwm: usize) -> Vec<u64> {
    let pull = socket(zmq::PULL, hwm, Transport::Tcp);
    let endpoint = bind(&pull, Transport::Tcp);
    let push = socket(zmq::PUSH, hwm, Transport::Tcp);
    push.connect(&endpoint).expect("connect");
    let payload = [7u8; 16];
    crate::hwm::fill(|| match push.send(&payload[..], zmq::DONTWAIT) {
        Ok(()) => true,
        Err(zmq::Error::EAGAIN) => false,
        Err(e) => panic!("send: {e}"),
    })
}

/// The `mem` server: a REP that answers every request with a short reply,
/// until the process is stopped.
pub fn mem_server() {
    let rep = socket(zmq::REP, 1000, Transport::Tcp);
    crate::child::announce(&bind(&rep, Transport::Tcp));
    let mut msg = zmq::Message::new();
    loop {
        rep.recv(&mut msg, 0).expect("recv");
        rep.send(&b"ok"[..], 0).expect("send");
    }
}
