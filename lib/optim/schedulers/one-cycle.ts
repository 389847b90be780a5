// OneCycleLR, as torch.optim.lr_scheduler.OneCycleLR (Smith's 1cycle policy): warm up from
// maxLr/divFactor to maxLr over pctStart of the steps, then anneal to initial/finalDivFactor;
// momentum (SGD's momentum or Adam's beta1) cycles the other way.
import { type Optimizer } from '../optimizer.js';
import { LRScheduler, type Next, perGroup } from './base.js';

export interface OneCycleOptions {
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

const annealCos = (start: number, end: number, pct: number) => end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
const annealLinear = (start: number, end: number, pct: number) => (end - start) * pct + start;

export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly cycleMomentum: boolean;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;

  constructor(optimizer: Optimizer, options: OneCycleOptions) {
    const o = { pctStart: 0.3, annealStrategy: 'cos' as const, cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, divFactor: 25, finalDivFactor: 1e4, threePhase: false, lastEpoch: -1, ...options };
    let total: number;
    if (o.totalSteps !== undefined) {
      if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) throw new RangeError(`Expected positive integer total_steps, but got ${o.totalSteps}`);
      total = o.totalSteps;
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      if (!Number.isInteger(o.epochs) || o.epochs <= 0) throw new RangeError(`Expected positive integer epochs, but got ${o.epochs}`);
      if (!Number.isInteger(o.stepsPerEpoch) || o.stepsPerEpoch <= 0) throw new RangeError(`Expected positive integer steps_per_epoch, but got ${o.stepsPerEpoch}`);
      total = o.epochs * o.stepsPerEpoch;
    } else throw new RangeError('You must define either totalSteps OR (epochs AND stepsPerEpoch)');
    if (!(o.pctStart >= 0 && o.pctStart <= 1)) throw new RangeError(`Expected float between 0 and 1 pct_start, but got ${o.pctStart}`);
    if (o.annealStrategy !== 'cos' && o.annealStrategy !== 'linear') throw new RangeError(`anneal_strategy must be one of 'cos' or 'linear', instead got ${o.annealStrategy}`);
    const p = o.pctStart * total;
    const phases: Phase[] = o.threePhase
      ? [
        { endStep: p - 1, startLr: 'initial_lr', endLr: 'max_lr', startMomentum: 'max_momentum', endMomentum: 'base_momentum' },
        { endStep: 2 * p - 2, startLr: 'max_lr', endLr: 'initial_lr', startMomentum: 'base_momentum', endMomentum: 'max_momentum' },
        { endStep: total - 1, startLr: 'initial_lr', endLr: 'min_lr', startMomentum: 'max_momentum', endMomentum: 'max_momentum' },
      ]
      : [
        { endStep: p - 1, startLr: 'initial_lr', endLr: 'max_lr', startMomentum: 'max_momentum', endMomentum: 'base_momentum' },
        { endStep: total - 1, startLr: 'max_lr', endLr: 'min_lr', startMomentum: 'base_momentum', endMomentum: 'max_momentum' },
      ];
    checkPhaseLengths(phases, total, o.pctStart, o.threePhase);
    const maxLrs = perGroup('max_lr', optimizer, o.maxLr);
    if (o.lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.extra.initial_lr = maxLrs[i] / o.divFactor;
        g.extra.max_lr = maxLrs[i];
        g.extra.min_lr = g.extra.initial_lr / o.finalDivFactor;
      });
    }
    const useBeta1 = 'betas' in optimizer.defaults;
    if (o.cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !useBeta1) throw new RangeError('optimizer must support momentum or beta1 with `cycleMomentum` option enabled');
      const maxM = perGroup('max_momentum', optimizer, o.maxMomentum), baseM = perGroup('base_momentum', optimizer, o.baseMomentum);
      if (o.lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], g.betas[1]];
          else g.momentum = maxM[i];
          g.extra.max_momentum = maxM[i];
          g.extra.base_momentum = baseM[i];
        });
      }
    }
    super(optimizer, o.lastEpoch);
    this.totalSteps = total;
    this.cycleMomentum = o.cycleMomentum;
    this.anneal = o.annealStrategy === 'cos' ? annealCos : annealLinear;
    this.phases = phases;
    this.initialStep();
  }

  protected compute(): Next {
    const step = this.lastEpoch;
    if (step > this.totalSteps) throw new RangeError(`Tried to step ${step} times. The specified number of total steps is ${this.totalSteps}`);
    const lrs: number[] = [], momenta: number[] = [];
    for (const g of this.optimizer.paramGroups) {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i];
        if (step <= phase.endStep || i === this.phases.length - 1) {
          const pct = (step - start) / (phase.endStep - start);
          lrs.push(this.anneal(g.extra[phase.startLr], g.extra[phase.endLr], pct));
          if (this.cycleMomentum) momenta.push(this.anneal(g.extra[phase.startMomentum], g.extra[phase.endMomentum], pct));
          break;
        }
        start = phase.endStep;
      }
    }
    return this.cycleMomentum ? { lrs, momenta } : { lrs };
  }

  protected override extraState(): Record<string, unknown> {
    return { total_steps: this.totalSteps };
  }
}

/**
 * A phase that starts where it ends makes the step's position in it 0/0 (or x/0). PyTorch raises
 * ZeroDivisionError at the step that reaches it (at construction when it is step 0); JavaScript
 * would return NaN and train every weight into NaN. So a phase of zero length that some step in
 * [0, totalSteps] reaches is refused here, before the optimizer is touched.
 */
function checkPhaseLengths(phases: Phase[], total: number, pctStart: number, threePhase: boolean): void {
  let start = 0;
  let latestEnd = -Infinity;
  phases.forEach((phase, i) => {
    const last = i === phases.length - 1;
    // The integer steps k in [0, total] that compute() sends to this phase: past every earlier end.
    const lo = Math.max(0, Math.floor(latestEnd) + 1);
    const hi = last ? total : Math.min(total, Math.floor(phase.endStep));
    if (phase.endStep - start === 0 && lo <= hi) {
      const name = i === 0 ? 'warm-up' : last ? (threePhase ? 'final annihilation' : 'annealing') : 'second';
      const fix = i === 0
        ? `pctStart x totalSteps must not be 1: use pctStart 0 (no warm-up) or at least ${2 / total} (a warm-up of 2 steps or more), or train for more steps`
        : threePhase
          ? `2 x pctStart x totalSteps - 1 must not equal totalSteps: use a pctStart other than ${(total + 1) / (2 * total)}`
          : `use a pctStart below 1 (at most ${(total - 1) / total}), so that steps remain to anneal over`;
      throw new RangeError(`OneCycleLR: totalSteps ${total} with pctStart ${pctStart} gives a ${name} phase of zero length (it starts and ends at step ${start}), `
        + `so step ${lo}'s learning rate would be a division by zero (PyTorch raises ZeroDivisionError; here the weights would become NaN). Fix: ${fix}.`);
    }
    latestEnd = Math.max(latestEnd, phase.endStep);
    start = phase.endStep;
  });
}
