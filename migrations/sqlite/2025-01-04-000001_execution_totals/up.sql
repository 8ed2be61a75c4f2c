-- Sums of the finished executions per UTC day, month and year: by job, status and trigger
-- (level 'job'), and by status alone over every job and trigger (level 'all', job_name and
-- triggered_by empty) for the unfiltered views. The store adds a run when it finishes and
-- subtracts the runs it purges, in the same transaction, so history aggregates and
-- statistics read these few rows for whole periods and only the partial days at a window's
-- ends (and the RUNNING runs) from the executions. period_start is UTC text of the same
-- fixed width as every timestamp; the rows are stored in key order (WITHOUT ROWID), so a
-- period's rows are read together.
CREATE TABLE import_job_execution_totals (
    period           TEXT NOT NULL CHECK (period IN ('day', 'month', 'year')),
    level            TEXT NOT NULL CHECK (level IN ('job', 'all')),
    period_start     TEXT NOT NULL,
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
) WITHOUT ROWID;

INSERT INTO import_job_execution_totals
SELECT p.period, l.level,
       CASE p.period
           WHEN 'day' THEN substr(e.started_at, 1, 10) || 'T00:00:00.000000Z'
           WHEN 'month' THEN substr(e.started_at, 1, 7) || '-01T00:00:00.000000Z'
           ELSE substr(e.started_at, 1, 4) || '-01-01T00:00:00.000000Z'
       END,
       CASE l.level WHEN 'job' THEN e.job_name ELSE '' END,
       e.status,
       CASE l.level WHEN 'job' THEN e.triggered_by ELSE '' END,
       count(*), sum(e.total_properties), sum(e.success_count), sum(e.failed_count),
       sum(e.skipped_count), COALESCE(sum(e.duration_ms), 0), count(e.duration_ms)
FROM import_job_executions AS e
CROSS JOIN (SELECT 'day' AS period UNION ALL SELECT 'month' UNION ALL SELECT 'year') AS p
CROSS JOIN (SELECT 'job' AS level UNION ALL SELECT 'all') AS l
WHERE e.status <> 'RUNNING'
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;

-- A page of one job's runs of one status, newest first, without filtering the other statuses.
CREATE INDEX import_job_executions_job_status_started_at_idx
    ON import_job_executions (job_name, status, started_at);
