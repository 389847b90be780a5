// The report as one self-contained HTML page, drawn as the training dashboard draws its plots:
// uPlot inlined from node_modules, the report as JSON, a small ES5 script, and a
// Content-Security-Policy that allows inline code only (the page opens offline from file://).
// One bar chart per reference side (PyTorch, nanoGPT, ...): torchtrain's time over theirs per
// workload, the bar at the median of the rounds, a whisker over their min-max, a line at 1.0x.
// The script leaves a summary in window.__bench for the browser test.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describeRun, markdownTable } from './report-table.js';
import type { BenchReport } from './types.js';

function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('uplot/package.json');
  } catch (err) {
    throw new Error('bench report: the uplot package is missing (it draws the plots); fix: npm install (it is a dependency of torchtrain)', { cause: err });
  }
  const dir = pkg.slice(0, -'package.json'.length);
  return { js: readFileSync(`${dir}dist/uPlot.iife.min.js`, 'utf8'), css: readFileSync(`${dir}dist/uPlot.min.css`, 'utf8') };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const inlineScript = (s: string) => s.replace(/<\/(script)/gi, '<\\/$1');

/** The markdown table as an HTML table (cells may hold **bold**). */
function tableHtml(markdown: string): string {
  const blocks = markdown.split('\n\n');
  return blocks.map((block) => {
    const lines = block.split('\n').filter((l) => l.startsWith('|'));
    const cells = (l: string) => l.slice(1, -1).split('|').map((c) => escapeHtml(c.trim()).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>'));
    const [head, , ...body] = lines;
    if (!head) return '';
    return `<table><thead><tr>${cells(head).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${
      body.map((l) => `<tr>${cells(l).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  }).join('\n');
}

export function renderReportHtml(report: BenchReport): string {
  const { js, css } = uplotAssets();
  const json = JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>torchtrain bench · ${escapeHtml(report.startedAt)}</title>
<style>${css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>torchtrain bench</h1>
<p class="run">${escapeHtml(describeRun(report))}</p>
<p class="note">Bars: torchtrain's time (or peak memory) over the other side's, median of interleaved rounds; whiskers: the rounds' min-max. Under the line at 1.0x torchtrain is faster.</p>
<div id="plots"></div>
<h2>Figures</h2>
${tableHtml(markdownTable(report))}
<script type="application/json" id="bench-data">${json}</script>
<script>${inlineScript(js)}</script>
<script>${inlineScript(CLIENT_JS)}</script>
</body>
</html>
`;
}

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d232a; background: #fff; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 24px 0 8px; } h3 { font-size: 15px; margin: 16px 0 4px; }
.run, .note { color: #4a5560; max-width: 1100px; margin: 4px 0; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #dde2e6; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
.plot { display: inline-block; vertical-align: top; margin: 0 24px 16px 0; }
`;

// Plain ES5 for the browser: no build step.
const CLIENT_JS = `
(function () {
  var report = JSON.parse(document.getElementById('bench-data').textContent);
  var summary = { ready: false, plots: [], errors: [] };
  window.__bench = summary;
  var refs = [];
  report.workloads.forEach(function (w) { (w.ratios || []).forEach(function (r) { if (refs.indexOf(r.to) < 0) refs.push(r.to); }); });
  var labels = { pytorch: 'PyTorch', 'pytorch-plain': 'PyTorch, plain torch.save', nanogpt: 'nanoGPT train.py', lightning: 'Lightning' };
  refs.forEach(function (ref) {
    var rows = report.workloads.filter(function (w) { return (w.ratios || []).some(function (r) { return r.to === ref; }); });
    var names = rows.map(function (w) { return w.name; });
    var ratio = function (w) { return w.ratios.filter(function (r) { return r.to === ref; })[0]; };
    var xs = names.map(function (_, i) { return i; });
    var med = rows.map(function (w) { return ratio(w).median; });
    var lo = rows.map(function (w) { return ratio(w).min; });
    var hi = rows.map(function (w) { return ratio(w).max; });
    var top = Math.max(1.2, Math.max.apply(null, hi) * 1.1);
    var box = document.createElement('div');
    box.className = 'plot';
    box.innerHTML = '<h3>torchtrain / ' + (labels[ref] || ref) + '</h3>';
    document.getElementById('plots').appendChild(box);
    var whiskers = function (u) {
      var c = u.ctx;
      c.save();
      c.strokeStyle = '#1d232a'; c.lineWidth = 1.5 * devicePixelRatio;
      for (var i = 0; i < xs.length; i++) {
        var x = u.valToPos(i, 'x', true), y1 = u.valToPos(lo[i], 'y', true), y2 = u.valToPos(hi[i], 'y', true), w = 6 * devicePixelRatio;
        c.beginPath(); c.moveTo(x, y1); c.lineTo(x, y2); c.moveTo(x - w, y1); c.lineTo(x + w, y1); c.moveTo(x - w, y2); c.lineTo(x + w, y2); c.stroke();
      }
      c.fillStyle = '#1d232a'; c.textAlign = 'center'; c.font = (12 * devicePixelRatio) + 'px system-ui, sans-serif';
      for (var j = 0; j < xs.length; j++) c.fillText(med[j].toFixed(2) + 'x', u.valToPos(j, 'x', true) + 22 * devicePixelRatio, u.valToPos(med[j], 'y', true) - 4 * devicePixelRatio);
      var y = u.valToPos(1, 'y', true);
      c.strokeStyle = '#c0392b'; c.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      c.beginPath(); c.moveTo(u.bbox.left, y); c.lineTo(u.bbox.left + u.bbox.width, y); c.stroke();
      c.restore();
    };
    var opts = {
      width: Math.max(360, 110 * names.length + 80), height: 300,
      scales: { x: { time: false, range: [-0.6, names.length - 0.4] }, y: { range: [0, top] } },
      axes: [
        { splits: function () { return xs; }, values: function (u, splits) { return splits.map(function (i) { return names[i] || ''; }); }, grid: { show: false } },
        { values: function (u, splits) { return splits.map(function (v) { return v.toFixed(2) + 'x'; }); } },
      ],
      legend: { show: false },
      cursor: { show: false },
      series: [{}, { label: 'median ratio', fill: 'rgba(52, 120, 198, 0.75)', stroke: '#2c6aa9', paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }],
      hooks: { draw: [whiskers] },
    };
    var plot = new uPlot(opts, [xs, med], box);
    summary.plots.push({ against: ref, bars: names.length, workloads: names, canvas: !!plot.root.querySelector('canvas') });
  });
  summary.tables = document.querySelectorAll('table').length;
  summary.ready = true;
  document.body.setAttribute('data-ready', 'true');
})();
`;
