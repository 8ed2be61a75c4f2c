// The source catalog: a page of sources (searched by name or URL), added, edited, enabled,
// disabled and deleted in place. Every change names the version it was made on (If-Match), so
// a source changed meanwhile by someone else is reloaded rather than overwritten; credentials
// are write-only (the form says whether one is set, never what it is).

import { api, describe, isAuthError } from './api.js';
import { $, h, fmtTime } from './util.js';

const PAGE_SIZE = 20;
/** The fields the form edits itself; the others are in its "other settings" JSON. */
const MAIN = ['name', 'url', 'format', 'schedule', 'timezone'];
/** What the API shows of a source beyond its fields. */
const SHOWN = ['enabled', 'version', 'credentials', 'problem', 'createdAt', 'createdBy', 'updatedAt', 'updatedBy'];
const DELETE_CONFIRM_MS = 5000;

let offset = 0;
let sequence = 0;
let readOnly = false;
let editing = null; // the source being edited; null when adding
let hooks = { changed: () => {}, authFailed: () => {} };

function note(text, bad) {
  const el = $('#sources-note');
  el.textContent = text || '';
  el.classList.toggle('form-error', Boolean(bad));
  el.hidden = !text;
}

function failed(e) {
  if (isAuthError(e)) { hooks.authFailed(e); return; }
  note(describe(e), true);
}

function state(src) {
  if (!src.enabled) return h('span', { class: 'tag tag-off', 'data-testid': 'source-state' }, 'disabled');
  if (src.problem) return h('span', { class: 'tag tag-late', 'data-testid': 'source-state', title: src.problem }, 'not running');
  return h('span', { class: 'tag tag-ok', 'data-testid': 'source-state' }, 'enabled');
}

/** The two-click delete: the first click asks, the second (within 5 s) deletes. */
function deleteButton(src) {
  let armed = 0;
  const button = h('button', {
    type: 'button', class: 'btn btn-small btn-ghost', 'data-testid': 'source-delete',
    onclick: () => {
      if (!armed) {
        button.textContent = 'Really delete?';
        button.classList.add('bad-text');
        armed = setTimeout(() => { armed = 0; button.textContent = 'Delete'; button.classList.remove('bad-text'); }, DELETE_CONFIRM_MS);
        return;
      }
      clearTimeout(armed);
      change(src, 'DELETE', undefined, `Deleted ${src.name}; its history stays.`);
    },
  }, 'Delete');
  return button;
}

function row(src) {
  const actions = readOnly ? '' : h('div', { class: 'row-actions' },
    h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'source-edit', onclick: () => openEditor(src) }, 'Edit'),
    h('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': 'source-toggle',
      onclick: () => change(src, 'PATCH', { enabled: !src.enabled }, `${src.enabled ? 'Disabled' : 'Enabled'} ${src.name}.`),
    }, src.enabled ? 'Disable' : 'Enable'),
    deleteButton(src));
  return h('tr', { 'data-testid': 'source-row', 'data-name': src.name, 'data-enabled': String(src.enabled) },
    h('td', {}, h('strong', {}, src.name)),
    h('td', {}, state(src)),
    h('td', { class: 'opt' }, src.format || 'auto'),
    h('td', { class: 'nowrap' }, src.schedule ? `${src.schedule}${src.timezone ? ` (${src.timezone})` : ''}` : h('span', { class: 'muted' }, 'default')),
    h('td', { class: 'opt url-cell', title: src.url }, src.url),
    h('td', { class: 'nowrap opt muted small' }, `${fmtTime(src.updatedAt, false)} · ${src.updatedBy}`),
    h('td', { class: 'nowrap' }, actions));
}

function message(text, cls) {
  return h('tr', {}, h('td', { colspan: 7, class: `empty ${cls || ''}` }, text));
}

/** Loads the current page with the current search. */
export async function load() {
  const mine = ++sequence;
  const body = $('#sources-body');
  body.setAttribute('aria-busy', 'true');
  try {
    const { data } = await api('sources', { query: { limit: PAGE_SIZE, offset, q: $('#source-search').value.trim() } });
    if (mine !== sequence) return;
    readOnly = data.readOnly;
    $('#source-add').hidden = readOnly;
    if (readOnly) note('The sources are read from the configuration (IMPORT_SOURCES_MODE=config): change them there and restart.');
    const { total, hasMore } = data.pagination;
    if (offset > 0 && !data.sources.length && total > 0) { offset = Math.max(0, total - PAGE_SIZE); load(); return; }
    body.replaceChildren(...(data.sources.length ? data.sources.map(row)
      : [message(total ? 'No source on this page.' : $('#source-search').value.trim() ? 'No source matches.' : 'No sources yet: add one.')]));
    $('#sources-info').textContent = total ? `${offset + 1}–${offset + data.sources.length} of ${total}` : '';
    $('#sources-prev').disabled = offset === 0;
    $('#sources-next').disabled = !hasMore;
    $('#sources-pager').hidden = total <= PAGE_SIZE;
  } catch (e) {
    if (mine !== sequence || e.name === 'AbortError') return;
    if (e.status === 404) { $('#sources-section').hidden = true; return; }
    if (isAuthError(e)) { hooks.authFailed(e); return; }
    body.replaceChildren(message(describe(e), 'bad-text'));
  } finally {
    if (mine === sequence) body.removeAttribute('aria-busy');
  }
}

/** Sends a change of `src` made on its version; reloads the list after it, or when refused. */
async function change(src, method, body, done) {
  note('');
  try {
    await api(`sources/${encodeURIComponent(src.name)}`, { method, body, headers: { 'If-Match': `"${src.version}"` } });
    note(done);
    hooks.changed();
  } catch (e) {
    if (e.name === 'AbortError') return;
    failed(e);
  }
  load();
}

/** The fields of `src` the form does not edit itself, as JSON. */
function extraOf(src) {
  const extra = {};
  for (const [key, value] of Object.entries(src || {})) {
    if (!MAIN.includes(key) && !SHOWN.includes(key)) extra[key] = value;
  }
  return extra;
}

function formError(text) {
  const el = $('#source-error');
  el.textContent = text || '';
  el.hidden = !text;
}

function openEditor(src) {
  editing = src || null;
  const form = $('#source-form');
  form.reset();
  formError('');
  $('#source-editor-title').textContent = src ? `Edit ${src.name}` : 'Add a source';
  $('#source-name').value = src?.name || '';
  $('#source-name').readOnly = Boolean(src);
  $('#source-url').value = src?.url || '';
  $('#source-format').value = src?.format || '';
  $('#source-schedule').value = src?.schedule || '';
  $('#source-timezone').value = src?.timezone || '';
  $('#source-enabled').checked = src ? src.enabled : true;
  const hasToken = Boolean(src?.credentials?.token);
  $('#source-token').placeholder = hasToken ? 'set — leave empty to keep it' : 'none';
  $('#source-token-clear-row').hidden = !hasToken;
  const extra = extraOf(src);
  $('#source-extra').value = Object.keys(extra).length ? JSON.stringify(extra, null, 2) : '';
  $('#source-editor').showModal();
  (src ? $('#source-url') : $('#source-name')).focus();
}

/** The body the form asks for: a new source's fields, or a merge patch of the edited one. */
function formBody() {
  let extra = {};
  const text = $('#source-extra').value.trim();
  if (text) {
    try { extra = JSON.parse(text); } catch (e) { throw new Error(`Other settings: not JSON (${e.message}).`); }
    if (!extra || typeof extra !== 'object' || Array.isArray(extra)) throw new Error('Other settings: write a JSON object, such as {"timeout": "5m"}.');
  }
  const main = {
    url: $('#source-url').value.trim(),
    format: $('#source-format').value,
    schedule: $('#source-schedule').value.trim(),
    timezone: $('#source-timezone').value.trim(),
  };
  const token = $('#source-token').value;
  if (!editing) {
    const body = { name: $('#source-name').value.trim(), ...extra, enabled: $('#source-enabled').checked };
    for (const [key, value] of Object.entries(main)) if (value) body[key] = value;
    if (token) body.token = token;
    return body;
  }
  const body = { ...extra, enabled: $('#source-enabled').checked };
  for (const [key, value] of Object.entries(main)) body[key] = value || null;
  for (const key of Object.keys(extraOf(editing))) if (!(key in extra)) body[key] = null;
  if (token) body.token = token;
  else if ($('#source-token-clear').checked) body.token = null;
  return body;
}

async function save(event) {
  event.preventDefault();
  formError('');
  let body;
  try { body = formBody(); } catch (e) { formError(e.message); return; }
  const button = $('#source-save');
  button.disabled = true;
  try {
    if (editing) {
      await api(`sources/${encodeURIComponent(editing.name)}`, { method: 'PATCH', body, headers: { 'If-Match': `"${editing.version}"` } });
      note(`Saved ${editing.name}: every replica follows within a second.`);
    } else {
      const { data } = await api('sources', { method: 'POST', body });
      note(`Added ${data.name}: every replica schedules it within a second.`);
    }
    $('#source-editor').close();
    hooks.changed();
    load();
  } catch (e) {
    if (e.name === 'AbortError') return;
    if (isAuthError(e)) { $('#source-editor').close(); hooks.authFailed(e); return; }
    formError(e.status === 400 || e.status === 409 ? e.message : describe(e));
    if (e.status === 412 || e.status === 404) { $('#source-editor').close(); note(describe(e), true); load(); }
  } finally {
    button.disabled = false;
  }
}

/** Forgets what is shown (on sign-out). */
export function reset() {
  sequence++;
  offset = 0;
  editing = null;
  $('#sources-body').replaceChildren();
  $('#source-search').value = '';
  if ($('#source-editor').open) $('#source-editor').close();
  note('');
}

/** Wires the search, the pager, the add button and the form; `changed` runs after a change. */
export function init({ changed, authFailed }) {
  hooks = { changed, authFailed };
  let typing = 0;
  $('#source-search').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { offset = 0; load(); }, 250);
  });
  $('#sources-prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE_SIZE); load(); });
  $('#sources-next').addEventListener('click', () => { offset += PAGE_SIZE; load(); });
  $('#source-add').addEventListener('click', () => openEditor(null));
  $('#source-form').addEventListener('submit', save);
  for (const id of ['#source-cancel', '#source-close']) $(id).addEventListener('click', () => $('#source-editor').close());
}
