//! A socket's pipe on its own: messages queued by the socket's side and
//! taken by the engine's (outbound), delivered by the engine's side and
//! read by the socket's (inbound), on one thread and across two.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferrozmq::Message;
use ferrozmq::internals::pipe;

/// The engine's byte budget per take (as an engine's round).
const MAX_BYTES: usize = 256 * 1024;

fn outbound(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipe-outbound");
    let msg = Message::from(vec![7u8; 64]);
    for (name, encode) in [("items", false), ("encoded", true)] {
        for batch in [1, 100] {
            let (mut socket, mut engine) = pipe(1000, encode);
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_function(format!("{name}/batch{batch}"), |b| {
                b.iter(|| {
                    for _ in 0..batch {
                        assert!(socket.send(black_box(msg.clone())));
                    }
                    assert_eq!(engine.take(MAX_BYTES), batch);
                });
            });
        }
    }
    group.finish();
}

fn inbound(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipe-inbound");
    let msg = Message::from(vec![7u8; 64]);
    for batch in [1, 100] {
        let (mut socket, engine) = pipe(1000, false);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("batch{batch}"), |b| {
            b.iter(|| {
                assert_eq!(engine.deliver(&msg, batch), batch);
                for _ in 0..batch {
                    black_box(socket.recv().expect("delivered"));
                }
            });
        });
    }
    group.finish();
}

/// The socket's side on this thread sends `n` messages; an engine's side
/// on another takes them as they come. Both spin: this measures the queue
/// under contention, not wake-ups.
fn two_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipe-two-threads");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(3));
    let msg = Message::from(vec![7u8; 64]);
    group.bench_function("outbound", |b| {
        b.iter_custom(|n| {
            let (mut socket, mut engine) = pipe(1000, false);
            let start = Instant::now();
            let taker = std::thread::spawn(move || {
                let mut taken = 0;
                while taken < n {
                    match engine.take(MAX_BYTES) {
                        0 => std::thread::yield_now(),
                        k => taken += k as u64,
                    }
                }
            });
            for _ in 0..n {
                while !socket.send(msg.clone()) {
                    std::hint::spin_loop();
                }
            }
            taker.join().expect("taker");
            start.elapsed()
        });
    });
    group.finish();
}

criterion_group!(benches, outbound, inbound, two_threads);
criterion_main!(benches);
