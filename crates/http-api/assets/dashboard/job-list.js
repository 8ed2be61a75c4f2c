// The "Now" section over many jobs: the search box, the filter chips (with the summary's
// counts), the summary line ("3 jobs failing · 2 late", each a filter) and the pager. It builds
// the /status query; the status poll brings back that page of jobs and the summary of all.

import { $, h, fmtNum } from './util.js';

/** Job cards per page. */
export const PAGE_SIZE = 24;
const CHIPS = ['failing', 'late', 'paused', 'running'];
const SEARCH_DELAY_MS = 250;

let search = '';
let chip = '';
let offset = 0;
let searchTimer = 0;
let onChange = () => {};

/** The /status query of the page shown: page size, offset, search and the chosen filter. */
export function query() {
  const q = { limit: PAGE_SIZE, offset };
  if (search) q.q = search;
  if (chip) q[chip] = 'true';
  return q;
}

/** The query as a string, to tell an answer to an older query from the current one. */
export const queryKey = () => JSON.stringify(query());

/** Whether a search or a filter narrows the list. */
export const filtered = () => Boolean(search || chip);

function changed() {
  renderChips();
  onChange();
}

/** Shows only the jobs of `name` (one of CHIPS; '' or the chosen one again: every job). */
function choose(name) {
  chip = name === chip ? '' : name;
  offset = 0;
  changed();
}

function renderChips(summary) {
  for (const button of document.querySelectorAll('[data-job-filter]')) {
    const name = button.dataset.jobFilter;
    button.setAttribute('aria-pressed', String(name === chip));
    if (summary) {
      const n = name ? summary[name] : summary.total;
      button.querySelector('.count').textContent = n == null ? '' : fmtNum(n);
      button.toggleAttribute('data-some', Boolean(n));
    }
  }
}

/** "3 jobs failing · 2 late", each part a button that shows those jobs; hidden when none is. */
function renderAlert(summary) {
  const el = $('#jobs-alert');
  const parts = [];
  if (summary && summary.failing) parts.push(['failing', `${fmtNum(summary.failing)} job${summary.failing === 1 ? '' : 's'} failing`]);
  if (summary && summary.late) parts.push(['late', `${fmtNum(summary.late)} late`]);
  el.hidden = !parts.length;
  const buttons = parts.map(([name, text]) => h('button', { type: 'button', class: 'link-button', 'data-testid': `jobs-alert-${name}`, onclick: () => { if (chip !== name) choose(name); } }, text));
  el.replaceChildren('⚠ ', ...buttons.flatMap((b, i) => (i ? [' · ', b] : [b])));
}

function renderPager(p) {
  const pager = $('#jobs-pager');
  const shown = p && p.total > 0;
  pager.hidden = !p || (!p.hasMore && p.offset === 0);
  if (!p) return;
  const last = Math.min(p.offset + p.limit, p.total);
  $('#jobs-info').textContent = shown ? `${fmtNum(p.offset + 1)}–${fmtNum(last)} of ${fmtNum(p.total)}` : `none of ${fmtNum(p.total)}`;
  $('#jobs-prev').disabled = p.offset === 0;
  $('#jobs-next').disabled = !p.hasMore;
}

/** Takes a fresh /status answer: the chips' counts, the summary line and the pager. */
export function update(status) {
  const summary = status.summary || null;
  const p = status.pagination || null;
  renderChips(summary);
  renderAlert(summary);
  renderPager(p);
  // Past the last page (jobs ended or were filtered away): back to the first.
  if (p && p.offset > 0 && p.offset >= p.total) {
    offset = 0;
    onChange();
  }
  const all = summary ? summary.total : (status.jobs || []).length;
  $('#jobs-count').textContent = p && filtered() ? `${fmtNum(p.total)} of ${fmtNum(all)} jobs match` : `${fmtNum(all)} job${all === 1 ? '' : 's'}`;
}

/** What the cards say when the page has none. */
export function emptyText(status) {
  if (filtered() && status.summary && status.summary.total > 0) return 'No job matches the search and filter.';
  return 'No import jobs are configured.';
}

/** Wires the search box, the chips and the pager; `changedQuery()` asks for the new page. */
export function init(changedQuery) {
  onChange = changedQuery;
  const input = $('#job-search');
  input.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const text = input.value.trim();
      if (text === search) return;
      search = text;
      offset = 0;
      changed();
    }, SEARCH_DELAY_MS);
  });
  $('#job-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(searchTimer);
    search = input.value.trim();
    offset = 0;
    changed();
  });
  for (const button of document.querySelectorAll('[data-job-filter]')) {
    button.addEventListener('click', () => choose(button.dataset.jobFilter));
  }
  $('#jobs-prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE_SIZE); onChange(); });
  $('#jobs-next').addEventListener('click', () => { offset += PAGE_SIZE; onChange(); });
}

/** Forgets the search, the filter and the page (on sign-out). */
export function reset() {
  clearTimeout(searchTimer);
  search = '';
  chip = '';
  offset = 0;
  $('#job-search').value = '';
  renderChips({ total: null, ...Object.fromEntries(CHIPS.map((c) => [c, null])) });
  renderAlert(null);
  renderPager(null);
  $('#jobs-count').textContent = '';
}
