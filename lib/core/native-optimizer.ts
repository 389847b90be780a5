// The native optimizers (AdamW, SGD run in C++), gradient clipping and the one-call optimizer
// step, at the Tensor level: lib/optim and lib/engine hold a NativeOptimizer, never its handle.
import { native } from './addon.js';
import { type NativeGroupOptions, type OptimizerHandle } from './native.js';
import { Tensor, handleOf, handlesOf, wrap } from './tensor.js';

export type { NativeGroupOptions } from './native.js';

// optimizerStep's way to the handle, which stays private to this file.
let liveHandle: (opt: NativeOptimizer) => OptimizerHandle;

/** One native optimizer: its parameter groups, options and per-parameter state live in C++. */
export class NativeOptimizer {
  #handle: OptimizerHandle | -1;

  constructor(readonly kind: 'adamw' | 'sgd') {
    this.#handle = native.optimCreate(kind);
  }

  private get handle(): OptimizerHandle {
    if (this.#handle === -1) throw new Error(`NativeOptimizer(${this.kind}): used after free()`);
    return this.#handle;
  }

  static {
    liveHandle = (opt) => opt.handle;
  }

  /** Adds a group of parameters with its options; returns the group's index. */
  addGroup(params: readonly Tensor[], options: Partial<NativeGroupOptions>): number {
    return native.optimAddGroup(this.handle, handlesOf(params, 'addParamGroup', 'params'), options);
  }

  /** Changes some options of one group. */
  setGroup(index: number, options: Partial<NativeGroupOptions>): void {
    native.optimSetGroup(this.handle, index, options);
  }

  getGroup(index: number): NativeGroupOptions {
    return native.optimGetGroup(this.handle, index);
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    native.optimStep(this.handle);
  }

  zeroGrad(setToNone: boolean): void {
    native.optimZeroGrad(this.handle, setToNone);
  }

  /**
   * Per parameter (all groups in order), its state tensors by name: the optimizer's own tensors
   * (not copies), each a new Tensor owned by the current torch.scope.
   */
  getState(): Record<string, Tensor>[] {
    return native.optimGetState(this.handle).map((entry) => {
      const out: Record<string, Tensor> = {};
      for (const name of Object.keys(entry)) out[name] = wrap(entry[name]);
      return out;
    });
  }

  /** Loads one state tensor of one parameter (copied, and moved to the parameter's device). */
  setState(paramIndex: number, name: string, value: Tensor): void {
    native.optimSetState(this.handle, paramIndex, name, handleOf(value, 'loadStateDict', `state[${paramIndex}].${name}`));
  }

  /** Frees the native optimizer and its state tensors; later use throws. A second free is a no-op. */
  free(): void {
    if (this.#handle === -1) return;
    native.optimFree(this.#handle);
    this.#handle = -1;
  }
}

export interface OptimizerStepOptions {
  /** A GradScaler's scale (float32 0-d) and growth tracker (int32 0-d), updated in place. */
  scale?: Tensor;
  growthTracker?: Tensor;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  /** What the gradients are divided by besides the scale: a number, or a 0-d tensor counted on the device. */
  gradDivisor?: number | Tensor;
  /** Clip the total gradient norm to this (after unscaling); off when undefined. */
  maxNorm?: number;
  normType?: number;
  errorIfNonfinite?: boolean;
  /** Clear gradients to null (default) or to zeros. */
  setToNone?: boolean;
}

export interface OptimizerStepResult {
  /** The total gradient norm before clipping (0-d, on the device; null when not clipping). */
  gradNorm: Tensor | null;
  /** 1 where a gradient held inf or NaN (0-d float32, on the device). */
  foundInf: Tensor;
  /** Whether the scaler skipped the update (its one host read); null without a scaler, which never skips. */
  skipped: boolean | null;
}

/**
 * The whole optimizer update in one native call, in a PyTorch loop's order: unscale (and divide
 * by gradDivisor) with the non-finite check, clip, step (unless a scaler saw inf/NaN), scaler
 * update, zero grad. Without a scaler nothing is read to the host. The returned tensors are
 * fresh and owned by the current torch.scope.
 */
export function optimizerStep(opt: NativeOptimizer, options: OptimizerStepOptions = {}): OptimizerStepResult {
  const fn = 'optimizerStep';
  const { scale, growthTracker, gradDivisor } = options;
  const result = native.optimizerStep(liveHandle(opt), {
    scale: scale === undefined ? undefined : handleOf(scale, fn, 'scale'),
    growthTracker: growthTracker === undefined ? undefined : handleOf(growthTracker, fn, 'growthTracker'),
    growthFactor: options.growthFactor,
    backoffFactor: options.backoffFactor,
    growthInterval: options.growthInterval,
    gradDivisor: gradDivisor instanceof Tensor ? { tensor: gradDivisor._h } : gradDivisor,
    maxNorm: options.maxNorm,
    normType: options.normType,
    errorIfNonfinite: options.errorIfNonfinite,
    setToNone: options.setToNone,
  });
  return {
    gradNorm: result.gradNorm === null ? null : wrap(result.gradNorm),
    foundInf: wrap(result.foundInf),
    skipped: result.skipped,
  };
}

/**
 * Scales all gradients of `params` together so their total norm is at most maxNorm; returns the
 * total norm before clipping (0-d). errorIfNonfinite throws on an inf/NaN norm instead.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, normType = 2, errorIfNonfinite = false): Tensor {
  return wrap(native.clipGradNorm(handlesOf(params, 'clipGradNorm', 'parameters'), maxNorm, normType, errorIfNonfinite));
}

/** Clamps every gradient element of `params` to [-clipValue, clipValue]. */
export function clipGradValue(params: readonly Tensor[], clipValue: number): void {
  native.clipGradValue(handlesOf(params, 'clipGradValue', 'parameters'), clipValue);
}
