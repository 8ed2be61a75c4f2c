//! The run queue port: the cluster-wide limit of runs at once, kept in the database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{JobName, QueuedRun, Result, RunLimits};

/// The queue of runs waiting for a turn or holding one, shared by every instance.
///
/// Every implementation passes the conformance suite in `testing::queue_conformance`: a turn
/// is atomic (two instances taking turns at once never grant more than the limit), and
/// computes the new queue with [`crate::take_turns`].
#[async_trait]
pub trait RunQueue: Send + Sync {
    /// One instance's turn, in one transaction: `mine` merged in, stale runs dropped, turns
    /// granted by `limits` at `now` ([`crate::take_turns`]); gives the whole queue.
    async fn take_turns(
        &self,
        mine: &[QueuedRun],
        limits: &RunLimits,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueuedRun>>;

    /// Ends `job`'s turn of `tick` at `at` (its run ended): the turn is free again, and the
    /// row says the tick was run until it goes stale; another tick's row is left alone.
    async fn end_turn(
        &self,
        job: &JobName,
        tick: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()>;

    /// The queue as it is.
    async fn run_queue(&self) -> Result<Vec<QueuedRun>>;
}
