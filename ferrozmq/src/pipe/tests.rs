use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Wake, Waker};

use super::*;
use crate::Message;
use crate::mailbox::Mailbox;

struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// An engine's waker that counts its wake-ups.
fn counter() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    (count.clone(), Waker::from(count))
}

fn wakes(count: &Count) -> usize {
    count.0.swap(0, Ordering::SeqCst)
}

fn notices(mailbox: &Mailbox) -> Vec<String> {
    let mut taken = Vec::new();
    mailbox.take(&mut taken);
    taken.iter().map(|n| format!("{n:?}")).collect()
}

fn new_pipe(hwm: usize) -> (Arc<Mailbox>, Pipe, EngineEnd) {
    let mailbox = Arc::new(Mailbox::default());
    let hwm = Hwm {
        send: hwm,
        recv: hwm,
        conflate: false,
    };
    let (pipe, end) = with_engine(7, &mailbox, hwm, false);
    (mailbox, pipe, end)
}

fn msg(i: u8) -> Message {
    Message::from(vec![i])
}

fn item(i: u8) -> Item {
    Item::Message(msg(i))
}

/// Everything queued, as a socket takes it (reporting `consumed` reads).
fn refill(queue: &Queue, consumed: usize) -> (Refilled, Vec<Item>) {
    let mut cache = std::collections::VecDeque::new();
    let refilled = queue.refill(&mut cache, consumed);
    (refilled, cache.into())
}

/// The socket hears of a pipe's first message, and of the next one only
/// after it found the pipe empty: one notice per edge, not per message; it
/// takes all that is queued in one step.
#[test]
fn the_socket_is_told_of_arrivals_on_edges_only() {
    let (mailbox, pipe, end) = new_pipe(0);
    end.inbound
        .push_with(|items| items.extend((0..3).map(|i| Item::Message(msg(i)))));
    end.inbound
        .push_with(|items| items.extend([Item::Message(msg(3))]));
    assert_eq!(notices(&mailbox), ["Readable(7)"]);
    let all = (0..4).map(item).collect::<Vec<_>>();
    assert_eq!(
        refill(&pipe.inbound, 0),
        (Refilled::Items, all),
        "in one step"
    );
    end.inbound.push_with(|items| items.extend([item(4)]));
    assert!(
        notices(&mailbox).is_empty(),
        "the socket did not find it empty"
    );
    assert_eq!(refill(&pipe.inbound, 4), (Refilled::Items, vec![item(4)]));
    assert_eq!(refill(&pipe.inbound, 1), (Refilled::Empty, vec![]));
    end.inbound.push_with(|items| items.extend([item(5)]));
    assert_eq!(notices(&mailbox), ["Readable(7)"]);
}

/// What an engine took and has not written counts against the HWM: a
/// full pipe takes nothing more until the engine releases, and the socket
/// hears of room at the low-water mark (half), once.
#[test]
fn the_hwm_counts_what_the_engine_holds() {
    let (mailbox, pipe, end) = new_pipe(4);
    let (_, engine) = counter();
    for i in 0..4 {
        assert_eq!(pipe.outbound.push_message(msg(i), false), Pushed::Ok);
    }
    let mut batch = Batch::default();
    let taken = end.outbound.take(&mut batch, usize::MAX, &engine);
    assert_eq!((taken.items, taken.drained), (4, true));
    assert!(matches!(
        pipe.outbound.push_message(msg(9), false),
        Pushed::Full(_)
    ));
    end.outbound.release(1);
    assert!(notices(&mailbox).is_empty(), "3 still held: above the lwm");
    end.outbound.release(1);
    assert_eq!(notices(&mailbox), ["Writable(7)"]);
    end.outbound.release(2);
    assert!(notices(&mailbox).is_empty(), "once");
    assert_eq!(pipe.outbound.push_message(msg(9), false), Pushed::Ok);
}

/// An engine is woken by a message only when it found the pipe empty with
/// room to take it; one whose output is full is woken by a close alone.
#[test]
fn the_engine_is_woken_when_it_can_act() {
    let (_mailbox, pipe, end) = new_pipe(0);
    let (count, engine) = counter();
    end.outbound
        .take(&mut Batch::default(), usize::MAX, &engine);
    pipe.outbound.push_message(msg(1), false);
    pipe.outbound.push_message(msg(2), false);
    assert_eq!(wakes(&count), 1, "once for the first");
    let mut batch = Batch::default();
    end.outbound.take(&mut batch, 0, &engine);
    assert!(batch.items.is_empty(), "no room, nothing taken");
    pipe.outbound.push_message(msg(3), false);
    assert_eq!(wakes(&count), 0, "its output is full");
    pipe.close(Closing::Linger(None));
    assert_eq!(wakes(&count), 1, "but a close is news");
    let taken = end.outbound.take(&mut batch, usize::MAX, &engine);
    assert_eq!(taken.closing, Closing::Linger(None));
    assert_eq!(taken.items, 3, "queued messages are still flushed");
}

/// An engine with no room for messages stops; it hears of room at the
/// low-water mark.
#[test]
fn a_full_inbound_queue_holds_the_engine_back() {
    let (_mailbox, pipe, end) = new_pipe(4);
    let (count, engine) = counter();
    assert_eq!(end.inbound.room(&engine), 4);
    end.inbound
        .push_with(|items| items.extend((0..4).map(|i| Item::Message(msg(i)))));
    assert_eq!(end.inbound.room(&engine), 0);
    assert_eq!(refill(&pipe.inbound, 0).1.len(), 4);
    assert_eq!(end.inbound.room(&engine), 0, "cached items still count");
    assert_eq!(pipe.inbound.report_every(), 2);
    pipe.inbound.release(1);
    assert_eq!(wakes(&count), 0);
    pipe.inbound.release(1);
    assert_eq!(wakes(&count), 1, "at half");
    assert_eq!(end.inbound.room(&engine), 2);
}

/// When the connection ends for good, the socket reads what arrived, then
/// sees the end; its writes are refused. When the socket closes, the
/// engine's pushes are dropped.
#[test]
fn either_side_may_end_the_pipe() {
    let (mailbox, pipe, end) = new_pipe(0);
    end.inbound
        .push_with(|items| items.extend([Item::Message(msg(1))]));
    end.terminate();
    assert_eq!(notices(&mailbox), ["Readable(7)"]);
    assert!(matches!(
        pipe.outbound.push_message(msg(2), false),
        Pushed::Closed(_)
    ));
    assert_eq!(refill(&pipe.inbound, 0), (Refilled::Items, vec![item(1)]));
    assert_eq!(refill(&pipe.inbound, 1), (Refilled::Closed, vec![]));

    let (_mailbox, pipe, end) = new_pipe(0);
    pipe.close(Closing::now());
    end.inbound
        .push_with(|items| items.extend([Item::Message(msg(3))]));
    assert_eq!(
        refill(&pipe.inbound, 0),
        (Refilled::Empty, vec![]),
        "dropped"
    );
    assert!(matches!(
        pipe.outbound.push_message(msg(4), false),
        Pushed::Closed(_)
    ));
}

/// A pipe towards a connection that sends plain frames has each message
/// encoded as it is queued: the engine takes bytes ready for the wire, and
/// they still count against the high-water mark until released.
#[test]
fn messages_can_be_encoded_as_they_are_queued() {
    let mailbox = Arc::new(Mailbox::default());
    let hwm = Hwm {
        send: 3,
        recv: 3,
        conflate: false,
    };
    let (pipe, end) = with_engine(7, &mailbox, hwm, true);
    let sent = [
        Message::from_iter(["a", "bc"]),
        Message::from(vec![9u8; 10_000]),
        Message::from(""),
    ];
    for m in &sent {
        assert_eq!(pipe.outbound.push_message(m.clone(), false), Pushed::Ok);
    }
    assert!(matches!(
        pipe.outbound.push_message(msg(4), false),
        Pushed::Full(_)
    ));
    let mut batch = Batch::default();
    let taken = end.outbound.take(&mut batch, usize::MAX, Waker::noop());
    assert_eq!((taken.items, taken.drained), (3, true));
    assert!(batch.items.is_empty());
    let mut wire = bytes::BytesMut::new();
    let mut slices = [std::io::IoSlice::new(&[]); 8];
    let n = batch.wire.io_slices(&mut slices);
    slices[..n].iter().for_each(|s| wire.extend_from_slice(s));
    let mut expected = ferrozmq_proto::OutBuffer::new();
    sent.iter().for_each(|m| expected.push_message(m));
    let n = expected.io_slices(&mut slices);
    let expected: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(wire[..], expected[..]);
    assert!(
        matches!(pipe.outbound.push_message(msg(4), false), Pushed::Full(_)),
        "held"
    );
    end.outbound.release(3);
    assert_eq!(pipe.outbound.push_message(msg(4), false), Pushed::Ok);
}

/// A taken batch is bounded by bytes: the rest stays queued, where it
/// survives the loss of the connection.
#[test]
fn a_take_is_bounded_by_bytes() {
    let (_mailbox, pipe, end) = new_pipe(0);
    for _ in 0..5 {
        pipe.outbound
            .push_message(Message::from(vec![0u8; 100]), false);
    }
    let mut batch = Batch::default();
    let taken = end.outbound.take(&mut batch, 250, Waker::noop());
    assert_eq!((taken.items, taken.drained), (3, false));
    batch.items.clear();
    let taken = end.outbound.take(&mut batch, usize::MAX, Waker::noop());
    assert_eq!((taken.items, taken.drained), (2, true));
}

/// Two sockets of one context can share a pair of queues with no engine
/// between them (the inproc transport will): each is the producer of one
/// queue and the consumer of the other, and each hears of the other
/// through its own mailbox.
#[test]
fn a_pipe_can_join_two_sockets_directly() {
    let (a_box, b_box) = (Arc::new(Mailbox::default()), Arc::new(Mailbox::default()));
    let on = |mailbox: &Arc<Mailbox>, pipe| Notify::Socket {
        mailbox: Arc::downgrade(mailbox),
        pipe,
    };
    let a_to_b = Arc::new(Queue::new(2, false, on(&b_box, 20), on(&a_box, 10)));
    let b_to_a = Arc::new(Queue::new(2, false, on(&a_box, 10), on(&b_box, 20)));
    let a = Pipe {
        id: 10,
        inbound: b_to_a.clone(),
        outbound: a_to_b.clone(),
    };
    let b = Pipe {
        id: 20,
        inbound: a_to_b,
        outbound: b_to_a,
    };
    assert_eq!(a.outbound.push_message(msg(1), false), Pushed::Ok);
    assert_eq!(a.outbound.push_message(msg(2), false), Pushed::Ok);
    assert!(matches!(
        a.outbound.push_message(msg(3), false),
        Pushed::Full(_)
    ));
    assert_eq!(notices(&b_box), ["Readable(20)"]);
    assert_eq!(
        refill(&b.inbound, 0),
        (Refilled::Items, vec![item(1), item(2)])
    );
    b.inbound.release(1);
    assert_eq!(notices(&a_box), ["Writable(10)"], "room at the lwm");
    assert_eq!(b.outbound.push_message(msg(4), false), Pushed::Ok);
    assert_eq!(notices(&a_box), ["Readable(10)"]);
    assert_eq!(refill(&a.inbound, 0), (Refilled::Items, vec![item(4)]));
}

/// `conflate`: whichever way, a newer message replaces what is queued,
/// and the socket reads only the newest of what arrived, whether it was
/// still queued or already in its cache.
#[test]
fn a_conflating_pipe_keeps_the_newest_message() {
    let mailbox = Arc::new(Mailbox::default());
    let hwm = Hwm {
        send: 1,
        recv: 1,
        conflate: true,
    };
    let (pipe, end) = with_engine(7, &mailbox, hwm, false);
    for i in 0..5 {
        assert_eq!(
            pipe.outbound.push_message(msg(i), false),
            Pushed::Ok,
            "no mark"
        );
    }
    let mut batch = Batch::default();
    let taken = end.outbound.take(&mut batch, usize::MAX, Waker::noop());
    assert_eq!(taken.items, 1);
    assert_eq!(batch.items.pop_front(), Some(item(4)));
    end.inbound
        .push_with(|items| items.extend([item(1), item(2)]));
    end.inbound.push_with(|items| items.push_back(item(3)));
    let mut pipes = Pipes::default();
    pipes.insert(pipe);
    assert!(matches!(pipes.read(7), Read::Item(i) if i == item(3)));
    assert!(matches!(pipes.read(7), Read::Empty));
}
