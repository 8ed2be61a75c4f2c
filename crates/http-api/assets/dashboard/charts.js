// Small SVG charts (stacked bars and lines over equal bands) and the shared hover tooltip.

import { h, s, fmtNum } from './util.js';

const HEIGHT = 200;
const M = { top: 12, right: 10, bottom: 26, left: 52 };

/** A round axis maximum and step for values up to `max`. */
function nice(max, integer) {
  if (!(max > 0)) return { top: integer ? 1 : 1, step: integer ? 1 : 0.25 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((v) => v >= raw);
  if (integer) step = Math.max(1, Math.ceil(step));
  return { top: Math.ceil(max / step) * step, step };
}

function frame(el, count, top, step, yFormat, label) {
  const width = Math.max(260, Math.floor(el.clientWidth || 600));
  const pw = width - M.left - M.right;
  const ph = HEIGHT - M.top - M.bottom;
  const svg = s('svg', { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, class: 'chart-svg', role: 'group', 'aria-label': label });
  const y = (v) => M.top + ph - (v / top) * ph;
  for (let v = 0; v <= top + step / 1000; v += step) {
    svg.append(
      s('line', { class: 'grid', x1: M.left, x2: width - M.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis', x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, yFormat(v)),
    );
  }
  const band = pw / Math.max(1, count);
  return { svg, pw, ph, band, x: (i) => M.left + i * band, y };
}

/** Labels under every few bands; a label equal to the one drawn before it is left out. */
function xLabels(f, items, labelOf) {
  const every = Math.ceil(items.length / Math.max(2, Math.floor(f.pw / 64)));
  let last = null;
  items.forEach((it, i) => {
    if (i % every) return;
    const text = labelOf(it);
    if (text === last) return;
    last = text;
    f.svg.append(s('text', { class: 'axis x-label', 'data-testid': 'x-label', x: f.x(i) + f.band / 2, y: HEIGHT - 8, 'text-anchor': 'middle' }, text));
  });
}

/** A stacked key's value of an item: `key.value(item)` or `item[key.key]`. */
const valueOf = (it, k) => Number(k.value ? k.value(it) : it[k.key]) || 0;

/** One band's group: a transparent hit area, the tooltip text, and a click target when asked. */
function band(f, i, it, o) {
  const tip = o.tip(it);
  const g = s('g', { ...(o.attrs ? o.attrs(it) : {}), 'data-testid': o.testid, 'data-tip': tip, class: o.onClick ? 'item clickable' : 'item', 'aria-label': tip.replace(/\n/g, '; ') });
  if (o.onClick) {
    // One chart of runs in the tab order is enough; the other is reachable by pointer.
    if (!o.pointerOnly) g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    g.addEventListener('click', () => o.onClick(it));
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); o.onClick(it); }
    });
  }
  g.append(s('rect', { class: 'hit', x: f.x(i), y: M.top, width: Math.max(1, f.band), height: f.ph }));
  return g;
}

const resized = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    if (target.drawn !== target.clientWidth && target.draw) target.draw();
  }
});

function mount(el, o, draw) {
  el.draw = () => {
    if (!o.items.length) {
      el.replaceChildren(h('p', { class: 'empty' }, o.empty || 'No data in this period.'));
    } else {
      const svg = draw();
      el.replaceChildren(svg);
    }
    el.drawn = el.clientWidth;
    el.dataset.count = String(o.items.length);
  };
  resized.observe(el);
  el.draw();
}

/** Empties a chart and stops redrawing it. */
export function clear(el) {
  resized.unobserve(el);
  el.draw = null;
  el.replaceChildren();
}

/**
 * Stacked bars, one band per item.
 * o: {items, keys: [{key or value(item), cls}], testid, tip(item), xLabel(item), label, onClick?, attrs?, empty?}
 */
export function stackedBars(el, o) {
  mount(el, o, () => {
    const totals = o.items.map((it) => o.keys.reduce((sum, k) => sum + valueOf(it, k), 0));
    const { top, step } = nice(Math.max(0, ...totals), true);
    const f = frame(el, o.items.length, top, step, fmtNum, o.label);
    const width = Math.max(1, Math.min(32, f.band * 0.72));
    o.items.forEach((it, i) => {
      const g = band(f, i, it, o);
      const x = f.x(i) + (f.band - width) / 2;
      let acc = 0;
      for (const k of o.keys) {
        const v = valueOf(it, k);
        if (v <= 0) continue;
        g.append(s('rect', { class: `bar ${k.cls}`, x, y: f.y(acc + v), width, height: Math.max(0.5, f.y(acc) - f.y(acc + v)) }));
        acc += v;
      }
      f.svg.append(g);
    });
    xLabels(f, o.items, o.xLabel);
    return f.svg;
  });
}

/**
 * A line with a dot per known value; null values break the line.
 * o: {items, value(item), cls, testid, tip, xLabel, label, yMax?, yFormat?, onClick?, pointerOnly?, skipNull?, attrs?, empty?}
 */
export function lineChart(el, o) {
  mount(el, o, () => {
    const values = o.items.map((it) => o.value(it));
    const known = values.filter((v) => v != null);
    const { top, step } = o.yMax ? { top: o.yMax, step: o.yMax / 4 } : nice(Math.max(0, ...known), false);
    const f = frame(el, o.items.length, top, step, o.yFormat || fmtNum, o.label);
    const cx = (i) => f.x(i) + f.band / 2;
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v == null) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${cx(i).toFixed(1)},${f.y(v).toFixed(1)}`;
      pen = true;
    });
    f.svg.append(s('path', { class: `line ${o.cls}`, d: d || 'M0,0' }));
    o.items.forEach((it, i) => {
      const v = values[i];
      if (v == null && o.skipNull) return;
      const g = band(f, i, it, o);
      if (v != null) g.append(s('circle', { class: `dot ${o.cls}`, cx: cx(i), cy: f.y(v), r: f.band < 8 ? 2.5 : 3.5 }));
      f.svg.append(g);
    });
    xLabels(f, o.items, o.xLabel);
    return f.svg;
  });
}

/** One tooltip for every element with data-tip, following the pointer or the keyboard focus. */
export function setupTooltip() {
  const tip = h('div', { class: 'tooltip', role: 'tooltip', 'data-testid': 'chart-tooltip', hidden: true });
  document.body.append(tip);
  const show = (el, x, y) => {
    tip.textContent = el.dataset.tip;
    tip.hidden = false;
    const r = tip.getBoundingClientRect();
    const left = Math.max(8, Math.min(x + 14, window.innerWidth - r.width - 8));
    const top = y - r.height - 12 < 8 ? y + 20 : y - r.height - 12;
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  };
  const target = (e) => (e.target instanceof Element ? e.target.closest('[data-tip]') : null);
  document.addEventListener('pointermove', (e) => {
    const el = target(e);
    if (el) show(el, e.clientX, e.clientY);
    else tip.hidden = true;
  });
  document.addEventListener('focusin', (e) => {
    const el = target(e);
    if (!el) return;
    const r = el.getBoundingClientRect();
    show(el, r.left + r.width / 2, r.top);
  });
  document.addEventListener('focusout', () => { tip.hidden = true; });
  window.addEventListener('scroll', () => { tip.hidden = true; }, { passive: true });
}
