//! The zguide's asynchronous client/server (`asyncsrv`), on tokio: three
//! DEALER clients, each with an identity of its own, send requests to one
//! ROUTER server without waiting for replies; the server hands them over
//! a DEALER to a pool of five workers, and each reply finds its way back
//! to the client that asked (`cargo run --example async_server`).

use std::time::Duration;

use ferrozmq::{AsyncSocket, Context, Message, SocketType};

const CLIENTS: usize = 3;
const REQUESTS: usize = 3;

fn text(part: &[u8]) -> String {
    String::from_utf8_lossy(part).into_owned()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), ferrozmq::Error> {
    let ctx = Context::new();
    // server_task: frontend for clients, backend for workers.
    let frontend = ctx.async_socket(SocketType::Router)?;
    frontend.bind("tcp://127.0.0.1:*").await?;
    let backend = ctx.async_socket(SocketType::Dealer)?;
    backend.bind("tcp://127.0.0.1:*").await?;
    let (clients_ep, workers_ep) = (frontend.last_endpoint(), backend.last_endpoint());

    // server_worker: gets [identity, content], answers the same.
    for _ in 0..5 {
        let worker = ctx.async_socket(SocketType::Dealer)?;
        worker
            .connect(workers_ep.as_deref().unwrap_or_default())
            .await?;
        tokio::spawn(async move {
            while let Ok(request) = worker.recv().await {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if worker.send(request).await.is_err() {
                    return;
                }
            }
        });
    }

    // client_task: sends its requests, then prints every reply.
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let client = ctx.async_socket(SocketType::Dealer)?;
        client.set_routing_id(format!("{:04X}-{:04X}", 0x1000 + n * 0x111, 0xA000 + n))?;
        client
            .connect(clients_ep.as_deref().unwrap_or_default())
            .await?;
        clients.push(tokio::spawn(async move {
            let identity = text(&client.routing_id());
            for request in 1..=REQUESTS {
                client.send(format!("request #{request}")).await?;
            }
            for _ in 0..REQUESTS {
                let reply: Message = client.recv().await?;
                let content = reply.first().map(|p| text(p)).unwrap_or_default();
                println!("{identity} received: {content}");
            }
            Ok::<_, ferrozmq::Error>(())
        }));
    }

    tokio::select! {
        result = AsyncSocket::proxy(&frontend, &backend, None) => result,
        () = async {
            for client in clients {
                let _ = client.await;
            }
        } => Ok(()),
    }
}
