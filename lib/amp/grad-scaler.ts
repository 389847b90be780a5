// GradScaler, with torch.amp.GradScaler's semantics: multiply the loss by a scale, unscale the
// gradients before the update, skip updates whose gradients overflowed, and adapt the scale
// (back off on overflow, grow after growthInterval clean steps). A CUDA scaler on a machine
// without CUDA disables itself with a warning and does nothing, as PyTorch's does.
import { unscaleGrads, updateScale } from '../core/amp-kernels.js';
import { cuda } from '../core/device.js';
import { full } from '../core/creation.js';
import { keep } from '../core/scope.js';
import { type Tensor, describe } from '../core/tensor.js';

/** What a GradScaler needs of an optimizer (lib/optim's Optimizer is one). */
export interface ScalableOptimizer {
  readonly paramGroups: readonly { readonly params: readonly Tensor[] }[];
  step(): void;
}

/** The scaler's live state, for the engine's one-call optimizer step (which updates it in place). */
export interface GradScalerState {
  /** float32 0-d, on the scaler's device. */
  scale: Tensor;
  /** int32 0-d: clean steps since the last growth or backoff. */
  growthTracker: Tensor;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
}

export interface GradScalerOptions {
  device?: 'cuda' | 'cpu' | string;
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  enabled?: boolean;
}

export class GradScaler {
  readonly device: string;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  private enabled: boolean;
  private initScale: number;
  private scaleTensor: Tensor | null = null;
  private growthTracker: Tensor | null = null;
  private readonly foundInf = new Map<ScalableOptimizer, Tensor>();

  constructor(options: GradScalerOptions = {}) {
    this.device = options.device ?? 'cuda';
    this.initScale = options.initScale ?? 2.0 ** 16;
    this.growthFactor = options.growthFactor ?? 2.0;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    if (!(this.growthFactor > 1)) throw new RangeError('The growth factor must be > 1.0.');
    if (!(this.backoffFactor < 1)) throw new RangeError('The backoff factor must be < 1.0.');
    if (!Number.isInteger(this.growthInterval) || this.growthInterval <= 0) throw new RangeError('growth_interval must be a positive integer');
    this.enabled = options.enabled ?? true;
    if (this.enabled && this.device.startsWith('cuda') && !cuda.isAvailable()) {
      process.emitWarning('GradScaler is enabled, but CUDA is not available. Disabling.', 'TorchWarning');
      this.enabled = false;
    }
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * The scale and growth tracker (made on first use, kept out of every scope) with the growth
   * settings; null when the scaler is disabled.
   */
  state(): GradScalerState | null {
    if (!this.enabled) return null;
    const [scale, growthTracker] = this.tensors();
    return { scale, growthTracker, growthFactor: this.growthFactor, backoffFactor: this.backoffFactor, growthInterval: this.growthInterval };
  }

  private tensors(): [Tensor, Tensor] {
    this.scaleTensor ??= keep(full([], this.initScale, { dtype: 'float32', device: this.device }));
    this.growthTracker ??= keep(full([], 0, { dtype: 'int32', device: this.device }));
    return [this.scaleTensor, this.growthTracker];
  }

  /** loss * scale (the loss itself when disabled). */
  scale(loss: Tensor): Tensor {
    if (!this.enabled) return loss;
    return loss.mul(this.tensors()[0]);
  }

  /** Divides the optimizer's gradients by the scale and records whether any was inf/NaN. */
  unscale_(optimizer: ScalableOptimizer): void {
    if (!this.enabled) return;
    if (this.foundInf.has(optimizer)) throw new Error('unscale_() has already been called on this optimizer since the last update().');
    const [scale] = this.tensors();
    const asDouble = scale.double(), reciprocal = asDouble.reciprocal();
    const inv = reciprocal.float();
    for (const t of [asDouble, reciprocal]) t.dispose();
    const found = keep(full([], 0, { dtype: 'float32', device: this.device }));
    unscaleGrads(optimizer.paramGroups.flatMap((g) => g.params), found, inv);
    inv.dispose();
    this.foundInf.set(optimizer, found);
  }

  /** optimizer.step(), unless the unscaled gradients held inf or NaN. Returns whether it stepped. */
  step(optimizer: ScalableOptimizer): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    if (!this.foundInf.has(optimizer)) this.unscale_(optimizer);
    const skip = this.foundInf.get(optimizer)!.item() !== 0;
    if (!skip) optimizer.step();
    return !skip;
  }

  /** Adapts the scale after a step (and forgets the per-optimizer records), or sets newScale. */
  update(newScale?: number): void {
    if (!this.enabled) return;
    const [scale, growthTracker] = this.tensors();
    if (newScale !== undefined) {
      if (typeof newScale !== 'number') throw new TypeError(`update: newScale must be a number, got ${describe(newScale)}`);
      scale.fill_(newScale).dispose();
    } else {
      const found = [...this.foundInf.values()];
      if (found.length === 0) throw new Error('No inf checks were recorded prior to update.');
      const combined = found.slice(1).reduce((a, b) => a.add(b), found[0]);
      updateScale(scale, growthTracker, combined, this.growthFactor, this.backoffFactor, this.growthInterval);
      if (combined !== found[0]) combined.dispose();
    }
    for (const t of this.foundInf.values()) t.dispose();
    this.foundInf.clear();
  }

  /** The current scale (1 when disabled; initScale before first use). */
  getScale(): number {
    if (!this.enabled) return 1.0;
    return this.scaleTensor ? this.scaleTensor.item() : this.initScale;
  }

  stateDict(): Record<string, number> {
    if (!this.enabled) return {};
    return { scale: this.getScale(), growth_factor: this.growthFactor, backoff_factor: this.backoffFactor, growth_interval: this.growthInterval,
      _growth_tracker: this.growthTracker ? this.growthTracker.item() : 0 };
  }

  loadStateDict(state: Record<string, number>): void {
    if (!this.enabled) return;
    if (!state || Object.keys(state).length === 0) throw new Error('The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.');
    this.initScale = state.scale;
    const [scale, growthTracker] = this.tensors();
    scale.fill_(state.scale).dispose();
    growthTracker.fill_(state._growth_tracker ?? 0).dispose();
  }
}
