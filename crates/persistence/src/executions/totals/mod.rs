//! `import_job_execution_totals`: sums of the finished executions per UTC day, month and
//! year, by job, status and trigger, and by status alone over every job and trigger.
//!
//! Finishing a run adds it, in the finish's transaction; a purge subtracts exactly the rows it
//! deleted (`DELETE … RETURNING`), in the purge's transaction. RUNNING runs are never in the
//! totals: their counts change with every heartbeat. Readers split a window of `started_at`
//! into whole years, months and days and the partial days at its ends ([`Split`]): whole periods
//! come from the totals, the partial days and the RUNNING runs of the whole periods from the
//! executions, all in one snapshot. A finished run never changes, so the sum of the parts is
//! what an aggregate over every matching execution gives.

mod delta;
mod rebuild;
mod window;

pub(super) use delta::{ALL_JOBS, BY_JOB, Delta, FinishedRow, Sums, apply_totals};
pub(super) use rebuild::{REBUILD_POSTGRES, REBUILD_SQLITE};
pub(super) use window::{Grain, Span, Split};
