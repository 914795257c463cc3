//! The zguide's parallel pipeline (`taskvent`, `taskwork`, `tasksink`) in
//! one program: a ventilator PUSHes 100 tasks of random cost to three
//! workers, which "do" them (sleep) and PUSH a result to a sink, which
//! reports the total time (`cargo run --example task_pipeline`).

use std::thread;
use std::time::{Duration, Instant};

use ferrozmq::{Context, SocketType};

fn main() -> Result<(), ferrozmq::Error> {
    let ctx = Context::new();
    let mut sender = ctx.socket(SocketType::Push)?;
    sender.bind("tcp://127.0.0.1:*")?;
    let tasks = sender.last_endpoint().unwrap_or_default();
    let mut sink = ctx.socket(SocketType::Pull)?;
    sink.bind("tcp://127.0.0.1:*")?;
    let results = sink.last_endpoint().unwrap_or_default();

    // taskwork, three of them.
    for _ in 0..3 {
        let ctx = ctx.clone();
        let (tasks, results) = (tasks.clone(), results.clone());
        thread::spawn(move || -> Result<(), ferrozmq::Error> {
            let mut receiver = ctx.socket(SocketType::Pull)?;
            receiver.connect(&tasks)?;
            let mut sender = ctx.socket(SocketType::Push)?;
            sender.connect(&results)?;
            loop {
                let task = receiver.recv()?;
                let ms: u64 = String::from_utf8_lossy(task.first().map_or(&[][..], |f| &f[..]))
                    .parse()
                    .unwrap_or(0);
                thread::sleep(Duration::from_millis(ms));
                sender.send("")?;
            }
        });
    }

    // taskvent: the first message is "0", the signal of the batch's start.
    println!("Sending tasks to workers…");
    sender.send("0")?;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut total_msec = 0;
    for _ in 0..100 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let workload = seed % 10 + 1;
        total_msec += workload;
        sender.send(workload.to_string())?;
    }
    println!("Total expected cost: {total_msec} msec");

    // tasksink: the start signal comes through a worker, then the results.
    sink.recv()?;
    let start = Instant::now();
    for _ in 0..100 {
        sink.recv()?;
    }
    println!("Total elapsed time: {} msec", start.elapsed().as_millis());
    Ok(())
}
