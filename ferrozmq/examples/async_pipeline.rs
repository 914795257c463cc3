//! A pipeline inside tokio: two producers PUSH tasks to one PULL collector,
//! which fair-queues them; every socket runs on the caller's runtime.

use ferrozmq::{Context, SocketType};

#[tokio::main]
async fn main() -> Result<(), ferrozmq::Error> {
    let ctx = Context::new();
    let collector = ctx.async_socket(SocketType::Pull)?;
    collector.bind("tcp://127.0.0.1:*").await?;
    let endpoint = collector.last_endpoint().unwrap_or_default();

    for id in 0..2 {
        let producer = ctx.async_socket(SocketType::Push)?;
        producer.connect(&endpoint).await?;
        tokio::spawn(async move {
            for n in 0..5 {
                producer.send(format!("producer {id}, task {n}")).await?;
            }
            Ok::<_, ferrozmq::Error>(())
        });
    }
    for _ in 0..10 {
        let task = collector.recv().await?;
        println!(
            "{}",
            String::from_utf8_lossy(&task.first().cloned().unwrap_or_default())
        );
    }
    Ok(())
}
