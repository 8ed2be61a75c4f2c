-- The limit of runs at once: one row per job whose run waits for a turn or holds one
-- (granted_at set) until its run ends (ended_at), said again by the process that waits for it
-- or runs it (seen_at); turns
-- are granted in order of due_at, one writer at a time.
CREATE TABLE import_run_queue (
    job_name    TEXT PRIMARY KEY,
    tick        TEXT,
    due_at      TEXT NOT NULL,
    host        TEXT,
    granted_at  TEXT,
    ended_at    TEXT,
    seen_at     TEXT NOT NULL,
    instance_id TEXT NOT NULL
);
