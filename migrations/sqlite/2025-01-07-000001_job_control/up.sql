-- Operator control. A request to cancel a running execution (who, when): the instance running
-- it reads it back with its next heartbeat and stops the run, which ends FAILED "cancelled by
-- <who>" through the ordinary finish.
-- Timestamps are UTC text of fixed width (YYYY-MM-DDTHH:MM:SS.ffffffZ), so they sort and compare as text.
ALTER TABLE import_job_executions ADD COLUMN cancel_requested_by TEXT;
ALTER TABLE import_job_executions ADD COLUMN cancel_requested_at TEXT;

-- Paused jobs, one row each while paused: every instance skips their scheduled ticks (manual
-- triggers still run them); resuming deletes the row.
CREATE TABLE import_job_pauses (
    job_name  TEXT PRIMARY KEY,
    paused_by TEXT NOT NULL,
    paused_at TEXT NOT NULL,
    reason    TEXT
);
