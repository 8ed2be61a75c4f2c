// End-to-end test of the monitoring dashboard in headless Chromium, against a running server.
// Prints each step, saves screenshots, exits 0 when every expectation held and 1 otherwise.
// See README.md for the environment it reads and what it expects of the server's data.

import { mkdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import {
  api, begin, browser, config, currentStep, expect, Failure, flag, jobCard, newPage, note, number, page, passed, problems,
  shot, signIn, step, testid, until, watch,
} from './harness.mjs';
import { historySteps } from './history-steps.mjs';
import { listSteps } from './list-steps.mjs';
import { fixtureViews, reasonsAndWords } from './operator-views.mjs';
import { overviewSteps } from './overview-steps.mjs';
import { runSteps } from './run-steps.mjs';
import { sourceSteps } from './source-steps.mjs';

// ---------------------------------------------------------------------------------------------
// The steps

async function run() {
  expect(config.baseUrl, 'BASE_URL is not set (e.g. http://127.0.0.1:5050), and MOCK=1 was not given');
  expect(config.token, 'ADMIN_TOKEN is not set');
  const origin = new URL(config.baseUrl).origin;
  await mkdir(config.screenshots, { recursive: true });
  console.log(`dashboard e2e against ${config.baseUrl}, screenshots in ${config.screenshots}`);

  let status;
  await step('the server is up and knows the job', async () => {
    const health = await fetch(`${config.baseUrl}/healthz`);
    expect(health.ok, `/healthz answered ${health.status}`);
    status = await api('import-jobs/status?limit=500');
    const names = status.jobs.map((j) => j.jobName);
    expect(names.length > 0, '/status lists no jobs');
    config.jobName ||= names[0];
    expect(names.includes(config.jobName), `JOB_NAME ${config.jobName} is not among the jobs: ${names.join(', ')}`);
    expect(typeof status.schedulerRunning === 'boolean' && typeof status.isRunning === 'boolean', `/status lacks schedulerRunning or isRunning: ${JSON.stringify(status).slice(0, 200)}`);
    note(`jobs: ${names.join(', ')}; testing ${config.jobName}`);
  });

  const launched = await chromium.launch({
    executablePath: config.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  begin({ origin, browser: launched, page: null }); // main() closes it whatever happens next
  const context = await launched.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light', locale: 'en-GB', timezoneId: 'Europe/Skopje' });
  watch(context);
  begin({ origin, browser: launched, page: await newPage(context, 'main') });
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

  await overviewSteps(status);

  await listSteps();

  await historySteps();

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

  await runSteps(t);

  await sourceSteps();

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
    if (process.env.EXPECT_CONFLICT == null) config.expectConflict = true;
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
