// Training hooks, in the order the Trainer calls them (every hook optional; async allowed):
//
//   onFitStart(trainer)
//   for each epoch:
//     onTrainEpochStart(trainer, epoch)
//     for each micro-batch:
//       onTrainBatchStart(trainer, batch, index)
//       output = adapter.forward(...); loss = strategy.computeLoss(...)
//       onBeforeBackward(trainer, loss)
//       backward
//       onAfterBackward(trainer)
//       if it ends an accumulation window:
//         onBeforeOptimizerStep(trainer, optimizer)    <- gradients are readable here
//         one native call: unscale, clip, step, scaler, schedule, zero grad
//       onTrainBatchEnd(trainer, result)
//       every evalEveryNSteps steps: the validation hooks below
//     at epoch end (evalAtEpochEnd): onValidationStart(trainer)
//       for each batch: onValidationBatchEnd(trainer, result, index)
//       onValidationEnd(trainer, metrics)
//     onTrainEpochEnd(trainer, epochResult)
//   onFitEnd(trainer, fitResult)
//   on any error: onException(trainer, error), then the error propagates
import { type Optimizer as Optim } from '../optim/optimizer.js';
import { type Tensor } from '../core/tensor.js';
import { type Batch } from '../loss/types.js';

export interface StepInfo {
  /** Optimizer steps taken so far (after this batch). */
  step: number;
  epoch: number;
  /** The micro-batch's index in the epoch. */
  batchIndex: number;
  /** Mean loss per item of this micro-batch. */
  loss: number;
  items: number;
  /** Set when this micro-batch ended an accumulation window. */
  optimizerStep?: { gradNorm: number | null; skipped: boolean; scale: number | null; lr: number[] };
}

export interface EpochResult {
  epoch: number;
  /** Mean loss per item over the epoch. */
  loss: number;
  items: number;
  microBatches: number;
  optimizerSteps: number;
  seconds: number;
  /** Items per second. */
  throughput: number;
  validation?: Record<string, number>;
}

export interface FitResult {
  epochs: EpochResult[];
  steps: number;
  stoppedEarly: boolean;
  reason: string;
}

/** The Trainer as hooks see it (kept structural to avoid an import cycle). */
export interface TrainerView {
  readonly epoch: number;
  readonly step: number;
  readonly optimizer: Optim;
  readonly model: unknown;
  readonly logs: Record<string, number>;
  /** Ask the fit loop to stop after the current step (with a reason shown in FitResult). */
  requestStop(reason: string): void;
}

export interface TrainingHooks {
  onFitStart?(t: TrainerView): void | Promise<void>;
  onTrainEpochStart?(t: TrainerView, epoch: number): void | Promise<void>;
  onTrainBatchStart?(t: TrainerView, batch: Batch, index: number): void | Promise<void>;
  onBeforeBackward?(t: TrainerView, loss: Tensor): void | Promise<void>;
  onAfterBackward?(t: TrainerView): void | Promise<void>;
  onBeforeOptimizerStep?(t: TrainerView, optimizer: Optim): void | Promise<void>;
  onTrainBatchEnd?(t: TrainerView, info: StepInfo): void | Promise<void>;
  onValidationStart?(t: TrainerView): void | Promise<void>;
  onValidationBatchEnd?(t: TrainerView, metrics: Record<string, number>, index: number): void | Promise<void>;
  onValidationEnd?(t: TrainerView, metrics: Record<string, number>): void | Promise<void>;
  onTrainEpochEnd?(t: TrainerView, result: EpochResult): void | Promise<void>;
  onFitEnd?(t: TrainerView, result: FitResult): void | Promise<void>;
  onException?(t: TrainerView, error: unknown): void | Promise<void>;
}

export type HookName = keyof TrainingHooks;

/** A base class with every hook as a no-op: extend it and override what you need. */
export class DefaultHooks implements Required<TrainingHooks> {
  onFitStart(_t: TrainerView): void | Promise<void> {}
  onTrainEpochStart(_t: TrainerView, _epoch: number): void | Promise<void> {}
  onTrainBatchStart(_t: TrainerView, _batch: Batch, _index: number): void | Promise<void> {}
  onBeforeBackward(_t: TrainerView, _loss: Tensor): void | Promise<void> {}
  onAfterBackward(_t: TrainerView): void | Promise<void> {}
  onBeforeOptimizerStep(_t: TrainerView, _optimizer: Optim): void | Promise<void> {}
  onTrainBatchEnd(_t: TrainerView, _info: StepInfo): void | Promise<void> {}
  onValidationStart(_t: TrainerView): void | Promise<void> {}
  onValidationBatchEnd(_t: TrainerView, _metrics: Record<string, number>, _index: number): void | Promise<void> {}
  onValidationEnd(_t: TrainerView, _metrics: Record<string, number>): void | Promise<void> {}
  onTrainEpochEnd(_t: TrainerView, _result: EpochResult): void | Promise<void> {}
  onFitEnd(_t: TrainerView, _result: FitResult): void | Promise<void> {}
  onException(_t: TrainerView, _error: unknown): void | Promise<void> {}
}

/**
 * Calls a hook on every callback in order. Returns a promise only when some callback's hook was
 * async (callers `await` it then), so steps without async hooks pay no promise machinery.
 */
export function callHook<K extends HookName>(callbacks: TrainingHooks[], name: K, ...args: Parameters<NonNullable<TrainingHooks[K]>>): Promise<void> | undefined {
  for (let i = 0; i < callbacks.length; i++) {
    const fn = callbacks[i][name] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn !== 'function') continue;
    const out = fn.apply(callbacks[i], args);
    if (out instanceof Promise) return out.then(() => callHook(callbacks.slice(i + 1), name, ...args));
  }
  return undefined;
}
