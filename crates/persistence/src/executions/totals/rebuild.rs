//! The statements that recompute every row of totals from the finished executions.

/// Recomputes every row of totals from the finished executions (what the migration that
/// created the table does), on PostgreSQL.
pub(in crate::executions) const REBUILD_POSTGRES: &str = "
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
ORDER BY 1, 2, 3, 4, 5, 6";

/// [`REBUILD_POSTGRES`] on SQLite (timestamps are fixed-width UTC text).
pub(in crate::executions) const REBUILD_SQLITE: &str = "
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
ORDER BY 1, 2, 3, 4, 5, 6";
