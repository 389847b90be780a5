// The dashboard's "Data profiles and drift" section, as browser code (plain ES5 in a string, run
// inside the page script of html-dashboard-page.ts, whose helpers el, fmt, rowsTable, kvTable,
// app and summary it uses). It draws what computeDatasetProfile and compareProfiles make (the
// Trainer's dataProfiles): the sizes of each split, a table of PSI and JS per feature with the
// flagged ones marked, a uPlot plot of the main feature's bins in train and val, and each split's
// fields and features. Any other shape falls back to plain tables (renderProfiles returns false).
import { type DataProfiles } from '../metrics/profile-types.js';

/** The Trainer's dataProfiles in the dashboard's { profiles, drift } form (null when there are none). */
export function dashboardProfilesOf(p: DataProfiles | undefined): { profiles: Record<string, unknown>; drift?: unknown } | null {
  if (!p || (!p.train && !p.val)) return null;
  const profiles: Record<string, unknown> = {};
  if (p.train) profiles.train = p.train;
  if (p.val) profiles.val = p.val;
  return p.drift ? { profiles, drift: p.drift } : { profiles };
}

// No template literals inside (this is one).
export const PROFILES_CLIENT_JS = String.raw`
  var WIDE = 'grid-column: 1 / -1';
  function isProfile(p) { return !!p && Array.isArray(p.features) && Array.isArray(p.fields); }
  function renderProfiles(prof) {
    var splits = Object.keys(prof.profiles || {});
    if (!splits.length || !splits.every(function (s) { return isProfile(prof.profiles[s]); })) return false;
    var drift = prof.drift && Array.isArray(prof.drift.features) ? prof.drift : null;
    var cards = [], info = { cards: 0, splits: splits.length, driftRows: 0, flagged: 0, histogram: null };
    var sizes = splits.map(function (s) {
      var p = prof.profiles[s];
      var lacking = p.fields.filter(function (f) { return f.missing || f.empty; }).map(function (f) { return f.name + ': ' + f.missing + ' missing, ' + f.empty + ' empty'; });
      return { split: s, items: p.items === null ? 'unknown (stream)' : p.items, profiled: p.profiled,
        sample: p.sampling === 'random' ? 'random, seed ' + p.seed : p.sampling, fields: p.fields.length, features: p.features.length,
        'missing / empty': lacking.join('; ') || 'none', notes: p.notes.join('; ') };
    });
    cards.push(el('div', { class: 'card', 'data-profile': 'sizes', style: WIDE }, [el('h3', { text: 'Sizes' }), rowsTable(sizes)]));
    if (drift) {
      var rows = drift.features.map(function (f) {
        return { feature: f.feature, PSI: f.psi, JS: f.js, flagged: f.flagged, binning: f.binning, summary: f.summary };
      });
      info.driftRows = rows.length;
      info.flagged = drift.flagged.length;
      var note = 'Flagged: PSI above ' + drift.thresholds.psi + ' or Jensen-Shannon divergence (base 2) above ' + drift.thresholds.js + '. PSI below 0.1: no real change; 0.1-0.2: moderate; above 0.2: significant.';
      cards.push(el('div', { class: 'card', 'data-profile': 'drift', style: WIDE }, [
        el('h3', { text: 'Drift: ' + drift.current + ' against ' + drift.reference + ' (' + drift.flagged.length + ' of ' + rows.length + ' features flagged)' }),
        el('p', { class: 'section-note', text: note }), rows.length ? rowsTable(rows) : el('p', { class: 'empty', text: 'no feature in both profiles' })]));
      // The main feature: the most drifted flagged one, else the first.
      var main = drift.features.slice().sort(function (a, b) { return (b.flagged - a.flagged) || (b.psi - a.psi); })[0];
      if (main) {
        var box = el('div', { class: 'plot', 'data-plot': 'profile-histogram', 'data-series': '2', 'data-points': main.bins.length + ',' + main.bins.length });
        cards.push(el('div', { class: 'card', style: 'grid-column: span 2' }, [el('h3', { text: 'Bins of ' + main.feature + ': share of ' + drift.reference + ' and ' + drift.current }), box]));
        info.histogram = { feature: main.feature, series: 2, points: main.bins.length };
        histogramToDraw = { box: box, f: main, names: [drift.reference, drift.current] };
      }
    }
    splits.forEach(function (s) {
      var p = prof.profiles[s];
      var numeric = p.features.filter(function (f) { return f.kind === 'numeric'; }).map(function (f) {
        var row = { feature: f.name, measure: f.measure.replace(/_/g, ' '), count: f.count, mean: f.mean, std: f.std, min: f.min, p05: f.quantiles.p05, median: f.quantiles.p50, p95: f.quantiles.p95, max: f.max };
        if (f.pixels) row.pixels = 'mean ' + fmt(f.pixels.mean) + ', std ' + fmt(f.pixels.std);
        return row;
      });
      var categorical = p.features.filter(function (f) { return f.kind !== 'numeric'; }).map(function (f) {
        var top = f.categories.map(function (c, i) { return [c, f.counts[i]]; }).sort(function (a, b) { return b[1] - a[1]; }).slice(0, 5);
        return { feature: f.name, measure: f.measure.replace(/_/g, ' '), count: f.total, distinct: f.distinct, 'largest shares': top.map(function (t) { return t[0] + ': ' + (f.total ? (100 * t[1] / f.total).toFixed(1) : 0) + '%'; }).join(', ') };
      });
      var fields = p.fields.map(function (f) { return { field: f.name, kind: f.kind, dtype: f.dtype, shape: '[' + f.shape.join(', ') + ']', present: f.present, missing: f.missing, empty: f.empty, note: f.note || '' }; });
      cards.push(el('div', { class: 'card', 'data-profile': s, style: WIDE }, [el('h3', { text: 'Profile: ' + s }),
        numeric.length ? rowsTable(numeric) : null, categorical.length ? rowsTable(categorical) : null,
        p.features.length ? null : el('p', { class: 'empty', text: 'no features' + (p.notes.length ? ': ' + p.notes.join('; ') : '') }),
        el('details', {}, [el('summary', { text: 'fields: present, missing, empty' }), rowsTable(fields)])]));
    });
    app.appendChild(el('div', { class: 'grid3' }, cards));
    info.cards = cards.length;
    summary.profiles = info;
    if (histogramToDraw) drawHistogram(histogramToDraw);
    return true;
  }
  var histogramToDraw = null;
  function drawHistogram(h) {
    var xs = h.f.bins.map(function (_, i) { return i; });
    var opts = {
      width: Math.max(280, h.box.clientWidth), height: 240, scales: { x: { time: false } }, legend: { live: true },
      axes: [
        { values: function (u, splits) { return splits.map(function (i) { return h.f.bins[i] === undefined ? '' : h.f.bins[i]; }); }, size: 40, grid: { stroke: '#eef0f3' } },
        { values: function (u, splits) { return splits.map(function (v) { return (100 * v).toFixed(0) + '%'; }); }, size: 50, grid: { stroke: '#eef0f3' } },
      ],
      series: [{ label: 'bin', value: function (u, i) { return i === null ? '–' : h.f.bins[i]; } },
        { label: h.names[0], stroke: COLORS.train, width: 2, points: { show: true, size: 6, fill: COLORS.train }, value: function (u, v) { return v === null ? '–' : (100 * v).toFixed(1) + '%'; } },
        { label: h.names[1], stroke: COLORS.validation, width: 2, points: { show: true, size: 6, fill: COLORS.validation }, value: function (u, v) { return v === null ? '–' : (100 * v).toFixed(1) + '%'; } }],
    };
    new uPlot(opts, [xs, h.f.referenceShares, h.f.currentShares], h.box);
    summary.profiles.histogram.canvas = !!h.box.querySelector('canvas');
  }
`;
