// The dashboard's entry point: sign-in, the status poll, the hash route and the sections.

import * as alertsView from './alerts.js';
import { abortAll, api, describe, isAuthError, token } from './api.js';
import { setupTooltip } from './charts.js';
import * as detail from './detail.js';
import * as historyView from './history.js';
import * as insights from './insights.js';
import * as jobList from './job-list.js';
import * as jobPicker from './job-picker.js';
import * as jobs from './jobs.js';
import * as sources from './sources.js';
import { $, fmtTime } from './util.js';

const POLL_MS = 2000;
const RUNNING_POLL_MS = 1000;
const HIDDEN_POLL_MS = 10000;
let signedIn = false;
let pollTimer = 0;
let polling = false;
let pollAgain = false;
let refreshTimer = 0;
let openedFromPage = false;

function banner(text) {
  const el = $('#banner');
  el.textContent = text || '';
  el.hidden = !text;
}

function showSignin(message) {
  $('#signin').hidden = false;
  $('#app').hidden = true;
  $('#session').hidden = true;
  const error = $('#signin-error');
  error.textContent = message || '';
  error.hidden = !message;
  $('#token-input').focus();
}

/** Forgets the token and every piece of data shown. */
function signOut(message) {
  signedIn = false;
  token.clear();
  abortAll();
  clearTimeout(pollTimer);
  clearTimeout(refreshTimer);
  detail.close();
  jobs.reset();
  jobList.reset();
  jobPicker.reset();
  insights.reset();
  historyView.reset();
  alertsView.reset();
  sources.reset();
  banner('');
  $('#updated').textContent = '';
  showSignin(message);
}

function authFailed(e) {
  if (signedIn) signOut(`${describe(e)} Sign in again.`);
}

/** Shows a /status answer: the page of job cards, the summary, the chips and the pager. */
function show(status) {
  jobs.update(status);
  jobList.update(status);
  jobPicker.seed(jobs.jobNames());
}

const stamp = () => { $('#updated').textContent = `Updated ${fmtTime(new Date().toISOString()).slice(11)}`; };

/** Every second while a run is in progress (its counts move), else every 2 s; slower when hidden. */
const nextPollMs = () => (document.hidden ? HIDDEN_POLL_MS : jobs.anyRunning() ? RUNNING_POLL_MS : POLL_MS);

async function poll() {
  if (!signedIn) return;
  if (polling) { pollAgain = true; return; }
  polling = true;
  clearTimeout(pollTimer);
  try {
    const asked = jobList.queryKey();
    const { data } = await api('import-jobs/status', { query: jobList.query() });
    if (!signedIn) return;
    // The search, filter or page changed meanwhile: this answer is not of the page shown.
    if (asked !== jobList.queryKey()) { pollAgain = true; return; }
    show(data);
    banner('');
    stamp();
  } catch (e) {
    if (e.name === 'AbortError') return;
    if (isAuthError(e)) { authFailed(e); return; }
    banner(describe(e));
    jobs.unknown(e.status !== 0, describe(e));
  } finally {
    polling = false;
    if (signedIn) {
      if (pollAgain) { pollAgain = false; poll(); } else pollTimer = setTimeout(poll, nextPollMs());
    }
  }
}

/** Reloads the charts and the history soon (a run started or ended). */
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { if (signedIn) { insights.load(); historyView.load(); alertsView.load(); } }, 400);
}

function route(fromHashChange) {
  if (!signedIn) return;
  const m = /^#\/executions\/([^/]+)$/.exec(location.hash);
  if (m) {
    if (fromHashChange && !$('#detail').open) openedFromPage = true;
    detail.open(decodeURIComponent(m[1]));
  } else {
    detail.close();
  }
}

/** The dialog was closed by the operator: leave its route. */
function detailClosed() {
  if (!/^#\/executions\//.test(location.hash)) return;
  if (openedFromPage) window.history.back();
  else window.history.replaceState(null, '', `${location.pathname}${location.search}`);
  openedFromPage = false;
}

function enter(status) {
  signedIn = true;
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#session').hidden = false;
  show(status);
  stamp();
  pollTimer = setTimeout(poll, nextPollMs());
  insights.load();
  historyView.load();
  alertsView.load();
  sources.load();
  route(false);
}

async function signIn(event) {
  event.preventDefault();
  const input = $('#token-input');
  const value = input.value.trim();
  if (!value) { showSignin('Enter the admin token.'); return; }
  const submit = $('#signin-submit');
  submit.disabled = true;
  try {
    const { data } = await api('import-jobs/status', { auth: value, query: jobList.query() });
    token.set(value);
    input.value = '';
    $('#signin-error').hidden = true;
    enter(data);
  } catch (e) {
    if (e.name === 'AbortError') return;
    showSignin(isAuthError(e) ? describe(e) : `Signing in failed: ${describe(e)}`);
  } finally {
    submit.disabled = false;
  }
}

async function start() {
  setupTooltip();
  jobPicker.init(); // before the sections that listen to the job fields
  jobs.init({ poll, changed: refreshSoon, authFailed });
  jobList.init(poll);
  insights.init(authFailed);
  historyView.init(authFailed);
  alertsView.init(authFailed);
  sources.init({ changed: () => { poll(); refreshSoon(); }, authFailed });
  detail.init(authFailed, detailClosed);
  $('#signin-form').addEventListener('submit', signIn);
  $('#signout').addEventListener('click', () => signOut(''));
  window.addEventListener('hashchange', () => route(true));
  document.addEventListener('visibilitychange', () => { if (!document.hidden && signedIn) poll(); });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  $('#tz-note').textContent = `Times are in your time zone (${zone}) unless marked UTC or with an offset; days in the charts are UTC days.`;
  const saved = token.get();
  if (!saved) { showSignin(''); return; }
  try {
    const { data } = await api('import-jobs/status', { query: jobList.query() });
    enter(data);
  } catch (e) {
    if (isAuthError(e)) token.clear();
    showSignin(isAuthError(e) ? `${describe(e)} Sign in again.` : `The dashboard could not load: ${describe(e)}`);
  }
}

start();
