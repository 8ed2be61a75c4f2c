// The mock admin API's made-up, deterministic data: the demo jobs and the seeded history
// of their executions, and the execution record every run starts from.

export const DAY = 86_400_000;
export const JOBS = [
  { jobName: 'demo-costa-blanca', expected: 30 },
  { jobName: 'demo-north-macedonia', expected: 20 },
];
const STAGES = ['parse', 'map', 'validate', 'store', 'image'];
const MESSAGES = {
  parse: 'unexpected end of element <property> at line 412',
  map: 'unknown property type "finca-rustica"',
  validate: 'price must be positive, got 0',
  store: 'duplicate key value violates unique constraint "listings_external_id_key"',
  image: 'image https://img.partner.example/p/{id}.jpg answered 404',
};

/** A small seeded random generator, so every start shows the same history. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidAt(ms, rnd) {
  const hex = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const t = ms.toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${hex(3)}-${'89ab'[Math.floor(rnd() * 4)]}${hex(3)}-${hex(12)}`;
}

export const iso = (ms) => new Date(ms).toISOString();

export function execution(fields) {
  return {
    id: fields.id, jobName: fields.jobName, status: 'RUNNING', startedAt: iso(fields.start), completedAt: null, durationMs: null,
    totalProperties: 0, successCount: 0, failedCount: 0, skippedCount: 0, expectedTotal: null, triggeredBy: 'cron',
    consecutiveFailures: 0, lastError: null, scheduledFor: null, heartbeatAt: iso(fields.start), instanceId: 'mock-1',
    details: null, errors: [], errorsOmitted: 0, cancelRequestedBy: null, cancelRequestedAt: null, progress: null, ...fields.extra,
  };
}

export function seed(now) {
  const rnd = random(20261128);
  const all = [];
  const midnight = Math.floor(now / DAY) * DAY - 3_600_000; // 00:00 in UTC+01:00
  for (const [j, job] of JOBS.entries()) {
    let failures = 0;
    for (let d = 20; d >= 1; d--) {
      const runs = [{ start: midnight - d * DAY + 1000 + j * 400, by: 'cron' }];
      if (rnd() < 0.25) runs.push({ start: midnight - d * DAY + (9 + Math.floor(rnd() * 8)) * 3_600_000, by: rnd() < 0.5 ? 'manual' : 'api' });
      for (const run of runs) {
        const lastDays = job.jobName === 'demo-north-macedonia' && d <= 3;
        const roll = rnd();
        const status = lastDays ? 'FAILED' : roll < 0.72 ? 'SUCCESS' : roll < 0.86 ? 'PARTIAL' : 'FAILED';
        const total = status === 'FAILED' && rnd() < 0.5 ? 0 : job.expected;
        const failed = status === 'SUCCESS' ? 0 : status === 'PARTIAL' ? 1 + Math.floor(rnd() * 5) : total ? 4 + Math.floor(rnd() * 10) : 0;
        const skipped = Math.floor((total - failed) * (0.5 + rnd() * 0.5));
        const success = Math.max(0, total - failed - skipped);
        const duration = Math.round(800 + rnd() * 4000 + total * 40);
        failures = status === 'FAILED' ? failures + 1 : 0;
        const errors = Array.from({ length: failed }, (_, k) => {
          const stage = STAGES[Math.floor(rnd() * STAGES.length)];
          const ext = `${j ? 'MK' : 'CB'}-${1000 + Math.floor(rnd() * 900)}`;
          return { externalId: k % 7 === 6 ? null : ext, stage, message: MESSAGES[stage].replace('{id}', ext) };
        });
        all.push(execution({
          id: uuidAt(run.start, rnd), jobName: job.jobName, start: run.start,
          extra: {
            status, completedAt: iso(run.start + duration), durationMs: duration, totalProperties: total,
            successCount: success, failedCount: failed, skippedCount: skipped, expectedTotal: job.expected,
            triggeredBy: run.by, consecutiveFailures: failures, heartbeatAt: iso(run.start + duration),
            scheduledFor: run.by === 'cron' ? iso(run.start - 1000 - j * 400) : null,
            lastError: status === 'FAILED' && !total ? 'fetching the feed failed: HTTP 503 Service Unavailable after 3 attempts'
              : errors[0] ? `${errors.length} records failed; first: ${errors[0].message}` : null,
            details: {
              total, inserted: Math.floor(success / 3), updated: success - Math.floor(success / 3), unchanged: skipped, failed,
              withdrawn: status === 'SUCCESS' && rnd() < 0.3 ? 1 : 0,
              withdrawalBlocked: status === 'PARTIAL' && failed === 1 ? `${total - 2} of ${total} active listings are missing from the feed, more than the limit of 20%` : null,
              complete: total > 0, cancelled: false, imagesStored: success, imagesFailed: failed > 3 ? 1 : 0, imagesSkipped: skipped,
            },
            errors,
          },
        }));
      }
    }
  }
  return all.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
}
