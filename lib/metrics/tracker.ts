// MetricsTracker: adds up losses, items and counts over an epoch (or a validation run) and
// reports loss per item, perplexity, accuracy, macro F1, recall@1, throughput and the latest
// learning rate and gradient norm.
import { type BatchCounts } from './batch-metrics.js';

export class MetricsTracker {
  private lossSum = 0;
  private items = 0;
  private correct = 0;
  private total = 0;
  private tp: number[] = [];
  private fp: number[] = [];
  private fn: number[] = [];
  private started = performance.now();
  private hasCounts = false;
  lr: number | null = null;
  gradNorm: number | null = null;

  constructor(readonly metrics: string[]) {}

  reset(): void {
    Object.assign(this, { lossSum: 0, items: 0, correct: 0, total: 0, tp: [], fp: [], fn: [], hasCounts: false, started: performance.now() });
  }

  /** One batch: its summed loss, the items it covers, and its counts (if the task has any). */
  add(lossSum: number, items: number, counts: BatchCounts | null): void {
    this.lossSum += lossSum;
    this.items += items;
    if (!counts) return;
    this.hasCounts = true;
    this.correct += counts.correct;
    this.total += counts.total;
    const merge = (into: number[], from?: number[]) => from?.forEach((v, i) => (into[i] = (into[i] ?? 0) + v));
    merge(this.tp, counts.tp);
    merge(this.fp, counts.fp);
    merge(this.fn, counts.fn);
  }

  get meanLoss(): number {
    return this.items > 0 ? this.lossSum / this.items : NaN;
  }

  get itemsSeen(): number {
    return this.items;
  }

  /** The metrics named in the TaskSpec (plus throughput, lr and grad norm when known). */
  summary(): Record<string, number> {
    const out: Record<string, number> = {};
    const seconds = (performance.now() - this.started) / 1000;
    for (const m of this.metrics) {
      if (m === 'loss') out.loss = this.meanLoss;
      else if (m === 'perplexity') out.perplexity = Math.exp(this.meanLoss);
      else if (m === 'accuracy' && this.hasCounts) out.accuracy = this.total ? this.correct / this.total : NaN;
      else if (m === 'recall@1' && this.hasCounts) out['recall@1'] = this.total ? this.correct / this.total : NaN;
      else if (m === 'f1' && this.tp.length) {
        const f1s = this.tp.map((tp, c) => {
          const denom = 2 * tp + (this.fp[c] ?? 0) + (this.fn[c] ?? 0);
          return denom ? (2 * tp) / denom : NaN;
        }).filter((v) => !Number.isNaN(v));
        out.f1 = f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : NaN;
      }
    }
    out.throughput = seconds > 0 ? this.items / seconds : 0;
    if (this.lr !== null) out.lr = this.lr;
    if (this.gradNorm !== null) out.gradNorm = this.gradNorm;
    return out;
  }
}
