//! `ipc://`: Unix domain sockets at a path or (Linux) an abstract name,
//! for every kind of socket; the socket file's life (created by bind,
//! removed by unbind and close, a dead process's file taken over, a live
//! one refused).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ferrozmq::{Context, Error, Socket, SocketType};

/// A socket path of this test run's own, in the system's temporary folder.
fn socket_path() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("ferrozmq-test-{}-{n}.sock", std::process::id()))
}

fn socket(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_recv_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_send_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn round_trip(ctx: &Context, endpoint: &str) {
    let mut rep = socket(ctx, SocketType::Rep);
    rep.bind(endpoint).unwrap();
    assert_eq!(rep.last_endpoint().unwrap(), endpoint);
    let mut req = socket(ctx, SocketType::Req);
    req.connect(endpoint).unwrap();
    req.send("over ipc").unwrap();
    let request = rep.recv().unwrap();
    assert_eq!(request.first().unwrap(), "over ipc");
    assert_eq!(request.property("Peer-Address").unwrap(), "");
    rep.send("back").unwrap();
    assert_eq!(req.recv().unwrap().first().unwrap(), "back");
}

#[test]
fn request_reply_over_a_socket_file() {
    let path = socket_path();
    let ctx = Context::new();
    round_trip(&ctx, &format!("ipc://{}", path.display()));
}

#[cfg(target_os = "linux")]
#[test]
fn request_reply_over_an_abstract_name() {
    let ctx = Context::new();
    round_trip(
        &ctx,
        &format!("ipc://@ferrozmq-test-{}", std::process::id()),
    );
}

/// The file is there while bound, and gone after unbind or close; a bind
/// over a live listener is refused, over a dead process's file it works.
#[test]
fn the_socket_file_lives_with_its_listener() {
    let path = socket_path();
    let endpoint = format!("ipc://{}", path.display());
    let ctx = Context::new();
    let first = socket(&ctx, SocketType::Pull);
    first.bind(&endpoint).unwrap();
    assert!(path.exists());
    let second = socket(&ctx, SocketType::Pull);
    assert!(matches!(second.bind(&endpoint), Err(Error::AddrInUse(_))));
    first.unbind(&endpoint).unwrap();
    wait_until(|| !path.exists());

    // A file left behind by a process that died (nothing listens on it).
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    second.bind(&endpoint).unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.connect(&endpoint).unwrap();
    push.send("after a stale file").unwrap();
    let mut second = second;
    assert_eq!(
        second.recv().unwrap().first().unwrap(),
        "after a stale file"
    );
    second.close();
    assert!(!path.exists(), "closing removed it");
}

/// Waits (bounded) for the listener's task to let its file go.
fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..2000 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("not within 10 s");
}

#[test]
fn a_path_too_long_or_empty_is_refused() {
    let ctx = Context::new();
    let s = socket(&ctx, SocketType::Pull);
    let long = format!("ipc:///{}", "x".repeat(200));
    for bad in [long.as_str(), "ipc://"] {
        assert!(
            matches!(s.bind(bad), Err(Error::InvalidEndpoint(_))),
            "{bad}"
        );
    }
}

/// PUB/SUB and PUSH/PULL over ipc too, the subscriber connecting first
/// (ipc connects, like tcp ones, wait for their peer).
#[test]
fn publish_subscribe_and_pipeline_over_ipc() {
    let ctx = Context::new();
    let path = socket_path();
    let endpoint = format!("ipc://{}", path.display());
    let mut sub = socket(&ctx, SocketType::Sub);
    sub.subscribe("news").unwrap();
    sub.connect(&endpoint).unwrap();
    let mut publisher = socket(&ctx, SocketType::Pub);
    publisher.bind(&endpoint).unwrap();
    let mut events = sub.monitor();
    while !matches!(
        events.recv_timeout(Some(Duration::from_secs(20))),
        Some(ferrozmq::Event::HandshakeSucceeded { .. })
    ) {}
    // The subscription reaches the publisher with the next calls.
    let got = loop {
        publisher.send("news: ipc").unwrap();
        sub.set_recv_timeout(Some(Duration::from_millis(10)))
            .unwrap();
        if let Ok(msg) = sub.recv() {
            break msg;
        }
    };
    assert_eq!(got.first().unwrap(), "news: ipc");

    let pipeline = socket_path();
    let endpoint = format!("ipc://{}", pipeline.display());
    let mut pull = socket(&ctx, SocketType::Pull);
    pull.bind(&endpoint).unwrap();
    let mut push = socket(&ctx, SocketType::Push);
    push.connect(&endpoint).unwrap();
    for i in 0..1000u32 {
        push.send(i.to_be_bytes().to_vec()).unwrap();
    }
    for i in 0..1000u32 {
        assert_eq!(pull.recv().unwrap().first().unwrap()[..], i.to_be_bytes());
    }
}
