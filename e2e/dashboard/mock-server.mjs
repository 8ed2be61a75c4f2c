// A stand-in for the admin API, for working on the dashboard without the Rust server.
// It serves the dashboard's files with the server's Content-Security-Policy and answers the
// /api/v1/admin/import-jobs endpoints and /api/v1/admin/alerts from made-up, deterministic data.
//
//   node mock-server.mjs            # http://127.0.0.1:5051/, token "dev-token"
//   PORT=5052 MOCK_TOKEN=x MOCK_RUN_MS=15000 node mock-server.mjs
//
// A triggered run takes MOCK_RUN_MS (default 8000) and ends SUCCESS (FAILED "cancelled by
// token:admin" when cancelled); more than MOCK_TRIGGER_LIMIT (default 20) triggers a minute
// answer 429. Jobs can be paused and resumed. The token "viewer-token" gets 403. Besides the two
// demo jobs with their history there are MOCK_EXTRA_JOBS (default 40) partner feeds that never
// ran, so /status pages, searches and filters (limit, offset, q, status, failing, late, paused,
// running) and sums up many jobs as the server does.

import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { DAY, JOBS, execution, iso, seed } from './mock-data.mjs';

const ASSETS = fileURLToPath(new URL('../../crates/http-api/assets/dashboard/', import.meta.url));
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/** Starts the mock on 127.0.0.1; resolves to {url, close()}. */
export function startMockServer({ port = 5051, token = 'dev-token', runMs = 8000, triggerLimit = 20, extraJobs = 40 } = {}) {
  const ALL_JOBS = [...JOBS, ...Array.from({ length: extraJobs }, (_, i) => ({ jobName: `partner-feed-${String(i + 1).padStart(2, '0')}`, expected: 10 }))];
  const executions = seed(Date.now());
  const triggers = [];
  const pauses = new Map(); // job name → {pausedBy, pausedAt, pauseReason}
  const ACTOR = 'token:admin';

  // Moves triggered runs forward in time; they finish SUCCESS after runMs.
  function advance() {
    const now = Date.now();
    for (const e of executions) {
      if (e.status !== 'RUNNING' || !e.mock) continue;
      const started = new Date(e.startedAt).getTime();
      const share = Math.min(1, (now - started) / runMs);
      const done = Math.floor(e.expectedTotal * share);
      e.totalProperties = done;
      e.skippedCount = Math.floor(done * 0.8);
      e.successCount = done - e.skippedCount;
      e.heartbeatAt = iso(now);
      const seconds = Math.max(0.001, (now - started) / 1000);
      const rate = done / seconds;
      e.progress = {
        processed: done, expectedTotal: e.expectedTotal, bytesRead: Math.round(share * 48_000), bytesTotal: 48_000,
        percent: Math.round(share * 1000) / 10, ratePerSecond: rate, etaSeconds: rate > 0 ? Math.ceil((e.expectedTotal - done) / rate) : null,
        live: true, asOf: iso(now),
      };
      if (e.cancelRequestedBy) {
        const message = `cancelled by ${e.cancelRequestedBy}`;
        Object.assign(e, { status: 'FAILED', progress: null, completedAt: iso(now), durationMs: now - started, lastError: message, consecutiveFailures: e.consecutiveFailures + 1, errors: [{ externalId: null, stage: 'job', message }] });
      } else if (share >= 1) {
        Object.assign(e, { status: 'SUCCESS', progress: null, completedAt: iso(started + runMs), durationMs: runMs, details: { inserted: 0, updated: e.successCount, unchanged: e.skippedCount, withdrawn: 0 } });
      }
    }
  }

  const summary = ({ errors, mock, ...rest }) => rest;
  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  const fail = (res, status, code, message, extra = {}, headers = {}) => send(res, status, { success: false, error: { code, message, ...extra } }, headers);
  const ok = (res, data, status = 200) => send(res, status, { success: true, data });

  /** `/status` as the server answers it: a page of the jobs that pass the query, the summary of all. */
  function status(jobs, q, res) {
    const limit = Number(q.get('limit') || 100);
    const offset = Number(q.get('offset') || 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return fail(res, 400, 'INVALID_PARAMETER', `limit must be between 1 and 500, got ${q.get('limit')}`);
    if (!Number.isInteger(offset) || offset < 0) return fail(res, 400, 'INVALID_PARAMETER', `offset must be 0 or more, got ${q.get('offset')}`);
    const now = Date.now();
    const next = Math.floor(now / DAY) * DAY + DAY - 3_600_000;
    const nextRuns = [0, 1, 2].map((k) => {
      const t = (next > now ? next : next + DAY) + k * DAY;
      return { utc: iso(t), local: `${iso(t + 3_600_000).slice(0, 19)}+01:00` };
    });
    const views = jobs.map(({ jobName }) => ({
      jobName, isScheduled: true, schedule: '0 0 * * *', timezone: 'Europe/Skopje', scheduleText: 'at 00:00 every day, Europe/Skopje', nextRuns,
      late: false, lateSince: null, missedTicks: 0, lastMissedTick: null, pendingTick: null, pendingRetry: null,
      paused: pauses.has(jobName), pausedBy: null, pausedAt: null, pauseReason: null, ...pauses.get(jobName),
      runningExecution: executions.find((e) => e.jobName === jobName && e.status === 'RUNNING') || null,
      lastExecution: executions.find((e) => e.jobName === jobName) || null,
      lastFinished: executions.find((e) => e.jobName === jobName && e.status !== 'RUNNING') || null,
    }));
    const facts = (j) => ({ running: Boolean(j.runningExecution), late: j.late, paused: j.paused, failing: j.lastFinished?.status === 'FAILED', status: j.lastExecution?.status });
    const flag = (name) => (q.get(name) == null ? null : q.get(name).toLowerCase() === 'true');
    const search = (q.get('q') || '').trim().toLowerCase();
    const wanted = (j) => {
      const f = facts(j);
      return (!search || j.jobName.toLowerCase().includes(search))
        && (!q.get('status') || f.status === q.get('status').toUpperCase())
        && ['failing', 'late', 'paused', 'running'].every((k) => flag(k) == null || flag(k) === f[k]);
    };
    const matched = views.filter(wanted);
    const count = (k) => views.filter((j) => facts(j)[k]).length;
    const last = (s) => views.filter((j) => facts(j).status === s).length;
    const counts = {
      total: views.length, running: count('running'), paused: count('paused'), late: count('late'), failing: count('failing'),
      neverRun: views.filter((j) => !j.lastExecution).length,
      byLastStatus: { RUNNING: last('RUNNING'), SUCCESS: last('SUCCESS'), FAILED: last('FAILED'), PARTIAL: last('PARTIAL') },
    };
    const page = matched.slice(offset, offset + limit).map(({ lastFinished, ...j }) => ({
      ...j, runningExecution: j.runningExecution && summary(j.runningExecution), lastExecution: lastFinished && summary(lastFinished),
    }));
    const running = views.map((j) => j.runningExecution).find(Boolean) || null;
    return ok(res, {
      isRunning: Boolean(running), schedulerRunning: true, isScheduled: true, schedule: '0 0 * * *', timezone: 'Europe/Skopje', nextRuns,
      runningExecution: running && summary(running), alertThreshold: 3, jobs: page,
      pagination: { total: matched.length, limit, offset, hasMore: offset + limit < matched.length }, summary: counts,
    });
  }

  function history(q, res) {
    const limit = Number(q.get('limit') || 50);
    const offset = Number(q.get('offset') || 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(res, 400, 'INVALID_PARAMETER', `limit must be between 1 and 100, got ${q.get('limit')}`);
    const from = q.get('from') ? Date.parse(q.get('from')) : null;
    const to = q.get('to') ? Date.parse(q.get('to')) : null;
    if (Number.isNaN(from) || Number.isNaN(to)) return fail(res, 400, 'INVALID_PARAMETER', 'from/to must be RFC 3339 times');
    const status = (q.get('status') || '').toUpperCase();
    const list = executions.filter((e) => (!status || e.status === status)
      && (!q.get('triggeredBy') || e.triggeredBy === q.get('triggeredBy').toLowerCase())
      && (!q.get('jobName') || e.jobName === q.get('jobName'))
      && (from == null || Date.parse(e.startedAt) >= from) && (to == null || Date.parse(e.startedAt) <= to));
    const done = list.filter((e) => e.durationMs != null);
    const sum = (k) => list.reduce((a, e) => a + e[k], 0);
    ok(res, {
      executions: list.slice(offset, offset + limit).map(summary),
      pagination: { total: list.length, limit, offset, hasMore: offset + limit < list.length },
      statistics: {
        totalPropertiesProcessed: sum('totalProperties'), totalSuccessful: sum('successCount'), totalFailed: sum('failedCount'), totalSkipped: sum('skippedCount'),
        averageDurationMs: done.length ? Math.round(done.reduce((a, e) => a + e.durationMs, 0) / done.length) : null,
      },
    });
  }

  function statistics(q, res) {
    const days = Number(q.get('days') || 30);
    if (!Number.isInteger(days) || days < 1 || days > 365) return fail(res, 400, 'INVALID_PARAMETER', `days must be between 1 and 365, got ${q.get('days')}`);
    const now = Date.now();
    const first = Math.floor(now / DAY) * DAY - (days - 1) * DAY;
    const list = executions.filter((e) => Date.parse(e.startedAt) >= first && (!q.get('jobName') || e.jobName === q.get('jobName')));
    const count = (l, s) => l.filter((e) => e.status === s).length;
    const avg = (l) => { const d = l.filter((e) => e.durationMs != null); return d.length ? Math.round(d.reduce((a, e) => a + e.durationMs, 0) / d.length) : null; };
    const timeline = Array.from({ length: days }, (_, i) => {
      const start = first + i * DAY;
      const l = list.filter((e) => { const t = Date.parse(e.startedAt); return t >= start && t < start + DAY; });
      return {
        date: iso(start).slice(0, 10), total: l.length, success: count(l, 'SUCCESS'), failed: count(l, 'FAILED'), partial: count(l, 'PARTIAL'),
        running: count(l, 'RUNNING'), propertiesProcessed: l.reduce((a, e) => a + e.totalProperties, 0), averageDurationMs: avg(l),
      };
    });
    const finished = list.length - count(list, 'RUNNING');
    ok(res, {
      days, from: iso(first), to: iso(now), totalExecutions: list.length, successCount: count(list, 'SUCCESS'), failedCount: count(list, 'FAILED'),
      partialCount: count(list, 'PARTIAL'), runningCount: count(list, 'RUNNING'), totalPropertiesProcessed: list.reduce((a, e) => a + e.totalProperties, 0),
      averageDurationMs: avg(list), successRate: finished ? Math.round((count(list, 'SUCCESS') / finished) * 1000) / 10 : null, timeline,
    });
  }

  // The alert history: a failure alert of the first job delivered by email and failed by
  // webhook, its recovery, and a late tick of the second job; newest first.
  const alertEvents = (() => {
    const now = Date.now();
    const run = executions.find((e) => e.status === 'FAILED') || executions[0];
    const [a, b] = JOBS.map((j) => j.jobName);
    const summary = `propimport: job ${a} has failed 3 times in a row (last error: feed unreachable; execution ${run.id})`;
    const rows = [
      { at: now - 3 * DAY, jobName: a, kind: 'failure_threshold', event: 'raised', executionId: run.id, message: summary },
      { at: now - 3 * DAY + 900, jobName: a, kind: 'failure_threshold', event: 'delivered', alertId: 1, channel: 'email', executionId: run.id },
      { at: now - 3 * DAY + 31_000, jobName: a, kind: 'failure_threshold', event: 'failed', alertId: 1, channel: 'webhook', executionId: run.id, message: 'after 3 attempts: HTTP status 503 Service Unavailable' },
      { at: now - 2 * DAY, jobName: b, kind: 'late', event: 'raised', message: `propimport: job ${b} is late: its run due at ${iso(now - 2 * DAY - 600_000)} has not started 300 s later` },
      { at: now - DAY, jobName: a, kind: 'recovered', event: 'recovered', executionId: run.id, message: `propimport: job ${a} succeeded again after 3 failed runs (execution ${run.id})` },
    ];
    return rows.map((r, i) => ({ id: i + 1, alertId: null, channel: null, executionId: null, message: null, ...r, at: iso(r.at) })).reverse();
  })();

  function alerts(q, res) {
    const kind = q.get('kind');
    if (kind != null && !['failure_threshold', 'late', 'overlong', 'recovered'].includes(kind.toLowerCase())) {
      return fail(res, 400, 'INVALID_PARAMETER', `kind must be failure_threshold, late, overlong or recovered, got "${kind}"`);
    }
    const list = alertEvents.filter((e) => (!q.get('jobName') || e.jobName === q.get('jobName')) && (!kind || e.kind === kind.toLowerCase()));
    const limit = Number(q.get('limit') || 50);
    const offset = Number(q.get('offset') || 0);
    ok(res, { events: list.slice(offset, offset + limit), pagination: { total: list.length, limit, offset, hasMore: offset + limit < list.length } });
  }

  async function readBody(req) {
    let text = '';
    for await (const chunk of req) text += chunk;
    return text;
  }

  async function api(req, res, url) {
    const auth = req.headers.authorization || '';
    if (auth === 'Bearer viewer-token') return fail(res, 403, 'FORBIDDEN', 'this token may not use the admin API');
    if (auth !== `Bearer ${token}`) return fail(res, 401, 'UNAUTHORIZED', 'a valid admin token is required');
    advance();
    const route = url.pathname.replace('/api/v1/admin/import-jobs', '');
    const q = url.searchParams;
    if (req.method === 'GET' && url.pathname === '/api/v1/admin/alerts') return alerts(q, res);
    if (req.method === 'GET' && route === '/status') return status(ALL_JOBS, q, res);
    if (req.method === 'GET' && route === '/history') return history(q, res);
    if (req.method === 'GET' && route === '/statistics') return statistics(q, res);
    if (req.method === 'GET' && route === '/last') {
      const e = executions.find((x) => !q.get('jobName') || x.jobName === q.get('jobName'));
      return e ? ok(res, summary(e)) : fail(res, 404, 'NOT_FOUND', 'no execution yet');
    }
    if (req.method === 'POST' && route === '/trigger') {
      // As the server: the job named, or every job; only triggers that start a run count
      // toward the limit; 202 when any started, else 409 (or 429).
      let body = {};
      try { body = JSON.parse((await readBody(req)) || '{}') || {}; } catch { return fail(res, 400, 'INVALID_PARAMETER', 'the request body is not valid JSON'); }
      const name = body.jobName ?? q.get('jobName');
      if (name === '') return fail(res, 400, 'INVALID_PARAMETER', 'jobName must not be empty');
      const wanted = name == null ? ALL_JOBS : ALL_JOBS.filter((j) => j.jobName === name);
      if (!wanted.length) return fail(res, 400, 'INVALID_PARAMETER', `jobName: unknown job "${name}"`);
      const now = Date.now();
      while (triggers.length && triggers[0] < now - 60_000) triggers.shift();
      if (triggers.length >= triggerLimit) {
        const wait = Math.ceil((triggers[0] + 60_000 - now) / 1000);
        return fail(res, 429, 'RATE_LIMITED', 'too many trigger requests', {}, { 'Retry-After': String(wait) });
      }
      const started = [];
      const refused = [];
      for (const job of wanted) {
        const running = executions.find((e) => e.jobName === job.jobName && e.status === 'RUNNING');
        if (running) { refused.push({ jobName: job.jobName, code: 'ALREADY_RUNNING', message: `a run of job ${job.jobName} is already in progress`, executionId: running.id }); continue; }
        const last = executions.find((e) => e.jobName === job.jobName);
        const e = execution({ id: randomUUID(), jobName: job.jobName, start: now, extra: { triggeredBy: 'api', expectedTotal: job.expected, consecutiveFailures: last ? last.consecutiveFailures : 0, mock: true } });
        executions.unshift(e);
        triggers.push(now);
        started.push({ jobName: job.jobName, executionId: e.id });
      }
      if (!started.length) return fail(res, 409, 'ALREADY_RUNNING', refused.map((r) => r.message).join('; '), { executionId: refused[0].executionId });
      return send(res, 202, { success: true, message: 'Property import job started', note: 'Follow it with GET /api/v1/admin/import-jobs/status', executionId: started[0].executionId, jobName: started[0].jobName, executions: started, refused });
    }
    const control = /^\/jobs\/([^/]+)\/(pause|resume)$/.exec(route);
    if (req.method === 'POST' && control) {
      const jobName = decodeURIComponent(control[1]);
      if (!ALL_JOBS.some((j) => j.jobName === jobName)) return fail(res, 404, 'NOT_FOUND', `unknown job "${jobName}"`);
      let body = {};
      try { body = JSON.parse((await readBody(req)) || '{}') || {}; } catch { return fail(res, 400, 'INVALID_PARAMETER', 'the request body is not valid JSON'); }
      if (control[2] === 'resume') pauses.delete(jobName);
      else if (!pauses.has(jobName)) pauses.set(jobName, { pausedBy: ACTOR, pausedAt: iso(Date.now()), pauseReason: (body.reason || '').trim() || null });
      return ok(res, { jobName, paused: pauses.has(jobName), pausedBy: null, pausedAt: null, pauseReason: null, ...pauses.get(jobName) });
    }
    const cancel = /^\/([^/]+)\/cancel$/.exec(route);
    if (req.method === 'POST' && cancel) {
      const e = executions.find((x) => x.id === cancel[1]);
      if (!e) return fail(res, 404, 'NOT_FOUND', `execution ${cancel[1]} not found`);
      if (e.status !== 'RUNNING') return fail(res, 409, 'NOT_RUNNING', `execution ${e.id} is not RUNNING (it is ${e.status})`, { executionId: e.id });
      if (!e.cancelRequestedBy) Object.assign(e, { cancelRequestedBy: ACTOR, cancelRequestedAt: iso(Date.now()) });
      return send(res, 202, {
        success: true, message: 'Cancel requested', note: 'The run stops within one heartbeat.', executionId: e.id, jobName: e.jobName,
        cancelRequestedBy: e.cancelRequestedBy, cancelRequestedAt: e.cancelRequestedAt,
      });
    }
    const id = /^\/([^/]+)$/.exec(route);
    if (req.method === 'GET' && id) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id[1])) return fail(res, 400, 'INVALID_PARAMETER', `id must be a UUID, got "${id[1]}"`);
      const e = executions.find((x) => x.id === id[1]);
      if (!e) return fail(res, 404, 'NOT_FOUND', `no execution ${id[1]}`);
      const { mock, ...rest } = e;
      return ok(res, rest);
    }
    return fail(res, 404, 'NOT_FOUND', `no endpoint ${req.method} ${url.pathname}`);
  }

  async function asset(res, name) {
    if (!/^[\w.-]+$/.test(name) || !TYPES[path.extname(name)]) return fail(res, 404, 'NOT_FOUND', `no dashboard file "${name}"`);
    try {
      const bytes = await readFile(path.join(ASSETS, name));
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(name)], 'Content-Security-Policy': CSP, 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
      res.end(bytes);
    } catch {
      fail(res, 404, 'NOT_FOUND', `no dashboard file "${name}"`);
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/') { res.writeHead(302, { Location: '/dashboard/' }); return res.end(); }
    if (url.pathname === '/dashboard') { res.writeHead(308, { Location: '/dashboard/' }); return res.end(); }
    if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
    if (url.pathname.startsWith('/dashboard/')) return asset(res, url.pathname.slice('/dashboard/'.length) || 'index.html');
    if (url.pathname.startsWith('/api/v1/admin/import-jobs') || url.pathname === '/api/v1/admin/alerts') return api(req, res, url).catch((e) => fail(res, 500, 'INTERNAL', String(e)));
    return fail(res, 404, 'NOT_FOUND', `no endpoint ${req.method} ${url.pathname}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address();
      resolve({ url: `http://127.0.0.1:${bound}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const env = process.env;
  const { url } = await startMockServer({
    port: Number(env.PORT || 5051),
    token: env.MOCK_TOKEN || 'dev-token',
    runMs: Number(env.MOCK_RUN_MS || 8000),
    triggerLimit: Number(env.MOCK_TRIGGER_LIMIT || 20),
    extraJobs: Number(env.MOCK_EXTRA_JOBS || 40),
  });
  console.log(`mock admin API and dashboard on ${url}/dashboard/ (token: ${env.MOCK_TOKEN || 'dev-token'})`);
}
