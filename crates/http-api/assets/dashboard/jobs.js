// "Now": one card per job of the page shown (`job-list.js` picks the page) with its schedule,
// next run, latest run, live progress, trigger, pause/resume and the cancel of its running run.

import { api, describe, isAuthError } from './api.js';
import { emptyText } from './job-list.js';
import { createProgress } from './progress.js';
import { $, h, badge, executionHref, fmtDuration, fmtNum, fmtRelative, fmtTime, fmtUtc, fmtZoned } from './util.js';
import { countsText, reasonOf, shorten } from './words.js';

const cards = new Map(); // jobName → the card's elements
const watching = new Map(); // execution id → {job, since}: runs seen RUNNING or just triggered
const finished = new Map(); // job name → the last run seen to end here (fetched by id)
const pending = new Set(); // job names with a trigger request in flight
const controlling = new Set(); // job names with a pause, resume or cancel request in flight
const cooldown = new Map(); // job name → time (ms) before which the server asked us not to trigger
const fetching = new Set(); // execution ids being fetched
let hooks = { poll: () => {}, changed: () => {}, authFailed: () => {} };
let threshold = 3;
let lastStatus = null;

/** Wires the callbacks: poll() asks for a status refresh now, changed() refreshes charts and history. */
export function init(callbacks) { hooks = { ...hooks, ...callbacks }; }

/** Forgets everything (on sign-out). */
export function reset() {
  cards.clear(); watching.clear(); finished.clear(); pending.clear(); cooldown.clear(); controlling.clear();
  lastStatus = null;
  $('#jobs').replaceChildren();
}

const newer = (a, b) => (!b || (a && new Date(a.startedAt) >= new Date(b.startedAt)) ? a : b);

function watch(id, job) {
  if (!watching.has(id)) watching.set(id, { job, since: Date.now() });
}

function setMessage(card, text, kind) {
  card.message.textContent = text;
  card.message.className = `message ${kind || ''}`;
  card.message.hidden = !text;
}

async function trigger(jobName) {
  const card = cards.get(jobName);
  pending.add(jobName);
  render();
  setMessage(card, 'Starting a run…', 'info');
  try {
    const res = await api('import-jobs/trigger', { method: 'POST', body: { jobName } });
    watch(res.executionId, jobName);
    setMessage(card, `Run started (id ${res.executionId}).`, 'ok');
  } catch (e) {
    if (isAuthError(e)) { hooks.authFailed(e); return; }
    if (e.status === 409) {
      if (e.executionId) watch(e.executionId, jobName);
      setMessage(card, describe(e), 'warn');
    } else if (e.status === 429) {
      cooldown.set(jobName, Date.now() + (e.retryAfter ?? 10) * 1000);
      countdown(jobName);
    } else {
      setMessage(card, `The run could not be started: ${describe(e)}`, 'error');
    }
  } finally {
    pending.delete(jobName);
    render();
    hooks.poll();
  }
}

/** Takes a job's new pause state (the answer of pause or resume) into the last /status. */
function applyPause(view) {
  const job = lastStatus && (lastStatus.jobs || []).find((j) => j.jobName === view.jobName);
  if (job) Object.assign(job, { paused: view.paused, pausedBy: view.pausedBy, pausedAt: view.pausedAt, pauseReason: view.pauseReason });
}

/** Sends a pause, resume or cancel for the job's card and shows how it went. */
async function control(jobName, path, body, done) {
  const card = cards.get(jobName);
  controlling.add(jobName);
  render();
  try {
    const res = await api(path, { method: 'POST', body });
    setMessage(card, done(res), 'ok');
  } catch (e) {
    if (isAuthError(e)) { hooks.authFailed(e); return; }
    setMessage(card, describe(e), e.status === 409 ? 'warn' : 'error');
  } finally {
    controlling.delete(jobName);
    render();
    hooks.poll();
  }
}

/** Pauses the job (asking for an optional reason) or resumes it. */
function togglePause(jobName) {
  const job = lastStatus && (lastStatus.jobs || []).find((j) => j.jobName === jobName);
  const where = `import-jobs/jobs/${encodeURIComponent(jobName)}`;
  if (job && job.paused) {
    control(jobName, `${where}/resume`, undefined, (res) => {
      applyPause(res.data);
      return 'Resumed: its scheduled runs start again from the next one.';
    });
    return;
  }
  const reason = window.prompt(`Pause ${jobName}? Its scheduled runs are skipped on every instance until it is resumed (Run now still works).\n\nReason (optional):`, '');
  if (reason === null) return;
  control(jobName, `${where}/pause`, reason.trim() ? { reason: reason.trim() } : undefined, (res) => {
    applyPause(res.data);
    return 'Paused: its scheduled runs are skipped until it is resumed.';
  });
}

/** Asks for the running run to be cancelled (after a confirmation). */
function cancelRun(jobName, run) {
  if (!window.confirm(`Cancel the running import of ${jobName} (execution ${run.id})? It stops within one heartbeat and is recorded FAILED.`)) return;
  control(jobName, `import-jobs/${encodeURIComponent(run.id)}/cancel`, undefined,
    (res) => `Cancel requested by ${res.cancelRequestedBy}: the run stops within one heartbeat.`);
}

/** Counts down the wait the server asked for after a 429, then enables the button again. */
function countdown(jobName) {
  const card = cards.get(jobName);
  const left = Math.ceil(((cooldown.get(jobName) || 0) - Date.now()) / 1000);
  if (!card) return;
  setMessage(card, left > 0 ? `Too many triggers — try again in ${left} s.` : '', 'warn');
  if (left > 0) setTimeout(() => countdown(jobName), 1000);
  else { cooldown.delete(jobName); render(); }
}

function createCard(jobName) {
  const c = {};
  c.schedule = h('dd');
  c.next = h('dd', { 'data-testid': 'next-run' });
  c.latest = h('dd');
  c.failures = h('p', { class: 'failures', 'data-testid': 'consecutive-failures', hidden: true });
  c.panel = createProgress(`Progress of ${jobName}`);
  c.cancel = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'cancel-button', onclick: () => c.run && cancelRun(jobName, c.run) }, 'Cancel run');
  c.panel.foot.append(c.cancel);
  c.progress = c.panel.el;
  c.button = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'trigger-button', onclick: () => trigger(jobName) }, 'Run now');
  c.pause = h('button', { type: 'button', class: 'btn', 'data-testid': 'pause-button', onclick: () => togglePause(jobName) }, 'Pause');
  c.paused = h('p', { class: 'paused-info small', 'data-testid': 'pause-info', hidden: true });
  c.message = h('p', { class: 'message', 'data-testid': 'trigger-message', role: 'status', 'aria-live': 'polite', hidden: true });
  c.scheduled = h('span', { class: 'tag', 'data-testid': 'job-state' });
  c.ticks = h('p', { class: 'ticks small', 'data-testid': 'job-ticks', hidden: true });
  c.el = h('article', { class: 'card job', 'data-testid': 'job-card', 'data-job': jobName, 'aria-label': `Job ${jobName}` },
    h('header', { class: 'job-head' }, h('h3', {}, jobName), c.scheduled),
    h('dl', { class: 'kv' },
      h('dt', {}, 'Schedule'), c.schedule,
      h('dt', {}, 'Next run'), c.next,
      h('dt', {}, 'Latest run'), c.latest),
    c.paused, c.ticks, c.failures, c.progress,
    h('div', { class: 'job-actions' }, c.button, c.pause, c.message));
  return c;
}

function renderLatest(c, run) {
  if (!run) {
    c.latest.replaceChildren(h('span', { class: 'muted', 'data-testid': 'run-status', 'data-status': '' }, 'No runs yet'));
    return;
  }
  const took = run.status === 'RUNNING' ? 'running' : `took ${fmtDuration(run.durationMs)}`;
  const counts = `${fmtNum(run.totalProperties)} processed: ${countsText(run)}`;
  const reason = reasonOf(run);
  c.latest.replaceChildren(...[
    h('a', { href: executionHref(run.id), class: 'run-link', title: `Execution ${run.id}` },
      badge(run.status, { 'data-testid': 'run-status', 'data-status': run.status, 'data-execution-id': run.id }),
      ' ', fmtTime(run.startedAt, false), h('span', { class: 'muted small' }, ` · ${fmtRelative(run.startedAt)}`)),
    h('span', { class: 'muted small block' }, `${took} · ${run.triggeredBy}`),
    run.status === 'RUNNING' ? null : h('span', { class: 'muted small block', 'data-testid': 'run-counts' }, counts),
    reason ? h('span', { class: `reason small block ${run.status === 'FAILED' ? 'bad-text' : 'warn-soft'}`, 'data-testid': 'run-reason', title: reason }, shorten(reason)) : null,
  ].filter(Boolean));
}

/** Failed runs in a row, from the latest finished run; an alert at or over the threshold. */
function renderFailures(c, run) {
  const n = run && run.status === 'FAILED' ? run.consecutiveFailures || 0 : 0;
  c.failures.hidden = n === 0;
  c.failures.classList.toggle('alert', n >= threshold);
  c.failures.textContent = n >= threshold
    ? `⚠ ${n} failed runs in a row (alert threshold ${threshold})`
    : `${n} failed run${n === 1 ? '' : 's'} in a row (alert at ${threshold})`;
  c.el.classList.toggle('alerting', n > 0 && n >= threshold);
}

/** HH:MM of a time, in the browser's zone. */
const hhmm = (iso) => fmtTime(iso, false).slice(-5);

/** Lateness, a run waiting for a slot, a pending retry of a failed run and ticks missed while the database was unavailable. */
function renderTicks(c, job) {
  const lines = [];
  if (job.late) lines.push(`⚠ Late: the run due ${fmtTime(job.lateSince)} has not started.`);
  const wait = job.waiting;
  if (wait) lines.push(`⏳ Waiting for a run slot since ${fmtTime(wait.since)} (limit of runs at once): ${wait.ahead ? `${fmtNum(wait.ahead)} run${wait.ahead === 1 ? '' : 's'} ahead` : 'next in line'}.`);
  if (job.pendingTick) lines.push(`The run due ${fmtTime(job.pendingTick)} waits for the database; it starts when the database answers, if still within the misfire grace.`);
  const retry = job.pendingRetry;
  if (retry) lines.push(`↻ Retry ${retry.attempt} of ${retry.lastAttempt} at ${hhmm(retry.dueAt)} (the run due ${fmtTime(retry.tick)} failed).`);
  if (job.missedTicks > 0) lines.push(`${fmtNum(job.missedTicks)} scheduled run${job.missedTicks === 1 ? '' : 's'} missed while the database was unavailable (last due ${fmtTime(job.lastMissedTick)}).`);
  c.ticks.hidden = !lines.length;
  c.ticks.replaceChildren(...lines.map((l) => h('span', { class: 'block' }, l)));
  c.ticks.classList.toggle('alert', Boolean(job.late));
}

/** Who paused the job, since when and why. */
function renderPause(c, job) {
  c.paused.hidden = !job.paused;
  c.paused.textContent = job.paused
    ? `Paused by ${job.pausedBy || 'an operator'} since ${fmtTime(job.pausedAt)}${job.pauseReason ? `: ${job.pauseReason}` : ''}. Scheduled runs are skipped until it is resumed.`
    : '';
  c.pause.textContent = job.paused ? 'Resume' : 'Pause';
  c.pause.classList.toggle('btn-primary', Boolean(job.paused));
  c.pause.disabled = controlling.has(job.jobName);
  c.el.classList.toggle('paused', Boolean(job.paused));
}

function renderProgress(c, run) {
  c.run = run || null;
  c.panel.update(run);
  if (!run) return;
  c.cancel.disabled = Boolean(run.cancelRequestedBy) || controlling.has(run.jobName);
  c.cancel.textContent = run.cancelRequestedBy ? 'Cancelling…' : 'Cancel run';
  c.cancel.title = run.cancelRequestedBy ? `Cancel requested by ${run.cancelRequestedBy}` : '';
}

/** Draws the cards from the last /status answer. */
function render() {
  const status = lastStatus;
  if (!status) return;
  const root = $('#jobs');
  const jobs = status.jobs || [];
  for (const [name, c] of cards) {
    if (!jobs.some((j) => j.jobName === name)) { c.el.remove(); cards.delete(name); }
  }
  if (!jobs.length) root.replaceChildren(h('p', { class: 'card muted', 'data-testid': 'jobs-empty' }, emptyText(status)));
  for (const [i, job] of jobs.entries()) {
    let c = cards.get(job.jobName);
    if (!c) {
      c = createCard(job.jobName);
      cards.set(job.jobName, c);
      if (!root.querySelector('[data-testid="job-card"]')) root.replaceChildren();
    }
    // In the page's order; a card already in place is not moved (that would take its focus).
    if (root.children[i] !== c.el) root.insertBefore(c.el, root.children[i] || null);
    const state = job.paused ? 'paused' : job.late ? 'late' : job.isScheduled ? 'scheduled' : 'off';
    c.scheduled.textContent = { paused: 'Paused', late: 'Late', scheduled: 'Scheduled', off: 'Not scheduled' }[state];
    c.scheduled.className = `tag ${{ paused: 'tag-paused', late: 'tag-late', scheduled: 'tag-ok', off: 'tag-off' }[state]}`;
    c.scheduled.dataset.state = state;
    renderPause(c, job);
    renderTicks(c, job);
    c.schedule.replaceChildren(...[job.schedule ? h('code', {}, job.schedule) : 'none', job.timezone ? ` · ${job.timezone}` : '',
      job.scheduleText ? h('span', { class: 'muted small block', 'data-testid': 'schedule-text' }, job.scheduleText) : null].filter(Boolean));
    const next = (job.nextRuns || [])[0];
    c.next.replaceChildren(...(next
      ? [h('span', { class: 'block' }, fmtZoned(next.local)), h('span', { class: 'muted small block', 'data-utc': next.utc }, `${fmtUtc(next.utc)} · ${fmtRelative(next.utc)}`),
        job.paused ? h('span', { class: 'muted small block' }, 'skipped while paused') : null].filter(Boolean)
      : [h('span', { class: 'muted' }, job.isScheduled ? 'Not known' : 'Not scheduled')]));
    const running = job.runningExecution;
    const latest = running || newer(finished.get(job.jobName), job.lastExecution);
    renderLatest(c, latest);
    renderFailures(c, newer(finished.get(job.jobName), job.lastExecution));
    renderProgress(c, running);
    const busy = Boolean(running) || pending.has(job.jobName) || [...watching.values()].some((w) => w.job === job.jobName);
    const cooling = (cooldown.get(job.jobName) || 0) > Date.now();
    c.button.disabled = busy || cooling;
    c.button.textContent = busy ? 'Running…' : 'Run now';
  }
}

/** Fetches a watched run that is no longer running, to show how it ended. */
async function settle(id, { job: jobName, since }) {
  if (fetching.has(id)) return;
  fetching.add(id);
  try {
    const { data } = await api(`import-jobs/${encodeURIComponent(id)}`);
    if (data.status === 'RUNNING') return;
    watching.delete(id);
    finished.set(jobName, data);
    const c = cards.get(jobName);
    if (c) {
      const kind = data.status === 'SUCCESS' ? 'ok' : data.status === 'PARTIAL' ? 'warn' : 'error';
      const reason = reasonOf(data);
      setMessage(c, `Run ${id} finished: ${data.status} in ${fmtDuration(data.durationMs)} — ${fmtNum(data.totalProperties)} processed: ${countsText(data)}.${reason ? ` ${shorten(reason, 160)}` : ''}`, kind);
    }
    render();
    hooks.changed();
  } catch (e) {
    if (isAuthError(e)) hooks.authFailed(e);
    // A run just accepted may not be readable yet; give up on it after a while.
    else if (e.status === 404 && Date.now() - since > 30_000) watching.delete(id);
  } finally {
    fetching.delete(id);
  }
}

/** Takes a fresh /status answer. */
export function update(status) {
  lastStatus = status;
  threshold = status.alertThreshold ?? 3;
  const running = new Set();
  for (const job of status.jobs || []) {
    const run = job.runningExecution;
    if (run) {
      running.add(run.id);
      if (!watching.has(run.id)) hooks.changed();
      watch(run.id, job.jobName);
    }
  }
  const shown = new Set((status.jobs || []).map((j) => j.jobName));
  for (const [id, w] of watching) {
    // A run of a job no longer on the page (another page, search or filter) is not followed.
    if (!shown.has(w.job)) watching.delete(id);
    else if (!running.has(id)) settle(id, w);
  }
  render();
  // schedulerRunning: this instance's scheduler is alive (isRunning says whether a run executes).
  const alive = status.schedulerRunning;
  schedulerState(alive ? 'running' : 'stopped', alive ? `Scheduler running · alert after ${threshold} failed runs in a row` : '⚠ The scheduler is not running: scheduled imports will not start.');
}

function schedulerState(state, text) {
  const el = $('#scheduler-state');
  el.textContent = text;
  el.dataset.state = state;
  el.classList.toggle('warn-text', state !== 'running');
}

/**
 * Says that the scheduler's state is unknown because /status could not be read: `reachable`
 * false when the server did not answer at all, else `why` names the answer.
 */
export function unknown(reachable, why) {
  schedulerState(reachable ? 'unknown' : 'unreachable', reachable
    ? `⚠ Scheduler state unknown: ${why}`
    : '⚠ Server unreachable: the scheduler\'s state is unknown and the cards show the last answer.');
}

/** Whether the last /status showed a run in progress (then it is asked for every second). */
export const anyRunning = () => Boolean(lastStatus && (lastStatus.jobs || []).some((j) => j.runningExecution)) || pending.size > 0;

/** The names of the jobs on the page, in the order of /status. */
export const jobNames = () => (lastStatus ? (lastStatus.jobs || []).map((j) => j.jobName) : []);
