//! The zguide's weather update server and client (`wuserver`, `wuclient`)
//! in one program: a PUB sends random "zipcode temperature humidity"
//! updates, a SUB subscribed to zipcode 10001 averages 100 of them
//! (`cargo run --example weather [ZIPCODE]`).

use std::thread;

use ferrozmq::{Context, SocketType};

fn main() -> Result<(), ferrozmq::Error> {
    let filter = std::env::args().nth(1).unwrap_or("10001 ".into());
    let ctx = Context::new();
    let publisher = ctx.socket(SocketType::Pub)?;
    publisher.bind("tcp://127.0.0.1:*")?;
    let endpoint = publisher.last_endpoint().unwrap_or_default();

    // wuserver: updates forever, from a random-looking but cheap sequence.
    let mut publisher = publisher;
    thread::spawn(move || {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
        loop {
            // A tenth of the updates are for 10001, so that the client
            // has something to average soon.
            let zipcode = if next(10) == 0 { 10001 } else { next(100_000) };
            let temperature = next(215) as i64 - 80;
            let relhumidity = next(50) + 10;
            let update = format!("{zipcode:05} {temperature} {relhumidity}");
            if publisher.send(update).is_err() {
                return;
            }
        }
    });

    // wuclient
    println!("Collecting updates from weather server…");
    let mut subscriber = ctx.socket(SocketType::Sub)?;
    subscriber.connect(&endpoint)?;
    subscriber.subscribe(&filter)?;
    let mut total = 0i64;
    let updates = 100;
    for _ in 0..updates {
        let update = subscriber.recv()?;
        let text = String::from_utf8_lossy(update.first().map_or(&[][..], |f| &f[..])).into_owned();
        let temperature: i64 = text
            .split(' ')
            .nth(1)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        total += temperature;
    }
    println!(
        "Average temperature for zipcode '{}' was {}F",
        filter.trim(),
        total / updates
    );
    Ok(())
}
