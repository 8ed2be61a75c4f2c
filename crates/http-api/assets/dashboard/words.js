// The words shown to people for a run's counts and details. The API keeps the earlier service's
// field names; the page says what happened: successCount = new + updated (details.inserted and
// details.updated), skippedCount = unchanged, failedCount = failed, details.withdrawn = withdrawn.

import { fmtNum } from './util.js';

/** "1 run", "2 runs", "1,000 listings"; `many` when the plural is not `one` + "s". */
export const plural = (n, one, many = `${one}s`) => `${fmtNum(n)} ${Number(n) === 1 ? one : many}`;

const count = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A run's counts in words: {new, updated, unchanged, failed, withdrawn, newOrUpdated}.
 * `new` and `updated` are null when the run's details do not split them (then only
 * `newOrUpdated` is known); `withdrawn` is null when the details do not say.
 */
export function counts(run) {
  const d = run && run.details && typeof run.details === 'object' ? run.details : {};
  const inserted = count(d.inserted);
  const updated = count(d.updated);
  const split = inserted != null && updated != null;
  return {
    new: split ? inserted : null,
    updated: split ? updated : null,
    newOrUpdated: split ? inserted + updated : run ? run.successCount : null,
    unchanged: run ? run.skippedCount : null,
    failed: run ? run.failedCount : null,
    withdrawn: count(d.withdrawn),
  };
}

/** "30 new · 0 updated · 200,000 unchanged · 0 failed" (withdrawn when any were). */
export function countsText(run) {
  const c = counts(run);
  const parts = c.new != null
    ? [`${fmtNum(c.new)} new`, `${fmtNum(c.updated)} updated`]
    : [`${fmtNum(c.newOrUpdated)} new or updated`];
  parts.push(`${fmtNum(c.unchanged)} unchanged`, `${fmtNum(c.failed)} failed`);
  if (c.withdrawn) parts.push(`${fmtNum(c.withdrawn)} withdrawn`);
  return parts.join(' · ');
}

/** The reason a FAILED or PARTIAL run gives (its lastError), or null for other runs. */
export function reasonOf(run) {
  if (!run || !['FAILED', 'PARTIAL'].includes(run.status)) return null;
  const text = typeof run.lastError === 'string' ? run.lastError.trim() : '';
  return text || null;
}

/** The first line of `text`, cut to `max` characters with an ellipsis. */
export function shorten(text, max = 90) {
  const line = String(text).split('\n')[0].replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/** How the detail dialog names the fields of an import's details. */
const LABELS = {
  total: 'Records read',
  inserted: 'New listings',
  updated: 'Updated listings',
  unchanged: 'Unchanged listings',
  failed: 'Failed records',
  withdrawn: 'Withdrawn listings',
  withdrawalBlocked: 'Withdrawals held back',
  complete: 'Feed read to its end',
  cancelled: 'Stopped by a cancel',
  imagesStored: 'Images downloaded',
  imagesFailed: 'Images that failed',
  imagesSkipped: 'Images already stored',
};

/** A field of the details in words: a known label, else "bytesRead" → "Bytes read". */
export function detailLabel(key) {
  if (LABELS[key]) return LABELS[key];
  const words = String(key).replace(/[_-]+/g, ' ').replace(/([a-z\d])([A-Z])/g, '$1 $2').trim().toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : String(key);
}
