// What a Trainer's loops share: the model and task, the optimizer machinery built from the
// config, the run's TrainerState, the on-device metrics, and the stop flag that hooks,
// AbortSignals and SIGINT/SIGTERM set. It imports no loop: the Trainer owns the loops and
// hands each this core.
import path from 'node:path';
import { autocast } from '../amp/autocast.js';
import { GradScaler } from '../amp/grad-scaler.js';
import { cuda } from '../core/device.js';
import { LossInputError } from '../loss/inputs.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from '../loss/types.js';
import { MetricsTracker } from '../metrics/tracker.js';
import { type DataProfiles } from '../metrics/profile-types.js';
import { LayerInputError, type Module } from '../nn/module.js';
import { type Optimizer } from '../optim/optimizer.js';
import { type LRScheduler } from '../optim/schedulers/base.js';
import { type TaskSpec } from '../task/spec.js';
import { CheckpointManager, type CheckpointOptionsInput } from '../checkpoint/manager.js';
import { type TrainerSnapshot } from '../checkpoint/contents.js';
import { checkpointName } from '../checkpoint/folder.js';
import { type ModelAdapter } from './adapters/adapter.js';
import { type BatchSource } from './batch-source.js';
import { type TrainingConfig } from './config.js';
import { DataParallel } from './distributed-data-parallel.js';
import { shardTrainingSource } from './distributed-sampling.js';
import { buildOptimizer, buildScheduler } from './factory.js';
import { GradientAccumulator } from './gradient-accumulator.js';
import { type TrainerView, type TrainingHooks } from './hooks.js';
import { OptimizerStep } from './optimizer-step.js';
import { type TrainingStrategy } from './strategies.js';
import { type TrainerState, initialTrainerState, parseTrainerState } from './trainer-state.js';
import { describe } from '../core/tensor.js';

/** What Trainer.stateDict() returns: the run's counters and every stateful callback's and extension's state. */
export interface TrainerStateDict {
  state: TrainerState;
  /** By callback stateKey (its class name, with '#N' for the Nth of the same key). */
  callbacks: Record<string, Record<string, unknown>>;
}

/** A callback's key in stateDict(): its stateKey or class name, numbered when repeated. */
function callbackKeys(callbacks: TrainingHooks[]): string[] {
  const seen = new Map<string, number>();
  return callbacks.map((cb) => {
    const base = cb.stateKey ?? (cb as { name?: string }).name ?? cb.constructor?.name ?? 'callback';
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}#${n}`;
  });
}

export class TrainerCore {
  readonly device: string;
  readonly optimizer: Optimizer;
  readonly scheduler: LRScheduler | null;
  readonly scaler: GradScaler | null;
  readonly optimizerStep: OptimizerStep;
  readonly accumulator: GradientAccumulator;
  /** Training loss and items of the epoch, summed on the device. */
  readonly tracker: MetricsTracker;
  readonly view: TrainerView;
  /**
   * Saves and rotates checkpoints (the Trainer's checkpoint option), or null. In data-parallel
   * training every rank keeps the schedule; rank 0 alone writes.
   */
  readonly checkpoints: CheckpointManager | null;
  /** Data-parallel training across the process group's ranks (config.distributed), or null. */
  readonly ddp: DataParallel | null;
  /** This rank's training data (its shard in data-parallel training). */
  readonly train: BatchSource;
  /** The callbacks whose hooks run on this rank (on ranks other than 0, without the rankZeroOnly ones). */
  readonly callbacks: TrainingHooks[];
  /** Every callback, for the run's state: the same on every rank, so checkpoints resume anywhere. */
  private readonly statefulCallbacks: TrainingHooks[];
  /** The run's counters: changed only through the functions in trainer-state.ts. */
  state: TrainerState = initialTrainerState();
  readonly logs: Record<string, number> = {};
  /** Set by Trainer.fit at its start (config.profileData). */
  dataProfiles: DataProfiles | undefined = undefined;
  /** The latest validation's confusion matrix (ValidationLoop sets it), for TrainerView. */
  confusionMatrix: TrainerView['confusionMatrix'] = null;
  private stopReason: string | null = null;
  /** Set by signals and aborts: stop now, without the epoch-end validation. */
  stopForced = false;

  constructor(readonly model: Module, readonly task: TaskSpec, readonly config: TrainingConfig, readonly adapter: ModelAdapter,
    readonly loss: LossStrategy, readonly strategy: TrainingStrategy, callbacks: TrainingHooks[], train: BatchSource,
    readonly val: BatchSource | undefined, checkpoint?: CheckpointOptionsInput) {
    this.device = config.device === 'auto' ? (cuda.isAvailable() ? 'cuda' : 'cpu') : config.device;
    this.ddp = DataParallel.resolve(config.distributed, this.device);
    // Sharded before the schedule is sized: its length is this rank's batches per epoch.
    this.train = this.ddp ? shardTrainingSource(train, this.ddp) : train;
    this.statefulCallbacks = callbacks;
    this.callbacks = this.ddp && !this.ddp.isMain ? callbacks.filter((cb) => cb.rankZeroOnly !== true) : callbacks;
    if (config.precision === 'fp16-mixed' && !this.device.startsWith('cuda')) {
      throw new RangeError(`precision 'fp16-mixed' needs a CUDA device (the device is ${this.device}); use 'bf16-mixed' on CPU`);
    }
    if (this.device !== 'cpu') model.to(this.device);
    this.optimizer = buildOptimizer(config, strategy.paramGroups(model, config));
    this.scheduler = buildScheduler(config, this.optimizer, this.totalSteps());
    this.scaler = config.precision === 'fp16-mixed' ? new GradScaler({ device: this.device }) : null;
    this.optimizerStep = new OptimizerStep(this.optimizer, { scheduler: this.scheduler ?? undefined, scaler: this.scaler ?? undefined, maxGradNorm: config.maxGradNorm });
    this.accumulator = new GradientAccumulator(config.gradientAccumulationSteps);
    this.tracker = new MetricsTracker(['loss']);
    this.checkpoints = checkpoint ? new CheckpointManager(checkpoint) : null;
    const core = this;
    this.view = {
      get epoch() { return core.state.epoch; },
      get step() { return core.state.step; },
      get state() { return core.state; },
      get optimizer() { return core.optimizer; },
      get model() { return core.model; },
      get config() { return core.config; },
      get task() { return core.task; },
      get logs() { return core.logs; },
      get dataProfiles() { return core.dataProfiles; },
      get confusionMatrix() { return core.confusionMatrix; },
      get batchesPerEpoch() { return typeof core.train.length === 'number' ? core.train.length : null; },
      requestStop: (reason: string) => core.requestStop(reason),
    };
  }

  /** Optimizer steps the whole run will take (the schedule's length). */
  totalSteps(): number {
    const c = this.config;
    if (c.maxSteps !== undefined) return c.maxSteps;
    const batches = this.train.length;
    if (typeof batches !== 'number') {
      throw new RangeError('the training data has no length, so the schedule cannot know the run\'s length: set config.maxSteps (or give a source with a length)');
    }
    if (batches === 0) throw new RangeError('the training data yields no batch (its length is 0): check the dataset is not empty and, with dropLast, that batchSize is not above its size');
    return c.maxEpochs! * Math.ceil(batches / c.gradientAccumulationSteps);
  }

  /** Runs the model on a batch (already on the device) through the adapter, under autocast for mixed precision. */
  forward(batch: Batch): ModelOutput {
    const run = () => this.adapter.forward(this.model, batch, this.task);
    const p = this.config.precision;
    try {
      if (p === 'fp32') return run();
      return autocast({ deviceType: this.device.startsWith('cuda') ? 'cuda' : 'cpu', dtype: p === 'bf16-mixed' ? 'bfloat16' : 'float16' }, run);
    } catch (err) {
      // Name the layer by its path in the model, which the layer itself does not know.
      if (err instanceof LayerInputError) {
        const name = this.model.namedModules().find(([, m]) => m === err.module)?.[0];
        if (name !== undefined) err.message = `layer '${name || '(the model itself)'}' at step ${this.state.step + 1}, epoch ${this.state.epoch + 1}: ${err.message}`;
      }
      throw err;
    }
  }

  /**
   * The loss strategy on a batch; an input error (a label out of range, a missing field) also
   * says which batch it was: its index in the epoch, the epoch and the step.
   */
  computeLoss(output: ModelOutput, batch: Batch, batchIndex: number | null): LossResult {
    try {
      return this.loss.computeLoss(output, batch, this.task);
    } catch (err) {
      if (err instanceof LossInputError && batchIndex !== null) {
        err.message = `${err.message} (in batch ${batchIndex} of epoch ${this.state.epoch + 1}, at step ${this.state.step + 1})`;
      }
      throw err;
    }
  }

  /** Whether maxSteps is reached. */
  reachedMaxSteps(): boolean {
    return this.config.maxSteps !== undefined && this.state.step >= this.config.maxSteps;
  }

  requestStop(reason: string, force = false): void {
    this.stopReason ??= reason;
    if (force) this.stopForced = true;
  }

  /** Interrupts a wait for the next batch (a hung DataLoader worker) when the source supports it. */
  interruptData(reason: string): void {
    const source = this.train as BatchSource & { interrupt?(reason: string): void };
    if (typeof source.interrupt === 'function') source.interrupt(reason);
  }

  /** TrainerState and each stateful callback's state, by callback key. */
  stateDict(): TrainerStateDict {
    const keys = callbackKeys(this.statefulCallbacks);
    const callbacks: Record<string, Record<string, unknown>> = {};
    this.statefulCallbacks.forEach((cb, i) => {
      if (typeof cb.stateDict === 'function') callbacks[keys[i]] = cb.stateDict();
    });
    return { state: structuredClone(this.state), callbacks };
  }

  loadStateDict(sd: TrainerStateDict): void {
    if (!sd || typeof sd !== 'object') throw new TypeError(`Trainer.loadStateDict: expected { state, callbacks }, got ${describe(sd)}`);
    const state = parseTrainerState(sd.state, 'Trainer.loadStateDict: state');
    const keys = callbackKeys(this.statefulCallbacks);
    const saved = sd.callbacks ?? {};
    const unknown = Object.keys(saved).filter((k) => !keys.includes(k));
    if (unknown.length) {
      throw new RangeError(`Trainer.loadStateDict: saved state for callbacks ${unknown.join(', ')}, but this Trainer has ${keys.join(', ') || 'no callbacks'}; give the Trainer the same callbacks as the saved run`);
    }
    this.statefulCallbacks.forEach((cb, i) => {
      if (saved[keys[i]] !== undefined && typeof cb.loadStateDict === 'function') cb.loadStateDict(saved[keys[i]]);
    });
    this.state = state;
  }

  /**
   * Saves a checkpoint now (at an optimizer-step boundary): the tensors and the run's state are
   * copied here, the files are written in the background (checkpoint.writeInBackground) while
   * training goes on. Returns the folder it is written to. A failure (here, or of the
   * background write, reported at a later step boundary or by fit()'s end) stops the run or,
   * with onSaveError 'warn', warns and lets it train on; older checkpoints stay intact either way.
   */
  saveCheckpoint(): string | null {
    if (!this.checkpoints) return null;
    const ddp = this.ddp;
    // Data-parallel: every rank's generators go to rank 0, which alone writes; the others wait
    // at the barrier until it has (with writeInBackground: until it has copied the state).
    const rankRng = ddp ? ddp.gatherRngStates(this.device) : undefined;
    const folder = path.join(this.checkpoints.options.dir, checkpointName(this.state.step));
    if (ddp && !ddp.isMain) {
      this.checkpoints.markSaved(this.state.step);
      ddp.barrier();
      return folder;
    }
    const { state, callbacks } = this.stateDict();
    const snapshot: TrainerSnapshot = { state, callbacks, config: this.config, task: this.task, logs: { ...this.logs }, data: this.dataOrder(),
      ...(ddp ? { worldSize: ddp.worldSize } : {}) };
    try {
      void this.checkpoints.save({ model: this.model, optimizer: this.optimizer, scheduler: this.scheduler, scaler: this.scaler, rankRng }, snapshot);
      return folder;
    } catch (err) {
      this.checkpoints.report(state.step, err);
      return null;
    } finally {
      ddp?.barrier();
    }
  }

  /**
   * Whether a checkpoint is due; in data-parallel training the same answer on every rank (rank
   * 0's, for a schedule in minutes: the ranks' clocks differ).
   */
  checkpointDue(event: 'step' | 'epoch'): boolean {
    if (!this.checkpoints) return false;
    const due = this.checkpoints.due(event, this.state.step, this.state.epoch);
    return this.ddp && this.checkpoints.options.everyNMinutes !== undefined ? this.ddp.agreeWithRankZero(due) : due;
  }

  /** The epoch's loss sum and items so far: this rank's, or every rank's added up in data-parallel training. */
  lossTotals(): { lossSum: number; items: number } {
    const totals = this.tracker.read();
    return this.ddp ? this.ddp.reduceTotals(totals.lossSum, totals.items) : totals;
  }

  /** Data-parallel: a stop wanted on any rank (a hook, a signal) becomes every rank's, so all stop at the same step. */
  agreeOnStop(): void {
    if (!this.ddp) return;
    const agreed = this.ddp.agreeStop(this.stopReason !== null, this.stopForced);
    if (agreed.stop) this.stopReason ??= 'another rank stopped';
    if (agreed.forced) this.stopForced = true;
  }

  /** What fixes the training data's order (a DataLoader's sampler and seed, its length in batches). */
  dataOrder(): NonNullable<TrainerSnapshot['data']> {
    const sampler = (this.train as { sampler?: { seed?: unknown; constructor: { name: string } } }).sampler;
    return {
      sampler: sampler ? sampler.constructor.name : null,
      seed: typeof sampler?.seed === 'number' ? sampler.seed : null,
      batches: typeof this.train.length === 'number' ? this.train.length : null,
    };
  }

  /** A new fit() starts without the previous one's stop. */
  clearStop(): void {
    this.stopReason = null;
    this.stopForced = false;
  }

  shouldStop(): boolean {
    return this.stopReason !== null;
  }

  get reason(): string | null {
    return this.stopReason;
  }
}
