//! CURVE (RFC 26) between ferrozmq sockets: keys as Z85 or raw bytes,
//! traffic encrypted both ways, the client's key checked by ZAP (the
//! built-in `Authenticator`), a wrong server key failing cleanly, and
//! CURVE over ws.

mod common;

use common::{failure, handshake, socket};
use ferrozmq::{AsyncSocket, Authenticator, Context, Socket, SocketType};

/// A server with a new key pair, bound to `endpoint`; its public key.
fn server(ctx: &Context, endpoint: &str) -> (Socket, String) {
    let (public, secret) = ferrozmq::curve_keypair();
    let rep = socket(ctx, SocketType::Rep);
    rep.set_curve_server(true).unwrap();
    rep.set_curve_secretkey(&secret).unwrap();
    rep.bind(endpoint).unwrap();
    (rep, public)
}

/// A client with a new key pair for the server `server_key`; its public
/// key.
fn client(ctx: &Context, server_key: &str) -> (Socket, String) {
    let (public, secret) = ferrozmq::curve_keypair();
    let req = socket(ctx, SocketType::Req);
    req.set_curve_secretkey(&secret).unwrap();
    req.set_curve_publickey(&public).unwrap();
    req.set_curve_serverkey(server_key).unwrap();
    (req, public)
}

#[test]
fn request_reply_over_curve_with_an_allow_list() {
    let ctx = Context::new();
    let auth = Authenticator::start(&ctx).unwrap();
    let (mut rep, server_key) = server(&ctx, "tcp://127.0.0.1:*");
    let endpoint = rep.last_endpoint().unwrap();
    let mut events = rep.monitor();
    let (mut req, client_key) = client(&ctx, &server_key);
    auth.allow_curve_key(&client_key).unwrap();
    req.connect(&endpoint).unwrap();
    for i in 0..3 {
        req.send(format!("secret {i}")).unwrap();
        let got = rep.recv().unwrap();
        assert_eq!(got.first().unwrap(), &format!("secret {i}"));
        assert_eq!(
            got.property("User-Id").unwrap(),
            &client_key,
            "the key in Z85"
        );
        rep.send(format!("reply {i}")).unwrap();
        assert_eq!(req.recv().unwrap().first().unwrap(), &format!("reply {i}"));
    }
    assert!(handshake(&mut events));
    // A client the list does not know is refused.
    let (stranger, _) = client(&ctx, &server_key);
    stranger.connect(&endpoint).unwrap();
    assert!(!handshake(&mut events));
}

/// With the wrong server key the client's HELLO does not open: the
/// server reports a protocol failure and drops it, unanswered (as libzmq);
/// the client sees its handshake fail.
#[test]
fn a_wrong_server_key_fails_cleanly() {
    let ctx = Context::new();
    let (rep, _) = server(&ctx, "tcp://127.0.0.1:*");
    let mut server_events = rep.monitor();
    let (other, _) = ferrozmq::curve_keypair();
    let (req, _) = client(&ctx, &other);
    let mut events = req.monitor();
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    assert!(!handshake(&mut events));
    assert_eq!(failure(&mut server_events), ferrozmq::Failure::Protocol);
}

#[test]
fn curve_over_websocket() {
    let ctx = Context::new();
    let (mut rep, server_key) = server(&ctx, "ws://127.0.0.1:*/curve");
    let (mut req, _) = client(&ctx, &server_key);
    req.connect(&rep.last_endpoint().unwrap()).unwrap();
    req.send("boxed").unwrap();
    assert_eq!(rep.recv().unwrap().first().unwrap(), "boxed");
    rep.send("ok").unwrap();
    assert_eq!(req.recv().unwrap().first().unwrap(), "ok");
}

#[test]
fn keys_are_32_bytes_or_40_z85_characters() {
    let ctx = Context::new();
    let s = ctx.socket(SocketType::Req).unwrap();
    assert!(s.set_curve_serverkey("too short").is_err());
    s.set_curve_serverkey([7u8; 32]).unwrap();
    assert_eq!(s.curve_serverkey(), Some([7u8; 32]));
    let (public, secret) = ferrozmq::curve_keypair();
    s.set_curve_secretkey(&secret).unwrap();
    let derived = s.curve_publickey().unwrap();
    assert_eq!(ferrozmq::curve_public(&secret).unwrap(), public);
    assert_eq!(derived.len(), 32);
}

/// An async CURVE PULL server with a new key pair, bound over tcp; its
/// public key.
async fn async_pull_server(ctx: &Context) -> (AsyncSocket, String) {
    let (public, secret) = ferrozmq::curve_keypair();
    let pull = ctx.async_socket(SocketType::Pull).unwrap();
    pull.set_curve_server(true).unwrap();
    pull.set_curve_secretkey(&secret).unwrap();
    pull.bind("tcp://127.0.0.1:*").await.unwrap();
    (pull, public)
}

/// Async sockets on the caller's runtime encode messages ahead as plain
/// frames; under CURVE they must not (every frame is boxed).
#[tokio::test]
async fn async_sockets_over_curve() {
    let ctx = Context::new();
    let (pull, public) = async_pull_server(&ctx).await;
    let push = ctx.async_socket(SocketType::Push).unwrap();
    let (_, client_secret) = ferrozmq::curve_keypair();
    push.set_curve_secretkey(&client_secret).unwrap();
    push.set_curve_serverkey(&public).unwrap();
    push.connect(&pull.last_endpoint().unwrap()).await.unwrap();
    for i in 0..100u32 {
        push.send(i.to_be_bytes().to_vec()).await.unwrap();
    }
    for i in 0..100u32 {
        assert_eq!(
            pull.recv().await.unwrap().first().unwrap()[..],
            i.to_be_bytes()
        );
    }
}

/// Keys set after `connect`, with messages queued meanwhile (an async
/// socket encodes them ahead as plain frames): they still go boxed, and
/// arrive.
#[tokio::test]
async fn keys_set_after_connect_still_box_what_was_queued() {
    let ctx = Context::new();
    let (pull, public) = async_pull_server(&ctx).await;
    let endpoint = pull.last_endpoint().unwrap();
    let late = ctx.async_socket(SocketType::Push).unwrap();
    late.connect(&endpoint).await.unwrap();
    for i in 0..10u32 {
        late.send(i.to_be_bytes().to_vec()).await.unwrap();
    }
    let (_, client_secret) = ferrozmq::curve_keypair();
    late.set_curve_secretkey(&client_secret).unwrap();
    late.set_curve_serverkey(&public).unwrap();
    // The connection made now (after the first attempt, NULL, was
    // refused by the CURVE server) uses the keys.
    for i in 0..10u32 {
        assert_eq!(
            pull.recv().await.unwrap().first().unwrap()[..],
            i.to_be_bytes()
        );
    }
}
