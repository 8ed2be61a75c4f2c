// The history table: the API's filters, newest first, paged.

import { api, describe, isAuthError } from './api.js';
import { $, h, badge, executionHref, fmtDuration, fmtNum, fmtTime } from './util.js';
import { counts, reasonOf, shorten } from './words.js';

const PAGE_SIZE = 20;
let offset = 0;
let sequence = 0;
let onAuthFailed = () => {};

const field = (id) => $(`#${id}`);

/** A local calendar date (yyyy-mm-dd) as an RFC 3339 instant at its start or its last millisecond. */
function dayBound(value, end) {
  if (!value) return '';
  const [y, m, d] = value.split('-').map(Number);
  const t = end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d);
  return t.toISOString();
}

function query() {
  return {
    limit: PAGE_SIZE,
    offset,
    status: field('filter-status').value,
    triggeredBy: field('filter-triggered-by').value,
    jobName: field('filter-job').value,
    from: dayBound(field('filter-from').value, false),
    to: dayBound(field('filter-to').value, true),
  };
}

/** The number of new or of updated listings; both together (marked) when the run does not split them. */
function splitCell(c, key, label) {
  if (c[key] != null) return h('td', { class: 'num opt' }, fmtNum(c[key]));
  return h('td', { class: 'num opt muted', title: `new or updated together (${label} not recorded apart)` }, key === 'new' ? `${fmtNum(c.newOrUpdated)}*` : '—');
}

function row(e) {
  const open = () => { location.hash = executionHref(e.id); };
  const c = counts(e);
  const reason = reasonOf(e);
  return h('tr', { 'data-testid': 'history-row', 'data-id': e.id, 'data-status': e.status, 'data-job': e.jobName, class: 'clickable', onclick: (ev) => { if (!ev.target.closest('a')) open(); } },
    h('td', { class: 'nowrap col-start' }, h('a', { href: executionHref(e.id), title: `Execution ${e.id}` }, fmtTime(e.startedAt))),
    h('td', { class: 'col-job' }, e.jobName),
    h('td', { class: 'col-status' }, badge(e.status)),
    h('td', { class: 'opt' }, e.attempt > 1 ? `${e.triggeredBy} · retry ${e.attempt - 1}` : e.triggeredBy),
    h('td', { class: 'nowrap col-dur', 'data-label': 'Duration' }, e.status === 'RUNNING' ? 'running' : fmtDuration(e.durationMs)),
    h('td', { class: 'num col-proc', 'data-label': 'Processed' }, fmtNum(e.totalProperties)),
    splitCell(c, 'new', 'new'),
    splitCell(c, 'updated', 'updated'),
    h('td', { class: 'num opt' }, fmtNum(c.unchanged)),
    h('td', { class: `num col-fail${e.failedCount ? ' bad-text' : ''}`, 'data-label': 'Failed' }, fmtNum(e.failedCount)),
    h('td', { class: 'col-reason small' }, reason
      ? h('span', { class: e.status === 'FAILED' ? 'bad-text' : 'warn-soft', 'data-testid': 'history-reason', title: reason }, shorten(reason, 70))
      : null));
}

const COLUMNS = 11;

function message(text, cls) {
  return h('tr', {}, h('td', { colspan: COLUMNS, class: `empty ${cls || ''}` }, text));
}

/** Whether any filter narrows the history (an empty page then means "none match"). */
const filtered = () => ['filter-status', 'filter-triggered-by', 'filter-job', 'filter-from', 'filter-to'].some((id) => field(id).value);

/** Loads the current page with the current filters. */
export async function load() {
  const q = query();
  const error = field('filter-error');
  if (q.from && q.to && q.from > q.to) {
    error.textContent = '“From” is after “To”.';
    error.hidden = false;
    return;
  }
  error.hidden = true;
  const mine = ++sequence;
  const body = $('#history-body');
  body.setAttribute('aria-busy', 'true');
  try {
    const { data } = await api('import-jobs/history', { query: q });
    if (mine !== sequence) return;
    const { executions, pagination: p, statistics: st } = data;
    const none = filtered() ? 'No runs match these filters.' : p.offset ? 'No runs on this page.' : 'No runs yet.';
    body.replaceChildren(...(executions.length ? executions.map(row) : [message(none)]));
    const first = p.total ? p.offset + 1 : 0;
    const last = p.offset + executions.length;
    $('#pager-info').textContent = `${fmtNum(first)}–${fmtNum(last)} of ${fmtNum(p.total)}`;
    $('#pager-prev').disabled = p.offset === 0;
    $('#pager-next').disabled = !p.hasMore;
    $('#history-summary').textContent = `${fmtNum(st.totalPropertiesProcessed)} properties processed: ${fmtNum(st.totalSuccessful)} new or updated · ${fmtNum(st.totalSkipped)} unchanged · ${fmtNum(st.totalFailed)} failed · average ${fmtDuration(st.averageDurationMs)}`;
    body.dataset.total = String(p.total);
  } catch (e) {
    if (e.name === 'AbortError' || mine !== sequence) return;
    if (isAuthError(e)) { onAuthFailed(e); return; }
    body.replaceChildren(message(`The history could not be loaded: ${describe(e)}`, 'bad-text'));
  } finally {
    if (mine === sequence) body.removeAttribute('aria-busy');
  }
}

/** Wires the filters and the pager. */
export function init(authFailed) {
  onAuthFailed = authFailed;
  const form = $('#filters');
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('change', () => { offset = 0; load(); });
  form.addEventListener('reset', () => setTimeout(() => { offset = 0; load(); }));
  $('#pager-prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE_SIZE); load(); });
  $('#pager-next').addEventListener('click', () => { offset += PAGE_SIZE; load(); });
}

/** Forgets the rows and filters (on sign-out). */
export function reset() {
  sequence++;
  offset = 0;
  for (const el of $('#filters').elements) if ('value' in el && el.type !== 'reset') el.value = '';
  $('#history-body').replaceChildren();
  $('#pager-info').textContent = '';
  $('#history-summary').textContent = '';
}
