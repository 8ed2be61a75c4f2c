-- Execution history and the admin audit log.
CREATE TABLE import_job_executions (
    id                   TEXT PRIMARY KEY,
    job_name             TEXT NOT NULL DEFAULT 'property_import',
    status               TEXT NOT NULL CHECK (status IN ('RUNNING', 'SUCCESS', 'FAILED', 'PARTIAL')),
    started_at           TIMESTAMPTZ NOT NULL,
    completed_at         TIMESTAMPTZ,
    duration_ms          BIGINT,
    total_properties     BIGINT NOT NULL DEFAULT 0,
    success_count        BIGINT NOT NULL DEFAULT 0,
    failed_count         BIGINT NOT NULL DEFAULT 0,
    skipped_count        BIGINT NOT NULL DEFAULT 0,
    expected_total       BIGINT,
    errors               TEXT,
    errors_omitted       BIGINT NOT NULL DEFAULT 0,
    triggered_by         TEXT NOT NULL DEFAULT 'cron',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    scheduled_for        TIMESTAMPTZ,
    heartbeat_at         TIMESTAMPTZ,
    instance_id          TEXT,
    details              TEXT,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

CREATE INDEX import_job_executions_job_name_started_at_idx ON import_job_executions (job_name, started_at);
CREATE INDEX import_job_executions_status_idx ON import_job_executions (status);
CREATE INDEX import_job_executions_started_at_idx ON import_job_executions (started_at);
CREATE INDEX import_job_executions_status_started_at_idx ON import_job_executions (status, started_at);
-- At most one RUNNING execution per job, whichever replica creates it.
CREATE UNIQUE INDEX import_job_executions_one_running_idx ON import_job_executions (job_name) WHERE status = 'RUNNING';
-- At most one execution per scheduled tick (NULL for manual runs never collides).
CREATE UNIQUE INDEX import_job_executions_tick_idx ON import_job_executions (job_name, scheduled_for);

CREATE TABLE admin_audit_log (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    remote_addr  TEXT,
    action       TEXT NOT NULL,
    job_name     TEXT,
    outcome      TEXT NOT NULL,
    execution_id TEXT,
    detail       TEXT
);
CREATE INDEX admin_audit_log_at_idx ON admin_audit_log (at);
