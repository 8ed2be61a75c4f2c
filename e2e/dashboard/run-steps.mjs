// Acting on the job: a trigger (with a second operator's refused one), its progress and final
// status; pausing and resuming from the card; "Run again" and "Cancel run" in the detail.

import { liveProgress } from './operator-views.mjs';
import { api, config, expect, Failure, jobCard, newPage, note, page, shot, signIn, STATUS_URL, step, testid, until, within } from './harness.mjs';

let triggeredId = null; // the run the trigger step started

export async function runSteps(t) {
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
}
