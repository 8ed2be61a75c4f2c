//! A cancellation signal shared by the scheduler and a running job, usable without any
//! particular async runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use event_listener::Event;

/// A cloneable cancellation flag: the owner cancels, the job checks it at record or batch
/// boundaries, or awaits [`CancelToken::cancelled`].
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    event: Event,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels: every clone sees it, every waiter wakes.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.event.notify(usize::MAX);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the token is cancelled.
    pub async fn cancelled(&self) {
        loop {
            if self.is_cancelled() {
                return;
            }
            let listener = self.inner.event.listen();
            if self.is_cancelled() {
                return;
            }
            listener.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_wake_on_cancel() {
        let token = CancelToken::new();
        let waiter = token.clone();
        let handle = std::thread::spawn(move || futures::executor::block_on(waiter.cancelled()));
        assert!(!token.is_cancelled());
        token.cancel();
        handle.join().unwrap();
        assert!(token.is_cancelled());
        futures::executor::block_on(token.cancelled());
    }
}
