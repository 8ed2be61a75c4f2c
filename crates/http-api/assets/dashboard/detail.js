// The execution detail dialog (#/executions/<id>): counts, timings, errors with a search box;
// "Cancel run" while it runs, "Run again" (then following the new run) once it has ended.

import { api, describe, isAuthError } from './api.js';
import { createProgress } from './progress.js';
import { $, h, badge, executionHref, fmtDuration, fmtNum, fmtRelative, fmtTime } from './util.js';
import { counts, detailLabel, plural, reasonOf } from './words.js';

const dialog = () => $('#detail');
let current = null; // the id shown
let shown = null; // the execution last drawn
let timer = 0;
let search = '';
let busy = false; // a cancel or a trigger is in flight
let note = { text: '', kind: '' }; // the answer to the last action, shown under its button
let carried = null; // the note to show once the new run opens
let onAuthFailed = () => {};
let onClosed = () => {};

function when(iso) {
  return iso ? h('span', { title: iso }, fmtTime(iso), h('span', { class: 'muted small' }, ` · ${fmtRelative(iso)}`)) : '—';
}

function pairs(list) {
  return h('dl', { class: 'kv kv-wide' }, list.filter(Boolean).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function detailsValue(v) {
  if (v == null) return '—';
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return h('code', {}, JSON.stringify(v));
  return String(v);
}

/** The details' fields under human labels (empty ones left out), in the order the API gives them. */
function detailsSection(e) {
  const entries = e.details && typeof e.details === 'object' ? Object.entries(e.details).filter(([, v]) => v != null) : [];
  if (!entries.length) return null;
  return h('div', { 'data-testid': 'detail-details' }, h('h3', {}, 'Details'),
    pairs(entries.map(([k, v]) => [h('span', { title: k, 'data-key': k }, detailLabel(k)), detailsValue(v)])));
}

/** What a run's lastError is, in words: why it failed, why it is partial, or a note. */
function reasonSection(e) {
  if (!e.lastError) return null;
  const title = reasonOf(e) ? (e.status === 'FAILED' ? 'Why it failed' : 'Why it is partial') : 'Note';
  return h('div', { class: `last-error ${e.status === 'FAILED' ? '' : 'soft'}` }, h('h3', { 'data-testid': 'detail-reason-label' }, title),
    h('pre', { 'data-testid': 'detail-last-error' }, e.lastError));
}

/** The count tiles: new, updated (or both together), unchanged, failed, withdrawn. */
function tiles(e) {
  const c = counts(e);
  const list = [['Processed', e.totalProperties, '']];
  if (c.new != null) list.push(['New', c.new, 'ok-text'], ['Updated', c.updated, 'ok-text']);
  else list.push(['New or updated', c.newOrUpdated, 'ok-text']);
  list.push(['Unchanged', c.unchanged, ''], ['Failed', c.failed, c.failed ? 'bad-text' : '']);
  if (c.withdrawn != null) list.push(['Withdrawn', c.withdrawn, '']);
  return h('div', { class: 'tiles', 'data-testid': 'detail-tiles' }, list.map(([label, n, cls]) =>
    h('div', { class: 'tile', 'data-label': label }, h('span', { class: `tile-n ${cls}` }, fmtNum(n)), h('span', { class: 'muted small' }, label))));
}

function errorsSection(e) {
  const errors = e.errors || [];
  const omitted = e.errorsOmitted ? h('p', { class: 'muted small', 'data-testid': 'errors-omitted' }, `${plural(e.errorsOmitted, 'more error was', 'more errors were')} not stored.`) : null;
  if (!errors.length) return h('section', { class: 'errors' }, h('h3', {}, 'Errors'), h('p', { class: 'muted' }, 'No item errors were recorded.'), omitted);
  const rows = h('tbody');
  const count = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'error-count' });
  const input = h('input', { type: 'search', id: 'error-search', 'data-testid': 'error-search', placeholder: 'Filter by id, stage or message', autocomplete: 'off', value: search });
  const draw = () => {
    search = input.value;
    const needle = search.trim().toLowerCase();
    const shown = errors.filter((x) => !needle || [x.externalId, x.stage, x.message].some((f) => f && String(f).toLowerCase().includes(needle)));
    rows.replaceChildren(...shown.map((x) => h('tr', { 'data-testid': 'error-row' },
      h('td', { class: 'nowrap' }, x.externalId ? h('code', {}, x.externalId) : h('span', { class: 'muted' }, '—')),
      h('td', {}, h('span', { class: 'tag' }, x.stage)),
      h('td', { class: 'wrap' }, x.message))));
    if (!shown.length) rows.append(h('tr', {}, h('td', { colspan: 3, class: 'empty' }, 'No errors match.')));
    count.textContent = needle ? `${shown.length} of ${plural(errors.length, 'error')} match${shown.length === 1 ? 'es' : ''}` : plural(errors.length, 'error');
  };
  input.addEventListener('input', draw);
  draw();
  return h('section', { class: 'errors', 'aria-label': 'Item errors' },
    h('div', { class: 'errors-head' },
      h('h3', {}, 'Errors'),
      h('label', { class: 'sr-only', for: 'error-search' }, 'Search errors'),
      input),
    count,
    omitted,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'error-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'External id'), h('th', { scope: 'col' }, 'Stage'), h('th', { scope: 'col' }, 'Message'))),
      rows)));
}

/** Shows `text` (a string or nodes) under the action button of the execution `e`. */
function say(e, text, kind) {
  note = { text, kind };
  if (current === e.id && shown && shown.id === e.id) render(shown);
}

async function runAgain(e) {
  busy = true;
  say(e, 'Starting a run…', 'info');
  try {
    const res = await api('import-jobs/trigger', { method: 'POST', body: { jobName: e.jobName } });
    busy = false;
    carried = { text: `Run started (id ${res.executionId}), again from run ${e.id}.`, kind: 'ok' };
    // In place of this run's route, so closing the dialog goes back to where it was opened.
    if (current === e.id) location.replace(executionHref(res.executionId));
  } catch (err) {
    busy = false;
    if (isAuthError(err)) { onAuthFailed(err); return; }
    const follow = err.status === 409 && err.executionId
      ? [' ', h('a', { href: executionHref(err.executionId), 'data-testid': 'follow-running' }, 'Follow it')] : [];
    say(e, [describe(err), ...follow], err.status === 409 || err.status === 429 ? 'warn' : 'error');
  }
}

async function cancelRun(e) {
  if (!window.confirm(`Cancel this run of ${e.jobName}? It stops within one heartbeat and is recorded FAILED.`)) return;
  busy = true;
  say(e, 'Asking for the run to be cancelled…', 'info');
  try {
    const res = await api(`import-jobs/${encodeURIComponent(e.id)}/cancel`, { method: 'POST' });
    busy = false;
    say(e, `Cancel requested by ${res.cancelRequestedBy}: the run stops within one heartbeat.`, 'ok');
  } catch (err) {
    busy = false;
    if (isAuthError(err)) { onAuthFailed(err); return; }
    say(e, describe(err), err.status === 409 ? 'warn' : 'error');
  }
  if (current === e.id) load(e.id);
}

function actions(e) {
  const button = e.status === 'RUNNING'
    ? h('button', { type: 'button', class: 'btn', 'data-testid': 'detail-cancel', disabled: busy || Boolean(e.cancelRequestedBy), onclick: () => cancelRun(e) },
      e.cancelRequestedBy ? 'Cancelling…' : 'Cancel run')
    : h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'run-again', disabled: busy, title: `Trigger ${e.jobName} now`, onclick: () => runAgain(e) }, 'Run again');
  return h('div', { class: 'detail-actions' }, button,
    h('p', { class: `message ${note.kind}`, 'data-testid': 'detail-action-message', role: 'status', 'aria-live': 'polite', hidden: !note.text.length }, note.text));
}

const panel = createProgress('Progress of this run');

/** The progress bar, rate and time left of a running execution. */
function progressPanel(e) {
  panel.update(e);
  return panel.el;
}

function render(e) {
  shown = e;
  const running = e.status === 'RUNNING';
  $('#detail-title').replaceChildren(`${e.jobName} `, badge(e.status, { 'data-testid': 'detail-status', 'data-status': e.status }));
  dialog().dataset.executionId = e.id;
  $('#detail-body').replaceChildren(...[
    h('p', { class: 'muted small' }, 'Execution ', h('code', { 'data-testid': 'detail-id' }, e.id)),
    actions(e),
    running ? progressPanel(e) : null,
    tiles(e),
    pairs([
      ['Started', when(e.startedAt)],
      ['Completed', running ? 'still running' : when(e.completedAt)],
      ['Duration', running ? `${fmtDuration(Date.now() - new Date(e.startedAt).getTime())} so far` : fmtDuration(e.durationMs)],
      e.scheduledFor && ['Scheduled for', when(e.scheduledFor)],
      e.attempt > 1 && ['Attempt', h('span', { 'data-testid': 'detail-attempt' }, `${fmtNum(e.attempt)} (a retry of the failed run)`)],
      ['Triggered by', e.triggeredBy],
      e.expectedTotal != null && ['Expected records', fmtNum(e.expectedTotal)],
      ['Failed runs in a row', fmtNum(e.consecutiveFailures)],
      running && ['Last heartbeat', when(e.heartbeatAt)],
      e.cancelRequestedBy && ['Cancel requested', h('span', { 'data-testid': 'detail-cancel-requested' }, `by ${e.cancelRequestedBy} · `, when(e.cancelRequestedAt))],
      e.instanceId && ['Instance', h('code', {}, e.instanceId)],
    ]),
    reasonSection(e),
    detailsSection(e),
    errorsSection(e),
  ].filter(Boolean));
}

async function load(id) {
  clearTimeout(timer);
  try {
    const { data } = await api(`import-jobs/${encodeURIComponent(id)}`);
    if (current !== id) return;
    const focused = document.activeElement && document.activeElement.id === 'error-search';
    render(data);
    if (focused) $('#error-search').focus();
    if (data.status === 'RUNNING') timer = setTimeout(() => load(id), 1000);
  } catch (e) {
    if (e.name === 'AbortError' || current !== id) return;
    if (isAuthError(e)) { onAuthFailed(e); return; }
    const text = e.status === 404 ? `No execution has the id ${id}.`
      : e.status === 400 ? `“${id}” is not a valid execution id.` : `The execution could not be loaded: ${describe(e)}`;
    $('#detail-title').textContent = 'Execution';
    $('#detail-body').replaceChildren(h('p', { class: 'bad-text', role: 'alert' }, text));
  }
}

/** Shows one execution (and refreshes it every second while it runs). */
export function open(id) {
  if (current !== id) {
    search = '';
    shown = null;
    busy = false;
    note = carried || { text: '', kind: '' };
    carried = null;
  }
  current = id;
  const dlg = dialog();
  if (!dlg.open) {
    $('#detail-title').textContent = 'Execution';
    $('#detail-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    dlg.showModal();
  }
  load(id);
}

/** Hides the dialog (when the route changes). */
export function close() {
  current = null;
  clearTimeout(timer);
  if (dialog().open) dialog().close();
}

/** Wires the close button; `closed` runs when the operator closes the dialog. */
export function init(authFailed, closed) {
  onAuthFailed = authFailed;
  onClosed = closed;
  $('#detail-close').addEventListener('click', () => dialog().close());
  dialog().addEventListener('close', () => {
    const was = current;
    current = null;
    clearTimeout(timer);
    if (was) onClosed();
  });
  dialog().addEventListener('click', (e) => { if (e.target === dialog()) dialog().close(); });
}
