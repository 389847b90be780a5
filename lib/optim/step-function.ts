// The native step function: one native call per optimizer update, doing what a PyTorch loop
// spreads over several calls (scaler.unscale_, clip_grad_norm_, scaler.step, scaler.update,
// scheduler.step, optimizer.zero_grad), in that order. gradDivisor divides the gradients too,
// which is how gradient accumulation normalises by the items of a whole accumulated batch.
import { native } from '../core/addon.js';
import { type GradScaler } from '../amp/grad-scaler.js';
import { type Optimizer } from './optimizer.js';
import { type LRScheduler } from './schedulers/base.js';

export interface StepFunctionOptions {
  scheduler?: LRScheduler;
  scaler?: GradScaler;
  /** Clip the total gradient norm to this (after unscaling); off when undefined. */
  maxGradNorm?: number;
  normType?: number;
  errorIfNonfinite?: boolean;
  /** Clear gradients to null (default) or to zeros. */
  setToNone?: boolean;
}

export interface StepResult {
  /** The total gradient norm before clipping (null when not clipping). */
  gradNorm: number | null;
  /** Whether the update was skipped because a gradient was inf or NaN. */
  skipped: boolean;
  /** The loss scale after this step (null without an enabled scaler). */
  scale: number | null;
  /** The learning rates this update used, one per group. */
  lr: number[];
}

export class OptimizerStep {
  constructor(readonly optimizer: Optimizer, readonly options: StepFunctionOptions = {}) {
    const m = options.maxGradNorm;
    if (m !== undefined && !(typeof m === 'number' && m > 0)) throw new RangeError(`maxGradNorm must be a positive number, got ${m}`);
  }

  /** One update. gradDivisor: what the summed loss's gradients are divided by (default 1). */
  step(options: { gradDivisor?: number } = {}): StepResult {
    const { scheduler, scaler, maxGradNorm, normType, errorIfNonfinite, setToNone } = this.options;
    const lr = this.optimizer.paramGroups.map((g) => g.lr);
    const next = scheduler?.advance();
    const scaled = scaler?.isEnabled() ? scaler : undefined;
    scaled?.lazyInit();
    const result = native.optimTrainStep(this.optimizer.id, {
      scale: scaled?.scaleTensor?._h,
      growthTracker: scaled?.growthTracker?._h,
      growthFactor: scaled?.growthFactor,
      backoffFactor: scaled?.backoffFactor,
      growthInterval: scaled?.growthInterval,
      gradDivisor: options.gradDivisor ?? 1,
      maxNorm: maxGradNorm,
      normType,
      errorIfNonfinite,
      nextLrs: next?.lrs,
      nextMomenta: next?.momenta,
      setToNone: setToNone ?? true,
    });
    return { gradNorm: result.gradNorm, skipped: result.skipped, scale: result.scale, lr };
  }
}
