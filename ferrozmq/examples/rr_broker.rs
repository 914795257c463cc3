//! The zguide's request-reply broker (`rrclient`, `rrworker`, `rrbroker`)
//! in one program: REQ clients talk to a ROUTER, REP workers to a DEALER,
//! and `proxy` joins the two, so clients and workers never know of each
//! other (`cargo run --example rr_broker`).

use std::thread;

use ferrozmq::{Context, Socket, SocketType};

fn text(msg: &ferrozmq::Message) -> String {
    String::from_utf8_lossy(msg.first().map_or(&[][..], |f| &f[..])).into_owned()
}

fn main() -> Result<(), ferrozmq::Error> {
    let ctx = Context::new();
    let bound = |kind| -> Result<(Socket, String), ferrozmq::Error> {
        let socket = ctx.socket(kind)?;
        socket.bind("tcp://127.0.0.1:*")?;
        let endpoint = socket.last_endpoint().unwrap_or_default();
        Ok((socket, endpoint))
    };
    // rrbroker
    let (mut frontend, clients_ep) = bound(SocketType::Router)?;
    let (mut backend, workers_ep) = bound(SocketType::Dealer)?;
    let (mut control, control_ep) = bound(SocketType::Pair)?;
    let broker = thread::spawn(move || {
        ferrozmq::proxy_steerable(&mut frontend, &mut backend, None, &mut control)
    });

    // rrworker, two of them.
    for _ in 0..2 {
        let ctx = ctx.clone();
        let workers_ep = workers_ep.clone();
        thread::spawn(move || -> Result<(), ferrozmq::Error> {
            let mut responder = ctx.socket(SocketType::Rep)?;
            responder.connect(&workers_ep)?;
            loop {
                let request = responder.recv()?;
                println!("Received request: [{}]", text(&request));
                responder.send("World")?;
            }
        });
    }

    // rrclient
    let mut requester = ctx.socket(SocketType::Req)?;
    requester.connect(&clients_ep)?;
    for n in 0..10 {
        requester.send("Hello")?;
        let reply = requester.recv()?;
        println!("Received reply {n} [{}]", text(&reply));
    }

    let mut steer = ctx.socket(SocketType::Pair)?;
    steer.connect(&control_ep)?;
    steer.send("TERMINATE")?;
    broker.join().expect("the broker thread")
}
