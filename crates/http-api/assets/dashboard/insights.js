// "Trends": runs and success rate per day (/statistics), properties and duration per run (/history).

import { api, describe, isAuthError } from './api.js';
import { clear, lineChart, stackedBars } from './charts.js';
import { $, h, executionHref, fmtDuration, fmtNum, fmtPct, fmtTime } from './util.js';
import { counts, countsText, plural } from './words.js';

const CHARTS = ['chart-runs', 'chart-success-rate', 'chart-properties', 'chart-duration'];
let days = 30;
let sequence = 0;
let onAuthFailed = () => {};

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const dayName = (date) => WEEKDAY[new Date(`${date}T00:00:00Z`).getUTCDay()];
const shortDate = (date) => date.slice(5);
const finishedRuns = (d) => (d.success || 0) + (d.failed || 0) + (d.partial || 0);
const rateOf = (d) => (finishedRuns(d) ? (d.success / finishedRuns(d)) * 100 : null);
const openRun = (run) => { location.hash = executionHref(run.id); };

function drawDaily(stats) {
  const timeline = stats.timeline || [];
  stackedBars($('#chart-runs'), {
    items: timeline,
    keys: [{ key: 'success', cls: 'c-success' }, { key: 'partial', cls: 'c-partial' }, { key: 'failed', cls: 'c-failed' }, { key: 'running', cls: 'c-running' }],
    testid: 'chart-runs-day',
    label: `Runs per day over the last ${stats.days} days`,
    attrs: (d) => ({ 'data-date': d.date, 'data-total': d.total }),
    tip: (d) => `${d.date} (${dayName(d.date)}, UTC)\n${plural(d.total, 'run')}: ${d.success} succeeded, ${d.partial} partial, ${d.failed} failed${d.running ? `, ${d.running} running` : ''}\n${fmtNum(d.propertiesProcessed)} properties · average ${fmtDuration(d.averageDurationMs)}`,
    xLabel: (d) => shortDate(d.date),
    empty: 'No days in this period.',
  });
  lineChart($('#chart-success-rate'), {
    items: timeline,
    value: rateOf,
    cls: 'c-rate',
    yMax: 100,
    yFormat: (v) => `${v}%`,
    testid: 'chart-success-rate-day',
    label: `Success rate per day over the last ${stats.days} days`,
    attrs: (d) => ({ 'data-date': d.date }),
    tip: (d) => (finishedRuns(d)
      ? `${d.date} (${dayName(d.date)}, UTC)\n${fmtPct(rateOf(d))} succeeded: ${d.success} of ${plural(finishedRuns(d), 'finished run')}`
      : `${d.date} (${dayName(d.date)}, UTC)\nNo finished runs`),
    xLabel: (d) => shortDate(d.date),
  });
}

/**
 * The x-axis label of a run: its time of day when every run shown started on one (local) day,
 * else its date; so neighbouring labels never all read the same.
 */
function runLabeller(runs) {
  const days = new Set(runs.map((r) => fmtTime(r.startedAt).slice(0, 10)));
  return days.size <= 1 ? (r) => fmtTime(r.startedAt, false).slice(11) : (r) => fmtTime(r.startedAt).slice(5, 10);
}

function drawRuns(executions, total) {
  const runs = [...executions].reverse(); // oldest first, like the daily charts
  const runTitle = (r) => `${fmtTime(r.startedAt)} · ${r.jobName} · ${r.status}`;
  const xLabel = runLabeller(runs);
  $('#runs-note').textContent = total > runs.length ? `(latest ${runs.length} of ${fmtNum(total)})` : `(${plural(runs.length, 'run')})`;
  stackedBars($('#chart-properties'), {
    items: runs,
    keys: [
      { value: (r) => counts(r).new ?? 0, cls: 'c-new' },
      { value: (r) => counts(r).updated ?? counts(r).newOrUpdated, cls: 'c-success' },
      { key: 'skippedCount', cls: 'c-skipped' },
      { key: 'failedCount', cls: 'c-failed' },
    ],
    testid: 'chart-properties-run',
    label: 'Properties processed per run',
    attrs: (r) => ({ 'data-id': r.id, 'data-status': r.status }),
    tip: (r) => `${runTitle(r)}\n${fmtNum(r.totalProperties)} processed: ${countsText(r)}\nClick for details`,
    xLabel,
    onClick: openRun,
    empty: 'No runs in this period.',
  });
  lineChart($('#chart-duration'), {
    items: runs,
    value: (r) => r.durationMs,
    cls: 'c-duration',
    yFormat: (v) => (v ? fmtDuration(v) : '0'),
    skipNull: true,
    testid: 'chart-duration-run',
    pointerOnly: true,
    label: 'Duration per run',
    attrs: (r) => ({ 'data-id': r.id, 'data-status': r.status }),
    tip: (r) => `${runTitle(r)}\nDuration ${fmtDuration(r.durationMs)}\nClick for details`,
    xLabel,
    onClick: openRun,
    empty: 'No runs in this period.',
  });
}

function summary(st) {
  const parts = [
    `${plural(st.totalExecutions, 'run')} in ${plural(st.days, 'day')}`,
    `${fmtNum(st.successCount)} succeeded`,
    `${fmtNum(st.partialCount)} partial`,
    `${fmtNum(st.failedCount)} failed`,
  ];
  if (st.runningCount) parts.push(`${fmtNum(st.runningCount)} running`);
  parts.push(`success rate ${fmtPct(st.successRate)}`, `${fmtNum(st.totalPropertiesProcessed)} properties`, `average ${fmtDuration(st.averageDurationMs)}`);
  $('#stats-summary').textContent = parts.join(' · ');
}

function failed(e) {
  if (isAuthError(e)) { onAuthFailed(e); return; }
  for (const id of CHARTS) {
    clear($(`#${id}`));
    $(`#${id}`).append(h('p', { class: 'empty bad-text' }, `Could not load: ${describe(e)}`));
  }
}

/** Loads both endpoints for the selected range and job, and redraws the four charts. */
export async function load() {
  const mine = ++sequence;
  const jobName = $('#chart-job').value;
  try {
    const { data: stats } = await api('import-jobs/statistics', { query: { days, jobName } });
    if (mine !== sequence) return;
    summary(stats);
    drawDaily(stats);
    const from = /^\d{4}-\d\d-\d\d$/.test(stats.from || '') ? `${stats.from}T00:00:00Z` : stats.from;
    const { data: hist } = await api('import-jobs/history', { query: { limit: 100, from, jobName } });
    if (mine !== sequence) return;
    drawRuns(hist.executions, hist.pagination.total);
    $('#chart-runs').closest('section').dataset.loadedDays = String(days);
  } catch (e) {
    if (e.name !== 'AbortError' && mine === sequence) failed(e);
  }
}

/** Wires the range buttons and the job selector. */
export function init(authFailed) {
  onAuthFailed = authFailed;
  for (const button of document.querySelectorAll('[data-days]')) {
    button.addEventListener('click', () => {
      days = Number(button.dataset.days);
      for (const b of document.querySelectorAll('[data-days]')) b.setAttribute('aria-pressed', String(b === button));
      load();
    });
  }
  $('#chart-job').addEventListener('change', load);
}

/** Forgets the charts (on sign-out). */
export function reset() {
  sequence++;
  for (const id of CHARTS) clear($(`#${id}`));
  $('#stats-summary').textContent = '';
  $('#chart-runs').closest('section').removeAttribute('data-loaded-days');
}
