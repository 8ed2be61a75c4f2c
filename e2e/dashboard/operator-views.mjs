// The dashboard's operator views, checked against the API and against made-up answers:
// the reason of FAILED and PARTIAL runs, counts in words (new / updated / unchanged / failed /
// withdrawn), human labels in the detail, distinct axis labels, live progress with its rate
// and time left, the schedule in words, "No runs yet." and "Server unreachable".
// Each function takes the test's toolkit `t`: {config, browser, page, api, testid, shot, until,
// expect, note, step, newPage, signIn, jobCard}.

const WIDTHS = [1400, 400];
const RAW_WORDS = /\b(success|skipped)\b/i;

/** The x-axis labels of a chart, in order. */
const xLabels = (t, chart) => t.testid(chart).locator('[data-testid="x-label"]').evaluateAll((els) => els.map((e) => e.textContent));

/** Cards, history and detail say what happened and show the reason of a failed run. */
export async function reasonsAndWords(t) {
  const { api, testid, page, expect, until, note, shot } = t;
  await t.step('the reason of failed runs and the counts in words, in cards, history and detail', async () => {
    const status = await api('import-jobs/status');
    for (const job of status.jobs) {
      const card = page.locator(`[data-testid="job-card"][data-job="${job.jobName}"]`);
      const last = job.runningExecution ? null : job.lastExecution;
      if (!last) continue;
      const counts = await testid('run-counts', card).innerText();
      expect(/unchanged/.test(counts) && !RAW_WORDS.test(counts), `the card of ${job.jobName} counts ${JSON.stringify(counts)}`);
      if (last.details && Number.isFinite(last.details.inserted)) {
        expect(counts.includes(`${last.details.inserted.toLocaleString('en-US')} new`), `the card of ${job.jobName} should say ${last.details.inserted} new: ${JSON.stringify(counts)}`);
      }
      const reason = testid('run-reason', card);
      if (['FAILED', 'PARTIAL'].includes(last.status) && last.lastError) {
        expect(await reason.getAttribute('title') === last.lastError, `the card of ${job.jobName} should carry the reason ${JSON.stringify(last.lastError)} in full on hover`);
        const shown = (await reason.innerText()).replace(/…$/, '');
        expect(shown.length > 0 && last.lastError.replace(/\s+/g, ' ').startsWith(shown), `the card of ${job.jobName} shows the reason as ${JSON.stringify(shown)}`);
      } else {
        expect(await reason.count() === 0, `the card of ${job.jobName} shows a reason for a ${last.status} run`);
      }
    }
    for (const s of ['FAILED', 'PARTIAL']) {
      const runs = (await api(`import-jobs/history?status=${s}&limit=20`)).executions;
      await testid('filter-status').selectOption(s);
      await until(`the ${s} rows`, async () => (await testid('history-row').count()) === runs.length
        && (await testid('history-row').first().getAttribute('data-id')) === runs[0]?.id);
      for (const run of runs) {
        const cell = page.locator(`[data-testid="history-row"][data-id="${run.id}"] [data-testid="history-reason"]`);
        if (!run.lastError) { expect(await cell.count() === 0, `history row ${run.id} shows a reason it has not`); continue; }
        expect(await cell.getAttribute('title') === run.lastError, `history row ${run.id} should carry its reason ${JSON.stringify(run.lastError)}`);
      }
      note(`${runs.length} ${s} rows, ${runs.filter((r) => r.lastError).length} with a reason`);
    }
    await shot('history-reasons-1400', page.locator('section', { has: testid('history-table') }));
    await testid('filter-status').selectOption('');
    const summary = await testid('history-summary').innerText();
    expect(/new or updated/.test(summary) && /unchanged/.test(summary) && !RAW_WORDS.test(summary), `the history summary says ${JSON.stringify(summary)}`);
    const note30 = await page.locator('#runs-note').innerText();
    expect(!/\b1 runs\b/.test(note30), `the runs note says ${JSON.stringify(note30)}`);
    for (const chart of ['chart-properties', 'chart-duration']) {
      const labels = await xLabels(t, chart);
      expect(labels.length > 1 && new Set(labels).size === labels.length, `the x-axis labels of ${chart} repeat: ${labels.join(', ')}`);
    }

    const failed = (await api('import-jobs/history?status=FAILED&limit=1')).executions[0];
    expect(failed, 'the seeded data must contain a FAILED execution');
    const full = await api(`import-jobs/${failed.id}`);
    await page.evaluate((id) => { location.hash = `#/executions/${id}`; }, failed.id);
    const dialog = testid('execution-detail');
    await until('the FAILED run in the dialog', async () => (await testid('detail-id').innerText()) === failed.id);
    if (full.lastError) {
      expect(/why it failed/i.test(await testid('detail-reason-label').innerText()), 'the reason of a FAILED run is not labelled "Why it failed"');
    }
    const tiles = await testid('detail-tiles').innerText();
    expect(/Unchanged/.test(tiles) && /Failed/.test(tiles) && !RAW_WORDS.test(tiles), `the tiles say ${JSON.stringify(tiles)}`);
    for (const key of Object.keys(full.details || {}).filter((k) => full.details[k] != null)) {
      const label = dialog.locator(`[data-key="${key}"]`);
      expect(await label.count() === 1, `the detail field ${key} is not shown`);
      const text = await label.innerText();
      expect(text !== key && /^[A-Z][a-z]/.test(text), `the detail field ${key} is labelled ${JSON.stringify(text)}`);
    }
    await shot('detail-words-1400', dialog);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  await t.step('cards, history and detail at 400 px wide', async () => {
    const phone = await t.browser.newContext({ viewport: { width: 400, height: 860 }, colorScheme: 'light', locale: 'en-GB', timezoneId: 'Europe/Skopje' });
    t.watch(phone);
    const p = await t.newPage(phone, 'narrow');
    await t.signIn(p);
    await t.jobCard(p).waitFor();
    await testid('history-row', p).first().waitFor();
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    expect(width <= 400, `the page is ${width} px wide at 400 px`);
    await shot('overview-400', p.locator('section', { has: testid('jobs', p) }));
    await testid('filter-status', p).selectOption('FAILED');
    await until('FAILED rows at 400 px', async () => (await testid('history-row', p).count()) > 0
      && (await testid('history-row', p).evaluateAll((els) => els.every((e) => e.dataset.status === 'FAILED'))));
    expect(await testid('history-reason', p).first().isVisible(), 'the reason of a FAILED run is hidden at 400 px');
    await shot('history-reasons-400', p.locator('section', { has: testid('history-table', p) }));
    await testid('history-row', p).first().locator('td').nth(1).click();
    await testid('detail-tiles', p).waitFor();
    await shot('detail-words-400', p);
    await phone.close();
  });
}

/** While the triggered run is in progress its card shows a rate, and moving counts when the API sends them. */
export async function liveProgress(t, card, executionId) {
  const { api, testid, until, note, expect } = t;
  const panel = testid('run-progress', card);
  const rate = await testid('progress-rate', panel).innerText().catch(() => '');
  expect(/listings\/s|rate not known|starting…/.test(rate), `the progress panel's rate line says ${JSON.stringify(rate)}`);
  const job = (await api('import-jobs/status')).jobs.find((j) => j.runningExecution && j.runningExecution.id === executionId);
  const progress = job && job.runningExecution.progress;
  if (!progress) { note('the API sends no progress object: the panel drew its figures from the counts'); return; }
  expect(typeof progress.processed === 'number' && typeof progress.ratePerSecond === 'number' && typeof progress.live === 'boolean', `/status's progress is ${JSON.stringify(progress)}`);
  await until('the card to show records processed while running', async () => {
    if (!(await panel.isVisible())) return 'ended';
    const text = await testid('progress-text', panel).innerText();
    return /Running: [1-9][\d,]* /.test(text) && text;
  }, 8000, 100);
  if (await panel.isVisible()) {
    const line = await testid('progress-rate', panel).innerText();
    expect(/listings\/s/.test(line), `a run with records processed shows no rate: ${JSON.stringify(line)}`);
    note(`live progress: ${line}`);
    await t.shot('progress-live', card);
  }
}

// Made-up answers for the views the seeded server cannot show on demand.
const minutesAgo = (m) => new Date(Date.now() - m * 60_000).toISOString();
const LONG_REASON = 'cannot parse the feed: unexpected end of element <property> at line 412, column 18 (the partner\'s export stopped half-way; the file ended after 3,112 of its declared 200,000 records)';

function fixtureRun(fields) {
  return {
    id: fields.id, jobName: fields.jobName, status: 'SUCCESS', startedAt: minutesAgo(30), completedAt: minutesAgo(29), durationMs: 42_000,
    totalProperties: 200_000, successCount: 0, failedCount: 0, skippedCount: 200_000, expectedTotal: 200_000, triggeredBy: 'cron',
    consecutiveFailures: 0, lastError: null, scheduledFor: null, attempt: 1, heartbeatAt: minutesAgo(29), instanceId: 'fixture',
    details: { total: 200_000, inserted: 0, updated: 0, unchanged: 200_000, failed: 0, withdrawn: 0, withdrawalBlocked: null, complete: true, cancelled: false },
    errorsOmitted: 0, cancelRequestedBy: null, cancelRequestedAt: null, progress: null, ...fields,
  };
}

function fixtureStatus() {
  const running = fixtureRun({
    id: '0193a1b2-0000-7000-8000-000000000001', jobName: 'big-feed', status: 'RUNNING', startedAt: minutesAgo(1), completedAt: null, durationMs: null,
    totalProperties: 110_000, skippedCount: 110_000, details: null, heartbeatAt: minutesAgo(0.1),
    progress: { processed: 120_000, expectedTotal: 200_000, bytesRead: 30_000_000, bytesTotal: 50_000_000, percent: 60, ratePerSecond: 2400, etaSeconds: 33, live: true, asOf: new Date().toISOString() },
  });
  const failed = fixtureRun({ id: '0193a1b2-0000-7000-8000-000000000002', jobName: 'broken-feed', status: 'FAILED', totalProperties: 0, skippedCount: 0, failedCount: 0, consecutiveFailures: 1, lastError: LONG_REASON, details: null });
  const healthy = fixtureRun({ id: '0193a1b2-0000-7000-8000-000000000003', jobName: 'steady-feed' });
  const nextRuns = [{ utc: '2030-01-01T23:00:00Z', local: '2030-01-02T00:00:00+01:00' }];
  const job = (jobName, extra) => ({
    jobName, isScheduled: true, schedule: '0 0 * * *', timezone: 'Europe/Skopje', scheduleText: 'at 00:00 every day, Europe/Skopje', nextRuns,
    runningExecution: null, lastExecution: null, late: false, lateSince: null, missedTicks: 0, lastMissedTick: null, pendingTick: null,
    paused: false, pausedBy: null, pausedAt: null, pauseReason: null, pendingRetry: null, ...extra,
  });
  const jobs = [job('big-feed', { runningExecution: running, lastExecution: running }), job('broken-feed', { lastExecution: failed }), job('steady-feed', { lastExecution: healthy })];
  return { running, failed, healthy, status: { isRunning: true, schedulerRunning: true, isScheduled: true, schedule: '0 0 * * *', timezone: 'Europe/Skopje', nextRuns, runningExecution: running, alertThreshold: 3, jobs } };
}

/** Answers the admin API from `answers` ({path, when?, data}, the first that fits); `offline()` makes /status unreachable. */
async function fake(context, answers) {
  let down = false;
  await context.route('**/api/v1/admin/**', (route) => {
    const url = new URL(route.request().url());
    if (down && url.pathname.endsWith('/status')) return route.abort('connectionrefused');
    const answer = answers.find((a) => url.pathname.endsWith(a.path) && (!a.when || a.when(url)));
    if (!answer) return route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ success: false, error: { code: 'NOT_FOUND', message: url.pathname } }) });
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ success: true, data: answer.data() }) });
  });
  return { offline: () => { down = true; } };
}

/** Live progress with percent, rate and time left, the reason in full on hover, one run, no runs, an unreachable server. */
export async function fixtureViews(t) {
  const { testid, until, expect, note, shot } = t;
  await t.step('made-up answers: progress, reason, schedule in words, "1 run", "No runs yet.", "Server unreachable" (1400 and 400 px)', async () => {
    for (const width of WIDTHS) {
      const { status, failed } = fixtureStatus();
      const day = new Date().toISOString().slice(0, 10);
      const history = (list) => ({ executions: list, pagination: { total: list.length, limit: 100, offset: 0, hasMore: false }, statistics: { totalPropertiesProcessed: 0, totalSuccessful: 0, totalFailed: 0, totalSkipped: 0, averageDurationMs: null } });
      const context = await t.browser.newContext({ viewport: { width, height: 900 }, colorScheme: 'light', locale: 'en-GB', timezoneId: 'Europe/Skopje' });
      const stats = { days: 30, from: day, to: new Date().toISOString(), totalExecutions: 1, successCount: 0, failedCount: 1, partialCount: 0, runningCount: 0, totalPropertiesProcessed: 0, averageDurationMs: 42_000, successRate: 0, timeline: [{ date: day, total: 1, success: 0, failed: 1, partial: 0, running: 0, propertiesProcessed: 0, averageDurationMs: 42_000 }] };
      const server = await fake(context, [
        { path: '/import-jobs/status', data: () => status },
        { path: '/import-jobs/statistics', data: () => stats },
        // The charts ask for 100 runs (one), the history table for a page of 20 (none yet).
        { path: '/import-jobs/history', when: (u) => u.searchParams.get('limit') === '100', data: () => history([failed]) },
        { path: '/import-jobs/history', data: () => history([]) },
        { path: '/alerts', data: () => ({ events: [], pagination: { total: 0, limit: 20, offset: 0, hasMore: false } }) },
      ]);
      const p = await context.newPage();
      await t.signIn(p, 'fixture-token');
      const card = p.locator('[data-testid="job-card"][data-job="big-feed"]');
      const panel = testid('run-progress', card);
      await panel.waitFor();
      const text = await testid('progress-text', panel).innerText();
      expect(text.includes('120,000 of 200,000 processed (60%)'), `the progress says ${JSON.stringify(text)}`);
      const rate = await testid('progress-rate', panel).innerText();
      expect(rate.includes('2,400 listings/s') && rate.includes('about 33 s left') && rate.includes('30 MB of 50 MB read'), `the rate line says ${JSON.stringify(rate)}`);
      const fill = await panel.locator('.bar-fill').evaluate((el) => el.style.width);
      expect(Number.parseFloat(fill) === 60, `the bar is ${fill} wide`);
      expect(await panel.locator('[role="progressbar"]').getAttribute('aria-valuenow') === '60', 'the progress bar does not say 60');
      expect((await testid('schedule-text', card).innerText()) === 'at 00:00 every day, Europe/Skopje', 'the schedule in words is missing');
      const broken = p.locator('[data-testid="job-card"][data-job="broken-feed"]');
      const reason = testid('run-reason', broken);
      expect(await reason.getAttribute('title') === LONG_REASON, 'the full reason is not on hover');
      const shown = await reason.innerText();
      expect(shown.endsWith('…') && shown.length < LONG_REASON.length, `a long reason should be shortened: ${JSON.stringify(shown)}`);
      const steady = await testid('run-counts', p.locator('[data-testid="job-card"][data-job="steady-feed"]')).innerText();
      expect(steady.includes('200,000 unchanged') && steady.includes('0 new'), `a healthy re-import reads ${JSON.stringify(steady)}`);
      await until('"(1 run)" over the runs', async () => (await p.locator('#runs-note').innerText()) === '(1 run)');
      await until('"No runs yet." in an unfiltered empty history', async () => /No runs yet\./.test(await testid('history-table', p).innerText()));
      const scroll = await p.evaluate(() => document.documentElement.scrollWidth);
      expect(scroll <= width, `the page is ${scroll} px wide at ${width} px`);
      await p.evaluate(() => window.scrollTo(0, 0));
      await shot(`progress-reason-${width}`, p, { fullPage: width < 500 });
      await testid('filter-status', p).selectOption('RUNNING');
      await until('"No runs match these filters." with a filter set', async () => /No runs match these filters\./.test(await testid('history-table', p).innerText()));
      server.offline();
      await until('"Server unreachable" once /status cannot be reached', async () => (await testid('scheduler-state', p).getAttribute('data-state')) === 'unreachable', 8000);
      const said = await testid('scheduler-state', p).innerText();
      expect(/Server unreachable/.test(said) && !/Scheduler running/.test(said), `the scheduler state says ${JSON.stringify(said)}`);
      await p.evaluate(() => window.scrollTo(0, 0));
      await shot(`unreachable-${width}`, p);
      note(`${width} px: ${text} · ${rate}`);
      await context.close();
    }
  });
}
