// The dashboard after sign-in: the job card with its schedule and next run, the charts against
// the API's statistics and history, and a run opened from a chart.

import { api, config, expect, jobCard, note, page, shot, step, testid, until, utcText } from './harness.mjs';

/** The steps; `status` is the `/status` answer the first step read. */

export async function overviewSteps(status) {
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
}
