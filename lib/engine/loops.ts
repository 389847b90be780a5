// TrainingLoop and ValidationLoop: one epoch each, in the hook order documented in hooks.ts.
// Every micro-batch runs inside a tensor scope and its batch is disposed after it, so a long
// run holds a flat line of live tensors.
import { autocast } from '../amp/autocast.js';
import { noGrad } from '../core/autograd.js';
import { dispose, keep, scope } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
import { type Batch, type ModelOutput } from '../loss/types.js';
import { batchCounts } from '../metrics/batch-metrics.js';
import { MetricsTracker } from '../metrics/tracker.js';
import { callHook, type EpochResult, type StepInfo } from './hooks.js';
import { openIterator, runStep, type StepGenerator } from './maybe-async.js';
import { type TrainerCore } from './trainer-core.js';

/**
 * Batches to train on: a DataLoader, or any (async) iterable of batches. A source whose
 * `yieldsFreshBatches` is true (the DataLoader) makes new tensors for every batch, and the loops
 * dispose them after use; other sources' tensors are left alone (they may be reused).
 */
export type BatchSource = (AsyncIterable<Batch> | Iterable<Batch>) & { length?: number; setEpoch?(epoch: number): void; yieldsFreshBatches?: boolean };

function release(source: BatchSource, batch: Batch): void {
  if (source.yieldsFreshBatches) dispose(batch);
}

// Yielding lets timers, I/O and signals run; doing it at most every few milliseconds keeps its
// cost (a macrotask per yield) out of fast steps.
let lastYield = performance.now();
const yieldToEventLoop = (): Promise<void> | undefined => {
  if (performance.now() - lastYield < 16) return undefined;
  return new Promise<void>((resolve) => setImmediate(() => {
    lastYield = performance.now();
    resolve();
  }));
};

/** Moves a batch's tensors to the device (a no-op on CPU). */
export function toDevice(batch: Batch, device: string): Batch {
  if (device === 'cpu') return batch;
  const out: Batch = {};
  for (const [k, v] of Object.entries(batch)) out[k] = v instanceof Tensor ? v.to(device) : v;
  return out;
}

/** Runs the model through the adapter, under autocast for the mixed-precision settings. */
export function forward(core: TrainerCore, batch: Batch): ModelOutput {
  const run = () => core.adapter.forward(core.model, batch, core.task);
  const p = core.config.precision;
  if (p === 'fp32') return run();
  return autocast({ deviceType: core.device.startsWith('cuda') ? 'cuda' : 'cpu', dtype: p === 'bf16-mixed' ? 'bfloat16' : 'float16' }, run);
}

export class TrainingLoop {
  constructor(private readonly core: TrainerCore) {}

  /**
   * One micro-batch: forward, loss, backward, and at a window's end the one-call optimizer step.
   * A generator yielding what each hook returned, so it runs synchronously unless a hook is async.
   */
  private *trainStep(batch: Batch, index: number): StepGenerator<StepInfo> {
    const c = this.core;
    yield callHook(c.callbacks, 'onTrainBatchStart', c.view, batch, index);
    const b = toDevice(batch, c.device);
    const output = forward(c, b);
    const { loss, numItems } = c.loss.computeLoss(output, b, c.task);
    const lossSum = loss.item();
    yield callHook(c.callbacks, 'onBeforeBackward', c.view, loss);
    (c.scaler?.isEnabled() ? c.scaler.scale(loss) : loss).backward();
    yield callHook(c.callbacks, 'onAfterBackward', c.view);
    c.tracker.add(lossSum, numItems, null);
    const stats = c.accumulator.add(numItems);
    const info: StepInfo = { step: c.step, epoch: c.epoch, batchIndex: index, loss: numItems ? lossSum / numItems : 0, items: numItems };
    if (stats.isBoundary) {
      yield callHook(c.callbacks, 'onBeforeOptimizerStep', c.view, c.optimizer);
      info.optimizerStep = c.stepper.step({ gradDivisor: Math.max(stats.items, 1) });
      c.step += 1;
      info.step = c.step;
      c.tracker.lr = info.optimizerStep.lr[0];
      if (info.optimizerStep.gradNorm !== null) c.tracker.gradNorm = info.optimizerStep.gradNorm;
    }
    return info;
  }

  async runEpoch(epoch: number): Promise<EpochResult> {
    const c = this.core;
    c.epoch = epoch;
    c.train.setEpoch?.(epoch);
    c.accumulator.startEpoch(typeof c.train.length === 'number' ? c.train.length : undefined);
    c.tracker.reset();
    c.model.train();
    const started = performance.now();
    const stepsBefore = c.step;
    let index = 0;
    let validation: Record<string, number> | undefined;
    // Iterated by hand so that a sync source (an array) costs no promise per batch.
    const batches = openIterator(c.train);
    let exhausted = false;
    try {
      for (;;) {
        const pendingNext = batches.next();
        const next = pendingNext instanceof Promise ? await pendingNext : pendingNext;
        if (next.done) {
          exhausted = true;
          break;
        }
        const batch = next.value;
        try {
          const ran = scope(() => runStep(this.trainStep(batch, index)), 'train step');
          const info = ran instanceof Promise ? await ran : ran;
          index += 1;
          { const h = callHook(c.callbacks, 'onTrainBatchEnd', c.view, info); if (h) await h; }
          const every = c.config.evalEveryNSteps;
          if (every && info.optimizerStep && c.step % every === 0 && c.val) validation = await c.validation.run(c.val);
        } finally {
          release(c.train, batch);
        }
        if (c.shouldStop() || (c.config.maxSteps !== undefined && c.step >= c.config.maxSteps)) break;
        const pause = yieldToEventLoop();
        if (pause) await pause;
      }
    } finally {
      // Like for-of's break: lets a DataLoader stop its workers and generators run their finally.
      if (!exhausted) await batches.return?.();
    }
    const pending = c.accumulator.flush();
    if (pending && !c.shouldStop()) {
      await callHook(c.callbacks, 'onBeforeOptimizerStep', c.view, c.optimizer);
      c.stepper.step({ gradDivisor: Math.max(pending.items, 1) });
      c.step += 1;
    }
    if (c.config.evalAtEpochEnd && c.val && !c.stopForced) validation = await c.validation.run(c.val);
    const seconds = (performance.now() - started) / 1000;
    return { epoch, loss: c.tracker.meanLoss, items: c.tracker.itemsSeen, microBatches: index, optimizerSteps: c.step - stepsBefore, seconds,
      throughput: seconds > 0 ? c.tracker.itemsSeen / seconds : 0, validation };
  }
}

export class ValidationLoop {
  constructor(private readonly core: TrainerCore) {}

  /** Loss and the TaskSpec's metrics over a loader, in eval mode and without grad. */
  async run(source: BatchSource): Promise<Record<string, number>> {
    const c = this.core;
    const wasTraining = c.model.training;
    c.model.eval();
    const tracker = new MetricsTracker(c.task.metrics);
    await callHook(c.callbacks, 'onValidationStart', c.view);
    let index = 0;
    try {
      for await (const batch of source as AsyncIterable<Batch>) {
        let metrics: Record<string, number>;
        try {
          metrics = noGrad(() => scope(() => {
            const b = toDevice(batch, c.device);
            const output = forward(c, b);
            const { loss, numItems } = c.loss.computeLoss(output, b, c.task);
            const lossSum = loss.item();
            tracker.add(lossSum, numItems, batchCounts(output, b, c.task));
            return { loss: numItems ? lossSum / numItems : 0, items: numItems };
          }));
        } finally {
          release(source, batch);
        }
        await callHook(c.callbacks, 'onValidationBatchEnd', c.view, metrics, index++);
      }
    } finally {
      c.model.train(wasTraining);
    }
    const metrics = tracker.summary();
    delete metrics.lr;
    delete metrics.gradNorm;
    await callHook(c.callbacks, 'onValidationEnd', c.view, metrics);
    return metrics;
  }

  /** The model's outputs over a source, kept (dispose them when done). */
  async predict(source: BatchSource): Promise<ModelOutput[]> {
    const c = this.core;
    const wasTraining = c.model.training;
    c.model.eval();
    const outputs: ModelOutput[] = [];
    try {
      for await (const batch of source as AsyncIterable<Batch>) {
        try {
          outputs.push(keep(noGrad(() => scope(() => forward(c, toDevice(batch, c.device))))));
        } finally {
          release(source, batch);
        }
      }
    } finally {
      c.model.train(wasTraining);
    }
    return outputs;
  }
}

