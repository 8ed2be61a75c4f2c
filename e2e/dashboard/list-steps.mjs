// The "Now" section over many jobs: the chips' counts and the summary line against /status's
// summary, the pages of job cards, the search box and each filter chip against the API's
// answer to the same query; every view left as it was (all jobs, first page).

import { api, config, expect, note, page, shot, step, testid, until } from './harness.mjs';

const PAGE_SIZE = 24; // the dashboard's job cards per page

const cardNames = () => testid('job-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')));
const fmt = (n) => n.toLocaleString('en-US');

/** Waits until the cards are the jobs `/status?query` lists on its first page of PAGE_SIZE. */
async function cardsOf(query, what) {
  const data = await api(`import-jobs/status?limit=${PAGE_SIZE}${query}`);
  const wanted = data.jobs.map((j) => j.jobName);
  await until(`the cards of ${what} (${wanted.length}: ${wanted.slice(0, 4).join(', ')}…)`, async () => {
    const shown = await cardNames();
    if (!wanted.length) return (await testid('jobs-empty').count()) === 1 && shown.length === 0;
    return shown.join() === wanted.join();
  });
  return data;
}

export async function listSteps() {
  await step('many jobs: the summary, pages, the search and the filter chips', async () => {
    const { summary, pagination } = await api('import-jobs/status?limit=1');
    expect(summary && pagination, '/status has no summary or pagination');
    await until(`"All ${fmt(summary.total)}" on the chip`, async () => (await testid('chip-all').innerText()).replace(/\s+/g, ' ').trim() === `All ${fmt(summary.total)}`);
    for (const chip of ['failing', 'late', 'paused', 'running']) {
      const text = (await testid(`chip-${chip}`).innerText()).replace(/\s+/g, ' ').trim().toLowerCase();
      expect(text === `${chip} ${fmt(summary[chip])}`, `the ${chip} chip says ${JSON.stringify(text)}, the summary ${summary[chip]}`);
    }

    // The summary line: "N jobs failing · M late", each a filter; hidden when no job is.
    const banner = testid('jobs-alert');
    if (summary.failing || summary.late) {
      await banner.waitFor();
      const said = await banner.innerText();
      if (summary.failing) expect(said.includes(`${fmt(summary.failing)} job${summary.failing === 1 ? '' : 's'} failing`), `the summary line says ${JSON.stringify(said)}`);
      if (summary.late) expect(said.includes(`${fmt(summary.late)} late`), `the summary line says ${JSON.stringify(said)}`);
      const which = summary.failing ? 'failing' : 'late';
      await testid(`jobs-alert-${which}`).click();
      await cardsOf(`&${which}=true`, `the ${which} jobs`);
      expect(await testid(`chip-${which}`).getAttribute('aria-pressed') === 'true', `the ${which} chip is not pressed`);
      await shot('jobs-summary-filtered');
      await testid(`chip-${which}`).click();
      note(`summary line: ${said}`);
    } else {
      expect(await banner.isHidden(), 'the summary line shows with no job failing or late');
    }
    await cardsOf('', 'every job');

    // Pages of cards.
    if (summary.total > PAGE_SIZE) {
      const info = () => testid('jobs-info').innerText();
      await until('the first page in the pager', async () => (await info()) === `1–${PAGE_SIZE} of ${fmt(summary.total)}`);
      await testid('jobs-next').click();
      const second = await api(`import-jobs/status?limit=${PAGE_SIZE}&offset=${PAGE_SIZE}`);
      await until('the second page of cards', async () => (await cardNames()).join() === second.jobs.map((j) => j.jobName).join());
      await until('the second page in the pager', async () => (await info()).startsWith(`${PAGE_SIZE + 1}–`));
      await shot('jobs-page-2');
      await testid('jobs-prev').click();
      await cardsOf('', 'the first page again');
      note(`${summary.total} jobs: paged forward and back, ${PAGE_SIZE} a page`);
    } else {
      expect(await testid('jobs-pager').isHidden(), `the pager shows for ${summary.total} jobs`);
      note(`${summary.total} jobs fit one page: no pager`);
    }

    // The search: any part of a name, in any case.
    const part = config.jobName.slice(0, Math.max(3, Math.ceil(config.jobName.length / 2))).toUpperCase();
    await testid('job-search').fill(part);
    const found = await cardsOf(`&q=${encodeURIComponent(part)}`, `the search ${part}`);
    expect(found.jobs.some((j) => j.jobName === config.jobName), `searching ${part} does not find ${config.jobName}`);
    const counted = await testid('jobs-count').innerText();
    expect(counted === `${fmt(found.pagination.total)} of ${fmt(summary.total)} jobs match`, `the count says ${JSON.stringify(counted)}`);
    await testid('job-search').fill('no-such-job-anywhere');
    await cardsOf('&q=no-such-job-anywhere', 'a search that finds nothing');
    expect(/No job matches/.test(await testid('jobs-empty').innerText()), 'no "No job matches" for a search that finds nothing');
    await testid('job-search').fill('');
    await cardsOf('', 'every job after the search is cleared');

    // Each chip shows only its jobs (the API's answer to the same filter); again: every job.
    for (const chip of ['failing', 'late', 'paused', 'running']) {
      await testid(`chip-${chip}`).click();
      const data = await cardsOf(`&${chip}=true`, `the ${chip} jobs`);
      expect(data.pagination.total === summary[chip] || chip === 'running', `${chip}: ${data.pagination.total} jobs, the summary said ${summary[chip]}`);
      await testid(`chip-${chip}`).click();
      await cardsOf('', `every job after the ${chip} chip`);
    }
    expect(await testid('chip-all').getAttribute('aria-pressed') === 'true', 'the All chip is not pressed at the end');
    await shot('jobs-all');
  });
}
