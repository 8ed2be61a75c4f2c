-- Retries (attempt > 1) cannot share the old one-per-tick index: they are deleted (the totals
-- keep counting them; `rebuild_totals` recomputes them).
DROP INDEX import_job_executions_tick_idx;
DELETE FROM import_job_executions WHERE attempt > 1;
CREATE UNIQUE INDEX import_job_executions_tick_idx ON import_job_executions (job_name, scheduled_for);
ALTER TABLE import_job_executions DROP COLUMN attempt;
