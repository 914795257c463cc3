//! A tiny executor for the blocking API: polls one future on the caller's
//! thread and parks between wake-ups, so no runtime of the caller's is needed
//! and a wake-up costs one futex call.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// One waker per thread, made once: a blocking call allocates nothing.
    static WAKER: Waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
}

/// Runs `future` to completion on this thread, or for at most `timeout`
/// (then `None`; no timeout waits forever). A spurious or stale unpark only
/// costs one more poll.
pub(crate) fn block_on<F: Future>(future: F, timeout: Option<Duration>) -> Option<F::Output> {
    WAKER.with(|waker| run(future, deadline(timeout), waker))
}

/// The instant `timeout` from now; none for no timeout, or for one so long
/// that no clock reaches it (`Duration::MAX` is "forever", not a panic).
pub(crate) fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

fn run<F: Future>(future: F, deadline: Option<Instant>, waker: &Waker) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Some(out);
        }
        match deadline {
            None => thread::park(),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return None;
                }
                thread::park_timeout(deadline - now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::pending;

    #[test]
    fn ready_future_returns_and_pending_one_times_out() {
        assert_eq!(block_on(async { 7 }, None), Some(7));
        let start = Instant::now();
        let wait = Duration::from_millis(5);
        assert_eq!(block_on(pending::<()>(), Some(wait)), None);
        assert!(start.elapsed() >= wait);
        assert_eq!(block_on(async { 8 }, Some(Duration::MAX)), Some(8));
        assert_eq!(deadline(Some(Duration::MAX)), None);
    }
}
