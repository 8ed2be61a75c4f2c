// End-to-end test of the monitoring dashboard in headless Chromium, against a running server.
// Prints each step, saves screenshots, exits 0 when every expectation held and 1 otherwise.
// See README.md for the environment it reads and what it expects of the server's data.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { fixtureViews, liveProgress, reasonsAndWords } from './operator-views.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const flag = (name, fallback) => (env[name] == null || env[name] === '' ? fallback : !['0', 'false', 'no'].includes(env[name].toLowerCase()));
const number = (name, fallback) => (env[name] ? Number(env[name]) : fallback);

const config = {
  baseUrl: (env.BASE_URL || '').replace(/\/+$/, ''),
  token: env.ADMIN_TOKEN || '',
  jobName: env.JOB_NAME || '',
  expectConflict: flag('EXPECT_CONFLICT', false),
  expectTriggerStatus: env.EXPECT_TRIGGER_STATUS || 'SUCCESS',
  minRuns: number('MIN_RUNS', 1),
  minDaysWithRuns: number('MIN_DAYS_WITH_RUNS', 1),
  triggerTimeoutMs: number('TRIGGER_TIMEOUT_MS', 60_000),
  totalTimeoutMs: number('TOTAL_TIMEOUT_MS', 300_000),
  screenshots: path.resolve(env.SCREENSHOT_DIR || path.join(HERE, '../../target/dashboard-screenshots')),
  chromium: env.CHROMIUM || '/usr/bin/chromium',
};

// Console errors the browser prints for answers the steps provoke on purpose (a wrong token, a
// second trigger): Chromium logs every non-2xx fetch as "Failed to load resource".
const EXPECTED_CONSOLE = [/^Failed to load resource: the server responded with a status of (401|409) /];

const problems = { console: [], foreign: [], failed: [], leaked: [], unauthenticated: [] };
let origin = '';
let browser = null;
let page = null;
let currentStep = '';
let passed = 0;
let triggeredId = null; // the run the trigger step started

// ---------------------------------------------------------------------------------------------
// Helpers

class Failure extends Error {}

function expect(condition, message) {
  if (!condition) throw new Failure(message);
}

async function until(description, probe, timeoutMs = 10_000, intervalMs = 150) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = `error: ${e.message}`;
    }
    if (Date.now() > deadline) throw new Failure(`timed out after ${timeoutMs} ms waiting for ${description} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits for `promise`, failing after `timeoutMs` with what it was waiting for. */
async function within(timeoutMs, promise, description) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Failure(`timed out after ${timeoutMs} ms waiting for ${description}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function step(name, body) {
  currentStep = name;
  const started = Date.now();
  console.log(`▶ ${name}`);
  await body();
  passed += 1;
  console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
}

const note = (text) => console.log(`  · ${text}`);

async function api(pathAndQuery, init = {}) {
  const res = await fetch(`${config.baseUrl}/api/v1/admin/${pathAndQuery}`, {
    ...init,
    headers: { Authorization: `Bearer ${config.token}`, Accept: 'application/json', ...(init.headers || {}) },
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Failure(`GET ${pathAndQuery} answered ${res.status}: ${JSON.stringify(json)}`);
  return json.data;
}

const STATUS_URL = '**/api/v1/admin/import-jobs/status';
const testid = (id, root = page) => root.locator(`[data-testid="${id}"]`);
const jobCard = (p = page) => p.locator(`[data-testid="job-card"][data-job="${config.jobName}"]`);

async function shot(name, target = page, options = {}) {
  const file = path.join(config.screenshots, `${name}.png`);
  await target.screenshot({ path: file, ...options });
  note(`screenshot ${file}`);
}

function watch(context) {
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (url.origin !== origin) problems.foreign.push(`${request.method()} ${request.url()}`);
    if (config.token && request.url().includes(config.token)) problems.leaked.push(request.url());
    const open = url.pathname === '/api/v1/openapi.json'; // the docs UI reads it without a token
    if (url.pathname.startsWith('/api/') && !open && !/^Bearer \S+/.test(request.headers().authorization || '')) {
      problems.unauthenticated.push(`${request.method()} ${url.pathname}`);
    }
  });
  context.on('requestfailed', (request) => {
    const error = request.failure()?.errorText || 'failed';
    const foreign = new URL(request.url()).origin !== origin;
    if (foreign || error !== 'net::ERR_ABORTED') problems.failed.push(`${request.method()} ${request.url()}: ${error}`);
  });
}

function listen(p, label) {
  p.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (!EXPECTED_CONSOLE.some((re) => re.test(text))) problems.console.push(`[${label}] ${text}`);
  });
  p.on('pageerror', (error) => problems.console.push(`[${label}] uncaught: ${error.message}`));
}

async function newPage(context, label) {
  const p = await context.newPage();
  listen(p, label);
  p.setDefaultTimeout(15_000);
  return p;
}

async function signIn(p, token = config.token) {
  await p.goto(`${config.baseUrl}/dashboard/`);
  await testid('token-input', p).fill(token);
  await testid('signin-form', p).locator('button[type="submit"]').click();
}

const utcText = (iso) => `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

// ---------------------------------------------------------------------------------------------
// The steps

async function run() {
  expect(config.baseUrl, 'BASE_URL is not set (e.g. http://127.0.0.1:5050), and MOCK=1 was not given');
  expect(config.token, 'ADMIN_TOKEN is not set');
  origin = new URL(config.baseUrl).origin;
  await mkdir(config.screenshots, { recursive: true });
  console.log(`dashboard e2e against ${config.baseUrl}, screenshots in ${config.screenshots}`);

  let status;
  await step('the server is up and knows the job', async () => {
    const health = await fetch(`${config.baseUrl}/healthz`);
    expect(health.ok, `/healthz answered ${health.status}`);
    status = await api('import-jobs/status');
    const names = status.jobs.map((j) => j.jobName);
    expect(names.length > 0, '/status lists no jobs');
    config.jobName ||= names[0];
    expect(names.includes(config.jobName), `JOB_NAME ${config.jobName} is not among the jobs: ${names.join(', ')}`);
    expect(typeof status.schedulerRunning === 'boolean' && typeof status.isRunning === 'boolean', `/status lacks schedulerRunning or isRunning: ${JSON.stringify(status).slice(0, 200)}`);
    note(`jobs: ${names.join(', ')}; testing ${config.jobName}`);
  });

  browser = await chromium.launch({
    executablePath: config.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light', locale: 'en-GB', timezoneId: 'Europe/Skopje' });
  watch(context);
  page = await newPage(context, 'main');
  // The toolkit of the steps in operator-views.mjs.
  const t = { config, browser, page, api, testid, shot, until, expect, note, step, newPage, signIn, jobCard, watch };

  await step('/ redirects to the dashboard, served with its security policy', async () => {
    const response = await page.goto(`${config.baseUrl}/`);
    expect(new URL(page.url()).pathname === '/dashboard/', `expected to land on /dashboard/, got ${page.url()}`);
    const csp = response.headers()['content-security-policy'] || '';
    expect(csp.includes("script-src 'self'") && csp.includes("style-src 'self'"), `the page's Content-Security-Policy is ${JSON.stringify(csp)}`);
    expect(csp.includes("frame-ancestors 'none'") && response.headers()['x-frame-options'] === 'DENY', `the page may be framed: CSP ${JSON.stringify(csp)}, X-Frame-Options ${response.headers()['x-frame-options']}`);
    await testid('signin-form').waitFor();
  });

  await step('a wrong token is refused with a message', async () => {
    await testid('token-input').fill(`wrong-${Date.now()}`);
    await testid('signin-form').locator('button[type="submit"]').click();
    const error = testid('signin-error');
    await error.waitFor();
    const text = await error.innerText();
    expect(/401|not accepted/i.test(text), `the sign-in error says ${JSON.stringify(text)}`);
    expect(await testid('signin-form').isVisible(), 'the sign-in form should still be shown');
    await shot('signin');
  });

  await step('signing in shows the job with its schedule and next run', async () => {
    await testid('token-input').fill(config.token);
    await testid('signin-form').locator('button[type="submit"]').click();
    await jobCard().waitFor();
    expect(!(await testid('signin-form').isVisible()), 'the sign-in form is still visible');
    expect(!page.url().includes(config.token), 'the token appears in the page URL');
    const stored = await page.evaluate(() => ({ local: JSON.stringify(localStorage), cookie: document.cookie }));
    expect(!stored.local.includes(config.token) && !stored.cookie.includes(config.token), 'the token was stored outside session storage');
    const job = status.jobs.find((j) => j.jobName === config.jobName);
    const card = jobCard();
    if (job.schedule) {
      const text = await card.innerText();
      expect(text.includes(job.schedule), `the card does not show the schedule ${job.schedule}: ${text}`);
    }
    const next = await testid('next-run', card).innerText();
    if (job.nextRuns && job.nextRuns[0]) {
      const { utc, local } = job.nextRuns[0];
      expect(next.includes(utcText(utc)), `next run should show ${utcText(utc)}, shows ${JSON.stringify(next)}`);
      expect(next.includes(`${local.slice(0, 10)} ${local.slice(11, 16)}`), `next run should show the local time ${local}, shows ${JSON.stringify(next)}`);
    } else {
      expect(/not scheduled|not known/i.test(next), `next run of an unscheduled job shows ${JSON.stringify(next)}`);
    }
    expect(await testid('trigger-button', card).count() === 1, 'the card has no trigger button');
    const scheduler = await testid('scheduler-state').innerText();
    const wanted = status.schedulerRunning ? /^Scheduler running/ : /scheduler is not running/;
    expect(wanted.test(scheduler), `with schedulerRunning ${status.schedulerRunning} the page says ${JSON.stringify(scheduler)}`);
    await shot('overview');
  });

  await step('charts: one bar and one point per day, one mark per run (30, 7 and 90 days)', async () => {
    for (const days of [30, 7, 90, 30]) {
      const stats = await api(`import-jobs/statistics?days=${days}`);
      const from = /^\d{4}-\d\d-\d\d$/.test(stats.from) ? `${stats.from}T00:00:00Z` : stats.from;
      const hist = await api(`import-jobs/history?limit=100&from=${encodeURIComponent(from)}`);
      await testid(`range-${days}`).click();
      const count = (id) => testid(id).count();
      await until(`${stats.timeline.length} day bars on the ${days}-day range`, async () => (await count('chart-runs-day')) === stats.timeline.length
        && (await page.locator(`section[data-loaded-days="${days}"]`).count()) === 1);
      expect(await count('chart-success-rate-day') === stats.timeline.length, `success-rate chart has ${await count('chart-success-rate-day')} days, expected ${stats.timeline.length}`);
      await until(`${hist.executions.length} runs in the properties chart`, async () => (await count('chart-properties-run')) === hist.executions.length);
      const finished = hist.executions.filter((e) => e.durationMs != null).length;
      await until(`${finished} points in the duration chart`, async () => (await count('chart-duration-run')) === finished);
      const shown = await testid('chart-runs-day').evaluateAll((els) => els.map((e) => `${e.dataset.date}=${e.dataset.total}`));
      const wanted = stats.timeline.map((d) => `${d.date}=${d.total}`);
      expect(shown.join() === wanted.join(), `day bars ${shown.join()} differ from the API's timeline ${wanted.join()}`);
      const withRuns = stats.timeline.filter((d) => d.total > 0).length;
      note(`${days} days: ${stats.timeline.length} days (${withRuns} with runs), ${hist.executions.length} runs, ${finished} finished`);
      if (days === 30) {
        expect(withRuns >= config.minDaysWithRuns, `only ${withRuns} of the last 30 days have runs; MIN_DAYS_WITH_RUNS is ${config.minDaysWithRuns}`);
        expect(hist.pagination.total >= config.minRuns, `only ${hist.pagination.total} runs in 30 days; MIN_RUNS is ${config.minRuns}`);
      }
    }
    const busy = page.locator('[data-testid="chart-runs-day"]:not([data-total="0"])').first();
    if (await busy.count()) {
      await busy.hover();
      const tooltip = testid('chart-tooltip');
      await tooltip.waitFor();
      const date = await busy.getAttribute('data-date');
      const text = await tooltip.innerText();
      expect(text.includes(date) && /run/.test(text), `the tooltip of ${date} says ${JSON.stringify(text)}`);
    }
    await page.mouse.move(0, 0);
    await shot('charts', page.locator('section', { has: testid('chart-runs') }));
  });

  await step('clicking a run in a chart opens its detail', async () => {
    const runs = testid('chart-properties-run');
    if (!(await runs.count())) { note('no runs in the window: skipped'); return; }
    const mark = runs.last();
    const id = await mark.getAttribute('data-id');
    await mark.click();
    const dialog = testid('execution-detail');
    await dialog.waitFor();
    await until('the detail of the clicked run', async () => (await testid('detail-id').innerText()) === id);
    expect(page.url().includes(`#/executions/${id}`), `the URL should route to the execution: ${page.url()}`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await until('the route to leave the execution', async () => !page.url().includes('#/executions/'));
  });

  await step('history: paging and the job, date and status filters', async () => {
    const info = () => testid('pager-info').innerText();
    const ofTotal = (n) => async () => (await info()).endsWith(` of ${n.toLocaleString('en-US')}`);
    const rowsWhere = async (attribute) => testid('history-row').evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attribute);

    const all = (await api('import-jobs/history?limit=1')).pagination.total;
    expect(all >= config.minRuns, `only ${all} executions in the history; MIN_RUNS is ${config.minRuns}`);
    await until(`"of ${all}" in the pager`, ofTotal(all));
    const pageSize = await testid('history-row').count();
    if (await testid('pager-next').isEnabled()) {
      await testid('pager-next').click();
      await until('the second page', async () => (await info()).startsWith(`${pageSize + 1}–`));
      await testid('pager-prev').click();
      await until('the first page again', async () => (await info()).startsWith('1–'));
      note(`${all} runs, ${pageSize} a page: paged forward and back`);
    }

    const ofJob = (await api(`import-jobs/history?limit=1&jobName=${encodeURIComponent(config.jobName)}`)).pagination.total;
    await testid('filter-job').selectOption(config.jobName);
    await until(`"of ${ofJob}" for job ${config.jobName}`, ofTotal(ofJob));
    const jobs = await rowsWhere('data-job');
    expect(jobs.every((j) => j === config.jobName), `rows of other jobs: ${jobs.filter((j) => j !== config.jobName).join(', ')}`);
    await testid('filter-job').selectOption('');

    const tomorrow = await page.evaluate(() => {
      const d = new Date(Date.now() + 86_400_000);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    });
    await testid('filter-from').fill(tomorrow);
    await until('no rows from tomorrow on', ofTotal(0));
    expect(await testid('history-row').count() === 0, 'rows are listed for a range in the future');
    await testid('filter-from').fill('');
    await until(`"of ${all}" again without filters`, ofTotal(all));

    const failed = (await api('import-jobs/history?status=FAILED&limit=1')).pagination.total;
    expect(failed > 0, 'the seeded data must contain FAILED executions');
    await testid('filter-status').selectOption('FAILED');
    await until(`"of ${failed}" in the pager`, ofTotal(failed));
    const checkRows = async () => {
      const statuses = await rowsWhere('data-status');
      const texts = await testid('history-row').allInnerTexts();
      expect(statuses.length > 0, 'no history rows after filtering');
      expect(statuses.every((s) => s === 'FAILED') && texts.every((t) => t.includes('FAILED')), `rows that are not FAILED: ${texts.filter((t) => !t.includes('FAILED')).join(' | ')}`);
      return statuses.length;
    };
    const first = await checkRows();
    note(`${failed} FAILED runs, ${first} on the first page`);
    if (await testid('pager-next').isEnabled()) {
      await testid('pager-next').click();
      await until('the second page of FAILED runs', async () => (await info()).startsWith(`${first + 1}–`));
      await checkRows();
      await testid('pager-prev').click();
      await until('the first page of FAILED runs again', async () => (await info()).startsWith('1–'));
    }
    await shot('history', page.locator('section', { has: testid('history-table') }));
  });

  await step('alerts: the alert history as the API has it, filtered by kind and job', async () => {
    const section = page.locator('section', { has: testid('alerts-table') });
    const total = async () => testid('alerts-body').getAttribute('data-total');
    const shows = async (query) => {
      const data = await api(`alerts?limit=20${query}`);
      await until(`${data.pagination.total} alerts for "${query || 'no filter'}"`, async () => (await total()) === String(data.pagination.total));
      const ids = await testid('alert-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
      expect(JSON.stringify(ids) === JSON.stringify(data.events.map((e) => e.id)), `alert rows ${ids} are not the API's ${data.events.map((e) => e.id)}`);
      if (!data.events.length) {
        const text = await testid('alerts-body').innerText();
        expect(/No alerts/.test(text), `an empty alert history shows ${JSON.stringify(text)}`);
      }
      return data;
    };
    const all = await shows('');
    if (all.events.length) {
      const first = all.events[0];
      const text = await testid('alert-row').first().innerText();
      expect(text.includes(first.jobName) && (first.channel == null || text.includes(first.channel)), `the newest alert row says ${JSON.stringify(text)}`);
      const failed = all.events.find((e) => e.event === 'failed');
      if (failed) {
        const row = testid('alert-row').and(page.locator(`[data-id="${failed.id}"]`));
        expect((await row.innerText()).includes(failed.message), 'a failed delivery shows its reason');
      }
    }
    note(`${all.pagination.total} alert events`);
    for (const kind of ['late', 'failure_threshold']) {
      await testid('alert-kind').selectOption(kind);
      const data = await shows(`&kind=${kind}`);
      const kinds = await testid('alert-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
      expect(kinds.every((k) => k === kind), `rows of other kinds under ${kind}: ${kinds}`);
      note(`${data.pagination.total} for kind ${kind}`);
    }
    await testid('alert-kind').selectOption('');
    const job = all.events[0]?.jobName || config.jobName;
    await testid('alert-job').selectOption(job);
    await shows(`&jobName=${encodeURIComponent(job)}`);
    await testid('alert-job').selectOption('');
    await shows('');
    await shot('alerts', section);
  });

  await step('an execution shows its detail and its errors can be searched', async () => {
    let chosen = null;
    for (const s of ['FAILED', 'PARTIAL']) {
      const list = (await api(`import-jobs/history?status=${s}&limit=100`)).executions;
      for (const e of list.filter((x) => x.failedCount > 0).slice(0, 25)) {
        const full = await api(`import-jobs/${e.id}`);
        if (full.errors.length && (!chosen || full.errors.length > chosen.errors.length)) chosen = full;
        if (chosen && chosen.errors.length >= 3) break;
      }
      if (chosen) break;
    }
    expect(chosen, 'the seeded data must contain a FAILED or PARTIAL execution with item errors');
    const row = page.locator(`[data-testid="history-row"][data-id="${chosen.id}"]`);
    if (await row.count()) await row.locator('td').nth(1).click();
    else await page.evaluate((id) => { location.hash = `#/executions/${id}`; }, chosen.id);
    const dialog = testid('execution-detail');
    await dialog.waitFor();
    await until('the chosen execution in the dialog', async () => (await testid('detail-id').innerText()) === chosen.id);
    const rows = testid('error-row', dialog);
    expect(await rows.count() === chosen.errors.length, `${await rows.count()} error rows shown, the API has ${chosen.errors.length}`);
    const text = await dialog.innerText();
    expect(text.includes(chosen.status), 'the dialog does not show the status');
    if (chosen.lastError) expect((await testid('detail-last-error').innerText()).includes(chosen.lastError.slice(0, 40)), 'the last error is not shown');
    const matching = (term) => chosen.errors.filter((x) => [x.externalId, x.stage, x.message].some((f) => f && f.toLowerCase().includes(term.toLowerCase()))).length;
    const candidates = chosen.errors.flatMap((x) => [x.externalId, x.stage, ...x.message.split(/\s+/)]).filter((t) => t && t.length > 2);
    const term = candidates.find((t) => matching(t) > 0 && matching(t) < chosen.errors.length) || 'zz-no-such-error-zz';
    const expected = matching(term);
    await testid('error-search').fill(term);
    await until(`${expected} error rows matching "${term}"`, async () => (await rows.count()) === expected);
    note(`${chosen.errors.length} errors; "${term}" matches ${expected}`);
    await shot('detail');
    await testid('error-search').fill('');
    await until('every error row again', async () => (await rows.count()) === chosen.errors.length);
    await page.locator('#detail-close').click();
    await dialog.waitFor({ state: 'hidden' });
    await testid('filter-status').selectOption('');
  });

  await reasonsAndWords(t);

  await step('dark mode renders', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('overview-dark', page, { fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await step('the API docs load under their security policy', async () => {
    const probe = await fetch(`${config.baseUrl}/docs/`);
    if (probe.status === 404) { note('no /docs/ on this server (the mock)'); return; }
    const docs = await newPage(page.context(), 'docs');
    const response = await docs.goto(`${config.baseUrl}/docs/`);
    const csp = response.headers()['content-security-policy'] || '';
    expect(/script-src 'self'(;|$)/.test(csp) && csp.includes("frame-ancestors 'none'") && response.headers()['x-frame-options'] === 'DENY', `the docs' policy is ${JSON.stringify(csp)}`);
    await until('the docs UI to render the API title', async () => /propimport admin API/.test(await docs.locator('.swagger-ui .info .title').innerText()));
    await docs.locator('.opblock-summary').first().click();
    await docs.locator('.opblock-body').first().waitFor();
    await shot('docs', docs);
    await docs.close(); // its console errors (a policy violation) fail the last step
  });

  await step(`triggering ${config.jobName} shows its progress and its final status`, async () => {
    await until(`${config.jobName} to be idle before triggering`, async () => {
      const s = await api('import-jobs/status');
      return !s.jobs.find((j) => j.jobName === config.jobName).runningExecution;
    }, config.triggerTimeoutMs, 1000);
    const card = jobCard();
    const button = testid('trigger-button', card);
    await until('the trigger button to be enabled', () => button.isEnabled());

    let second = null;
    let releaseSecond = () => {};
    if (config.expectConflict) {
      // A second operator with the page open: their button is still enabled when the first
      // run starts, so their trigger meets the running import. The page would disable it at
      // its next status poll, so that poll is held unanswered from before the first trigger
      // until the second trigger has been answered: the page polls one request at a time, so
      // once a poll is held no newer status can reach it, whatever the timing.
      second = await newPage(page.context(), 'second');
      await signIn(second);
      await jobCard(second).waitFor();
      await until('the second page\'s trigger button to be enabled', () => testid('trigger-button', jobCard(second)).isEnabled());
      const released = new Promise((resolve) => { releaseSecond = resolve; });
      let heldOne;
      const held = new Promise((resolve) => { heldOne = resolve; });
      await second.route(STATUS_URL, async (route) => {
        heldOne();
        await released;
        await route.continue().catch(() => {}); // the page may be closed by now
      });
      await within(15_000, held, 'the second page\'s next status poll (to hold it)');
    }

    const accepted = page.waitForResponse((r) => r.url().endsWith('/import-jobs/trigger') && r.request().method() === 'POST');
    await button.click();
    const response = await accepted;
    const body = await response.json();
    expect(response.status() === 202, `the trigger answered ${response.status()}: ${JSON.stringify(body)}`);
    const id = body.executionId;
    triggeredId = id;
    note(`started execution ${id}`);
    // A fast run may already be reported as finished.
    await until('the "started" message', async () => {
      const text = await testid('trigger-message', card).innerText();
      return /started/i.test(text) || text.includes(`${id} finished`);
    });

    if (second) {
      const secondCard = jobCard(second);
      const refused = second.waitForResponse((r) => r.url().endsWith('/import-jobs/trigger'));
      await testid('trigger-button', secondCard).click();
      const answer = await refused;
      releaseSecond();
      await second.unroute(STATUS_URL);
      expect(answer.status() === 409, `the second trigger answered ${answer.status()}, expected 409 (is the feed slow enough?)`);
      const message = testid('trigger-message', secondCard);
      await until('the already-running message', async () => /already in progress/i.test(await message.innerText()));
      const text = await message.innerText();
      expect(text.includes(id), `the conflict message should name the running execution ${id}: ${JSON.stringify(text)}`);
      note(`second trigger: ${text}`);
      await until('the second page to disable its trigger button', async () => !(await testid('trigger-button', secondCard).isEnabled()));
      await second.close();
    } else {
      note('EXPECT_CONFLICT is not set: the double-trigger (409) check is skipped');
    }

    const progress = testid('run-progress', card);
    let sawProgress = false;
    try {
      await progress.waitFor({ timeout: config.expectConflict ? 10_000 : 2_500 });
      sawProgress = true;
      const text = await progress.innerText();
      expect(/Running/.test(text) && /elapsed/.test(text), `the progress panel says ${JSON.stringify(text)}`);
      expect(!(await button.isEnabled()), 'the trigger button is enabled while the run is in progress');
      await shot('progress');
      await liveProgress(t, card, id);
    } catch (e) {
      if (e instanceof Failure || config.expectConflict) throw e;
      note('the run finished before a status poll saw it running (no progress panel)');
    }
    note(`progress panel ${sawProgress ? 'seen' : 'not seen'}`);

    const runStatus = card.locator(`[data-testid="run-status"][data-execution-id="${id}"]`);
    const final = await until(`execution ${id} to end`, async () => {
      if (!(await runStatus.count())) return null;
      const s = await runStatus.getAttribute('data-status');
      return s && s !== 'RUNNING' ? s : null;
    }, config.triggerTimeoutMs, 250);
    expect(final === config.expectTriggerStatus, `the run ended ${final}, expected ${config.expectTriggerStatus}`);
    await until('the "finished" message', async () => (await testid('trigger-message', card).innerText()).includes(`finished: ${final}`));
    await until('the trigger button to be enabled again', () => button.isEnabled());
    await until('the progress panel to go away', async () => !(await progress.isVisible()));
    await shot('after-run', card);
  });

  await step(`pausing and resuming ${config.jobName} from its card`, async () => {
    const card = jobCard();
    const pause = testid('pause-button', card);
    const state = testid('job-state', card);
    const said = async () => (await pause.innerText()).trim();
    expect(await said() === 'Pause', `the pause button says ${JSON.stringify(await said())}`);
    const reason = `e2e maintenance ${Date.now()}`;
    page.once('dialog', (d) => d.accept(reason));
    const answered = page.waitForResponse((r) => r.url().endsWith(`/jobs/${config.jobName}/pause`) && r.request().method() === 'POST');
    await pause.click();
    const response = await answered;
    expect(response.status() === 200, `the pause answered ${response.status()}: ${await response.text()}`);
    await until('the "Paused" tag', async () => (await state.getAttribute('data-state')) === 'paused' && (await state.innerText()).trim() === 'Paused');
    const info = await testid('pause-info', card).innerText();
    expect(info.includes(reason) && info.includes('token:admin'), `the pause is shown as ${JSON.stringify(info)}`);
    expect(await said() === 'Resume', `a paused job's button says ${JSON.stringify(await said())}`);
    const shown = await card.innerText();
    expect(!/\b(null|undefined)\b/.test(shown), `the paused card shows a missing value: ${JSON.stringify(shown)}`);
    const job = (await api('import-jobs/status')).jobs.find((j) => j.jobName === config.jobName);
    expect(job.paused === true && job.pausedBy === 'token:admin' && job.pauseReason === reason, `/status shows ${JSON.stringify(job)}`);
    expect(await testid('trigger-button', card).isEnabled(), 'Run now should stay enabled on a paused job (it can still run by hand)');
    await shot('paused', card);
    await pause.click();
    await until('the "Scheduled" tag again', async () => (await state.getAttribute('data-state')) !== 'paused' && (await said()) === 'Pause');
    expect(await testid('pause-info', card).isHidden(), 'the pause is still shown after resuming');
    const resumed = (await api('import-jobs/status')).jobs.find((j) => j.jobName === config.jobName);
    expect(resumed.paused === false && resumed.pausedBy === null, `/status after resuming shows ${JSON.stringify(resumed)}`);
    const log = await fetch(`${config.baseUrl}/api/v1/admin/audit-log?limit=20`, { headers: { Authorization: `Bearer ${config.token}` } });
    if (log.status === 404) { note('no audit log on this server (the mock)'); return; }
    const rows = (await log.json()).data.entries.filter((e) => e.jobName === config.jobName && ['pause', 'resume'].includes(e.action));
    expect(rows.length >= 2 && rows[0].action === 'resume' && rows[1].action === 'pause' && rows.every((e) => e.actor === 'token:admin' && e.outcome === 'accepted'),
      `the audit log's pause and resume rows are ${JSON.stringify(rows.slice(0, 2))}`);
  });

  await step('"Run again" on an execution starts and follows a new run, which "Cancel run" stops', async () => {
    expect(triggeredId, 'the trigger step started no run');
    await page.evaluate((id) => { location.hash = `#/executions/${id}`; }, triggeredId);
    const dialog = testid('execution-detail');
    await dialog.waitFor();
    await until('the triggered run in the dialog', async () => (await testid('detail-id').innerText()) === triggeredId);
    const again = testid('run-again', dialog);
    await until('"Run again" to be enabled', () => again.isEnabled());
    const accepted = page.waitForResponse((r) => r.url().endsWith('/import-jobs/trigger') && r.request().method() === 'POST');
    await again.click();
    const response = await accepted;
    const body = await response.json();
    expect(response.status() === 202 && body.jobName === config.jobName, `Run again answered ${response.status()}: ${JSON.stringify(body)}`);
    const next = body.executionId;
    await until('the dialog to follow the new run', async () => (await testid('detail-id').innerText()) === next && page.url().includes(`#/executions/${next}`));
    const status = testid('detail-status', dialog);
    await until('the new run to show RUNNING', async () => (await status.getAttribute('data-status')) === 'RUNNING');
    const started = await testid('detail-action-message', dialog).innerText();
    expect(started.includes(next), `the dialog should say which run started: ${JSON.stringify(started)}`);
    page.once('dialog', (d) => d.accept());
    const cancelled = page.waitForResponse((r) => r.url().endsWith(`/import-jobs/${next}/cancel`) && r.request().method() === 'POST');
    await testid('detail-cancel', dialog).click();
    const answer = await cancelled;
    const asked = await answer.json();
    expect(answer.status() === 202 && asked.cancelRequestedBy === 'token:admin', `the cancel answered ${answer.status()}: ${JSON.stringify(asked)} (did the run end before it was cancelled?)`);
    await until('the cancelled run to end FAILED', async () => (await status.getAttribute('data-status')) === 'FAILED', config.triggerTimeoutMs, 250);
    const last = await testid('detail-last-error', dialog).innerText();
    expect(last.includes('cancelled by token:admin'), `the last error says ${JSON.stringify(last)}`);
    const requested = await testid('detail-cancel-requested', dialog).innerText();
    expect(requested.includes('token:admin'), `the cancel request is shown as ${JSON.stringify(requested)}`);
    const stored = await api(`import-jobs/${next}`);
    expect(stored.status === 'FAILED' && stored.lastError === 'cancelled by token:admin' && stored.cancelRequestedBy === 'token:admin', `the API has ${JSON.stringify(stored).slice(0, 300)}`);
    note(`run ${next} started again from ${triggeredId} and cancelled`);
    await shot('cancelled', dialog);
    await page.locator('#detail-close').click();
    await dialog.waitFor({ state: 'hidden' });
    await until('the route to leave the execution', async () => !page.url().includes('#/executions/'));
    const cardStatus = jobCard().locator(`[data-testid="run-status"][data-execution-id="${next}"]`);
    await until('the card to show the cancelled run', async () => (await cardStatus.count()) && (await cardStatus.getAttribute('data-status')) === 'FAILED');
  });

  await step('a 375 px wide screen shows the page without sideways scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: 'light' });
    watch(phone);
    const p = await newPage(phone, 'phone');
    await signIn(p);
    await jobCard(p).waitFor();
    await testid('chart-runs-day', p).first().waitFor();
    await testid('history-row', p).first().waitFor();
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    expect(width <= 375, `the page is ${width} px wide at a 375 px viewport`);
    await shot('mobile-375', p, { fullPage: true });
    await p.emulateMedia({ colorScheme: 'dark' });
    await shot('mobile-375-dark', p);
    await phone.close();
  });

  await fixtureViews(t);

  await step('signing out forgets the token', async () => {
    await testid('signout-button').click();
    await testid('signin-form').waitFor();
    const kept = await page.evaluate(() => JSON.stringify(sessionStorage));
    expect(!kept.includes(config.token), 'the token is still in session storage');
    expect(await testid('job-card').count() === 0, 'job cards are still in the page after signing out');
    expect(await testid('history-row').count() === 0 && await testid('chart-runs-day').count() === 0, 'history rows or charts are still in the page after signing out');
  });

  await step('no console errors, no requests elsewhere, token only in headers', async () => {
    const report = [
      ['console errors', problems.console],
      ['requests to other origins', problems.foreign],
      ['failed requests', problems.failed],
      ['URLs containing the token', problems.leaked],
      ['API requests without a bearer token', problems.unauthenticated],
    ].filter(([, list]) => list.length);
    expect(!report.length, report.map(([what, list]) => `${what}:\n    ${[...new Set(list)].join('\n    ')}`).join('\n  '));
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  let mock = null;
  if (flag('MOCK', false)) {
    const { startMockServer } = await import('./mock-server.mjs');
    mock = await startMockServer({ port: 0, token: config.token || 'dev-token', runMs: number('MOCK_RUN_MS', 8000) });
    config.baseUrl = mock.url;
    config.token ||= 'dev-token';
    if (env.EXPECT_CONFLICT == null) config.expectConflict = true;
  }
  const watchdog = setTimeout(() => {
    console.error(`✗ ${currentStep}: the whole test took longer than ${config.totalTimeoutMs} ms`);
    process.exit(1);
  }, config.totalTimeoutMs);
  watchdog.unref();
  let code = 0;
  try {
    await run();
    console.log(`dashboard e2e: ${passed} passed, 0 failed`);
  } catch (e) {
    code = 1;
    console.error(`✗ ${currentStep}: ${e instanceof Failure ? e.message : e.stack || e}`);
    if (page) await shot('failure', page, { fullPage: true }).catch(() => {});
    console.log(`dashboard e2e: ${passed} passed, 1 failed`);
  } finally {
    await browser?.close().catch(() => {});
    await mock?.close();
  }
  process.exit(code);
}

main();
