// MetricsTracker: adds up losses, items and the counts behind the TaskSpec's metrics over an
// epoch (or a validation run) and reports them by the TaskSpec's names (README.md, Training:
// metrics; the names and their meanings are in names.ts).
//
// Everything adds up ON THE DEVICE (float64 counters, in-place adds per batch) and is read to
// JavaScript only by read(), summary() or confusionMatrix(): at logging intervals, at an epoch's
// or a validation run's end, or when a hook asks, and then in one transfer. A per-batch
// .item() would stall a CUDA device every step.
import { type Tensor } from '../core/tensor.js';
import { type Batch, type ModelOutput } from '../loss/types.js';
import { type TaskSpec } from '../task/spec.js';
import { type BatchCounts } from './batch-metrics.js';
import { addBatchStats, type MetricPlan, planMetrics } from './batch-stats.js';
import { DeviceCounters } from './device-counters.js';
import { type Average, type ClassCounts, countsFromConfusion, precisionRecallF1, regressionMetrics } from './formulas.js';
import { recallAtK, topK } from './names.js';

/** Loss summed over items, as read back from the device. */
export interface LossTotals { lossSum: number; items: number }

const AVERAGED = /^(precision|recall|f1)(?:_(macro|micro|binary))?$/;

export class MetricsTracker {
  private readonly counters = new DeviceCounters();
  private readonly plan: MetricPlan;
  /** The counters as last read; null once anything was added since. */
  private snapshot: Map<string, number[]> | null = null;

  /**
   * `metrics`: the names to report (TaskSpec.metrics). `task`: needed by update(), which counts
   * the task metrics from model outputs; a tracker of losses alone ('loss', 'perplexity') needs none.
   */
  constructor(readonly metrics: string[], private readonly task: TaskSpec | null = null) {
    this.plan = planMetrics(metrics, task);
  }

  reset(): void {
    this.counters.reset();
    this.snapshot = null;
  }

  /** Frees the device counters. */
  dispose(): void {
    this.counters.dispose();
    this.snapshot = null;
  }

  /** One batch's summed loss and the items it covers (a number, or a 0-d device tensor): no host read. */
  addLoss(lossSum: Tensor, items: number | Tensor): void {
    this.counters.add('lossSum', lossSum);
    this.counters.add('items', items);
    this.snapshot = null;
  }

  /** One batch's model output and batch (on the device): the counts behind the task metrics, no host read. */
  update(output: ModelOutput, batch: Batch): void {
    if (!this.task) throw new TypeError('MetricsTracker.update: the tracker was made without a TaskSpec; pass it: new MetricsTracker(task.metrics, task)');
    addBatchStats(output, batch, this.task, this.plan, this.counters);
    this.snapshot = null;
  }

  /** Counts already read to the host (batchCounts()): the older, per-batch-read way, kept for callers that have them. */
  addCounts(counts: BatchCounts | null): void {
    if (!counts) return;
    this.counters.add('correct', counts.correct);
    this.counters.add('total', counts.total);
    if (counts.tp) this.counters.addHost('tp', counts.tp);
    if (counts.fp) this.counters.addHost('fp', counts.fp);
    if (counts.fn) this.counters.addHost('fn', counts.fn);
    this.snapshot = null;
  }

  private values(): Map<string, number[]> {
    this.snapshot ??= this.counters.read();
    return this.snapshot;
  }

  /** Every counter's values (one host read when anything was added on the device). */
  counterValues(): Map<string, number[]> {
    return new Map(this.values());
  }

  /**
   * Replaces what the counters read as until the next add (data-parallel validation: the sums of
   * every rank's counterValues()), so read() and summary() report those.
   */
  useCounterValues(values: Map<string, number[]>): void {
    this.snapshot = new Map(values);
  }

  /** The loss and item totals so far (one host read when anything was added on the device). */
  read(): LossTotals {
    const v = this.values();
    return { lossSum: v.get('lossSum')?.[0] ?? 0, items: v.get('items')?.[0] ?? 0 };
  }

  /**
   * The confusion matrix of a single-label classification task (rows: true class, columns:
   * predicted class, like sklearn's confusion_matrix with labels 0..numClasses-1; ignored
   * targets left out), or null for other tasks or before any update().
   */
  confusionMatrix(): number[][] | null {
    const c = this.task?.numClasses;
    const flat = this.values().get('confusion');
    if (!flat || c === undefined) return null;
    return Array.from({ length: c }, (_, i) => flat.slice(i * c, (i + 1) * c));
  }

  private classCounts(v: Map<string, number[]>): ClassCounts | null {
    const m = this.confusionMatrix();
    if (m) return countsFromConfusion(m);
    const tp = v.get('tp'), fp = v.get('fp'), fn = v.get('fn');
    return tp && fp && fn ? { tp, fp, fn } : null;
  }

  /** The metrics named in the TaskSpec (those with counts so far), e.g. { loss, accuracy, f1_macro }. */
  summary(totals: LossTotals = this.read()): Record<string, number> {
    const v = this.values();
    const out: Record<string, number> = {};
    const meanLoss = totals.items > 0 ? totals.lossSum / totals.items : NaN;
    const one = (name: string) => v.get(name)?.[0];
    const total = one('total');
    const rate = (hits: number | undefined) => (hits === undefined || total === undefined ? undefined : total > 0 ? hits / total : NaN);
    const counts = this.classCounts(v);
    const multiLabel = this.task?.type === 'multilabel_classification';
    const sse = v.get('sse');
    const regression = sse ? regressionMetrics({ n: one('n') ?? 0, sse, sae: v.get('sae')!, sy: v.get('sy')!, syy: v.get('syy')! }) : null;
    for (const m of this.metrics) {
      let value: number | undefined;
      const averaged = AVERAGED.exec(m);
      if (m === 'loss') value = meanLoss;
      else if (m === 'perplexity') value = Math.exp(meanLoss);
      else if (m === 'accuracy') value = rate(one('correct'));
      else if (topK(m) !== null) value = rate(one(`top${topK(m)}`));
      else if (recallAtK(m) !== null) value = rate(one(m) ?? (m === 'recall@1' ? one('correct') : undefined));
      else if (averaged && counts) value = precisionRecallF1(counts, (averaged[2] ?? 'macro') as Average, multiLabel)[averaged[1] as 'precision' | 'recall' | 'f1'];
      else if (regression && (m === 'mse' || m === 'rmse' || m === 'mae' || m === 'r2')) value = regression[m];
      if (value !== undefined) out[m] = value;
    }
    return out;
  }
}
