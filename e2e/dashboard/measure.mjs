// Measures the dashboard's first load against a running server: bytes transferred (every
// request of the page, compressed as sent) and the time from navigation to the first render of
// the job cards and the runs-per-day chart, with a token already in session storage.
// Env: BASE_URL, ADMIN_TOKEN, CHROMIUM (default /usr/bin/chromium), RUNS (default 5).
// Prints one JSON line: {"bytes": …, "requests": …, "firstRenderMs": {"median": …, "max": …}}.

import { chromium } from 'playwright-core';

const base = (process.env.BASE_URL || '').replace(/\/+$/, '');
const token = process.env.ADMIN_TOKEN || '';
const runs = Number(process.env.RUNS || 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const times = [];
let bytes = 0;
let requests = 0;
for (let i = 0; i < runs; i += 1) {
  const context = await browser.newContext();
  await context.addInitScript(([key, value]) => sessionStorage.setItem(key, value), ['propimport.adminToken', token]);
  const page = await context.newPage();
  const client = await context.newCDPSession(page);
  await client.send('Network.enable');
  let transferred = 0;
  let count = 0;
  client.on('Network.loadingFinished', (e) => { transferred += e.encodedDataLength; count += 1; });
  const started = Date.now();
  await page.goto(`${base}/dashboard/`);
  await page.locator('[data-testid="job-card"]').first().waitFor();
  await page.locator('[data-testid="chart-runs-day"]').first().waitFor();
  times.push(Date.now() - started);
  await page.waitForLoadState('networkidle');
  if (i === 0) { bytes = transferred; requests = count; }
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ bytes, requests, firstRenderMs: { median: times[Math.floor(times.length / 2)], max: times[times.length - 1] } }));
