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
//         OptimizerStep: one native call (unscale, clip, step, scaler, zero grad), the schedule
//       onTrainBatchEnd(trainer, result)
//       every logEveryNSteps steps: trainer.logs refreshed (the on-device sums read),
//         then onLog(trainer, logs, step) with the values just read (every key but 'val/*')
//       every evalEveryNSteps steps: the validation hooks below
//       (a checkpoint's save also refreshes the logs: onLog follows it when it covered new steps)
//     at epoch end: trainer.logs refreshed, onLog (when steps were taken since the last one)
//     at epoch end (evalAtEpochEnd): onValidationStart(trainer)
//       for each batch: onValidationBatchEnd(trainer, result, index)
//       onValidationEnd(trainer, metrics)
//       onLog(trainer, { 'val/<metric>': ... }, step)     (also after trainer.validate())
//     onTrainEpochEnd(trainer, epochResult)
//   onFitEnd(trainer, fitResult)
//   on any error: onException(trainer, error), then the error propagates
import { type Optimizer as Optim } from '../optim/optimizer.js';
import { type Tensor } from '../core/tensor.js';
import { type Batch } from '../loss/types.js';
import { type TrainerState } from './trainer-state.js';
import { type TrainingConfig } from './config.js';
import { type TaskSpec } from '../task/spec.js';
import { type DataProfiles } from '../metrics/profile-types.js';

/**
 * One micro-batch, as onTrainBatchEnd sees it. loss, items and optimizerStep.gradNorm stay on
 * the device until read: each read is a host sync on CUDA, so read them in the hook (they are
 * freed after it) and only when needed; the Trainer's own logs are read every logEveryNSteps.
 */
export interface StepInfo {
  /** Optimizer steps taken so far (after this batch). */
  readonly step: number;
  readonly epoch: number;
  /** The micro-batch's index in the epoch. */
  readonly batchIndex: number;
  /** Mean loss per item of this micro-batch (read from the device). */
  readonly loss: number;
  /** The items this micro-batch's loss covers (read from the device for token counts). */
  readonly items: number;
  /** Set when this micro-batch ended an accumulation window and the optimizer stepped. */
  readonly optimizerStep?: OptimizerUpdateInfo;
}

export interface OptimizerUpdateInfo {
  /** The learning rate of each param group for this update. */
  readonly lr: number[];
  /** Whether the GradScaler skipped it for inf/NaN gradients (null without an enabled scaler). */
  readonly skipped: boolean | null;
  /** The total gradient norm before clipping (read from the device; null when not clipping). */
  readonly gradNorm: number | null;
  /** The loss scale after this update (null without an enabled scaler). */
  readonly scale: number | null;
}

/** One validation batch for onValidationBatchEnd (read from the device when read). */
export interface ValidationBatchInfo {
  /** Mean loss per item of the batch. */
  readonly loss: number;
  readonly items: number;
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
  /** Whether the epoch's data ran out (false when the run stopped inside it: a resumed run continues it). */
  completed: boolean;
  validation?: Record<string, number>;
}

export interface FitResult {
  epochs: EpochResult[];
  steps: number;
  stoppedEarly: boolean;
  reason: string;
}

/** The Trainer as hooks see it. */
export interface TrainerView {
  readonly epoch: number;
  readonly step: number;
  /** Every counter of the run (read-only here: the Trainer's loops change it). */
  readonly state: Readonly<TrainerState>;
  /** Micro-batches per epoch when the source knows its length. */
  readonly batchesPerEpoch: number | null;
  readonly optimizer: Optim;
  readonly model: unknown;
  /** The run's checked config (defaults filled in) and TaskSpec, e.g. for loggers' hyperparameters. */
  readonly config: Readonly<TrainingConfig>;
  readonly task: Readonly<TaskSpec>;
  /**
   * The latest logged values: 'train/loss' (mean over the last logging interval), 'train/lr',
   * 'train/grad_norm', 'train/loss_scale', 'train/throughput' (items/s), refreshed every
   * logEveryNSteps optimizer steps and at epoch ends; 'val/<metric>' after each validation.
   * Callbacks may add their own.
   */
  readonly logs: Record<string, number>;
  /** Profiles of the train and val data and their drift, made at fit start (config.profileData); undefined before, or when off. */
  readonly dataProfiles: DataProfiles | undefined;
  /**
   * The latest validation's confusion matrix (single-label classification; set before
   * onValidationEnd), or null: matrix[true class][predicted class] = count, labels '0'..'n-1'
   * (a TaskSpec has no class names), step the optimizer step it was computed at.
   */
  readonly confusionMatrix: { matrix: number[][]; labels: string[]; step: number } | null;
  /** Ask the fit loop to stop after the current step (with a reason shown in FitResult). */
  requestStop(reason: string): void;
}

export interface TrainingHooks {
  /** Checkpoints save a callback's state under this key (default: its class name). */
  readonly stateKey?: string;
  /** A callback with state (counters, history) returns it here, JSON-serialisable, for checkpoints. */
  stateDict?(): Record<string, unknown>;
  loadStateDict?(state: Record<string, unknown>): void;
  /**
   * Data-parallel training: true for callbacks that write for the whole job (loggers, dashboards,
   * progress bars): the Trainer calls their hooks on rank 0 only. Others run on every rank.
   */
  readonly rankZeroOnly?: boolean;
  onFitStart?(t: TrainerView): void | Promise<void>;
  onTrainEpochStart?(t: TrainerView, epoch: number): void | Promise<void>;
  onTrainBatchStart?(t: TrainerView, batch: Batch, index: number): void | Promise<void>;
  onBeforeBackward?(t: TrainerView, loss: Tensor): void | Promise<void>;
  onAfterBackward?(t: TrainerView): void | Promise<void>;
  onBeforeOptimizerStep?(t: TrainerView, optimizer: Optim): void | Promise<void>;
  onTrainBatchEnd?(t: TrainerView, info: StepInfo): void | Promise<void>;
  onValidationStart?(t: TrainerView): void | Promise<void>;
  onValidationBatchEnd?(t: TrainerView, batch: ValidationBatchInfo, index: number): void | Promise<void>;
  onValidationEnd?(t: TrainerView, metrics: Record<string, number>): void | Promise<void>;
  /**
   * trainer.logs were just refreshed: `logs` holds the new values (the training ones after a
   * read of the device sums, 'val/<metric>' after a validation), `step` the optimizer step they
   * belong to. Called once per step for the training values; what loggers write.
   */
  onLog?(t: TrainerView, logs: Readonly<Record<string, number>>, step: number): void | Promise<void>;
  onTrainEpochEnd?(t: TrainerView, result: EpochResult): void | Promise<void>;
  onFitEnd?(t: TrainerView, result: FitResult): void | Promise<void>;
  onException?(t: TrainerView, error: unknown): void | Promise<void>;
}

/** The hook methods (not the state methods). */
export type HookName = Exclude<keyof TrainingHooks, 'stateKey' | 'stateDict' | 'loadStateDict' | 'rankZeroOnly'>;

/** A base class with every hook as a no-op: extend it and override what you need. */
export class DefaultHooks implements Required<Pick<TrainingHooks, HookName>> {
  onFitStart(_t: TrainerView): void | Promise<void> {}
  onTrainEpochStart(_t: TrainerView, _epoch: number): void | Promise<void> {}
  onTrainBatchStart(_t: TrainerView, _batch: Batch, _index: number): void | Promise<void> {}
  onBeforeBackward(_t: TrainerView, _loss: Tensor): void | Promise<void> {}
  onAfterBackward(_t: TrainerView): void | Promise<void> {}
  onBeforeOptimizerStep(_t: TrainerView, _optimizer: Optim): void | Promise<void> {}
  onTrainBatchEnd(_t: TrainerView, _info: StepInfo): void | Promise<void> {}
  onValidationStart(_t: TrainerView): void | Promise<void> {}
  onValidationBatchEnd(_t: TrainerView, _batch: ValidationBatchInfo, _index: number): void | Promise<void> {}
  onValidationEnd(_t: TrainerView, _metrics: Record<string, number>): void | Promise<void> {}
  onLog(_t: TrainerView, _logs: Readonly<Record<string, number>>, _step: number): void | Promise<void> {}
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
