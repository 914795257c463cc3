//! PLAIN (RFC 24) with a ZAP handler (RFC 27) written as a plain REP
//! socket at `inproc://zeromq.zap.01`, as with libzmq: good credentials get
//! in with a `User-Id`, bad ones are refused (ERROR to the client, both
//! monitors say so), a server without a handler lets no one in, and NULL
//! with a ZAP domain asks the handler too.

mod common;

use std::thread::JoinHandle;
use std::time::Duration;

use common::{failure, handshake, socket};
use ferrozmq::{Bytes, Context, Message, Socket, SocketType};

/// A ZAP handler answering `count` requests: 200 for `admin`/`secret`
/// (user id `the-admin`), 400 otherwise; it hands back every request.
fn handler(ctx: &Context, count: usize) -> JoinHandle<Vec<Vec<Bytes>>> {
    let mut zap = socket(ctx, SocketType::Rep);
    zap.bind("inproc://zeromq.zap.01").unwrap();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..count {
            let request = zap.recv().unwrap();
            let parts: Vec<Bytes> = request.parts().to_vec();
            let allowed = parts.get(6..8) == Some(&[Bytes::from("admin"), Bytes::from("secret")]);
            let (status, user) = if allowed {
                ("200", "the-admin")
            } else {
                ("400", "")
            };
            let reply: Vec<Bytes> = vec![
                "1.0".into(),
                parts[1].clone(),
                status.into(),
                "".into(),
                user.into(),
                Bytes::new(),
            ];
            zap.send(Message::from(reply)).unwrap();
            seen.push(parts);
        }
        seen
    })
}

fn plain_client(ctx: &Context, user: &str, password: &str) -> Socket {
    let req = socket(ctx, SocketType::Req);
    req.set_plain_username(Some(Bytes::copy_from_slice(user.as_bytes())))
        .unwrap();
    req.set_plain_password(Some(Bytes::copy_from_slice(password.as_bytes())))
        .unwrap();
    req
}

#[test]
fn good_credentials_get_in_with_a_user_id() {
    let ctx = Context::new();
    let zap = handler(&ctx, 1);
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.set_plain_server(true).unwrap();
    rep.set_zap_domain("global").unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let mut req = plain_client(&ctx, "admin", "secret");
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    req.send("hello").unwrap();
    let got = rep.recv().unwrap();
    assert_eq!(got.property("User-Id").unwrap(), "the-admin");
    assert_eq!(got.property("Socket-Type").unwrap(), "REQ");
    rep.send("welcome").unwrap();
    assert_eq!(req.recv().unwrap().first().unwrap(), "welcome");
    let request = zap.join().unwrap().remove(0);
    assert_eq!(request[0], "1.0");
    assert_eq!(request[2], "global", "the domain");
    assert_eq!(request[3], "127.0.0.1", "the address");
    assert_eq!(request[5], "PLAIN");
}

#[test]
fn bad_credentials_are_refused_on_both_sides() {
    let ctx = Context::new();
    let zap = handler(&ctx, 1);
    let rep = socket(&ctx, SocketType::Rep);
    rep.set_plain_server(true).unwrap();
    let mut server_events = rep.monitor();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = plain_client(&ctx, "admin", "wrong");
    let mut client_events = req.monitor();
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    assert_eq!(
        failure(&mut server_events),
        ferrozmq::Failure::Authentication
    );
    assert_eq!(
        failure(&mut client_events),
        ferrozmq::Failure::Authentication,
        "the client heard ERROR"
    );
    zap.join().unwrap();
}

#[test]
fn a_plain_server_without_a_handler_lets_no_one_in() {
    let ctx = Context::new();
    let rep = socket(&ctx, SocketType::Rep);
    rep.set_plain_server(true).unwrap();
    let mut events = rep.monitor();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = plain_client(&ctx, "admin", "secret");
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    assert!(!handshake(&mut events));
}

/// NULL with a ZAP domain asks the handler (here it refuses the NULL
/// request, which carries no credentials); without a domain it does not.
#[test]
fn null_with_a_domain_asks_the_handler() {
    let ctx = Context::new();
    let zap = handler(&ctx, 1);
    let rep = socket(&ctx, SocketType::Rep);
    rep.set_zap_domain("d").unwrap();
    let mut events = rep.monitor();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = socket(&ctx, SocketType::Req);
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    assert!(!handshake(&mut events));
    assert_eq!(zap.join().unwrap()[0][5], "NULL");
    let mut open = socket(&ctx, SocketType::Rep);
    open.bind("tcp://127.0.0.1:*").unwrap();
    let mut req = socket(&ctx, SocketType::Req);
    req.connect(&open.last_endpoint().unwrap()).unwrap();
    req.send("no zap").unwrap();
    assert_eq!(open.recv().unwrap().first().unwrap(), "no zap");
}

/// PLAIN over ws: the subprotocol is `ZWS2.0/PLAIN`, the handshake the
/// same as over tcp.
#[test]
fn plain_over_websocket() {
    let ctx = Context::new();
    let zap = handler(&ctx, 1);
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.set_plain_server(true).unwrap();
    rep.bind("ws://127.0.0.1:*/plain").unwrap();
    let mut req = plain_client(&ctx, "admin", "secret");
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    req.send("over ws").unwrap();
    let got = rep.recv().unwrap();
    assert_eq!(got.property("User-Id").unwrap(), "the-admin");
    rep.send("ok").unwrap();
    assert_eq!(req.recv().unwrap().first().unwrap(), "ok");
    zap.join().unwrap();
}

/// The built-in handler: PLAIN users from a password file (pyzmq's
/// `user=password` lines), then an address denied.
#[test]
fn the_built_in_authenticator() {
    let ctx = Context::new();
    let auth = ferrozmq::Authenticator::start(&ctx).unwrap();
    let file = std::env::temp_dir().join(format!("ferrozmq-passwords-{}", std::process::id()));
    std::fs::write(&file, "# users\nadmin=secret\n\nguest=guest\n").unwrap();
    auth.add_plain_users_from(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let mut rep = socket(&ctx, SocketType::Rep);
    rep.set_plain_server(true).unwrap();
    let mut events = rep.monitor();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = rep.last_endpoint().unwrap();

    let mut guest = plain_client(&ctx, "guest", "guest");
    guest.connect(&endpoint).unwrap();
    assert!(handshake(&mut events));
    guest.send("hi").unwrap();
    assert_eq!(rep.recv().unwrap().property("User-Id").unwrap(), "guest");
    rep.send("hello guest").unwrap();
    guest.recv().unwrap();

    let wrong = plain_client(&ctx, "guest", "nope");
    wrong.connect(&endpoint).unwrap();
    assert!(!handshake(&mut events), "a wrong password");
    drop(wrong);
    auth.deny("127.0.0.1".parse().unwrap());
    let denied = plain_client(&ctx, "admin", "secret");
    denied.connect(&endpoint).unwrap();
    assert!(!handshake(&mut events), "a denied address");
    auth.stop();
}

/// A user name, password or ZAP domain longer than the wire's one length
/// byte is refused as an option.
#[test]
fn credentials_longer_than_255_bytes_are_refused() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Req).unwrap();
    let long = Bytes::from(vec![b'x'; 256]);
    assert!(s.set_plain_username(Some(long.clone())).is_err());
    assert!(s.set_plain_password(Some(long.clone())).is_err());
    assert!(s.set_zap_domain(long).is_err());
    s.set_plain_username(Some(Bytes::from(vec![b'x'; 255])))
        .unwrap();
    assert_eq!(s.plain_username().unwrap().len(), 255);
}

/// A ZAP handler that lies (answers another request id) or never answers
/// fails the handshake closed: the first at once, the second at
/// `handshake_ivl`.
#[test]
fn a_handler_that_lies_or_never_answers_lets_no_one_in() {
    for lies in [true, false] {
        let ctx = Context::new();
        let mut zap = socket(&ctx, SocketType::Rep);
        zap.bind("inproc://zeromq.zap.01").unwrap();
        let answering = std::thread::spawn(move || {
            let request = zap.recv().unwrap();
            if lies {
                let reply: Vec<Bytes> = vec![
                    "1.0".into(),
                    "not the request id".into(),
                    "200".into(),
                    "".into(),
                    "".into(),
                    Bytes::new(),
                ];
                zap.send(Message::from(reply)).unwrap();
            }
            (request, zap)
        });
        let rep = socket(&ctx, SocketType::Rep);
        rep.set_plain_server(true).unwrap();
        rep.set_handshake_ivl(Some(Duration::from_millis(300)))
            .unwrap();
        let mut events = rep.monitor();
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let req = plain_client(&ctx, "admin", "secret");
        req.connect(&rep.last_endpoint().unwrap()).unwrap();
        assert!(!handshake(&mut events), "lies: {lies}");
        drop(answering.join().unwrap());
    }
}
