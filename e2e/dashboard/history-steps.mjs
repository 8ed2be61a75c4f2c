// The history table (paging, job, date and status filters), the alert history and an
// execution's detail with its error search, each checked against the API.

import { api, config, expect, note, page, shot, step, testid, until } from './harness.mjs';

/** Types `name` into a job field (its suggestions come from /status's search) and takes it. */
async function pickJob(field, name) {
  await field.fill(name);
  await field.press('Enter');
}


export async function historySteps() {
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
    await pickJob(testid('filter-job'), config.jobName);
    await until(`"of ${ofJob}" for job ${config.jobName}`, ofTotal(ofJob));
    const jobs = await rowsWhere('data-job');
    expect(jobs.every((j) => j === config.jobName), `rows of other jobs: ${jobs.filter((j) => j !== config.jobName).join(', ')}`);
    await pickJob(testid('filter-job'), '');

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
    await pickJob(testid('alert-job'), job);
    await shows(`&jobName=${encodeURIComponent(job)}`);
    await pickJob(testid('alert-job'), '');
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
}
