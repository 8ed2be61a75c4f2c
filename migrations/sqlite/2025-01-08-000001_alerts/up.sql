-- Alerts. One row per (job, condition: failure_threshold, late, overlong): whether the job is
-- in alert, the last occurrence decided and when the alert was raised and last sent. Writers
-- take SQLite's write lock up front (BEGIN IMMEDIATE), so a claim's read and write are one
-- step for every process sharing the file.
CREATE TABLE import_job_alert_state (
    job_name     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT 0,
    subject      TEXT,
    raised_at    TEXT,
    last_sent_at TEXT,
    repeats      INTEGER NOT NULL DEFAULT 0,
    resolved_at  TEXT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (job_name, kind)
);

-- The alert history: every alert raised, repeated or recovered, and every delivery of one
-- (alert_id: the event delivered; channel; delivered, or failed with the reason in message).
CREATE TABLE import_job_alert_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    job_name     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    event        TEXT NOT NULL,
    alert_id     BIGINT,
    channel      TEXT,
    execution_id TEXT,
    message      TEXT
);
CREATE INDEX import_job_alert_events_job_idx ON import_job_alert_events (job_name, id);
CREATE INDEX import_job_alert_events_kind_idx ON import_job_alert_events (kind, id);
