//! The zguide's "Hello World" client: ten requests to `hello_server`.
//!
//! Run `cargo run --example hello_server` first, then
//! `cargo run --example hello_client` (an endpoint may be given as the
//! argument; default `tcp://localhost:5555`).

use ferrozmq::{Context, SocketType};

fn main() -> Result<(), ferrozmq::Error> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or("tcp://localhost:5555".into());
    let ctx = Context::new();
    println!("Connecting to hello world server…");
    let mut client = ctx.socket(SocketType::Req)?;
    client.connect(&endpoint)?;
    for n in 0..10 {
        println!("Sending Hello {n}…");
        client.send("Hello")?;
        let reply = client.recv()?;
        let text = String::from_utf8_lossy(reply.first().map_or(&[][..], |f| &f[..])).into_owned();
        println!("Received {text} {n}");
    }
    Ok(())
}
