// A running run's progress: a bar (with its percent when the source's size is known), the
// records processed, the rate, the time left, and the counts in words. It draws the API's
// `progress` object of a RUNNING execution and, when a server does not send one, works the
// same figures out from the run's counts and start time.

import { h, fmtDuration, fmtNum, fmtTime } from './util.js';
import { countsText } from './words.js';

const finite = (v) => typeof v === 'number' && Number.isFinite(v);

/** 950 B, 12.4 KB, 3.1 MB, 1.2 GB. */
export function fmtBytes(n) {
  if (!finite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
  return `${i && v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** 0.4, 12.5, 1,234 — a rate per second. */
const fmtRate = (r) => (r < 10 ? r.toFixed(1) : fmtNum(Math.round(r)));

/**
 * The figures to show for `run` at `now` (ms): {processed, percent, rate, eta (s), bytesRead,
 * bytesTotal, live, asOf}; percent and eta are null when the size of the source is unknown.
 */
export function figures(run, now = Date.now()) {
  const p = run.progress && typeof run.progress === 'object' ? run.progress : null;
  const processed = finite(p && p.processed) ? p.processed : run.totalProperties || 0;
  const elapsed = Math.max(0, now - new Date(run.startedAt).getTime()) / 1000;
  const rate = finite(p && p.ratePerSecond) ? p.ratePerSecond : elapsed >= 1 ? processed / elapsed : null;
  const expected = finite(p && p.expectedTotal) ? p.expectedTotal : run.expectedTotal;
  let percent = finite(p && p.percent) ? p.percent : null;
  if (percent == null && !p && finite(expected) && expected > 0) percent = (processed / expected) * 100;
  if (percent != null) percent = Math.max(0, Math.min(100, percent));
  let eta = finite(p && p.etaSeconds) ? p.etaSeconds : null;
  if (eta == null && !p && percent != null && rate > 0 && finite(expected)) eta = Math.max(0, (expected - processed) / rate);
  return {
    processed,
    expected: finite(expected) ? expected : null,
    percent,
    rate,
    eta,
    bytesRead: finite(p && p.bytesRead) ? p.bytesRead : null,
    bytesTotal: finite(p && p.bytesTotal) ? p.bytesTotal : null,
    live: p ? p.live !== false : null,
    asOf: p && p.asOf ? p.asOf : null,
    elapsed,
  };
}

/** "1,234 listings/s · about 2 min 40 s left · 12 MB of 40 MB read". */
function rateLine(f) {
  // No rate for a run that has read nothing in its first seconds: "0.0 listings/s" misleads.
  const starting = f.processed === 0 && f.elapsed < 3;
  const parts = [starting ? 'starting…' : f.rate == null ? 'rate not known yet' : `${fmtRate(f.rate)} listings/s`];
  if (f.eta != null) parts.push(`about ${fmtDuration(f.eta * 1000)} left`);
  else if (f.percent == null && !starting) parts.push('time left unknown (the source does not say its size)');
  if (f.bytesRead || f.bytesTotal != null) parts.push(`${fmtBytes(f.bytesRead)}${f.bytesTotal != null ? ` of ${fmtBytes(f.bytesTotal)}` : ''} read`);
  return parts.join(' · ');
}

/**
 * A progress panel: `el` to place, `update(run)` to draw a RUNNING execution, and `foot` to
 * append controls to (the card's "Cancel run").
 */
export function createProgress(label) {
  const bar = h('div', { class: 'bar-fill' });
  const meter = h('div', { class: 'meter', role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100 }, bar);
  const text = h('p', { class: 'progress-text', 'data-testid': 'progress-text' });
  const rate = h('p', { class: 'small', 'data-testid': 'progress-rate' });
  const counts = h('p', { class: 'muted small', 'data-testid': 'progress-counts' });
  const foot = h('div', { class: 'progress-foot' }, counts);
  const el = h('div', { class: 'progress', 'data-testid': 'run-progress', hidden: true }, text, meter, rate, foot);

  function update(run) {
    el.hidden = !run;
    if (!run) return;
    const f = figures(run);
    const known = f.percent != null;
    meter.classList.toggle('indeterminate', !known);
    bar.style.width = known ? `${f.percent.toFixed(1)}%` : '';
    if (known) meter.setAttribute('aria-valuenow', f.percent.toFixed(0)); else meter.removeAttribute('aria-valuenow');
    meter.setAttribute('aria-valuetext', known ? `${Math.floor(f.percent)}%, ${f.processed} processed` : `${f.processed} processed`);
    el.dataset.percent = known ? f.percent.toFixed(1) : '';
    el.dataset.live = f.live == null ? '' : String(f.live);
    const of = f.expected != null ? ` of ${fmtNum(f.expected)}` : '';
    text.textContent = `Running: ${fmtNum(f.processed)}${of} processed${known ? ` (${Math.floor(f.percent)}%)` : ''} · elapsed ${fmtDuration(f.elapsed * 1000)}`;
    rate.textContent = rateLine(f);
    const beat = run.heartbeatAt ? Date.now() - new Date(run.heartbeatAt).getTime() : null;
    const stale = f.live === false && f.asOf ? ` · counts as of ${fmtTime(f.asOf).slice(11)} (last heartbeat)` : '';
    counts.textContent = countsText(run) + stale + (beat != null && beat > 60_000 ? ` · no heartbeat for ${fmtDuration(beat)}` : '');
  }

  return { el, foot, update };
}
