// compareProfiles(reference, current): how far each feature of one data profile moved from the
// other's, by two standard measures on the same bins:
//
//   PSI = sum_i (c_i - r_i) * ln(c_i / r_i)        population stability index, where r_i and c_i
//        are bin i's shares of reference and current, a share of 0 taken as epsilon (1e-4) so an
//        empty bin counts instead of dividing by zero. The credit-risk reading: below 0.1 no
//        real change, 0.1-0.2 a moderate one, above 0.2 a significant shift (the default flag).
//   JS  = (KL(r || m) + KL(c || m)) / 2, m = (r + c) / 2, in bits: the Jensen-Shannon
//        divergence, symmetric, in [0, 1] (scipy's jensenshannon(r, c, base=2) squared).
//        Flagged above 0.1 by default.
//
// Numeric features are binned on the reference's edges (deciles of the reference): exactly when
// the current profile was computed with { reference } (its counts are on those edges), else
// estimated from the current profile's percentiles. Categorical features compare the listed
// categories plus 'other'.
import { z } from 'zod';
import { parseOrThrow } from '../core/validation.js';
import { binFromPercentiles } from './profile-stats.js';
import {
  type CategoricalFeatureProfile, type DatasetProfile, type DriftReport, type FeatureDrift, type FeatureProfile, type NumericFeatureProfile,
} from './profile-types.js';

export const DEFAULT_PSI_THRESHOLD = 0.2;
export const DEFAULT_JS_THRESHOLD = 0.1;
export const DEFAULT_PSI_EPSILON = 1e-4;

export interface DriftOptions {
  /** Flag a feature whose PSI is above this (default 0.2: a significant shift). */
  psiThreshold?: number;
  /** Flag a feature whose Jensen-Shannon divergence (base 2) is above this (default 0.1). */
  jsThreshold?: number;
  /** The share an empty bin counts as in PSI (default 1e-4). */
  epsilon?: number;
  /** Names of the two sides in the report and summaries (default 'reference', 'current'). */
  names?: [string, string];
  /**
   * Fewer observations than this on either side: measured but never flagged (default 100). On
   * a handful of values both measures are mostly sampling noise (8 draws of one distribution
   * give a PSI above 1), and a warning on every small test set teaches people to ignore them.
   */
  minCount?: number;
}

const optionsSchema = z.object({
  psiThreshold: z.number().positive().default(DEFAULT_PSI_THRESHOLD),
  jsThreshold: z.number().positive().max(1).default(DEFAULT_JS_THRESHOLD),
  epsilon: z.number().positive().lt(0.01).default(DEFAULT_PSI_EPSILON),
  names: z.tuple([z.string().min(1), z.string().min(1)]).default(['reference', 'current']),
  minCount: z.number().int().min(0).default(100),
}).strict();

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/** Population stability index of two histograms on the same bins (counts or shares), natural log, empty bins at `epsilon`. */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[], epsilon = DEFAULT_PSI_EPSILON): number {
  if (reference.length !== current.length) throw new RangeError(`populationStabilityIndex: the histograms have ${reference.length} and ${current.length} bins; bin both on the same edges`);
  const r = shares(reference), c = shares(current);
  let psi = 0;
  for (let i = 0; i < r.length; i++) {
    const a = Math.max(r[i]!, epsilon), b = Math.max(c[i]!, epsilon);
    psi += (b - a) * Math.log(b / a);
  }
  return psi;
}

/** Jensen-Shannon divergence, base 2 (in [0, 1]), of two histograms on the same bins. */
export function jensenShannonDivergence(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length) throw new RangeError(`jensenShannonDivergence: the histograms have ${reference.length} and ${current.length} bins; bin both on the same edges`);
  const p = shares(reference), q = shares(current);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) js += 0.5 * p[i]! * Math.log2(p[i]! / m);
    if (q[i]! > 0) js += 0.5 * q[i]! * Math.log2(q[i]! / m);
  }
  return Math.min(1, Math.max(0, js));
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(3))));
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function binNames(edges: readonly number[]): string[] {
  if (!edges.length) return ['all'];
  return [`<= ${fmt(edges[0]!)}`, ...edges.slice(1).map((e, i) => `${fmt(edges[i]!)} – ${fmt(e)}`), `> ${fmt(edges[edges.length - 1]!)}`];
}

function sameEdges(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const MEASURE_WORDS: Record<string, string> = {
  sequence_length: 'sequence length', text_length: 'text length', item_mean: 'mean per item', value: 'value', target: 'target',
  label: 'label distribution', token: 'token distribution', token_label: 'token label distribution', multilabel: 'label distribution',
};

function compareNumeric(r: NumericFeatureProfile, c: NumericFeatureProfile) {
  const exact = sameEdges(r.histogram.edges, c.histogram.edges);
  const counts = exact ? c.histogram.counts : binFromPercentiles(c.percentiles, c.count, r.histogram.edges).counts;
  const moved = `mean ${fmt(r.mean)} -> ${fmt(c.mean)}, median ${fmt(r.quantiles.p50)} -> ${fmt(c.quantiles.p50)}`;
  return { bins: binNames(r.histogram.edges), ref: r.histogram.counts, cur: counts, exact, moved, refCount: r.count, curCount: c.count };
}

function compareCategorical(r: CategoricalFeatureProfile, c: CategoricalFeatureProfile) {
  const index = new Map(c.categories.map((k, i) => [k, c.counts[i]!]));
  const cur = r.categories.map((k) => index.get(k) ?? 0);
  // What current lists beyond the reference's categories is 'other' for the comparison.
  const curOther = c.total - cur.reduce((a, b) => a + b, 0);
  const exact = r.categories.every((k) => index.has(k));
  const bins = [...r.categories, 'other'];
  const ref = [...r.counts, r.other];
  const curAll = [...cur, curOther];
  const rs = shares(ref), cs = shares(curAll);
  let worst = 0;
  for (let i = 1; i < bins.length; i++) if (Math.abs(cs[i]! - rs[i]!) > Math.abs(cs[worst]! - rs[worst]!)) worst = i;
  const what = r.measure === 'token' ? (bins[worst] === 'other' ? 'tokens outside the top ids' : `token ${bins[worst]}`) : bins[worst] === 'other' ? 'other values' : `class ${bins[worst]}`;
  const moved = `${what}: ${pct(rs[worst]!)} -> ${pct(cs[worst]!)}`;
  return { bins, ref, cur: curAll, exact, moved, refCount: r.total, curCount: c.total };
}

function describeFeature(f: FeatureProfile): string {
  return `${MEASURE_WORDS[f.measure] ?? f.measure} of '${f.field}'`;
}

/**
 * Per feature of both profiles: PSI and Jensen-Shannon divergence of `current` against
 * `reference`, flagged above the thresholds (PSI 0.2, JS 0.1 by default), with a one-line summary.
 */
export function compareProfiles(reference: DatasetProfile, current: DatasetProfile, options: DriftOptions = {}): DriftReport {
  const o = parseOrThrow(optionsSchema, options, (issues) => new RangeError(`compareProfiles: invalid options:\n  ${issues.map((i) => i.text).join('\n  ')}`),
    { root: '(options)', known: { owner: 'compareProfiles', keys: Object.keys(optionsSchema.shape) } });
  for (const [side, p] of [['reference', reference], ['current', current]] as const) {
    if (!p || typeof p !== 'object' || !Array.isArray(p.features)) throw new TypeError(`compareProfiles: ${side} is not a DatasetProfile (computeDatasetProfile's result)`);
  }
  const [refName, curName] = o.names;
  const byName = new Map(current.features.map((f) => [f.name, f]));
  const features: FeatureDrift[] = [];
  const unmatched: DriftReport['unmatched'] = [];
  for (const r of reference.features) {
    const c = byName.get(r.name);
    if (!c || c.kind !== r.kind) {
      unmatched.push({ feature: r.name, in: refName });
      continue;
    }
    const cmp = r.kind === 'numeric' ? compareNumeric(r, c as NumericFeatureProfile) : compareCategorical(r, c as CategoricalFeatureProfile);
    const psi = populationStabilityIndex(cmp.ref, cmp.cur, o.epsilon);
    const js = jensenShannonDivergence(cmp.ref, cmp.cur);
    const fewest = Math.min(cmp.refCount, cmp.curCount);
    const flagged = fewest >= o.minCount && (psi > o.psiThreshold || js > o.jsThreshold);
    const level = psi > o.psiThreshold ? 'a significant shift' : psi > o.psiThreshold / 2 ? 'a moderate shift' : 'little change';
    const few = fewest < o.minCount ? ` (only ${fewest} observations on one side: too few to judge, not flagged)`
      : fewest < 200 ? ` (only ${fewest} observations on one side: small samples inflate both measures)` : '';
    const summary = `${describeFeature(r)} in ${curName} vs ${refName}: PSI ${fmt(psi)} (${level}), JS ${fmt(js)}; ${cmp.moved}${few}`;
    features.push({
      feature: r.name, kind: r.kind, psi, js, flagged, binning: cmp.exact ? 'exact' : 'approximate', bins: cmp.bins,
      referenceShares: shares(cmp.ref), currentShares: shares(cmp.cur), referenceCount: cmp.refCount, currentCount: cmp.curCount, summary,
    });
  }
  const known = new Set(reference.features.map((f) => f.name));
  for (const f of current.features) if (!known.has(f.name)) unmatched.push({ feature: f.name, in: curName });
  return {
    reference: refName, current: curName, thresholds: { psi: o.psiThreshold, js: o.jsThreshold }, epsilon: o.epsilon,
    features, flagged: features.filter((f) => f.flagged).map((f) => f.feature), unmatched,
  };
}
