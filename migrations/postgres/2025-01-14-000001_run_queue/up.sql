-- The cluster-wide limit of runs at once: one row per job whose run waits for a turn or holds
-- one (granted_at set) until its run ends (ended_at), said again by the instances that wait
-- for it or run it (seen_at);
-- turns are granted in order of due_at under a transaction-scoped advisory lock.
CREATE TABLE import_run_queue (
    job_name    TEXT PRIMARY KEY,
    tick        TIMESTAMPTZ,
    due_at      TIMESTAMPTZ NOT NULL,
    host        TEXT,
    granted_at  TIMESTAMPTZ,
    ended_at    TIMESTAMPTZ,
    seen_at     TIMESTAMPTZ NOT NULL,
    instance_id TEXT NOT NULL
);
