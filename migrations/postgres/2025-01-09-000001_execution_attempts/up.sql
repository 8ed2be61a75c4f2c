-- Retries of a failed scheduled run: each attempt of a tick is its own execution.
ALTER TABLE import_job_executions ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
DROP INDEX import_job_executions_tick_idx;
CREATE UNIQUE INDEX import_job_executions_tick_idx ON import_job_executions (job_name, scheduled_for, attempt);
