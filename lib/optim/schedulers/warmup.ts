// Warmup schedules, as the Hugging Face Trainer's (LambdaLR over a multiplier of the base LR):
// linear warmup from 0, then cosine decay (optionally to a floor), linear decay, or constant.
import { type Optimizer } from '../optimizer.js';
import { LRScheduler, type Next } from './base.js';

export interface WarmupOptions { warmupSteps: number; totalSteps: number; lastEpoch?: number }

abstract class WarmupSchedule extends LRScheduler {
  readonly warmupSteps: number;
  readonly totalSteps: number;

  protected constructor(optimizer: Optimizer, o: WarmupOptions) {
    super(optimizer, o.lastEpoch ?? -1);
    if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new RangeError(`warmupSteps must be a non-negative integer, got ${o.warmupSteps}`);
    if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) throw new RangeError(`totalSteps must be a positive integer, got ${o.totalSteps}`);
    if (o.warmupSteps > o.totalSteps) throw new RangeError(`warmupSteps (${o.warmupSteps}) exceeds totalSteps (${o.totalSteps})`);
    this.warmupSteps = o.warmupSteps;
    this.totalSteps = o.totalSteps;
  }

  /** The multiplier of the base learning rate at a step. */
  abstract factor(step: number): number;

  protected compute(): Next {
    if (this.lastEpoch > this.totalSteps) throw new RangeError(`Tried to step ${this.lastEpoch} times. The specified number of total steps is ${this.totalSteps}`);
    const f = this.factor(this.lastEpoch);
    return { lrs: this.baseLrs.map((lr) => lr * f) };
  }

  protected warmup(step: number): number {
    return step / Math.max(1, this.warmupSteps);
  }
}

/** get_cosine_schedule_with_warmup (minLrRatio 0) / get_cosine_with_min_lr_schedule_with_warmup. */
export class WarmupCosineLR extends WarmupSchedule {
  readonly minLrRatio: number;
  readonly numCycles: number;

  constructor(optimizer: Optimizer, options: WarmupOptions & { minLrRatio?: number; numCycles?: number }) {
    super(optimizer, options);
    this.minLrRatio = options.minLrRatio ?? 0;
    this.numCycles = options.numCycles ?? 0.5;
    if (!(this.minLrRatio >= 0 && this.minLrRatio <= 1)) throw new RangeError(`minLrRatio must be in [0, 1], got ${this.minLrRatio}`);
    this.initialStep();
  }

  factor(step: number): number {
    if (step < this.warmupSteps) return this.warmup(step);
    const progress = (step - this.warmupSteps) / Math.max(1, this.totalSteps - this.warmupSteps);
    let f = 0.5 * (1.0 + Math.cos(Math.PI * this.numCycles * 2.0 * progress));
    f = f * (1 - this.minLrRatio) + this.minLrRatio;
    return Math.max(0, f);
  }
}

/** get_linear_schedule_with_warmup. */
export class WarmupLinearLR extends WarmupSchedule {
  constructor(optimizer: Optimizer, options: WarmupOptions) {
    super(optimizer, options);
    this.initialStep();
  }

  factor(step: number): number {
    if (step < this.warmupSteps) return this.warmup(step);
    return Math.max(0.0, (this.totalSteps - step) / Math.max(1, this.totalSteps - this.warmupSteps));
  }
}

/** get_constant_schedule_with_warmup. */
export class WarmupConstantLR extends WarmupSchedule {
  constructor(optimizer: Optimizer, options: WarmupOptions) {
    super(optimizer, options);
    this.initialStep();
  }

  factor(step: number): number {
    return step < this.warmupSteps ? step / Math.max(1.0, this.warmupSteps) : 1.0;
  }
}
