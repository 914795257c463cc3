//! The zguide's "Hello World" client: ten requests to `hello_server`.

use ferrozmq::{Context, SocketType};

fn main() -> Result<(), ferrozmq::Error> {
    let ctx = Context::new();
    let mut client = ctx.socket(SocketType::Req)?;
    client.connect("tcp://localhost:5555")?;
    for n in 0..10 {
        client.send("Hello")?;
        let reply = client.recv()?;
        println!("Received reply {n}: {:?}", reply.first());
    }
    Ok(())
}
