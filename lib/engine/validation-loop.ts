// ValidationLoop: loss and the TaskSpec's metrics over a source, in eval mode without grad; and
// prediction. Losses and the counts behind the metrics add up on the device and are read once,
// at the end (MetricsTracker): no host read per batch. Throughput is a training log, never a
// validation metric.
import { noGrad } from '../core/autograd.js';
import { cat } from '../core/functions.js';
import { dispose, keep, scope } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
import { type Batch, type ModelOutput } from '../loss/types.js';
import { MetricsTracker } from '../metrics/tracker.js';
import { startProgress } from '../progress/index.js';
import { type BatchSource, releaseBatch, toDevice } from './batch-source.js';
import { shardValidationSource, sumCountersAcrossRanks } from './distributed-validation.js';
import { callHook } from './hooks.js';
import { DeviceLoss } from './step-info.js';
import { type TrainerCore } from './trainer-core.js';

/** One batch's model output from Trainer.predictions(), with the batch's `id`/`ids` field when it has one. */
export interface Prediction {
  /** The batch's index in the source. */
  index: number;
  ids?: unknown;
  output: ModelOutput;
}

export class ValidationLoop {
  private confusion: number[][] | null = null;

  constructor(private readonly core: TrainerCore) {}

  /** The last validation run's confusion matrix (single-label classification; rows: true class), or null. */
  lastConfusionMatrix(): number[][] | null {
    return this.confusion;
  }

  /**
   * Loss and the TaskSpec's metrics over a source (metric names as the TaskSpec gives them).
   * Data-parallel: each rank validates its shard and the counts are summed across ranks
   * (distributed-validation.ts), so every rank gets the metrics of the whole source.
   */
  async run(whole: BatchSource): Promise<Record<string, number>> {
    const c = this.core;
    const shard = c.ddp ? shardValidationSource(whole, c.ddp) : { source: whole, reduce: false };
    const source = shard.source;
    const wasTraining = c.model.training;
    c.model.eval();
    const tracker = new MetricsTracker(c.task.metrics, c.task);
    await callHook(c.callbacks, 'onValidationStart', c.view);
    let index = 0;
    // Batches as they finish (quiet under a second); the loss is read only at the end, so none is shown.
    const length = (source as { length?: unknown }).length;
    const progress = startProgress('validation', { total: typeof length === 'number' ? length : undefined, unit: 'batches' });
    try {
      for await (const batch of source as AsyncIterable<Batch>) {
        let info: DeviceLoss;
        try {
          info = noGrad(() => scope(() => {
            const b = toDevice(batch, c.device);
            const output = c.forward(b);
            const { loss, numItems } = c.computeLoss(output, b, null);
            tracker.addLoss(loss, numItems);
            tracker.update(output, b);
            return new DeviceLoss(loss, numItems);
          }));
        } finally {
          releaseBatch(source, batch);
        }
        try {
          await callHook(c.callbacks, 'onValidationBatchEnd', c.view, info, index++);
        } finally {
          info.release();
        }
        progress.update(index);
      }
      progress.finish();
      if (shard.reduce) tracker.useCounterValues(sumCountersAcrossRanks(tracker.counterValues(), c.ddp!.commDevice));
      const metrics = tracker.summary();
      this.confusion = tracker.confusionMatrix();
      c.confusionMatrix = this.confusion && { matrix: this.confusion, labels: this.confusion.map((_, i) => String(i)), step: c.state.step };
      for (const [k, v] of Object.entries(metrics)) c.logs[`val/${k}`] = v;
      await callHook(c.callbacks, 'onValidationEnd', c.view, metrics);
      await callHook(c.callbacks, 'onLog', c.view, Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`val/${k}`, v])), c.state.step);
      return metrics;
    } finally {
      progress.fail('stopped'); // a no-op after finish()
      tracker.dispose();
      c.model.train(wasTraining);
    }
  }

  /** The model's output for each batch, in eval mode without grad; each output is the caller's to dispose. */
  async *predictions(source: BatchSource): AsyncGenerator<Prediction> {
    const c = this.core;
    const wasTraining = c.model.training;
    c.model.eval();
    let index = 0;
    try {
      for await (const batch of source as AsyncIterable<Batch>) {
        let output: ModelOutput;
        // Ids as plain values: a DataLoader's batch tensors are freed right below.
        const raw = batch.ids ?? batch.id;
        const ids = raw instanceof Tensor ? raw.tolist() : raw;
        try {
          output = keep(noGrad(() => scope(() => c.forward(toDevice(batch, c.device)))));
        } finally {
          releaseBatch(source, batch);
        }
        yield ids === undefined ? { index: index++, output } : { index: index++, ids, output };
      }
    } finally {
      c.model.train(wasTraining);
    }
  }

  /**
   * Every batch's output joined along the batch dimension: { logits: [N, ...] } for the whole
   * source (the caller disposes it). Outputs whose shapes differ past the first dimension
   * (e.g. text of different lengths) cannot be joined: use predictions() for those.
   */
  async predict(source: BatchSource): Promise<ModelOutput> {
    const parts: ModelOutput[] = [];
    try {
      for await (const p of this.predictions(source)) parts.push(p.output);
      if (parts.length === 0) return {};
      return keep(scope(() => {
        const joined: ModelOutput = {};
        for (const key of Object.keys(parts[0])) {
          const values = parts.map((p) => p[key]);
          if (!values.every((v) => v instanceof Tensor)) continue;
          const shapes = (values as Tensor[]).map((t) => t.shape.slice(1).join(','));
          if (new Set(shapes).size > 1 || (values[0] as Tensor).dim() === 0) {
            throw new RangeError(`Trainer.predict: the outputs' '${key}' differ in shape past the batch dimension (${[...new Set(shapes)].slice(0, 3).map((s) => `[N, ${s}]`).join(', ')}), so they cannot be joined; iterate trainer.predictions(source) instead`);
          }
          joined[key] = cat(values as Tensor[], 0);
        }
        return joined;
      }));
    } finally {
      dispose(parts);
    }
  }
}
