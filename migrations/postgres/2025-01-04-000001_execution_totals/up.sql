-- Sums of the finished executions per UTC day, month and year: by job, status and trigger
-- (level 'job'), and by status alone over every job and trigger (level 'all', job_name and
-- triggered_by empty) for the unfiltered views. The store adds a run when it finishes and
-- subtracts the runs it purges, in the same transaction, so history aggregates and
-- statistics read these few rows for whole periods and only the partial days at a window's
-- ends (and the RUNNING runs) from the executions. The sums ride along in the primary key's
-- index, so whole periods are index-only reads.
CREATE TABLE import_job_execution_totals (
    period           TEXT NOT NULL CHECK (period IN ('day', 'month', 'year')),
    level            TEXT NOT NULL CHECK (level IN ('job', 'all')),
    period_start     TIMESTAMPTZ NOT NULL,
    job_name         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('SUCCESS', 'FAILED', 'PARTIAL')),
    triggered_by     TEXT NOT NULL,
    executions       BIGINT NOT NULL,
    total_properties BIGINT NOT NULL,
    success_count    BIGINT NOT NULL,
    failed_count     BIGINT NOT NULL,
    skipped_count    BIGINT NOT NULL,
    duration_sum_ms  BIGINT NOT NULL,
    durations        BIGINT NOT NULL,
    PRIMARY KEY (period, level, period_start, job_name, status, triggered_by)
        INCLUDE (executions, total_properties, success_count, failed_count, skipped_count,
                 duration_sum_ms, durations)
);

INSERT INTO import_job_execution_totals
SELECT p.period, l.level,
       date_trunc(p.period, e.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       CASE l.level WHEN 'job' THEN e.job_name ELSE '' END,
       e.status,
       CASE l.level WHEN 'job' THEN e.triggered_by ELSE '' END,
       count(*), sum(e.total_properties), sum(e.success_count), sum(e.failed_count),
       sum(e.skipped_count), COALESCE(sum(e.duration_ms), 0), count(e.duration_ms)
FROM import_job_executions AS e
CROSS JOIN (VALUES ('day'), ('month'), ('year')) AS p (period)
CROSS JOIN (VALUES ('job'), ('all')) AS l (level)
WHERE e.status <> 'RUNNING'
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;

-- A page of one job's runs of one status, newest first, without filtering the other statuses.
CREATE INDEX import_job_executions_job_status_started_at_idx
    ON import_job_executions (job_name, status, started_at);
