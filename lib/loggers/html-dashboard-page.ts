// The dashboard page: one HTML file holding uPlot (inlined from node_modules), the run's data as
// JSON and the script that draws it. A Content-Security-Policy allows inline code only, so the
// page cannot reach the network even by mistake. The browser script is plain ES5-style JS in a
// string (no build step, nothing for a bundler to rewrite); it leaves a summary of what it drew in
// window.__dashboard (and data-* attributes) for the browser tests to check.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PROFILES_CLIENT_JS } from './html-dashboard-profiles.js';

export interface DashboardPageData {
  title: string;
  status: 'waiting' | 'running' | 'finished' | 'failed';
  statusDetail: string;
  updated: string;
  started: string;
  step: number;
  epoch: number;
  autoRefreshSeconds: number;
  /** Columns: the step of each logging point, and each tag's value there (null: not logged then). */
  train: { steps: number[]; values: Record<string, (number | null)[]> };
  validation: { steps: number[]; epochs: number[]; values: Record<string, (number | null)[]> };
  epochs: object[];
  confusionMatrix: { matrix: number[][]; labels: string[]; step: number } | null;
  profiles: { profiles?: Record<string, unknown>; drift?: unknown } | null;
  config: unknown;
  task: unknown;
  info: Record<string, unknown> | null;
}

let assets: { js: string; css: string; version: string } | null = null;

/** uPlot's browser build and stylesheet, read once from node_modules. */
function uplotAssets(): { js: string; css: string; version: string } {
  if (assets) return assets;
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('uplot/package.json');
  } catch (err) {
    throw new Error('HtmlDashboard: the uplot package is missing (it draws the plots); fix: npm install (it is a dependency of torchtrain)', { cause: err });
  }
  const dir = pkg.slice(0, -'package.json'.length);
  assets = {
    js: readFileSync(`${dir}dist/uPlot.iife.min.js`, 'utf8'),
    css: readFileSync(`${dir}dist/uPlot.min.css`, 'utf8'),
    version: (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version,
  };
  return assets;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Inline script text must not close its own <script> element. */
const inlineScript = (s: string) => s.replace(/<\/(script)/gi, '<\\/$1');

export function renderDashboardPage(data: DashboardPageData): string {
  const { js, css, version } = uplotAssets();
  const json = JSON.stringify({ ...data, uplotVersion: version }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))
    .replace(/</g, '\\u003c');
  const refresh = data.autoRefreshSeconds > 0 ? `\n<meta http-equiv="refresh" content="${data.autoRefreshSeconds}">` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">${refresh}
<title>${escapeHtml(data.title)} · torchtrain</title>
<style>${css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<div id="app"><noscript>This dashboard needs JavaScript to draw its plots.</noscript></div>
<script type="application/json" id="dashboard-data">${json}</script>
<script>${inlineScript(js)}</script>
<script>${inlineScript(CLIENT_JS)}</script>
</body>
</html>
`;
}

const PAGE_CSS = `
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f6f7f9; --card: #fff; --train: #2563eb; --val: #ea580c; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
#app { max-width: 1360px; margin: 0 auto; padding: 20px 24px 40px; }
header { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-bottom: 14px; }
header h1 { font-size: 22px; margin: 0; font-weight: 650; }
header .meta { color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.badge.running, .badge.waiting { background: #dbeafe; color: #1e40af; }
.badge.finished { background: #dcfce7; color: #166534; }
.badge.failed { background: #fee2e2; color: #991b1b; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin-bottom: 18px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
.tile .k { color: var(--muted); font-size: 12px; }
.tile .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
h2 { font-size: 16px; margin: 26px 0 10px; font-weight: 650; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 14px; }
.grid3 { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 14px; align-items: start; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
.card h3 { font-size: 14px; margin: 0 0 6px; font-weight: 600; }
.card .plot { width: 100%; }
.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.kv, table.rows { width: 100%; }
table.kv td, table.rows td, table.rows th { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.kv td:first-child { color: var(--muted); white-space: nowrap; width: 40%; }
table.kv td:last-child { word-break: break-word; }
table.rows th { font-weight: 600; color: var(--muted); font-size: 12px; }
table.rows tr.flagged td { background: #fee2e2; }
.scroll { overflow-x: auto; }
table.cm td, table.cm th { min-width: 46px; height: 34px; padding: 0 6px; text-align: center; font-size: 12px; white-space: nowrap; }
table.cm td.cell { border: 1px solid #fff; }
table.cm th { color: var(--muted); font-weight: 600; }
table.cm th.axis-label { width: auto; white-space: nowrap; padding-right: 10px; text-align: left; }
.axis-label { color: var(--muted); font-size: 12px; }
details summary { cursor: pointer; color: var(--muted); }
details pre { white-space: pre-wrap; font-size: 11px; margin: 4px 0 0; max-height: 260px; overflow: auto; }
.section-note { color: var(--muted); margin: -4px 0 10px; font-size: 13px; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
.u-legend { font-size: 12px; }
.u-legend .u-marker { border-radius: 2px; }
`;

// Plain JS run in the browser. No template literals inside (this is one).
const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('dashboard-data').textContent);
  var summary = { ready: false, status: D.status, step: D.step, plots: [], confusionMatrix: null, profiles: null, sections: [] };
  window.__dashboard = summary;
  var app = document.getElementById('app');
  var COLORS = { train: '#2563eb', validation: '#ea580c' };
  var PALETTE = ['#2563eb', '#16a34a', '#9333ea', '#db2777', '#0891b2', '#ca8a04'];
  var ORDER = ['loss', 'lr', 'grad_norm', 'throughput', 'tokens_per_sec', 'loss_scale', 'memory', 'data_wait_fraction'];
  // Tags drawn in another tag's plot: [plot, series label].
  var INTO = { samples_per_sec: ['throughput', 'samples/s'] };
  var TITLES = { loss: 'Loss', lr: 'Learning rate', grad_norm: 'Gradient norm (before clipping)', throughput: 'Throughput',
    samples_per_sec: 'Samples per second', tokens_per_sec: 'Tokens per second', loss_scale: 'Loss scale (fp16)', memory: 'Memory',
    data_wait_fraction: 'Share of time waiting for data' };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in (attrs || {})) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '–';
    if (typeof v !== 'number') return String(v);
    if (v === 0) return '0';
    var a = Math.abs(v);
    if (a >= 1e6 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return String(Number(v.toPrecision(a >= 1000 ? 5 : 4)));
  }
  function last(arr) { for (var i = arr.length - 1; i >= 0; i--) if (arr[i] !== null && arr[i] !== undefined) return arr[i]; return null; }
  function section(title, note, id) {
    app.appendChild(el('h2', { text: title, id: id || '' }));
    if (note) app.appendChild(el('p', { class: 'section-note', text: note }));
    summary.sections.push(title);
  }

  // Header and headline numbers.
  app.textContent = '';
  app.appendChild(el('header', {}, [
    el('h1', { text: D.title }),
    el('span', { class: 'badge ' + D.status, text: D.status }),
    el('span', { class: 'meta', text: 'step ' + D.step + ' · ' + (D.status === 'running' || D.status === 'waiting' ? 'epoch ' + (D.epoch + 1) : D.epochs.length + ' epochs') + ' · updated ' + new Date(D.updated).toLocaleString() + (D.statusDetail ? ' · ' + D.statusDetail : '') }),
  ]));
  var tv = D.train.values, vv = D.validation.values;
  var tiles = [['step', D.step], ['train loss', tv['train/loss'] ? last(tv['train/loss']) : null]];
  if (vv.loss) tiles.push(['val loss (best)', Math.min.apply(null, vv.loss.filter(function (x) { return x !== null; }).concat([Infinity]))]);
  Object.keys(vv).forEach(function (m) { if (m !== 'loss' && m !== 'throughput') tiles.push(['val ' + m, last(vv[m])]); });
  if (tv['train/lr']) tiles.push(['learning rate', last(tv['train/lr'])]);
  if (tv['train/throughput']) tiles.push(['items/s', last(tv['train/throughput'])]);
  app.appendChild(el('div', { class: 'tiles' }, tiles.map(function (t) {
    return el('div', { class: 'tile' }, [el('div', { class: 'k', text: t[0] }), el('div', { class: 'v', text: fmt(t[1] === Infinity ? null : t[1]) })]);
  })));

  // Plots: one per metric name. 'train/<name>' gives a 'train' series, 'train/<name>/<part>' a
  // '<part>' series (lr per param group, memory kinds), the validation results a 'validation'
  // series (throughput of validation is not a metric of the model: left out).
  var groups = {}, names = [];
  function addSeries(name, part) {
    if (!groups[name]) { groups[name] = []; names.push(name); }
    groups[name].push(part);
  }
  Object.keys(tv).forEach(function (tag) {
    if (tag.indexOf('train/') !== 0) return;
    var rest = tag.slice(6), cut = rest.indexOf('/');
    var name = cut < 0 ? rest : rest.slice(0, cut);
    var part = cut < 0 ? '' : rest.slice(cut + 1);
    if (INTO[name]) return addSeries(INTO[name][0], { label: INTO[name][1], steps: D.train.steps, ys: tv[tag] });
    addSeries(name, { label: cut < 0 ? 'train' : part.replace(/_bytes$/, '').replace(/_/g, ' '), bare: cut < 0, bytes: /_bytes$/.test(rest), steps: D.train.steps, ys: tv[tag] });
  });
  Object.keys(vv).forEach(function (m) { if (m !== 'throughput') addSeries(m, { label: 'validation', steps: D.validation.steps, ys: vv[m] }); });
  names.sort(function (a, b) {
    var ia = ORDER.indexOf(a), ib = ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : a > b ? 1 : 0);
  });
  function same(a, b) { return a.ys.length === b.ys.length && a.ys.every(function (y, i) { return y === b.ys[i]; }); }
  section('Training curves', 'x axis: optimizer step. Hover a plot to read values; the cursor moves on every plot.');
  var grid = el('div', { class: 'grid' });
  app.appendChild(grid);
  var plots = [];
  names.forEach(function (name) {
    var rank = function (p) { return p.bare ? 0 : p.label === 'validation' ? 2 : 1; };
    var parts = groups[name].sort(function (a, b) { return rank(a) - rank(b); }).filter(function (p) {
      if (!p.ys.some(function (y) { return y !== null; })) return false;
      // a rate that is always 0 (tokens/s of a task without tokens) says nothing
      return !(/_per_sec$/.test(name) && p.ys.every(function (y) { return !y; }));
    });
    // A part equal to one already kept is drawn once (train/lr is group 0's lr; groups often
    // share one lr); the bare series takes the part's name when other parts remain beside it.
    var kept = [];
    parts.forEach(function (p) {
      var twin = p.bare || p.label === 'validation' ? null : kept.filter(function (k) { return same(k, p); })[0];
      if (!twin) kept.push(p);
      else if (twin.bare && !twin.alias) twin.alias = p.label;
    });
    parts = kept;
    parts.forEach(function (p) {
      if (p.bare && p.alias && parts.some(function (o) { return !o.bare && o.label !== 'validation'; })) p.label = p.alias;
      if (p.bare && name === 'throughput') p.label = 'items/s';
    });
    if (!parts.length) return;
    // uPlot wants one x array: the union of the steps, null where a series has no point.
    var seen = {}, xs = [];
    parts.forEach(function (p) { p.steps.forEach(function (s) { if (!seen[s]) { seen[s] = true; xs.push(s); } }); });
    xs.sort(function (a, b) { return a - b; });
    var index = {};
    xs.forEach(function (s, i) { index[s] = i; });
    var data = [xs];
    parts.forEach(function (p) {
      var ys = xs.map(function () { return null; });
      p.steps.forEach(function (s, i) { if (p.ys[i] !== null) ys[index[s]] = p.ys[i]; });
      data.push(ys);
    });
    var counts = data.slice(1).map(function (ys) { return ys.filter(function (y) { return y !== null; }).length; });
    var title = TITLES[name] || (name.charAt(0).toUpperCase() + name.slice(1));
    var box = el('div', { class: 'plot', 'data-plot': name, 'data-series': String(parts.length), 'data-points': counts.join(',') });
    grid.appendChild(el('div', { class: 'card' }, [el('h3', { text: title }), box]));
    plots.push({ name: name, title: title, parts: parts, data: data, counts: counts, box: box, bytes: parts.every(function (p) { return p.bytes; }) });
  });
  if (!plots.length) grid.appendChild(el('p', { class: 'empty', text: 'No values logged yet: the first point appears after config.logEveryNSteps optimizer steps.' }));

  function fmtBytes(v) {
    if (v === null || v === undefined) return '–';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return Number(v.toPrecision(3)) + ' ' + units[i];
  }
  function color(part, i) { return COLORS[part.label] || PALETTE[i % PALETTE.length]; }
  function draw(p) {
    var width = Math.max(280, p.box.clientWidth);
    var f = p.bytes ? fmtBytes : fmt;
    var opts = {
      width: width, height: 240,
      cursor: { sync: { key: 'steps' } },
      scales: { x: { time: false } },
      legend: { live: true },
      axes: [
        { label: 'step', labelSize: 18, size: 36, values: function (u, splits) { return splits.map(fmt); }, grid: { stroke: '#eef0f3' }, ticks: { stroke: '#d1d5db' } },
        { values: function (u, splits) { return splits.map(f); }, size: 70, grid: { stroke: '#eef0f3' }, ticks: { stroke: '#d1d5db' } },
      ],
      series: [{ label: 'step', value: function (u, v) { return v === null ? '–' : String(v); } }].concat(p.parts.map(function (part, i) {
        var few = p.counts[i] <= 60;
        return {
          label: part.label, stroke: color(part, i), width: part.label === 'train' ? 1.75 : 2, spanGaps: true,
          points: { show: part.label === 'validation' || few, size: part.label === 'validation' ? 7 : 4, fill: color(part, i) },
          value: function (u, v) { return f(v); },
        };
      })),
    };
    p.chart = new uPlot(opts, p.data, p.box);
  }
  plots.forEach(function (p) {
    draw(p);
    summary.plots.push({ name: p.name, title: p.title, series: p.parts.map(function (part, i) { return { label: part.label, points: p.counts[i] }; }),
      canvas: !!p.box.querySelector('canvas') });
  });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { plots.forEach(function (p) { p.chart.setSize({ width: Math.max(280, p.box.clientWidth), height: 240 }); }); }, 100);
  });

  // Confusion matrix: rows are true classes, columns predicted; shaded by the share of the row.
  if (D.confusionMatrix) {
    var cm = D.confusionMatrix, n = cm.matrix.length;
    section('Confusion matrix', 'Validation at step ' + cm.step + '. Rows: true class; columns: predicted class; shade: share of the row (recall on the diagonal).');
    var head = el('tr', {}, [el('th', { class: 'axis-label', text: 'true \u2193 / predicted \u2192' })].concat(cm.labels.map(function (l) { return el('th', { text: l }); })).concat([el('th', { text: 'total' }), el('th', { text: 'recall' })]));
    var rows = cm.matrix.map(function (row, i) {
      var total = row.reduce(function (a, b) { return a + b; }, 0);
      var cells = row.map(function (v, j) {
        var share = total ? v / total : 0;
        var color = i === j ? '37,99,235' : '234,88,12';
        return el('td', { class: 'cell', title: cm.labels[i] + ' \u2192 ' + cm.labels[j] + ': ' + v + ' (' + (share * 100).toFixed(1) + '% of the row)',
          style: 'background: rgba(' + color + ',' + (0.06 + 0.86 * share).toFixed(3) + '); color: ' + (share > 0.5 ? '#fff' : '#1f2937') }, [fmt(v)]);
      });
      return el('tr', {}, [el('th', { text: cm.labels[i] })].concat(cells).concat([el('td', { text: fmt(total) }), el('td', { text: total ? (row[i] / total * 100).toFixed(1) + '%' : '–' })]));
    });
    app.appendChild(el('div', { class: 'card scroll' }, [el('table', { class: 'cm', 'data-classes': String(n) }, [head].concat(rows))]));
    summary.confusionMatrix = { classes: n, cells: n * n };
  }

  // Any JSON value as readable HTML: flat rows as a table, objects as key/value tables.
  function isFlatRow(x) { return x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).every(function (k) { return x[k] === null || typeof x[k] !== 'object'; }); }
  function flatten(obj, prefix, out) {
    Object.keys(obj).forEach(function (k) {
      var v = obj[k], key = prefix ? prefix + '.' + k : k;
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) flatten(v, key, out);
      else out.push([key, v]);
    });
    return out;
  }
  function showValue(v) {
    if (Array.isArray(v)) {
      if (v.length && v.every(isFlatRow)) return rowsTable(v);
      var s = v.map(function (x) { return typeof x === 'number' ? fmt(x) : typeof x === 'object' ? JSON.stringify(x) : String(x); }).join(', ');
      return s.length > 400 ? '[' + v.length + ' values] ' + s.slice(0, 400) + '…' : s || '[]';
    }
    if (v && typeof v === 'object') return JSON.stringify(v);
    return typeof v === 'number' ? fmt(v) : String(v);
  }
  function kvTable(obj) {
    if (obj === null || obj === undefined) return el('p', { class: 'empty', text: 'not given' });
    if (typeof obj !== 'object' || Array.isArray(obj)) return el('div', {}, [showValue(obj)]);
    return el('table', { class: 'kv' }, flatten(obj, '', []).map(function (kv) {
      var shown = showValue(kv[1]);
      if (typeof shown === 'string' && shown.indexOf('\n') >= 0) {
        shown = el('details', {}, [el('summary', { text: shown.split('\n')[0].slice(0, 60) + ' …' }), el('pre', { text: shown })]);
      }
      return el('tr', {}, [el('td', { text: kv[0] }), el('td', {}, [shown])]);
    }));
  }
  function rowsTable(rows) {
    var cols = [];
    rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
    return el('div', { class: 'scroll' }, [el('table', { class: 'rows' }, [el('tr', {}, cols.map(function (c) { return el('th', { text: c }); }))].concat(rows.map(function (r) {
      return el('tr', { class: r.flagged === true ? 'flagged' : '' }, cols.map(function (c) { return el('td', {}, [showValue(r[c] === undefined ? null : r[c])]); }));
    })))]);
  }

  // Epochs.
  if (D.epochs.length) {
    section('Epochs');
    app.appendChild(el('div', { class: 'card' }, [rowsTable(D.epochs.map(function (e) {
      var row = { epoch: e.epoch + 1, 'train loss': e.loss, items: e.items, steps: e.optimizerSteps, seconds: e.seconds, 'items/s': e.throughput, completed: e.completed };
      Object.keys(e.validation || {}).forEach(function (m) { if (m !== 'throughput') row['val ' + m] = e.validation[m]; });
      return row;
    }))]));
  }

  // Data profiles and drift (issue 12 item 4: computeDatasetProfile / compareProfiles).
  section('Data profiles and drift', null, 'profiles');
  var prof = D.profiles;
${PROFILES_CLIENT_JS}
  if (prof && (prof.profiles || prof.drift) && renderProfiles(prof)) {
    // computeDatasetProfile / compareProfiles results: drawn by html-dashboard-profiles.ts
  } else if (prof && (prof.profiles || prof.drift)) {
    var cards = [];
    if (prof.drift) cards.push(el('div', { class: 'card', 'data-profile': 'drift' }, [el('h3', { text: 'Drift (train vs validation)' }), Array.isArray(prof.drift) ? rowsTable(prof.drift) : kvTable(prof.drift)]));
    Object.keys(prof.profiles || {}).forEach(function (split) {
      cards.push(el('div', { class: 'card', 'data-profile': split }, [el('h3', { text: 'Profile: ' + split }), kvTable(prof.profiles[split])]));
    });
    app.appendChild(el('div', { class: 'grid3' }, cards));
    summary.profiles = { cards: cards.length };
  } else {
    app.appendChild(el('p', { class: 'empty', text: 'No data profiles were given. Profiles of the training and validation data and their drift appear here when the run has them.' }));
  }

  // The run's setup.
  section('Run');
  app.appendChild(el('div', { class: 'grid3' }, [
    el('div', { class: 'card' }, [el('h3', { text: 'Training config' }), kvTable(D.config)]),
    el('div', { class: 'card' }, [el('h3', { text: 'TaskSpec' }), kvTable(D.task)]),
    el('div', { class: 'card' }, [el('h3', { text: 'Library, libtorch and device' }), kvTable(D.info)]),
  ]));
  app.appendChild(el('footer', { text: 'torchtrain dashboard · started ' + new Date(D.started).toLocaleString() + ' · plots by uPlot ' + D.uplotVersion + ' (MIT), inlined: this file needs no network.' }));
  summary.ready = true;
  document.body.setAttribute('data-ready', 'true');
})();
`;
