// The job fields of the charts, the history and the alerts: a text field that suggests job
// names as the operator types (from /status's search, a few at a time), since a list of a
// thousand names helps nobody. A name is taken (a `change` event) when picked from the
// suggestions, on Enter, on leaving the field, or when the field is emptied.

import { api } from './api.js';
import { $, h } from './util.js';

const SUGGESTIONS = 20;
const SUGGEST_DELAY_MS = 200;

let shown = []; // the names the shared list suggests now
let seeded = []; // the names of the jobs on the page, suggested before anything is typed
let sequence = 0;

function suggest(names) {
  if (names.join('\n') === shown.join('\n')) return;
  shown = names;
  $('#job-names').replaceChildren(...names.map((n) => h('option', { value: n })));
}

/** Suggests the jobs of the page shown until something is typed. */
export function seed(names) {
  seeded = names.slice(0, SUGGESTIONS);
  if (!document.activeElement || !document.activeElement.matches('[list="job-names"]')) suggest(seeded);
}

async function lookup(text) {
  const mine = ++sequence;
  if (!text) { suggest(seeded); return; }
  try {
    const { data } = await api('import-jobs/status', { query: { q: text, limit: SUGGESTIONS } });
    if (mine === sequence) suggest((data.jobs || []).map((j) => j.jobName));
  } catch {
    // Suggestions are a convenience: the field works without them.
  }
}

/** Wires one job field (an input whose list is #job-names). */
function wire(input) {
  let timer = 0;
  let taken = input.value;
  /** Takes the field's name; false when it was taken already. `announce`: fire `change`. */
  const take = (announce) => {
    const value = input.value.trim();
    input.value = value;
    if (value === taken) return false;
    taken = value;
    if (announce) input.dispatchEvent(new Event('change', { bubbles: true }));
    return true;
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const value = input.value.trim();
    if (!value || shown.includes(value)) { take(true); return; }
    timer = setTimeout(() => lookup(value), SUGGEST_DELAY_MS);
  });
  // The browser's own change (leaving the field): passed on unless the name is taken already.
  input.addEventListener('change', (e) => { if (e.isTrusted && !take(false)) e.stopImmediatePropagation(); });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); take(true); } });
  input.addEventListener('focus', () => lookup(input.value.trim()));
  // A form's reset empties the field: nothing to take, the form reloads by itself.
  input.form?.addEventListener('reset', () => { taken = ''; });
}

/** Wires every job field. */
export function init() {
  for (const input of document.querySelectorAll('input[list="job-names"]')) wire(input);
}

/** Forgets the suggestions (on sign-out). */
export function reset() {
  sequence++;
  seeded = [];
  suggest([]);
}
