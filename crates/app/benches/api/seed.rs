//! The benchmark's database: a fresh PostgreSQL database, migrated by
//! `propimport_persistence::Database::migrate`, filled with a realistic execution history by
//! one `INSERT … SELECT … FROM generate_series` and analysed.
//!
//! The history: `executions` runs spread evenly over `days` days ending a few minutes ago,
//! round-robin over `jobs` jobs of different feed sizes (so every job runs about every
//! `days × jobs / executions` days, ~21 minutes at the default size). About 85% SUCCESS, 8%
//! PARTIAL (a few records failed, listed in `errors`), 7% FAILED (a fetch or parse error, an
//! `errors` entry and `last_error`, counts of what was read before it stopped); 90% cron runs
//! on their minute tick (`scheduled_for` set), the rest manual or API runs;
//! `consecutive_failures` follows each job's sequence as the store computes it. Nothing is
//! RUNNING.

use anyhow::Context as _;
use propimport_persistence::{Database, DatabaseUrl, PoolOptions, SqlExecutionStore};
use tokio_postgres::Client;

use crate::postgres::connect;

/// What to seed.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How many executions.
    pub executions: u64,
    /// The job names, in round-robin order.
    pub jobs: Vec<String>,
    /// Over how many days, ending a few minutes ago.
    pub days: u32,
}

/// The seeded history, as counted back from the database.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Seeded {
    /// Executions stored.
    pub executions: i64,
    /// Of which SUCCESS, PARTIAL and FAILED.
    pub success: i64,
    /// PARTIAL ones.
    pub partial: i64,
    /// FAILED ones.
    pub failed: i64,
    /// Distinct job names.
    pub jobs: i64,
    /// The oldest start, RFC 3339.
    pub oldest: String,
    /// The newest start, RFC 3339.
    pub newest: String,
    /// The size of the table with its indexes, in MB.
    pub table_mb: f64,
}

/// The statement that fills `import_job_executions`. Parameters: `$1` executions, `$2` the
/// job names (text array), `$3` days.
const SEED: &str = r#"
INSERT INTO import_job_executions (
    id, job_name, status, started_at, completed_at, duration_ms,
    total_properties, success_count, failed_count, skipped_count, expected_total,
    errors, errors_omitted, triggered_by, consecutive_failures, last_error,
    scheduled_for, heartbeat_at, instance_id, details, created_at, updated_at)
WITH params AS (
    SELECT $1::bigint AS n,
           $2::text[] AS jobs,
           cardinality($2::text[]) AS job_count,
           date_trunc('minute', now()) - interval '5 minutes' AS last_tick,
           $3::int AS days
), plan AS (
    SELECT p.*,
           ceil(p.n::numeric / p.job_count)::bigint AS slots,
           -- seconds between two runs of one job
           ((p.days * 86400.0) / ceil(p.n::numeric / p.job_count))::float8 AS spacing
    FROM params p
), base AS (
    SELECT i,
           (i % pl.job_count)::int AS j,
           i / pl.job_count AS slot,
           pl.slots, pl.spacing, pl.last_tick, pl.jobs,
           random() AS r_status, random() AS r_trigger, random() AS r1, random() AS r2,
           random() AS r3, random() AS r4,
           md5(i::text) AS hex
    FROM plan pl, generate_series(0, pl.n - 1) AS i
), shaped AS (
    SELECT b.*,
           b.jobs[b.j + 1] AS job_name,
           -- feed size of the job: 400 to 19,400 listings
           400 + ((b.j * 7919) % 20) * 1000 AS feed_size,
           CASE WHEN b.r_status < 0.85 THEN 'SUCCESS'
                WHEN b.r_status < 0.93 THEN 'PARTIAL'
                ELSE 'FAILED' END AS status,
           CASE WHEN b.r_trigger < 0.90 THEN 'cron'
                WHEN b.r_trigger < 0.94 THEN 'manual'
                ELSE 'api' END AS triggered_by,
           -- each job's tick, on a minute boundary, its phase offset by the job
           date_trunc('minute', b.last_tick
               - make_interval(secs => (b.slots - 1 - b.slot) * b.spacing)
               - make_interval(secs => b.j * 47)) AS tick
    FROM base b
), timed AS (
    SELECT s.*,
           CASE WHEN s.triggered_by = 'cron'
                THEN s.tick + make_interval(secs => 0.02 + s.r4 * 1.5)
                ELSE s.tick + make_interval(secs => 60 + s.r4 * 500) END AS started_at,
           CASE WHEN s.status = 'FAILED' AND s.r2 < 0.6 THEN 0
                WHEN s.status = 'FAILED' THEN floor(s.feed_size * s.r1 * 0.7)::bigint
                ELSE floor(s.feed_size * (0.97 + 0.06 * s.r1))::bigint END AS total
    FROM shaped s
), counted AS (
    SELECT t.*,
           CASE WHEN t.status = 'PARTIAL' THEN 1 + floor(t.total * 0.02 * t.r3)::bigint
                ELSE 0 END AS failed,
           CASE WHEN t.status = 'FAILED' THEN floor(t.total * 0.03)::bigint
                ELSE floor(t.total * (0.01 + 0.08 * t.r2))::bigint END AS changed,
           CASE WHEN t.status = 'FAILED' AND t.total = 0 THEN (200 + t.r3 * 30000)::bigint
                WHEN t.status = 'FAILED' THEN (1500 + t.total * (2 + 3 * t.r3))::bigint
                ELSE (1500 + t.total * (2 + 3 * t.r3))::bigint END AS duration,
           CASE WHEN t.status = 'FAILED' AND t.total = 0 THEN
                    CASE WHEN t.r3 < 0.5 THEN 'fetch: HTTP 503 Service Unavailable'
                         WHEN t.r3 < 0.8 THEN 'fetch: timed out after 30s'
                         ELSE 'fetch: connection refused' END
                WHEN t.status = 'FAILED' THEN
                    format('parse: unexpected end of document at line %s', t.total * 41 + 7)
                ELSE NULL END AS fatal
    FROM timed t
), numbered AS (
    SELECT c.*,
           -- islands of failures per job, in start order
           sum(CASE WHEN c.status = 'FAILED' THEN 0 ELSE 1 END)
               OVER (PARTITION BY c.j ORDER BY c.slot) AS island
    FROM counted c
), streak AS (
    SELECT n.*,
           CASE WHEN n.status <> 'FAILED' THEN 0
                WHEN n.island = 0
                    THEN row_number() OVER (PARTITION BY n.j, n.island ORDER BY n.slot)
                ELSE row_number() OVER (PARTITION BY n.j, n.island ORDER BY n.slot) - 1
           END AS consecutive
    FROM numbered n
)
SELECT
    -- a UUID v7 of the start instant
    substr(ts, 1, 8) || '-' || substr(ts, 9, 4) || '-7' || substr(hex, 1, 3) || '-'
        || substr('89ab', 1 + (i % 4)::int, 1) || substr(hex, 4, 3) || '-' || substr(hex, 7, 12),
    job_name,
    status,
    started_at,
    started_at + make_interval(secs => duration / 1000.0),
    duration,
    total,
    CASE WHEN status = 'FAILED' THEN 0 ELSE changed END,
    failed,
    CASE WHEN status = 'FAILED' THEN total ELSE total - changed - failed END,
    CASE WHEN status = 'FAILED' THEN NULL ELSE total END,
    CASE WHEN status = 'PARTIAL' THEN
             '[' || (SELECT string_agg(format(
                 '{"externalId":"%s-%s","stage":"%s","message":"%s"}',
                 upper(left(job_name, 2)), (r1 * 100000)::int + k,
                 (ARRAY['map', 'validate', 'map'])[1 + (k % 3)],
                 (ARRAY['price: not a number', 'bedrooms: must not be negative',
                        'address: missing country'])[1 + (k % 3)]), ',')
                 FROM generate_series(1, least(failed, 20)::int) AS k) || ']'
         WHEN status = 'FAILED' THEN
             format('[{"externalId":null,"stage":"%s","message":"%s"}]',
                    split_part(fatal, ':', 1), substr(fatal, position(': ' IN fatal) + 2))
         ELSE NULL END,
    CASE WHEN status = 'PARTIAL' THEN greatest(failed - 20, 0) ELSE 0 END,
    triggered_by,
    consecutive,
    CASE WHEN status = 'PARTIAL' THEN format('%s of %s records failed', failed, total)
         ELSE fatal END,
    CASE WHEN triggered_by = 'cron' THEN tick ELSE NULL END,
    started_at + make_interval(secs => duration / 1000.0),
    CASE WHEN r4 < 0.5 THEN 'propimport-7f9c4d-a' ELSE 'propimport-7f9c4d-b' END,
    format('{"total":%s,"inserted":%s,"updated":%s,"unchanged":%s,"failed":%s,'
           '"withdrawn":%s,"withdrawalBlocked":null,"complete":%s,"cancelled":false,'
           '"imagesStored":%s,"imagesFailed":%s,"imagesSkipped":%s}',
           total,
           CASE WHEN status = 'FAILED' THEN 0 ELSE changed / 4 END,
           CASE WHEN status = 'FAILED' THEN 0 ELSE changed - changed / 4 END,
           CASE WHEN status = 'FAILED' THEN total ELSE total - changed - failed END,
           failed,
           CASE WHEN status = 'FAILED' THEN 0 ELSE (r2 * 3)::int END,
           CASE WHEN status = 'FAILED' THEN 'false' ELSE 'true' END,
           CASE WHEN status = 'FAILED' THEN 0 ELSE changed * 6 END,
           CASE WHEN status = 'FAILED' THEN 0 ELSE (r3 * 2)::int END,
           CASE WHEN status = 'FAILED' THEN 0 ELSE changed END),
    started_at,
    started_at + make_interval(secs => duration / 1000.0)
FROM (
    SELECT st.*,
           lpad(to_hex((extract(epoch FROM st.started_at) * 1000)::bigint), 12, '0') AS ts
    FROM streak st
) AS rows
"#;

/// Fills the `import_job_executions` table of `url` as `plan` says, rebuilds the history
/// totals from it and analyses both.
pub async fn seed(url: &str, plan: &Plan) -> anyhow::Result<Seeded> {
    let client = connect(url).await?;
    client
        .batch_execute("SELECT setseed(0.2025); SET work_mem = '256MB'")
        .await?;
    let n = i64::try_from(plan.executions).context("too many executions")?;
    let days = i32::try_from(plan.days).context("too many days")?;
    client
        .execute(SEED, &[&n, &plan.jobs, &days])
        .await
        .context("seed import_job_executions")?;
    // Rows written behind the store's back: its history totals are computed afresh.
    let db = Database::connect(
        &DatabaseUrl::Postgres(url.to_owned()),
        PoolOptions::default(),
    )
    .await?;
    SqlExecutionStore::new(db.clone())
        .rebuild_totals()
        .await
        .context("rebuild the history totals")?;
    db.close();
    client
        .batch_execute("VACUUM ANALYZE import_job_executions, import_job_execution_totals")
        .await
        .context("analyse import_job_executions")?;
    counted(&client).await
}

/// Counts what `import_job_executions` holds.
pub async fn counted(client: &Client) -> anyhow::Result<Seeded> {
    let row = client
        .query_one(
            "SELECT count(*), \
                    count(*) FILTER (WHERE status = 'SUCCESS'), \
                    count(*) FILTER (WHERE status = 'PARTIAL'), \
                    count(*) FILTER (WHERE status = 'FAILED'), \
                    count(DISTINCT job_name), \
                    COALESCE(to_char(min(started_at) AT TIME ZONE 'UTC', \
                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), \
                    COALESCE(to_char(max(started_at) AT TIME ZONE 'UTC', \
                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), \
                    pg_total_relation_size('import_job_executions')::float8 / 1048576.0 \
             FROM import_job_executions",
            &[],
        )
        .await
        .context("count the seeded executions")?;
    Ok(Seeded {
        executions: row.get(0),
        success: row.get(1),
        partial: row.get(2),
        failed: row.get(3),
        jobs: row.get(4),
        oldest: row.get(5),
        newest: row.get(6),
        table_mb: row.get(7),
    })
}
