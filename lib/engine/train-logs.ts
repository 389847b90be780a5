// TrainLogs: what the training loop reads back from the device, and when. Every optimizer update
// leaves its gradient norm and non-finite flag on the device; refresh() (every logEveryNSteps
// updates and at an epoch's end) reads the loss and item sums, the last norm, the non-finite
// flags (NonFiniteGuard) and the loss scale — a handful of host reads per interval, none per
// micro-batch — and writes trainer.logs ('train/loss', 'train/lr', 'train/grad_norm',
// 'train/loss_scale', 'train/throughput') and TrainerState.itemsSeen.
import { dispose, keep } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { type LossTotals } from '../metrics/tracker.js';
import { NonFiniteGuard } from './non-finite-guard.js';
import { type OptimizerStepResult } from './optimizer-step.js';
import { type TrainerCore } from './trainer-core.js';
import { recordItemsSeen } from './trainer-state.js';

export class TrainLogs {
  private gradNorm: Tensor | null = null;
  private readonly nonFinite: NonFiniteGuard;
  private lastLr: number[] = [];
  private itemsBeforeEpoch = 0;
  private last: LossTotals = { lossSum: 0, items: 0 };
  private lastTime = performance.now();
  /** Reads the scaler's scale on demand (null without an enabled scaler). */
  readonly scaleReader: (() => number) | null;

  constructor(private readonly core: TrainerCore) {
    const scaler = core.scaler?.isEnabled() ? core.scaler : null;
    this.scaleReader = scaler ? () => scaler.getScale() : null;
    this.nonFinite = new NonFiniteGuard(core.config.maxConsecutiveNonFinite);
  }

  startEpoch(): void {
    this.itemsBeforeEpoch = this.core.state.itemsSeen;
    this.last = { lossSum: 0, items: 0 };
    this.lastTime = performance.now();
  }

  /** An optimizer update's device values, kept until the next read (no host read here). */
  recordUpdate(result: OptimizerStepResult): void {
    this.lastLr = result.lr;
    if (result.gradNorm) {
      if (this.gradNorm) dispose(this.gradNorm);
      this.gradNorm = keep(result.gradNorm.detach());
    }
    const step = this.core.state.step;
    if (result.skipped === null) this.nonFinite.recordDevice(result.foundInf, step);
    else this.nonFinite.recordSkip(result.skipped, this.scaleReader!(), step);
  }

  /** Reads the device sums into trainer.logs and TrainerState; returns the epoch's totals. */
  refresh(): LossTotals {
    const c = this.core;
    const totals = c.tracker.read();
    const now = performance.now();
    const items = totals.items - this.last.items;
    const logs = c.logs;
    if (items > 0) logs['train/loss'] = (totals.lossSum - this.last.lossSum) / items;
    if (this.lastLr.length) logs['train/lr'] = this.lastLr[0];
    if (this.gradNorm) logs['train/grad_norm'] = this.gradNorm.item();
    if (this.scaleReader) logs['train/loss_scale'] = this.scaleReader();
    const seconds = (now - this.lastTime) / 1000;
    if (seconds > 0) logs['train/throughput'] = items / seconds;
    recordItemsSeen(c.state, this.itemsBeforeEpoch + totals.items);
    this.last = totals;
    this.lastTime = now;
    this.nonFinite.check(c.state.step, Number.isFinite(totals.lossSum));
    return totals;
  }

  dispose(): void {
    if (this.gradNorm) dispose(this.gradNorm);
    this.gradNorm = null;
    this.nonFinite.dispose();
  }
}
