// TrainingLoop: one epoch of micro-batches. trainStep() is the whole training step, top to
// bottom in the order it runs; optimizerStep() is the one path of every optimizer update (an
// epoch's short last window included: the loop reads one batch ahead, so it knows which
// micro-batch is the epoch's last and ends the window with it).
//
// Nothing here reads a tensor to JavaScript per micro-batch: losses and item counts add up on
// the device, and TrainLogs reads them every logEveryNSteps optimizer steps and at epoch ends.
// Each micro-batch runs in a tensor scope and its batch is freed after it, so a long run holds
// a flat line of live tensors.
import { scope } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { DataLoaderInterrupted } from '../data/errors.js';
import { type Batch } from '../loss/types.js';
import { batchRows, LookaheadIterator, releaseBatch, toDevice } from './batch-source.js';
import { callHook, type EpochResult } from './hooks.js';
import { runStep, type StepGenerator } from './maybe-async.js';
import { type OptimizerStepResult } from './optimizer-step.js';
import { TrainStepInfo } from './step-info.js';
import { TrainLogs } from './train-logs.js';
import { type TrainerCore } from './trainer-core.js';
import { discardWindow, recordEpochEnd, recordMicroBatch, recordOptimizerStep } from './trainer-state.js';
import { type ValidationLoop } from './validation-loop.js';

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

export class TrainingLoop {
  private readonly logs: TrainLogs;
  /** The step of the last onLog with training values (each step's are logged once). */
  private loggedStep = -1;

  constructor(private readonly core: TrainerCore, private readonly validation: ValidationLoop) {
    this.logs = new TrainLogs(core);
  }

  /**
   * One micro-batch. A generator yielding what each hook returned, so it runs synchronously
   * unless a hook is async (maybe-async.ts).
   */
  private *trainStep(batch: Batch, index: number, endsEpoch: boolean): StepGenerator<TrainStepInfo> {
    const c = this.core;
    yield callHook(c.callbacks, 'onTrainBatchStart', c.view, batch, index);
    const b = toDevice(batch, c.device);
    const output = c.forward(b);                                      // autocast for mixed precision
    const { loss, numItems } = c.computeLoss(output, b, index);     // summed over numItems items
    yield callHook(c.callbacks, 'onBeforeBackward', c.view, loss);
    // Data-parallel: a window's last backward all-reduces the gradients as it makes them.
    c.ddp?.beforeBackward(c.accumulator.nextEndsWindow(endsEpoch));
    (c.scaler ? c.scaler.scale(loss) : loss).backward();
    yield callHook(c.callbacks, 'onAfterBackward', c.view);
    c.tracker.addLoss(loss, numItems);                                // on the device: no read
    recordMicroBatch(c.state, batchRows(b), this.inputTokens(b));
    const window = c.accumulator.add(numItems, endsEpoch);
    const update = window.isBoundary ? yield* this.optimizerStep(window.items) : null;
    return new TrainStepInfo({ step: c.state.step, epoch: c.state.epoch, batchIndex: index }, loss, numItems, update, this.logs.scaleReader);
  }

  /** Every optimizer update of the run goes through here. */
  private *optimizerStep(localItems: number | Tensor): StepGenerator<OptimizerStepResult> {
    const c = this.core;
    // Data-parallel: every rank's gradients and items are summed here (the window's only
    // collective: micro-batches inside it make none), so the update divides by the global items.
    const windowItems = c.ddp ? c.ddp.reduceWindow(c.model.parameters(), localItems) : localItems;
    yield callHook(c.callbacks, 'onBeforeOptimizerStep', c.view, c.optimizer);
    // A window whose items are all ignored (0) is divided by 1: its gradients are zero anyway.
    const gradDivisor = typeof windowItems === 'number' ? Math.max(windowItems, 1) : windowItems.clamp(1);
    const result = c.optimizerStep.step({ gradDivisor });
    recordOptimizerStep(c.state);
    this.logs.recordUpdate(result);
    return result;
  }

  /**
   * Runs the epoch c.state.epoch until its data ends, maxSteps, or a stop. An epoch that was
   * interrupted (state.batchInEpoch > 0) continues where it stopped: the source, told the same
   * epoch, yields the same order, and the batches already trained on are passed over.
   */
  async runEpoch(): Promise<EpochResult> {
    const c = this.core;
    const epoch = c.state.epoch;
    const resumeAt = c.state.batchInEpoch;
    c.train.setEpoch?.(epoch);
    c.accumulator.reset();
    c.tracker.reset();
    this.logs.startEpoch();
    this.loggedStep = Math.max(this.loggedStep, c.state.step);
    c.model.train();
    const started = performance.now();
    const stepsBefore = c.state.step;
    let index = resumeAt;
    let completed = false;
    let validation: Record<string, number> | undefined;
    // A DataLoader passes over a resumed epoch's batches without loading them; other sources are read and dropped.
    const fastSkip = resumeAt > 0 && typeof c.train.skipBatches === 'function' && c.train.skipBatches(resumeAt);
    const batches = new LookaheadIterator(c.train);
    try {
      for (let skipped = 0; !fastSkip && skipped < resumeAt; skipped++) {
        const pending = batches.next();
        const next = pending instanceof Promise ? await pending : pending;
        if (!next) throw new RangeError(`epoch ${epoch + 1} was interrupted after ${resumeAt} batches, but its data now has only ${skipped}: the training data changed between runs`);
        releaseBatch(c.train, next.batch);
      }
      for (;;) {
        // A sync source (an array) costs no promise per batch. The wait is timed for 'train/data_wait_fraction'.
        const fetchStart = performance.now();
        const pending = batches.next();
        const next = pending instanceof Promise ? await this.awaitBatch(pending) : pending;
        this.logs.addDataWait(performance.now() - fetchStart);
        if (next === 'interrupted') break;
        if (!next) {
          completed = true;
          break;
        }
        let info: TrainStepInfo;
        try {
          const ran = scope(() => runStep(this.trainStep(next.batch, index, next.last)), 'train step');
          info = ran instanceof Promise ? await ran : ran;
        } finally {
          releaseBatch(c.train, next.batch);
        }
        index += 1;
        try {
          const h = callHook(c.callbacks, 'onTrainBatchEnd', c.view, info);
          if (h) await h;
        } finally {
          info.release();
        }
        if (info.optimizerStep) {
          if (c.state.step % c.config.logEveryNSteps === 0) {
            this.logs.refresh();
            await this.logTrain();
          }
          const every = c.config.evalEveryNSteps;
          if (every && c.val && c.state.step % every === 0) validation = await this.validation.run(c.val);
          if (c.checkpointDue('step') && !next.last) {
            this.saveCheckpoint();
            await this.logTrain();
          }
        }
        if (next.last) completed = true;
        if (info.optimizerStep) c.agreeOnStop();
        // A stop (signal, abort, requestStop) takes effect at the end of the optimizer step in
        // progress: an accumulation window is finished first, so a checkpoint written on the
        // way out sits at a step boundary and resumes exactly.
        if ((c.shouldStop() && c.state.windowMicroBatches === 0) || c.reachedMaxSteps()) break;
        const pause = yieldToEventLoop();
        if (pause) await pause;
      }
    } finally {
      // Like for-of's break: lets a DataLoader stop its workers and generators run their finally.
      await batches.close(c.train).catch((err: unknown) => {
        if (!(err instanceof DataLoaderInterrupted)) throw err;
      });
    }
    if (index === 0 && completed) {
      throw new RangeError(`epoch ${epoch + 1} had no batches: the training data yields no batch (an empty dataset, or dropLast with a batchSize above the dataset's size); fix the data or the loader`);
    }
    if (c.state.windowMicroBatches > 0) {
      // Left inside a window (a data wait was interrupted): its gradients are dropped, and a
      // resumed run repeats its micro-batches.
      c.optimizer.zeroGrad();
      c.accumulator.reset();
      discardWindow(c.state);
    }
    const totals = this.logs.refresh();
    await this.logTrain();
    if (completed) recordEpochEnd(c.state);
    if (c.config.evalAtEpochEnd && c.val && !c.stopForced) validation = await this.validation.run(c.val);
    // At the epoch's end (after its validation, so the best-k metric is this epoch's): the step
    // schedule's save of the epoch's last update lands here too, with the epoch counted.
    if (completed && c.checkpoints && (c.checkpointDue('epoch') || c.checkpointDue('step'))) this.saveCheckpoint();
    const seconds = (performance.now() - started) / 1000;
    return { epoch, loss: totals.items > 0 ? totals.lossSum / totals.items : NaN, items: totals.items, microBatches: index - resumeAt,
      optimizerSteps: c.state.step - stepsBefore, seconds, throughput: seconds > 0 ? totals.items / seconds : 0, completed, validation };
  }

  /**
   * The next batch; 'interrupted' when a signal interrupted the wait for it (a DataLoader stuck on
   * a worker): the run then ends like any stop, with its hooks and its checkpoint.
   */
  private async awaitBatch(pending: Promise<{ batch: Batch; last: boolean } | null>): Promise<{ batch: Batch; last: boolean } | null | 'interrupted'> {
    try {
      return await pending;
    } catch (err) {
      if (err instanceof DataLoaderInterrupted && this.core.shouldStop()) return 'interrupted';
      throw err;
    }
  }

  /**
   * onLog with the training values of trainer.logs (every key but 'val/*') after a refresh, once
   * per step: a refresh that covers no new update (an epoch's end right after a logging step)
   * logs nothing again, and one that does (a checkpoint between logging steps) is logged, so every
   * item's loss reaches the loggers exactly once.
   */
  private logTrain(): Promise<void> | undefined {
    const c = this.core;
    if (c.state.step <= this.loggedStep) return undefined;
    this.loggedStep = c.state.step;
    const logs = Object.fromEntries(Object.entries(c.logs).filter(([k]) => !k.startsWith('val/')));
    return callHook(c.callbacks, 'onLog', c.view, logs, c.state.step);
  }

  /** Reads the logs (so the checkpoint's metrics are current) and saves. */
  saveCheckpoint(): string | null {
    this.logs.refresh();
    return this.core.saveCheckpoint();
  }

  /** Input tokens of a text batch (the elements of its input ids), from the shape: no read. */
  private inputTokens(batch: Batch): number {
    const c = this.core;
    if (c.task.modality !== 'text' || typeof c.task.fields.inputs !== 'string') return 0;
    const ids = batch[c.task.fields.inputs] as Tensor | undefined;
    return ids && typeof ids.numel === 'function' ? ids.numel() : 0;
  }
}
