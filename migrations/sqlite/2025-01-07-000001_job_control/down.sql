DROP TABLE import_job_pauses;
ALTER TABLE import_job_executions DROP COLUMN cancel_requested_at;
ALTER TABLE import_job_executions DROP COLUMN cancel_requested_by;
