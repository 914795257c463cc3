//! The zguide's Lazy Pirate client (`lpclient`), with its unreliable server
//! (`lpserver`) in the same program: the client sends numbered requests on
//! a REQ with a receive timeout; when no reply comes it closes the socket,
//! opens a new one and resends, and after three tries gives up. The server
//! answers three requests, then "crashes" (`cargo run --example
//! lazy_pirate`).

use std::thread;
use std::time::Duration;

use ferrozmq::{Context, Error, Socket, SocketType};

const REQUEST_TIMEOUT: Duration = Duration::from_millis(250);
const REQUEST_RETRIES: usize = 3;

fn client(ctx: &Context, endpoint: &str) -> Result<Socket, Error> {
    let socket = ctx.socket(SocketType::Req)?;
    socket.set_recv_timeout(Some(REQUEST_TIMEOUT))?;
    // A request left unanswered is not worth waiting for at close.
    socket.set_linger(Some(Duration::ZERO))?;
    socket.connect(endpoint)?;
    Ok(socket)
}

fn main() -> Result<(), Error> {
    let ctx = Context::new();
    // lpserver: echoes three requests, then is gone.
    let mut server = ctx.socket(SocketType::Rep)?;
    server.bind("tcp://127.0.0.1:*")?;
    let endpoint = server.last_endpoint().unwrap_or_default();
    thread::spawn(move || -> Result<(), Error> {
        for _ in 0..3 {
            let request = server.recv()?;
            println!(
                "I: normal request ({})",
                String::from_utf8_lossy(&request.first().cloned().unwrap_or_default())
            );
            server.send(request)?;
        }
        println!("I: simulating a crash");
        Ok(())
    });

    println!("I: connecting to server…");
    let mut socket = client(&ctx, &endpoint)?;
    let mut sequence = 0;
    let mut retries_left = REQUEST_RETRIES;
    while retries_left > 0 {
        sequence += 1;
        let request = sequence.to_string();
        socket.send(request.clone())?;
        loop {
            match socket.recv() {
                Ok(reply) if reply.first().is_some_and(|r| r[..] == *request.as_bytes()) => {
                    println!("I: server replied OK ({request})");
                    retries_left = REQUEST_RETRIES;
                    break;
                }
                Ok(reply) => println!("E: malformed reply from server: {reply:?}"),
                Err(Error::Timeout) => {
                    retries_left -= 1;
                    if retries_left == 0 {
                        println!("E: server seems to be offline, abandoning");
                        break;
                    }
                    println!("W: no response from server, retrying…");
                    // The old socket is confused: close it, open another.
                    socket = client(&ctx, &endpoint)?;
                    println!("I: reconnecting to server…");
                    socket.send(request.clone())?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
