// The scheduler base, as torch.optim.lr_scheduler.LRScheduler: a pure function of the step
// count (lastEpoch) plus a small state dict. Stepped once per optimizer update.
import { type Optimizer } from '../optimizer.js';

export interface Next { lrs: number[]; momenta?: number[] }

export abstract class LRScheduler {
  lastEpoch: number;
  readonly baseLrs: number[];
  protected lastLr: number[] = [];

  protected constructor(readonly optimizer: Optimizer, lastEpoch = -1) {
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) g.extra.initial_lr ??= g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.extra.initial_lr === undefined) throw new RangeError(`param 'initial_lr' is not specified in paramGroups[${i}] when resuming an optimizer`);
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.extra.initial_lr);
    this.lastEpoch = lastEpoch;
  }

  /** Subclasses call this at the end of their constructor: PyTorch's initial step (epoch 0). */
  protected initialStep(): void {
    this.step();
  }

  /** The learning rates (and momenta, for schedules that cycle them) at this.lastEpoch. */
  protected abstract compute(): Next;

  /** Moves to the next step and returns its values without applying them (the step function applies them natively). */
  advance(): Next {
    this.lastEpoch += 1;
    const next = this.compute();
    this.lastLr = next.lrs;
    return next;
  }

  /** Moves to the next step and sets the optimizer's learning rates (and momenta). */
  step(): void {
    const next = this.advance();
    this.optimizer.paramGroups.forEach((g, i) => {
      if (!next.momenta) return g.setScheduled(next.lrs[i]);
      if ('betas' in this.optimizer.defaults) g.setScheduled(next.lrs[i], { betas: [next.momenta[i], g.betas[1]] });
      else g.setScheduled(next.lrs[i], { momentum: next.momenta[i] });
    });
  }

  /** The learning rates set by the last step, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): Record<string, unknown> {
    return { last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs], _last_lr: [...this.lastLr], ...this.extraState() };
  }

  loadStateDict(state: Record<string, unknown>): void {
    if (typeof state?.last_epoch !== 'number') throw new TypeError(`${this.constructor.name}.loadStateDict: missing last_epoch`);
    this.lastEpoch = state.last_epoch;
    if (Array.isArray(state._last_lr)) this.lastLr = [...(state._last_lr as number[])];
    this.loadExtraState(state);
  }

  protected extraState(): Record<string, unknown> {
    return {};
  }

  protected loadExtraState(_state: Record<string, unknown>): void {}
}

/** One value per param group: a number for all, or an array with one per group. */
export function perGroup(name: string, optimizer: Optimizer, value: number | number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(value)) {
    if (value.length !== n) throw new RangeError(`expected ${n} values for ${name}, got ${value.length}`);
    return [...value];
  }
  return new Array(n).fill(value);
}
