// OptimizerStep: every optimizer update of a run goes through step(). One native call does what
// a PyTorch loop spreads over several (scaler.unscale_ and the accumulation's division in one
// pass, clip_grad_norm_, scaler.step, scaler.update, zero_grad); the schedule then sets the
// next learning rates through its own step(), the only place rates are set.
//
// Host reads: with an enabled GradScaler the native step reads found-inf once to decide whether
// to skip (one device sync per update, as torch.amp.GradScaler.step does). Without one nothing
// is read: the gradient norm and the non-finite flag come back as device tensors that the
// caller reads at logging intervals.
import { type NativeOptimizer, optimizerStep } from '../core/native-optimizer.js';
import { type Tensor } from '../core/tensor.js';
import { type GradScaler } from '../amp/grad-scaler.js';
import { type Optimizer } from '../optim/optimizer.js';
import { type LRScheduler } from '../optim/schedulers/base.js';

export interface OptimizerStepOptions {
  scheduler?: LRScheduler;
  scaler?: GradScaler;
  /** Clip the total gradient norm to this (after unscaling); off when undefined. */
  maxGradNorm?: number;
  normType?: number;
  errorIfNonfinite?: boolean;
  /** Clear gradients to null (default) or to zeros. */
  setToNone?: boolean;
}

export interface OptimizerStepResult {
  /** The learning rates this update used, one per group. */
  lr: number[];
  /** Whether the scaler skipped the update (inf/NaN gradients); null without an enabled scaler (never skipped). */
  skipped: boolean | null;
  /** The total gradient norm before clipping, a 0-d tensor on the device (null when not clipping). */
  gradNorm: Tensor | null;
  /** 1 when some gradient was inf or NaN, else 0: a 0-d float32 tensor on the device. */
  foundInf: Tensor;
}

export class OptimizerStep {
  private readonly native: NativeOptimizer;

  constructor(readonly optimizer: Optimizer, readonly options: OptimizerStepOptions = {}) {
    const m = options.maxGradNorm;
    if (m !== undefined && !(typeof m === 'number' && m > 0)) throw new RangeError(`maxGradNorm must be a positive number, got ${m}`);
    this.native = optimizer.native;
  }

  /**
   * One update. gradDivisor: what the summed loss's gradients are divided by (default 1): the
   * window's item count, a number or a 0-d device tensor. The returned tensors belong to the
   * calling scope.
   */
  step(options: { gradDivisor?: number | Tensor } = {}): OptimizerStepResult {
    const { scheduler, scaler, maxGradNorm, normType, errorIfNonfinite, setToNone } = this.options;
    // The rates in force for this update: the schedule knows them without a native read.
    const lr = scheduler ? scheduler.getLastLr() : this.optimizer.paramGroups.map((g) => g.lr);
    const s = scaler?.state() ?? null;
    const r = optimizerStep(this.native, {
      ...(s ?? {}),
      gradDivisor: options.gradDivisor ?? 1,
      maxNorm: maxGradNorm,
      normType,
      errorIfNonfinite,
      setToNone: setToNone ?? true,
    });
    scheduler?.step();
    return { lr, skipped: r.skipped, gradNorm: r.gradNorm, foundInf: r.foundInf };
  }
}
