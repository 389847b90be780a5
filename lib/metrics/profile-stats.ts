// The statistics a data profile is made of: numeric summaries (moments, numpy's linear-
// interpolation percentiles, counts in quantile bins) and counts of discrete values. Pure
// functions and small accumulators over plain numbers: no tensors, no datasets.
import { type BinnedCounts, type CategoricalFeatureProfile, type CategoricalMeasure, type NumericFeatureProfile, type NumericMeasure } from './profile-types.js';

/** numpy.percentile(sorted, q) with the default 'linear' method; `sorted` ascending, non-empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  const a = sorted[lo]!, b = sorted[hi]!;
  return lo === hi ? a : a + (b - a) * (pos - lo);
}

/**
 * Cut points for `bins` bins holding about equal shares of `sorted` (its quantiles at 1/bins,
 * 2/bins, ...), without repeats. Data with at most `bins` distinct values (lengths that are all
 * 128, a few classes of a count) gets one bin per value instead: ties would merge quantile bins,
 * and a value the reference never had must land in a bin of its own.
 */
export function quantileEdges(sorted: ArrayLike<number>, bins: number): number[] {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length && distinct.length <= bins; i++) {
    if (!distinct.length || sorted[i]! > distinct[distinct.length - 1]!) distinct.push(sorted[i]!);
  }
  if (distinct.length <= bins) {
    let gap = Infinity;
    for (let i = 1; i < distinct.length; i++) gap = Math.min(gap, distinct[i]! - distinct[i - 1]!);
    const v = distinct[0]!;
    const half = distinct.length > 1 ? gap / 2 : Number.isInteger(v) ? 0.5 : Math.max(Math.abs(v) * 1e-3, 1e-12);
    return [v - half, ...distinct.slice(1).map((x, i) => (x + distinct[i]!) / 2), distinct[distinct.length - 1]! + half];
  }
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = percentileOfSorted(sorted, (100 * i) / bins);
    if (!edges.length || e > edges[edges.length - 1]!) edges.push(e);
  }
  return edges;
}

/** The bin of x: how many edges lie strictly below it (numpy.searchsorted(edges, x, side='left')). */
export function binIndex(edges: readonly number[], x: number): number {
  let lo = 0, hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts of values in the bins cut at `edges`. */
export function binValues(values: ArrayLike<number>, edges: readonly number[]): BinnedCounts {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i]!)]! += 1;
  return { edges: [...edges], counts };
}

/**
 * Counts in bins cut at `edges`, estimated from percentiles 0..100 (a piecewise-linear CDF):
 * how compareProfiles bins a profile on another one's edges when only its summary is at hand.
 */
export function binFromPercentiles(percentiles: readonly number[], count: number, edges: readonly number[]): BinnedCounts {
  const cdf = (x: number): number => {
    const p = percentiles;
    if (x < p[0]!) return 0;
    if (x >= p[p.length - 1]!) return 1;
    // the last percentile at or below x, then linear to the next one
    let i = binIndex(p, x);
    while (i < p.length - 1 && p[i + 1]! <= x) i++;
    if (p[i]! > x) i--;
    const a = p[i]!, b = p[i + 1]!;
    const within = b > a ? (x - a) / (b - a) : 1;
    return (i + within) / (p.length - 1);
  };
  const cuts = edges.map(cdf);
  const counts = cuts.map((c, i) => (c - (i ? cuts[i - 1]! : 0)) * count);
  counts.push((1 - (cuts.length ? cuts[cuts.length - 1]! : 0)) * count);
  return { edges: [...edges], counts };
}

/** Collects one number per item (or per item and column) and summarises them. */
export class NumericAccumulator {
  private values = new Float64Array(64);
  private n = 0;
  private nonFinite = 0;
  private pixelSum = 0;
  private pixelSumSq = 0;
  private pixelCount = 0;

  constructor(readonly name: string, readonly field: string, readonly measure: NumericMeasure) {}

  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.nonFinite++;
      return;
    }
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = x;
  }

  /** An image's pixels: every finite one enters the pixel mean/std; the item's mean is the value. */
  addPixels(pixels: ArrayLike<number>): void {
    let sum = 0, sq = 0, n = 0;
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i]!;
      if (!Number.isFinite(v)) continue;
      sum += v;
      sq += v * v;
      n++;
    }
    this.pixelSum += sum;
    this.pixelSumSq += sq;
    this.pixelCount += n;
    this.add(n ? sum / n : NaN);
  }

  get count(): number {
    return this.n;
  }

  /** The summary, binned on `edges` when given (a reference's), else on this data's own `bins` quantiles. */
  summarise(bins: number, edges?: readonly number[]): NumericFeatureProfile | null {
    if (this.n === 0) return null;
    const sorted = this.values.slice(0, this.n).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    const mean = sum / this.n;
    let ss = 0;
    for (const v of sorted) ss += (v - mean) * (v - mean);
    const q = (p: number) => percentileOfSorted(sorted, p);
    const profile: NumericFeatureProfile = {
      name: this.name, field: this.field, kind: 'numeric', measure: this.measure,
      count: this.n, nonFinite: this.nonFinite, mean, std: Math.sqrt(ss / this.n), min: sorted[0]!, max: sorted[this.n - 1]!,
      quantiles: { p01: q(1), p05: q(5), p25: q(25), p50: q(50), p75: q(75), p95: q(95), p99: q(99) },
      percentiles: Array.from({ length: 101 }, (_, i) => q(i)),
      histogram: binValues(sorted, edges ?? quantileEdges(sorted, bins)),
    };
    if (this.pixelCount) {
      const pm = this.pixelSum / this.pixelCount;
      profile.pixels = { mean: pm, std: Math.sqrt(Math.max(0, this.pixelSumSq / this.pixelCount - pm * pm)), count: this.pixelCount };
    }
    return profile;
  }
}

/** Counts discrete values (class ids, token ids). */
export class CategoricalCounter {
  private readonly counts = new Map<number, number>();
  private total = 0;
  private ignored = 0;

  constructor(readonly name: string, readonly field: string, readonly measure: CategoricalMeasure) {}

  add(value: number, times = 1): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + times);
    this.total += times;
  }

  addIgnored(times = 1): void {
    this.ignored += times;
  }

  get size(): number {
    return this.total;
  }

  /**
   * The counts of `fixed` categories (every class), or of the `topK` most frequent values plus
   * the `include` ones (a reference's top tokens, so the two profiles count the same ids).
   */
  summarise(options: { fixed?: number[]; topK?: number; include?: readonly string[] }): CategoricalFeatureProfile {
    let listed: number[];
    if (options.fixed) listed = options.fixed;
    else {
      const top = [...this.counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, options.topK ?? 50).map(([v]) => v);
      const extra = (options.include ?? []).map(Number).filter((v) => Number.isFinite(v) && !top.includes(v));
      listed = [...top, ...extra];
    }
    const counts = listed.map((v) => this.counts.get(v) ?? 0);
    const inList = counts.reduce((a, b) => a + b, 0);
    const profile: CategoricalFeatureProfile = {
      name: this.name, field: this.field, kind: 'categorical', measure: this.measure, total: this.total,
      categories: listed.map(String), counts, other: this.total - inList, distinct: this.counts.size,
    };
    if (this.ignored) profile.ignored = this.ignored;
    return profile;
  }
}
