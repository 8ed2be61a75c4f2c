//! The live progress a test's job control reports for runs, as the instance running them
//! would (from memory, newer than their heartbeat).

use std::sync::{Mutex, PoisonError};

use propimport_domain::{Execution, ExecutionId, LiveProgress};

/// Live progress by execution.
#[derive(Default)]
pub(crate) struct LiveRuns(Mutex<Vec<(ExecutionId, LiveProgress)>>);

impl LiveRuns {
    /// Reports `live` for the execution `id` from now on.
    pub(crate) fn set(&self, id: ExecutionId, live: LiveProgress) {
        let mut runs = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        runs.retain(|(run, _)| *run != id);
        runs.push((id, live));
    }

    /// The live progress reported for `running`, if any.
    pub(crate) fn of(&self, running: Option<&Execution>) -> Option<LiveProgress> {
        let id = running?.id;
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(run, _)| *run == id)
            .map(|(_, live)| *live)
    }
}
