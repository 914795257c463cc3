//! The zguide's "Hello World" server: a REP socket answering every request
//! with "World".
//!
//! Run with `cargo run --example hello_server` (an endpoint to bind may be
//! given as the argument; default `tcp://*:5555`), then `hello_client`.

use ferrozmq::{Context, SocketType};

fn main() -> Result<(), ferrozmq::Error> {
    let endpoint = std::env::args().nth(1).unwrap_or("tcp://*:5555".into());
    let ctx = Context::new();
    let mut server = ctx.socket(SocketType::Rep)?;
    server.bind(&endpoint)?;
    loop {
        let request = server.recv()?;
        let text =
            String::from_utf8_lossy(request.first().map_or(&[][..], |f| &f[..])).into_owned();
        println!("Received {text}");
        server.send("World")?;
    }
}
