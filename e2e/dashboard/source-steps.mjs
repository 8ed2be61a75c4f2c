// The source catalog in the dashboard: the list against the API, a source added through the
// form and scheduled, a bad field refused in the form with the API's words, a source disabled
// and deleted from its row. Skipped against a server without a catalog (the mock).

import { api, config, expect, note, page, shot, step, testid, until } from './harness.mjs';

const NAME = `added-in-browser-${Date.now() % 100000}`;
const row = (name) => page.locator(`[data-testid="source-row"][data-name="${name}"]`);
const jobs = async (q) => (await api(`import-jobs/status?q=${encodeURIComponent(q)}`)).jobs.map((j) => j.jobName);

export async function sourceSteps() {
  const probe = await fetch(`${config.baseUrl}/api/v1/admin/sources`, { headers: { Authorization: `Bearer ${config.token}` } });
  if (probe.status === 404) { note('no source catalog on this server (the mock)'); return; }
  const catalog = (await probe.json()).data;
  if (catalog.readOnly) { note('the catalog is read-only here'); return; }

  await step('the sources list shows the catalog, paged', async () => {
    await testid('sources-table').scrollIntoViewIfNeeded();
    await until('the first page of sources', async () => (await testid('source-row').count()) === Math.min(20, catalog.pagination.total));
    const first = await testid('source-row').first().getAttribute('data-name');
    expect(first === catalog.sources[0].name, `the first row is ${first}, the API's first source ${catalog.sources[0].name}`);
    if (catalog.pagination.total > 20) expect(await testid('sources-next').isEnabled(), 'more sources than a page, and no next page');
  });

  await step('a bad schedule is refused in the form, naming the field', async () => {
    await testid('source-add').click();
    await testid('source-editor').waitFor();
    await testid('source-name').fill(NAME);
    await testid('source-url').fill(config.feedPath || '/tmp/feed.ndjson');
    await testid('source-schedule').fill('61 * * * *');
    await testid('source-save').click();
    const error = testid('source-error');
    await error.waitFor();
    const text = await error.innerText();
    expect(/schedule/i.test(text), `the form's error says ${JSON.stringify(text)}`);
    expect(await testid('source-editor').isVisible(), 'the form closed on an error');
  });

  await step('a source added through the form is scheduled', async () => {
    await testid('source-schedule').fill('0 3 * * *');
    await testid('source-timezone').fill('Europe/Madrid');
    await testid('source-format').selectOption('json');
    await testid('source-extra').fill('{"maxWithdrawFraction": 0.2}');
    await testid('source-save').click();
    await until('the form to close', async () => !(await testid('source-editor').isVisible()));
    await testid('source-search').fill(NAME);
    await row(NAME).waitFor();
    await until(`/status to list ${NAME}`, async () => (await jobs(NAME)).includes(NAME), 10_000);
    const stored = (await api(`sources/${NAME}`));
    expect(stored.maxWithdrawFraction === 0.2 && stored.timezone === 'Europe/Madrid' && stored.format === 'json', `stored as ${JSON.stringify(stored)}`);
    await shot('sources');
  });

  await step('disabled from its row, it is no longer scheduled; deleted with two clicks', async () => {
    await row(NAME).locator('[data-testid="source-toggle"]').click();
    await until('the row to say disabled', async () => (await row(NAME).getAttribute('data-enabled')) === 'false');
    await until(`/status to drop ${NAME}`, async () => !(await jobs(NAME)).includes(NAME), 10_000);
    const del = row(NAME).locator('[data-testid="source-delete"]');
    await del.click();
    expect(/really/i.test(await del.innerText()), 'the first click should ask again');
    await del.click();
    await until('the row to go', async () => (await row(NAME).count()) === 0);
    const gone = await fetch(`${config.baseUrl}/api/v1/admin/sources/${NAME}`, { headers: { Authorization: `Bearer ${config.token}` } });
    expect(gone.status === 404, `the deleted source answers ${gone.status}`);
    await testid('source-search').fill('');
  });
}
