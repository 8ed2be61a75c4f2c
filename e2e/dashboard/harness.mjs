// The browser test's harness: its configuration (from the environment), the problems it
// collects from every page, and the helpers the steps share (expectations, waiting for a
// condition, steps, the API, locators, screenshots, pages and sign-in).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
export const flag = (name, fallback) => (env[name] == null || env[name] === '' ? fallback : !['0', 'false', 'no'].includes(env[name].toLowerCase()));
export const number = (name, fallback) => (env[name] ? Number(env[name]) : fallback);

export const config = {
  baseUrl: (env.BASE_URL || '').replace(/\/+$/, ''),
  token: env.ADMIN_TOKEN || '',
  jobName: env.JOB_NAME || '',
  feedPath: env.FEED_PATH || '',
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
export const EXPECTED_CONSOLE = [/^Failed to load resource: the server responded with a status of (400|401|409) /];

export const problems = { console: [], foreign: [], failed: [], leaked: [], unauthenticated: [] };
export let origin = '';
export let browser = null;
export let page = null;
export let currentStep = '';
export let passed = 0;

/** Sets the origin the pages may talk to, the browser and its main page (live bindings for the step modules). */
export function begin(session) {
  ({ origin, browser, page } = session);
}

export class Failure extends Error {}

export function expect(condition, message) {
  if (!condition) throw new Failure(message);
}

export async function until(description, probe, timeoutMs = 10_000, intervalMs = 150) {
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
export async function within(timeoutMs, promise, description) {
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

export async function step(name, body) {
  currentStep = name;
  const started = Date.now();
  console.log(`▶ ${name}`);
  await body();
  passed += 1;
  console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
}

export const note = (text) => console.log(`  · ${text}`);

export async function api(pathAndQuery, init = {}) {
  const res = await fetch(`${config.baseUrl}/api/v1/admin/${pathAndQuery}`, {
    ...init,
    headers: { Authorization: `Bearer ${config.token}`, Accept: 'application/json', ...(init.headers || {}) },
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Failure(`GET ${pathAndQuery} answered ${res.status}: ${JSON.stringify(json)}`);
  return json.data;
}

/** Every /status request, whatever its query (the page asks for a page of jobs). */
export const STATUS_URL = /\/api\/v1\/admin\/import-jobs\/status(\?|$)/;
export const testid = (id, root = page) => root.locator(`[data-testid="${id}"]`);
export const jobCard = (p = page) => p.locator(`[data-testid="job-card"][data-job="${config.jobName}"]`);

export async function shot(name, target = page, options = {}) {
  const file = path.join(config.screenshots, `${name}.png`);
  await target.screenshot({ path: file, ...options });
  note(`screenshot ${file}`);
}

export function watch(context) {
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

export function listen(p, label) {
  p.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (!EXPECTED_CONSOLE.some((re) => re.test(text))) problems.console.push(`[${label}] ${text}`);
  });
  p.on('pageerror', (error) => problems.console.push(`[${label}] uncaught: ${error.message}`));
}

export async function newPage(context, label) {
  const p = await context.newPage();
  listen(p, label);
  p.setDefaultTimeout(15_000);
  return p;
}

export async function signIn(p, token = config.token) {
  await p.goto(`${config.baseUrl}/dashboard/`);
  await testid('token-input', p).fill(token);
  await testid('signin-form', p).locator('button[type="submit"]').click();
}

export const utcText = (iso) => `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
