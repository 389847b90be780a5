// compareProfiles' formulas against an independent reference: numpy for PSI (its formula, empty
// bins at epsilon) and for the reference's decile edges and counts (numpy.percentile,
// numpy.searchsorted), scipy.spatial.distance.jensenshannon(base=2) squared for the
// Jensen-Shannon divergence; then synthetic shifts: a shifted distribution is flagged, a second
// sample of the same one is not.
import { afterAll, describe, expect, it } from 'vitest';
import { metrics, data } from '../../lib/index.js';
import { type NumericFeatureProfile } from '../../lib/metrics/profile-types.js';
import { parityRequired, TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());
const scipy = py ? await py.run<boolean>('try:\n    import scipy.spatial.distance, numpy\n    out = True\nexcept ImportError:\n    out = False') : false;
if (py && !scipy) {
  const message = 'DRIFT PARITY TESTS NOT RUN: the reference Python has no scipy (scikit-learn brings it: bash scripts/setup.sh)';
  if (parityRequired) throw new Error(message);
  console.warn(message);
}

/** n normal(mean, std) values from a seeded generator (Box-Muller). */
function normal(n: number, mean: number, std: number, seed: number): number[] {
  const rng = new data.SeededRandom(seed);
  return Array.from({ length: n }, () => mean + std * Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat()));
}

function categorical(n: number, weights: number[], seed: number): number[] {
  const rng = new data.SeededRandom(seed);
  const total = weights.reduce((a, b) => a + b, 0);
  return Array.from({ length: n }, () => {
    let u = rng.nextFloat() * total, k = 0;
    while (u >= weights[k]! && k < weights.length - 1) u -= weights[k++]!;
    return k;
  });
}

const task = { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } };
const profileOf = (xs: number[], reference?: metrics.DatasetProfile) =>
  metrics.computeDatasetProfile(xs.map((x) => ({ x })), task, { progress: false, reference, maxSamples: 100_000 });

const PY_MEASURES = `
import numpy as np
from scipy.spatial.distance import jensenshannon
r = np.asarray(ref, dtype=np.float64); c = np.asarray(cur, dtype=np.float64)
rs = r / r.sum(); cs = c / c.sum()
a = np.maximum(rs, eps); b = np.maximum(cs, eps)
out = {'psi': float(np.sum((b - a) * np.log(b / a))), 'js': float(jensenshannon(rs, cs, base=2) ** 2)}
`;

describe.skipIf(!py || !scipy)('drift measures against numpy and scipy', () => {
  it('PSI and Jensen-Shannon divergence of histograms, empty bins included', async () => {
    const cases: [number[], number[]][] = [
      [[10, 20, 30, 40], [12, 18, 33, 37]],
      [[5, 0, 5, 90], [0, 10, 10, 80]],          // an empty bin on each side
      [[1, 1, 1, 1, 1, 1], [6, 0, 0, 0, 0, 0]],   // everything moved into one bin
      [[100, 0], [0, 100]],                        // disjoint: JS is 1 bit
      [[3, 7, 11], [3, 7, 11]],                    // identical: both 0
    ];
    for (const [ref, cur] of cases) {
      for (const eps of [1e-4, 1e-3]) {
        const theirs = await py!.run<{ psi: number; js: number }>(PY_MEASURES, { ref, cur, eps });
        expect(metrics.populationStabilityIndex(ref, cur, eps), `PSI ${ref} vs ${cur}`).toBeCloseTo(theirs.psi, 10);
      }
      const theirs = await py!.run<{ psi: number; js: number }>(PY_MEASURES, { ref, cur, eps: 1e-4 });
      expect(metrics.jensenShannonDivergence(ref, cur), `JS ${ref} vs ${cur}`).toBeCloseTo(theirs.js, 10);
    }
    expect(metrics.jensenShannonDivergence([100, 0], [0, 100])).toBeCloseTo(1, 12);
  });

  it('a numeric feature end to end: moments, percentiles, decile edges, counts and both measures as numpy computes them from the raw values', async () => {
    const ref = normal(3000, 0, 1, 1), cur = normal(1200, 0.3, 1.4, 2);
    const a = await profileOf(ref);
    const b = await profileOf(cur, a);
    const drift = metrics.compareProfiles(a, b);
    const fa = a.features[0] as NumericFeatureProfile, fb = b.features[0] as NumericFeatureProfile;
    const theirs = await py!.run<Record<string, number[] | number>>(`
import numpy as np
from scipy.spatial.distance import jensenshannon
r = np.asarray(ref); c = np.asarray(cur)
edges = np.unique(np.percentile(r, [10 * i for i in range(1, 10)]))
rc = np.bincount(np.searchsorted(edges, r, side='left'), minlength=len(edges) + 1).astype(float)
cc = np.bincount(np.searchsorted(edges, c, side='left'), minlength=len(edges) + 1).astype(float)
rs = rc / rc.sum(); cs = cc / cc.sum()
a = np.maximum(rs, 1e-4); b = np.maximum(cs, 1e-4)
out = {'edges': edges.tolist(), 'rc': rc.tolist(), 'cc': cc.tolist(), 'psi': float(np.sum((b - a) * np.log(b / a))),
       'js': float(jensenshannon(rs, cs, base=2) ** 2), 'mean': float(r.mean()), 'std': float(r.std()),
       'pct': np.percentile(r, [1, 5, 25, 50, 75, 95, 99]).tolist(), 'p100': np.percentile(r, list(range(101))).tolist()}
`, { ref, cur });
    expect(fa.mean).toBeCloseTo(theirs.mean as number, 12);
    expect(fa.std).toBeCloseTo(theirs.std as number, 12);
    expect(Object.values(fa.quantiles)).toEqual((theirs.pct as number[]).map((v) => expect.closeTo(v, 12)));
    expect(fa.percentiles).toEqual((theirs.p100 as number[]).map((v) => expect.closeTo(v, 12)));
    expect(fa.histogram.edges).toEqual((theirs.edges as number[]).map((v) => expect.closeTo(v, 12)));
    expect(fa.histogram.counts).toEqual(theirs.rc);
    expect(fb.histogram.counts).toEqual(theirs.cc);
    const f = drift.features[0]!;
    expect(f.binning).toBe('exact');
    expect(f.psi).toBeCloseTo(theirs.psi as number, 10);
    expect(f.js).toBeCloseTo(theirs.js as number, 10);
  });

  it('a label distribution: counts per class as numpy.bincount, and both measures', async () => {
    const spec = { type: 'seq_classification' as const, numClasses: 4, fields: { inputs: 'x', labels: 'labels' } };
    const ref = categorical(2000, [6, 2, 1, 1], 3), cur = categorical(800, [1, 1, 1, 1], 4);
    const a = await metrics.computeDatasetProfile(ref.map((labels) => ({ labels })), spec, { progress: false });
    const b = await metrics.computeDatasetProfile(cur.map((labels) => ({ labels })), spec, { progress: false, reference: a });
    const f = metrics.compareProfiles(a, b).features.find((x) => x.feature === 'labels')!;
    const theirs = await py!.run<{ rc: number[]; cc: number[]; psi: number; js: number }>(`
import numpy as np
from scipy.spatial.distance import jensenshannon
rc = np.append(np.bincount(ref, minlength=4), 0).astype(float); cc = np.append(np.bincount(cur, minlength=4), 0).astype(float)
rs = rc / rc.sum(); cs = cc / cc.sum(); a = np.maximum(rs, 1e-4); b = np.maximum(cs, 1e-4)
out = {'rc': rc.tolist(), 'cc': cc.tolist(), 'psi': float(np.sum((b - a) * np.log(b / a))), 'js': float(jensenshannon(rs, cs, base=2) ** 2)}
`, { ref, cur });
    expect(f.bins).toEqual(['0', '1', '2', '3', 'other']);
    expect(f.referenceShares.map((s) => s * 2000)).toEqual(theirs.rc.map((v) => expect.closeTo(v, 9)));
    expect(f.currentShares.map((s) => s * 800)).toEqual(theirs.cc.map((v) => expect.closeTo(v, 9)));
    expect(f.psi).toBeCloseTo(theirs.psi, 10);
    expect(f.js).toBeCloseTo(theirs.js, 10);
    expect(f.flagged).toBe(true);
  });
});

describe('drift flags', () => {
  it('flags a shifted distribution and not a second sample of the same one', async () => {
    const a = await profileOf(normal(5000, 0, 1, 10));
    const same = metrics.compareProfiles(a, await profileOf(normal(5000, 0, 1, 11), a));
    const shifted = metrics.compareProfiles(a, await profileOf(normal(5000, 1, 1, 12), a), { names: ['train', 'val'] });
    const wider = metrics.compareProfiles(a, await profileOf(normal(5000, 0, 2.5, 13), a));
    expect(same.flagged).toEqual([]);
    expect(same.features[0]!.psi).toBeLessThan(0.02);
    expect(shifted.flagged).toEqual(['x']);
    expect(shifted.features[0]!.psi).toBeGreaterThan(0.5);
    expect(shifted.features[0]!.summary).toMatch(/^value of 'x' in val vs train: PSI [\d.]+ \(a significant shift\), JS [\d.]+; mean -?[\d.e-]+ -> [\d.]+/);
    expect(wider.flagged).toEqual(['x']);
  });

  it('bins a profile made without the reference from its percentiles (approximate), close to the exact result', async () => {
    const a = await profileOf(normal(5000, 0, 1, 20));
    const cur = normal(5000, 0.4, 1, 21);
    const exact = metrics.compareProfiles(a, await profileOf(cur, a)).features[0]!;
    const approx = metrics.compareProfiles(a, await profileOf(cur)).features[0]!;
    expect(exact.binning).toBe('exact');
    expect(approx.binning).toBe('approximate');
    expect(approx.psi).toBeCloseTo(exact.psi, 1);
    expect(approx.js).toBeCloseTo(exact.js, 2);
    approx.currentShares.forEach((s, i) => expect(s).toBeCloseTo(exact.currentShares[i]!, 2));
  });

  it('flags a token distribution that moved, with its own thresholds when given', async () => {
    const spec = { type: 'causal_lm' as const, vocabSize: 50 };
    const items = (weights: number[], seed: number) => Array.from({ length: 400 }, (_, i) => ({ input_ids: Int32Array.from(categorical(32, weights, seed * 1000 + i)) }));
    const flat = Array.from({ length: 50 }, () => 1), skewed = Array.from({ length: 50 }, (_, k) => (k < 10 ? 5 : 1));
    const a = await metrics.computeDatasetProfile(items(flat, 1), spec, { progress: false });
    const b = await metrics.computeDatasetProfile(items(skewed, 2), spec, { progress: false, reference: a });
    const c = await metrics.computeDatasetProfile(items(flat, 3), spec, { progress: false, reference: a });
    const moved = metrics.compareProfiles(a, b).features.find((f) => f.feature === 'input_ids.tokens')!;
    expect(moved.flagged).toBe(true);
    expect(moved.summary).toMatch(/token distribution of 'input_ids'.*token \d+: [\d.]+% -> [\d.]+%/);
    expect(metrics.compareProfiles(a, c).flagged).toEqual([]);
    // lenient thresholds: nothing is flagged
    expect(metrics.compareProfiles(a, b, { psiThreshold: 10, jsThreshold: 0.9 }).flagged).toEqual([]);
  });

  it('refuses bad options and non-profiles with what to fix', async () => {
    const a = await profileOf([1, 2, 3]);
    expect(() => metrics.compareProfiles(a, a, { psiTreshold: 0.1 } as never)).toThrow(/psiTreshold/);
    expect(() => metrics.compareProfiles(a, a, { jsThreshold: 2 })).toThrow(/jsThreshold/);
    expect(() => metrics.compareProfiles(a, {} as never)).toThrow(/current is not a DatasetProfile/);
    expect(() => metrics.populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(/2 and 3 bins/);
  });
});
