//! A tiny executor for the blocking API: polls one future on the caller's
//! thread and parks between wake-ups, so no runtime of the caller's is needed
//! and a wake-up costs one futex call.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

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

/// Runs `future` to completion on this thread, or until `deadline` passes
/// (then `None`). A spurious or stale unpark only costs one more poll.
pub(crate) fn block_on<F: Future>(future: F, deadline: Option<Instant>) -> Option<F::Output> {
    WAKER.with(|waker| run(future, deadline, waker))
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
    use std::time::Duration;

    #[test]
    fn ready_future_returns_and_pending_one_times_out() {
        assert_eq!(block_on(async { 7 }, None), Some(7));
        let deadline = Instant::now() + Duration::from_millis(5);
        assert_eq!(block_on(pending::<()>(), Some(deadline)), None);
        assert!(Instant::now() >= deadline);
    }
}
