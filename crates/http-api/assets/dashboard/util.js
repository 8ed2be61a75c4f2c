// DOM building and formatting helpers shared by the dashboard's modules.

const SVG_NS = 'http://www.w3.org/2000/svg';

export const $ = (selector, root = document) => root.querySelector(selector);

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Creates an HTML element: h('p', {class: 'x'}, 'text', otherNode). Text is never parsed as HTML. */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);

/** Creates an SVG element. */
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

const pad = (n) => String(n).padStart(2, '0');

/** 2026-11-28 01:00:05 in the browser's time zone. */
export function fmtTime(iso, seconds = true) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}${seconds ? `:${pad(d.getSeconds())}` : ''}`;
}

/** 2026-11-28 23:00 UTC */
export function fmtUtc(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "2026-11-29T00:00:00+01:00" → "2026-11-29 00:00 (UTC+01:00)", keeping the job's own zone. */
export function fmtZoned(local) {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.exec(local || '');
  if (!m) return local || '—';
  return `${m[1]} ${m[2]} (UTC${m[3] === 'Z' ? '' : m[3]})`;
}

/** 350 ms, 4.2 s, 3 min 05 s, 1 h 02 min. */
export function fmtDuration(ms) {
  if (ms == null || !Number.isFinite(Number(ms))) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const sec = ms / 1000;
  if (sec < 60) return `${sec < 10 ? sec.toFixed(1) : Math.round(sec)} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ${pad(Math.floor(sec % 60))} s`;
  return `${Math.floor(min / 60)} h ${pad(min % 60)} min`;
}

/** "in 5 h 03 min" or "12 s ago". */
export function fmtRelative(iso, now = Date.now()) {
  const diff = new Date(iso).getTime() - now;
  if (Number.isNaN(diff)) return '';
  const abs = Math.abs(diff);
  const text = abs < 60_000 ? `${Math.round(abs / 1000)} s`
    : abs < 3_600_000 ? `${Math.round(abs / 60_000)} min`
    : abs < 36_000_000 ? fmtDuration(abs)
    : abs < 172_800_000 ? `${Math.round(abs / 3_600_000)} h`
    : `${Math.round(abs / 86_400_000)} days`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

export const fmtNum = (n) => (n == null ? '—' : Number(n).toLocaleString('en-US'));

export const fmtPct = (p) => (p == null ? '—' : `${Number(p).toFixed(Number(p) % 1 ? 1 : 0)}%`);

/** A status pill: SUCCESS, FAILED, PARTIAL, RUNNING (or anything else the API may grow). */
export function badge(status, attrs = {}) {
  const known = ['SUCCESS', 'FAILED', 'PARTIAL', 'RUNNING'].includes(status);
  return h('span', { ...attrs, class: `badge st-${known ? status.toLowerCase() : 'other'}` }, status || '—');
}

/** The history's route to one execution. */
export const executionHref = (id) => `#/executions/${encodeURIComponent(id)}`;
