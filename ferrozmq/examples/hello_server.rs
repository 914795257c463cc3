//! The zguide's "Hello World" server: a REP socket answering every request.
//!
//! Run with `cargo run --example hello_server`, then `hello_client`.

use ferrozmq::{Context, SocketType};

fn main() -> Result<(), ferrozmq::Error> {
    let ctx = Context::new();
    let mut server = ctx.socket(SocketType::Rep)?;
    server.bind("tcp://*:5555")?;
    loop {
        let request = server.recv()?;
        println!(
            "Received {}",
            String::from_utf8_lossy(&request.first().cloned().unwrap_or_default())
        );
        server.send("World")?;
    }
}
