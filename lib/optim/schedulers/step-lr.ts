// StepLR and ReduceLROnPlateau, as torch.optim.lr_scheduler's.
import { type Optimizer } from '../optimizer.js';
import { LRScheduler, type Next, perGroup } from './base.js';

/** Multiplies the learning rate by gamma every stepSize steps (PyTorch's chainable form). */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly stepSize: number, readonly gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!Number.isInteger(stepSize) || stepSize <= 0) throw new RangeError(`stepSize must be a positive integer, got ${stepSize}`);
    this.initialStep();
  }

  protected compute(): Next {
    const current = this.optimizer.paramGroups.map((g) => g.lr);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return { lrs: current };
    return { lrs: current.map((lr) => lr * this.gamma) };
  }
}

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

/** Reduces the learning rate by factor when a metric stops improving for patience steps. */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(readonly optimizer: Optimizer, o: PlateauOptions = {}) {
    this.mode = o.mode ?? 'min';
    this.factor = o.factor ?? 0.1;
    if (!(this.factor < 1)) throw new RangeError('Factor should be < 1.0.');
    this.patience = o.patience ?? 10;
    this.threshold = o.threshold ?? 1e-4;
    this.thresholdMode = o.thresholdMode ?? 'rel';
    if (!['min', 'max'].includes(this.mode)) throw new RangeError(`mode ${this.mode} is unknown!`);
    if (!['rel', 'abs'].includes(this.thresholdMode)) throw new RangeError(`threshold mode ${this.thresholdMode} is unknown!`);
    this.cooldown = o.cooldown ?? 0;
    this.minLrs = perGroup('min_lr', optimizer, o.minLr ?? 0);
    this.eps = o.eps ?? 1e-8;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const b = this.best;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < b * (1 - this.threshold) : a < b - this.threshold;
    return this.thresholdMode === 'rel' ? a > b * (this.threshold + 1) : a > b + this.threshold;
  }

  /** Records one value of the monitored metric. */
  step(metric: number): void {
    if (typeof metric !== 'number') throw new TypeError(`ReduceLROnPlateau.step: the metric must be a number, got ${typeof metric}`);
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const old = g.lr, next = Math.max(old * this.factor, this.minLrs[i]);
        if (old - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): Record<string, unknown> {
    return { best: this.best, num_bad_epochs: this.numBadEpochs, cooldown_counter: this.cooldownCounter, last_epoch: this.lastEpoch };
  }

  loadStateDict(s: Record<string, unknown>): void {
    this.best = s.best as number;
    this.numBadEpochs = s.num_bad_epochs as number;
    this.cooldownCounter = s.cooldown_counter as number;
    this.lastEpoch = s.last_epoch as number;
  }
}
