//! An in-memory [`RunQueue`].

use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{JobName, QueuedRun, Result, RunLimits, RunQueue};

/// A [`RunQueue`] in memory (one process: its turns are atomic under a lock).
#[derive(Default)]
pub struct InMemoryRunQueue {
    queue: Mutex<Vec<QueuedRun>>,
}

impl InMemoryRunQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RunQueue for InMemoryRunQueue {
    async fn take_turns(
        &self,
        mine: &[QueuedRun],
        limits: &RunLimits,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueuedRun>> {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let (next, _, _) = crate::take_turns(&queue, mine, limits, now);
        *queue = next.clone();
        Ok(next)
    }

    async fn end_turn(
        &self,
        job: &JobName,
        tick: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        for row in self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter_mut()
            .filter(|r| &r.job_name == job && r.tick == tick)
        {
            row.ended_at = Some(at);
        }
        Ok(())
    }

    async fn run_queue(&self) -> Result<Vec<QueuedRun>> {
        Ok(self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }
}
