// MetricsTracker: adds up losses, items and counts over an epoch (or a validation run) and
// reports loss per item, perplexity, accuracy, macro F1 and recall@1.
//
// Losses and item counts are added up ON THE DEVICE (a float64 accumulator, one in-place add per
// batch) and read to JavaScript only when read() is called: at logging intervals, at an epoch's
// end, or when a hook asks. A per-batch loss.item() would stall a CUDA device every step.
import { zeros } from '../core/creation.js';
import { dispose, keep } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { type BatchCounts } from './batch-metrics.js';

/** Loss summed over items, as read back from the device. */
export interface LossTotals { lossSum: number; items: number }

/** A float64 sum kept on the device: add() queues an in-place add, read() copies it to JS. */
class DeviceSum {
  private sum: Tensor | null = null;
  private host = 0;

  add(value: Tensor | number): void {
    if (typeof value === 'number') {
      this.host += value;
      return;
    }
    this.sum ??= keep(zeros([], { dtype: 'float64', device: value.device }));
    this.sum.add_(value.detach()).dispose();
  }

  /** The total so far (one host read when anything was added on the device). */
  read(): number {
    return this.host + (this.sum ? this.sum.item() : 0);
  }

  reset(): void {
    if (this.sum) this.sum.zero_().dispose();
    this.host = 0;
  }

  dispose(): void {
    if (this.sum) dispose(this.sum);
    this.sum = null;
  }
}

export class MetricsTracker {
  private readonly loss = new DeviceSum();
  private readonly items = new DeviceSum();
  private correct = 0;
  private total = 0;
  private tp: number[] = [];
  private fp: number[] = [];
  private fn: number[] = [];
  private hasCounts = false;

  constructor(readonly metrics: string[]) {}

  reset(): void {
    this.loss.reset();
    this.items.reset();
    Object.assign(this, { correct: 0, total: 0, tp: [], fp: [], fn: [], hasCounts: false });
  }

  /** Frees the device accumulators. */
  dispose(): void {
    this.loss.dispose();
    this.items.dispose();
  }

  /** One batch's summed loss and the items it covers (a number, or a 0-d device tensor): no host read. */
  addLoss(lossSum: Tensor, items: number | Tensor): void {
    this.loss.add(lossSum);
    this.items.add(items);
  }

  /** One batch's counts behind accuracy, F1 and recall@1. */
  addCounts(counts: BatchCounts | null): void {
    if (!counts) return;
    this.hasCounts = true;
    this.correct += counts.correct;
    this.total += counts.total;
    const merge = (into: number[], from?: number[]) => from?.forEach((v, i) => (into[i] = (into[i] ?? 0) + v));
    merge(this.tp, counts.tp);
    merge(this.fp, counts.fp);
    merge(this.fn, counts.fn);
  }

  /** The loss and item totals so far: the host read (one or two 0-d copies). */
  read(): LossTotals {
    return { lossSum: this.loss.read(), items: this.items.read() };
  }

  /** The metrics named in the TaskSpec, from totals read with read(). */
  summary(totals: LossTotals = this.read()): Record<string, number> {
    const out: Record<string, number> = {};
    const meanLoss = totals.items > 0 ? totals.lossSum / totals.items : NaN;
    for (const m of this.metrics) {
      if (m === 'loss') out.loss = meanLoss;
      else if (m === 'perplexity') out.perplexity = Math.exp(meanLoss);
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
    return out;
  }
}
