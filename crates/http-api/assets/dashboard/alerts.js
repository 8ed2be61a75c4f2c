// The alert history: alerts raised, repeated and recovered, and each channel's delivery of
// them (delivered, or failed with the reason), newest first, filtered by job and kind, paged.

import { api, describe, isAuthError } from './api.js';
import { $, h, executionHref, fmtNum, fmtTime } from './util.js';

const PAGE_SIZE = 20;
const KINDS = { failure_threshold: 'failing', late: 'late', overlong: 'overlong', recovered: 'recovered' };
let offset = 0;
let sequence = 0;
let onAuthFailed = () => {};

function what(e) {
  if (e.event === 'delivered') return h('span', { class: 'ok-text' }, `delivered · ${e.channel}`);
  if (e.event === 'failed') return h('span', { class: 'bad-text' }, `not delivered · ${e.channel}`);
  return h('strong', {}, e.event);
}

function row(e) {
  return h('tr', { 'data-testid': 'alert-row', 'data-id': e.id, 'data-job': e.jobName, 'data-kind': e.kind, 'data-event': e.event },
    h('td', { class: 'nowrap' }, fmtTime(e.at)),
    h('td', {}, e.jobName),
    h('td', {}, h('span', { class: `tag alert-kind kind-${e.kind}` }, KINDS[e.kind] || e.kind)),
    h('td', { class: 'nowrap' }, what(e)),
    h('td', { class: 'wrap' }, e.message || ''),
    h('td', { class: 'nowrap opt' }, e.executionId ? h('a', { href: executionHref(e.executionId), title: `Execution ${e.executionId}` }, 'run') : '—'));
}

function message(text, cls) {
  return h('tr', {}, h('td', { colspan: 6, class: `empty ${cls || ''}` }, text));
}

/** Loads the current page with the current filters. */
export async function load() {
  const mine = ++sequence;
  const body = $('#alerts-body');
  body.setAttribute('aria-busy', 'true');
  try {
    const query = { limit: PAGE_SIZE, offset, jobName: $('#alert-job').value, kind: $('#alert-kind').value };
    const { data } = await api('alerts', { query });
    if (mine !== sequence) return;
    const { events, pagination: p } = data;
    body.replaceChildren(...(events.length ? events.map(row) : [message(query.jobName || query.kind ? 'No alerts match these filters.' : 'No alerts so far.')]));
    const first = p.total ? p.offset + 1 : 0;
    $('#alerts-info').textContent = `${fmtNum(first)}–${fmtNum(p.offset + events.length)} of ${fmtNum(p.total)}`;
    $('#alerts-prev').disabled = p.offset === 0;
    $('#alerts-next').disabled = !p.hasMore;
    body.dataset.total = String(p.total);
  } catch (e) {
    if (e.name === 'AbortError' || mine !== sequence) return;
    if (isAuthError(e)) { onAuthFailed(e); return; }
    body.replaceChildren(message(`The alerts could not be loaded: ${describe(e)}`, 'bad-text'));
  } finally {
    if (mine === sequence) body.removeAttribute('aria-busy');
  }
}

/** Wires the filters and the pager. */
export function init(authFailed) {
  onAuthFailed = authFailed;
  const form = $('#alert-filters');
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('change', () => { offset = 0; load(); });
  $('#alerts-prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE_SIZE); load(); });
  $('#alerts-next').addEventListener('click', () => { offset += PAGE_SIZE; load(); });
}

/** Forgets the rows and filters (on sign-out). */
export function reset() {
  sequence++;
  offset = 0;
  $('#alert-job').value = '';
  $('#alert-kind').value = '';
  const body = $('#alerts-body');
  body.replaceChildren();
  delete body.dataset.total;
  $('#alerts-info').textContent = '';
}
