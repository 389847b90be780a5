// Callbacks, each a small class doing one thing (as Lightning's): EarlyStopping,
// LearningRateMonitor, ProgressBar and GradientMonitorCallback.
import cliProgress from 'cli-progress';
import { type Module } from '../nn/module.js';
import { type ProgressStream } from '../progress/index.js';
import { GradientMonitor, type GradientHealth, type GradientMonitorOptions } from './gradient-monitor.js';
import { DefaultHooks, type EpochResult, type StepInfo, type TrainerView } from './hooks.js';

/** Stops when a validation metric stops improving for `patience` checks (or turns non-finite). */
export class EarlyStopping extends DefaultHooks {
  private best: number;
  private bad = 0;

  constructor(readonly options: { monitor?: string; patience?: number; minDelta?: number; mode?: 'min' | 'max'; stopOnNonFinite?: boolean } = {}) {
    super();
    this.best = (options.mode ?? 'min') === 'min' ? Infinity : -Infinity;
  }

  override onValidationEnd(t: TrainerView, metrics: Record<string, number>): void {
    const monitor = this.options.monitor ?? 'loss';
    const value = metrics[monitor];
    if (value === undefined) throw new RangeError(`EarlyStopping: validation produced no '${monitor}' (it has: ${Object.keys(metrics).join(', ')})`);
    if (!Number.isFinite(value)) {
      if (this.options.stopOnNonFinite ?? true) t.requestStop(`EarlyStopping: ${monitor} is ${value}`);
      return;
    }
    const delta = this.options.minDelta ?? 0;
    const better = (this.options.mode ?? 'min') === 'min' ? value < this.best - delta : value > this.best + delta;
    if (better) {
      this.best = value;
      this.bad = 0;
    } else if (++this.bad >= (this.options.patience ?? 3)) {
      t.requestStop(`EarlyStopping: ${monitor} did not improve for ${this.bad} validations (best ${this.best})`);
    }
  }

  /** The best value and the patience counter (Infinity is saved as null, JSON having no Infinity). */
  stateDict(): Record<string, unknown> {
    return { best: Number.isFinite(this.best) ? this.best : null, bad: this.bad };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const { best, bad } = state as { best: number | null; bad: number };
    if ((best !== null && typeof best !== 'number') || !Number.isInteger(bad) || bad < 0) {
      throw new TypeError(`EarlyStopping.loadStateDict: expected { best: number | null, bad: integer >= 0 }, got ${JSON.stringify(state)}`);
    }
    this.best = best ?? ((this.options.mode ?? 'min') === 'min' ? Infinity : -Infinity);
    this.bad = bad;
  }
}

/** Records the learning rate of each group at every optimizer step (known on the host: no device read). */
export class LearningRateMonitor extends DefaultHooks {
  history: { step: number; lrs: number[] }[] = [];

  override onTrainBatchEnd(_t: TrainerView, info: StepInfo): void {
    if (!info.optimizerStep) return;
    this.history.push({ step: info.step, lrs: info.optimizerStep.lr });
  }

  stateDict(): Record<string, unknown> {
    return { history: this.history.map((h) => ({ step: h.step, lrs: [...h.lrs] })) };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const history = (state as { history?: unknown }).history;
    if (!Array.isArray(history)) throw new TypeError(`LearningRateMonitor.loadStateDict: expected { history: [...] }, got ${JSON.stringify(state).slice(0, 80)}`);
    this.history = history.map((h: { step: number; lrs: number[] }) => ({ step: h.step, lrs: [...h.lrs] }));
  }
}

/**
 * A live bar with rate and ETA on a TTY; plain log lines every logEvery steps otherwise. The
 * loss shown is trainer.logs['train/loss'] (the mean of the last logging interval), so the bar
 * reads nothing from the device itself.
 */
export class ProgressBar extends DefaultHooks {
  /** One bar for the job: in data-parallel training only rank 0 draws it. */
  readonly rankZeroOnly = true;
  private bar: cliProgress.SingleBar | null = null;
  private totalBatches = 0;
  private epochStarted = 0;
  private epoch = 0;
  /** Where the bar was when validation took the terminal (null: not paused). */
  private pausedAt: number | null = null;
  /** Batches done in the epoch, as last shown. */
  private value = 0;

  /** stream: any writable (process.stderr by default, a file stream, ...); the bar is drawn only when it is a TTY. */
  constructor(readonly options: { stream?: ProgressStream; logEvery?: number; label?: string } = {}) {
    super();
  }

  private get stream(): ProgressStream {
    return this.options.stream ?? process.stderr;
  }

  override onTrainEpochStart(t: TrainerView, epoch: number): void {
    this.totalBatches = t.batchesPerEpoch ?? 0;
    this.epochStarted = performance.now();
    this.epoch = epoch;
    this.pausedAt = null;
    this.value = 0;
    if (this.stream.isTTY) this.startBar(0);
  }

  private startBar(value: number): void {
    this.bar = new cliProgress.SingleBar({
      // cli-progress only calls write() and readline's cursor helpers (which also only write).
      stream: this.stream as NodeJS.WriteStream,
      format: `${this.options.label ?? 'epoch'} ${this.epoch + 1} |{bar}| {value}/{total} batches | {rate} it/s | ETA {eta_formatted} | loss {loss}`,
      // Visible cursor: a run killed mid-epoch would otherwise leave the terminal without one.
      hideCursor: false,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(this.totalBatches || 1, value, { loss: '-', rate: '-' });
  }

  // Validation draws its own progress (lib/progress) on the same terminal: the epoch's bar steps
  // aside and comes back with the next training batch (not at all after an epoch's last one).
  override onValidationStart(): void {
    if (!this.bar) return;
    this.pausedAt = this.value;
    this.bar.stop();
    this.bar = null;
  }

  override onTrainBatchEnd(t: TrainerView, info: StepInfo): void {
    if (this.pausedAt !== null) {
      this.startBar(this.pausedAt);
      this.pausedAt = null;
    }
    if (this.bar) {
      // Our own clock: cli-progress's startTime is Date.now()-based, not performance.now().
      const seconds = Math.max(1e-3, (performance.now() - this.epochStarted) / 1000);
      const loss = t.logs['train/loss'];
      this.value = info.batchIndex + 1;
      this.bar.update(this.value, { loss: loss === undefined ? '-' : loss.toFixed(4), rate: ((info.batchIndex + 1) / seconds).toFixed(1) });
      return;
    }
    const every = this.options.logEvery ?? 10;
    if (info.optimizerStep && info.step % every === 0) {
      const lr = info.optimizerStep.lr[0];
      const loss = t.logs['train/loss'];
      this.stream.write(`epoch ${info.epoch + 1} step ${info.step}${this.totalBatches ? ` (${info.batchIndex + 1}/${this.totalBatches})` : ''} loss ${loss === undefined ? '-' : loss.toFixed(4)} lr ${lr.toExponential(3)}\n`);
    }
  }

  override onTrainEpochEnd(_t: TrainerView, r: EpochResult): void {
    this.bar?.stop();
    this.bar = null;
    this.pausedAt = null;
    const val = r.validation ? ` | val ${Object.entries(r.validation).filter(([k]) => k !== 'throughput').map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}` : '';
    this.stream.write(`epoch ${r.epoch + 1}: loss ${r.loss.toFixed(4)} | ${r.throughput.toFixed(0)} items/s | ${r.seconds.toFixed(1)} s${val}\n`);
  }

  override onException(): void {
    this.bar?.stop();
  }
}

/** Checks gradient health every N optimizer steps; warns on inf/NaN and exploding gradients. */
export class GradientMonitorCallback extends DefaultHooks {
  readonly monitor: GradientMonitor;
  history: { step: number; health: GradientHealth }[] = [];

  constructor(readonly options: GradientMonitorOptions & { everyNSteps?: number; onHealth?: (h: GradientHealth, step: number) => void } = {}) {
    super();
    this.monitor = new GradientMonitor(options);
  }

  override onBeforeOptimizerStep(t: TrainerView): void {
    const every = this.options.everyNSteps ?? 1;
    if ((t.step + 1) % every !== 0) return;
    const health = this.monitor.check(t.model as Module);
    this.history.push({ step: t.step + 1, health });
    t.logs['train/grad_norm'] = health.globalNorm;
    this.options.onHealth?.(health, t.step + 1);
    if (health.nonFinite.length) process.emitWarning(`step ${t.step + 1}: non-finite gradients in ${health.nonFinite.slice(0, 5).join(', ')}${health.nonFinite.length > 5 ? ', ...' : ''}`, 'GradientWarning');
    else if (health.exploding) process.emitWarning(`step ${t.step + 1}: exploding gradients (norm ${health.globalNorm.toExponential(2)})`, 'GradientWarning');
  }

  stateDict(): Record<string, unknown> {
    return { history: structuredClone(this.history) };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const history = (state as { history?: unknown }).history;
    if (!Array.isArray(history)) throw new TypeError('GradientMonitorCallback.loadStateDict: expected { history: [...] }');
    this.history = structuredClone(history);
  }
}
