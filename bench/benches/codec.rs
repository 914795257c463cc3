//! The ZMTP codec on its own: messages encoded into a connection's output
//! and decoded from a buffer of received bytes, no sockets or threads.

use std::collections::VecDeque;
use std::hint::black_box;
use std::io::IoSlice;
use std::time::Instant;

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ferrozmq_proto::{Config, Connection, Event, Message, SocketType};

/// Messages per measured batch.
const BATCH: usize = 1000;
const SIZES: [usize; 3] = [16, 64, 4096];

/// Everything `conn` has queued to send, taken out of it.
fn drain(conn: &mut Connection) -> Vec<u8> {
    let out = conn.out();
    let mut bytes = Vec::with_capacity(out.len());
    while !out.is_empty() {
        let mut slices = [IoSlice::new(&[]); 64];
        let n = out.io_slices(&mut slices);
        let len: usize = slices[..n].iter().map(|s| s.len()).sum();
        slices[..n].iter().for_each(|s| bytes.extend_from_slice(s));
        out.advance(len);
    }
    bytes
}

/// A PUSH and a PULL connection with their NULL handshake done.
fn connected() -> (Connection, Connection) {
    let now = Instant::now();
    let mut push = Connection::new(Config::new(SocketType::Push), now);
    let mut pull = Connection::new(Config::new(SocketType::Pull), now);
    let (mut to_pull, mut to_push) = (BytesMut::new(), BytesMut::new());
    while !(push.is_ready() && pull.is_ready()) {
        to_pull.extend_from_slice(&drain(&mut push));
        pull.handle_input(&mut to_pull, now).expect("handshake");
        to_push.extend_from_slice(&drain(&mut pull));
        push.handle_input(&mut to_push, now).expect("handshake");
    }
    let mut events = VecDeque::new();
    push.take_events(&mut events);
    pull.take_events(&mut events);
    (push, pull)
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(BATCH as u64));
    for size in SIZES {
        let (mut push, _pull) = connected();
        let msg = Message::from(vec![7u8; size]);
        group.bench_function(format!("{size}B"), |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    push.send_message(black_box(&msg));
                }
                let out = push.out();
                let len = out.len();
                out.advance(len);
            });
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(BATCH as u64));
    for size in SIZES {
        let (mut push, mut pull) = connected();
        let msg = Message::from(vec![7u8; size]);
        for _ in 0..BATCH {
            push.send_message(&msg);
        }
        let wire = drain(&mut push);
        let mut events = VecDeque::with_capacity(BATCH);
        let now = Instant::now();
        group.bench_function(format!("{size}B"), |b| {
            b.iter_batched_ref(
                || BytesMut::from(&wire[..]),
                |buf| {
                    pull.handle_input(buf, now).expect("decode");
                    pull.take_events(&mut events);
                    assert!(matches!(events.back(), Some(Event::Message(_))));
                    events.clear();
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
