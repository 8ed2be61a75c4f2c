-- Alerts. One row per (job, condition: failure_threshold, late, overlong): whether the job is
-- in alert, the last occurrence decided and when the alert was raised and last sent. A claim
-- locks its row (an upsert), reads it and writes the decision in one transaction, so replicas
-- seeing the same condition send one alert between them.
CREATE TABLE import_job_alert_state (
    job_name     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT FALSE,
    subject      TEXT,
    raised_at    TIMESTAMPTZ,
    last_sent_at TIMESTAMPTZ,
    repeats      INTEGER NOT NULL DEFAULT 0,
    resolved_at  TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_name, kind)
);

-- The alert history: every alert raised, repeated or recovered, and every delivery of one
-- (alert_id: the event delivered; channel; delivered, or failed with the reason in message).
CREATE TABLE import_job_alert_events (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
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
