// The metrics' formulas, on counts read back from the device. They follow sklearn.metrics (the
// reference the tests compare against): zero_division=0, macro averages over the labels that
// occur in the targets or the predictions (single-label) or over every label (multi-label),
// and r2_score's force_finite rule for constant targets.

export type Average = 'macro' | 'micro' | 'binary';

/** Per-class true positives, false positives and false negatives. */
export interface ClassCounts { tp: number[]; fp: number[]; fn: number[] }

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** tp/fp/fn per class from a confusion matrix (rows: true class, columns: predicted class). */
export function countsFromConfusion(m: number[][]): ClassCounts {
  const c = m.length;
  const tp = m.map((row, i) => row[i]);
  const fp = Array.from({ length: c }, (_, j) => m.reduce((s, row) => s + row[j], 0) - tp[j]);
  const fn = m.map((row, i) => row.reduce((s, v) => s + v, 0) - tp[i]);
  return { tp, fp, fn };
}

/**
 * Precision, recall and F1 like sklearn's precision_recall_fscore_support. `allLabels`: average
 * over every class (multi-label) rather than over those that occur (single-label, labels=None).
 * 'binary' is the positive class 1.
 */
export function precisionRecallF1(counts: ClassCounts, average: Average, allLabels = false): { precision: number; recall: number; f1: number } {
  const { tp, fp, fn } = counts;
  const classes = tp.map((_, c) => c).filter((c) => allLabels || tp[c] + fp[c] + fn[c] > 0);
  const f1 = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
  if (average === 'binary') {
    const p = ratio(tp[1] ?? 0, (tp[1] ?? 0) + (fp[1] ?? 0)), r = ratio(tp[1] ?? 0, (tp[1] ?? 0) + (fn[1] ?? 0));
    return { precision: p, recall: r, f1: f1(p, r) };
  }
  if (average === 'micro') {
    const sum = (xs: number[]) => classes.reduce((s, c) => s + xs[c], 0);
    const p = ratio(sum(tp), sum(tp) + sum(fp)), r = ratio(sum(tp), sum(tp) + sum(fn));
    return { precision: p, recall: r, f1: f1(p, r) };
  }
  if (!classes.length) return { precision: NaN, recall: NaN, f1: NaN };
  const ps = classes.map((c) => ratio(tp[c], tp[c] + fp[c])), rs = classes.map((c) => ratio(tp[c], tp[c] + fn[c]));
  return { precision: mean(ps), recall: mean(rs), f1: mean(classes.map((_, i) => f1(ps[i], rs[i]))) };
}

/** Per-output error and target sums of a regression run. */
export interface RegressionSums { n: number; sse: number[]; sae: number[]; sy: number[]; syy: number[] }

/** MSE, RMSE, MAE and R2 averaged uniformly over outputs (sklearn's multioutput='uniform_average'). */
export function regressionMetrics(s: RegressionSums): { mse: number; rmse: number; mae: number; r2: number } {
  if (s.n === 0) return { mse: NaN, rmse: NaN, mae: NaN, r2: NaN };
  const mse = s.sse.map((v) => v / s.n);
  const r2 = s.sse.map((sse, d) => {
    const sst = s.syy[d] - (s.sy[d] * s.sy[d]) / s.n;
    // Float64 sums of a constant target leave a rounding residue: treat it as zero variance.
    const constant = sst <= 1e-12 * Math.max(1, s.syy[d]);
    if (constant) return sse <= 1e-12 * Math.max(1, s.syy[d]) ? 1 : 0;
    return 1 - sse / sst;
  });
  return { mse: mean(mse), rmse: mean(mse.map(Math.sqrt)), mae: mean(s.sae.map((v) => v / s.n)), r2: mean(r2) };
}
