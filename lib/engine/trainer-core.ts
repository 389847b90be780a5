// The state a Trainer's loops share: the model and task, the optimizer machinery built from
// the config, counters, and the stop flag that hooks, AbortSignals and SIGINT/SIGTERM set.
import { GradScaler } from '../amp/grad-scaler.js';
import { cuda } from '../core/device.js';
import { type LossStrategy } from '../loss/types.js';
import { MetricsTracker } from '../metrics/tracker.js';
import { type Module } from '../nn/module.js';
import { type Optimizer } from '../optim/optimizer.js';
import { type LRScheduler } from '../optim/schedulers/base.js';
import { OptimizerStep } from '../optim/step-function.js';
import { type TaskSpec } from '../task/spec.js';
import { type ModelAdapter } from './adapters/adapter.js';
import { type TrainingConfig } from './config.js';
import { buildOptimizer, buildScheduler } from './factory.js';
import { GradientAccumulator } from './gradient-accumulator.js';
import { type TrainerView, type TrainingHooks } from './hooks.js';
import { type BatchSource, ValidationLoop } from './loops.js';
import { type TrainingStrategy } from './strategies.js';

export class TrainerCore {
  readonly device: string;
  readonly optimizer: Optimizer;
  readonly scheduler: LRScheduler | null;
  readonly scaler: GradScaler | null;
  readonly stepper: OptimizerStep;
  readonly accumulator: GradientAccumulator;
  readonly tracker: MetricsTracker;
  readonly validation: ValidationLoop;
  readonly view: TrainerView & { batchesPerEpoch: number | null };
  epoch = 0;
  step = 0;
  logs: Record<string, number> = {};
  private stopReason: string | null = null;
  /** Set by signals and aborts: stop now, without the epoch-end validation. */
  stopForced = false;

  constructor(readonly model: Module, readonly task: TaskSpec, readonly config: TrainingConfig, readonly adapter: ModelAdapter,
    readonly loss: LossStrategy, readonly strategy: TrainingStrategy, readonly callbacks: TrainingHooks[], readonly train: BatchSource,
    readonly val: BatchSource | undefined) {
    this.device = config.device === 'auto' ? (cuda.isAvailable() ? 'cuda' : 'cpu') : config.device;
    if (config.precision === 'fp16-mixed' && !this.device.startsWith('cuda')) {
      throw new RangeError(`precision 'fp16-mixed' needs a CUDA device (the device is ${this.device}); use 'bf16-mixed' on CPU`);
    }
    if (this.device !== 'cpu') model.to(this.device);
    this.optimizer = buildOptimizer(config, strategy.paramGroups(model, config));
    this.scheduler = buildScheduler(config, this.optimizer, this.totalSteps());
    this.scaler = config.precision === 'fp16-mixed' ? new GradScaler({ device: this.device }) : null;
    this.stepper = new OptimizerStep(this.optimizer, { scheduler: this.scheduler ?? undefined, scaler: this.scaler ?? undefined, maxGradNorm: config.maxGradNorm });
    this.accumulator = new GradientAccumulator(config.gradientAccumulationSteps);
    this.tracker = new MetricsTracker(['loss', ...task.metrics.filter((m) => m !== 'loss')]);
    this.validation = new ValidationLoop(this);
    const core = this;
    this.view = {
      get epoch() { return core.epoch; },
      get step() { return core.step; },
      get optimizer() { return core.optimizer; },
      get model() { return core.model; },
      get logs() { return core.logs; },
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
    return c.maxEpochs! * Math.ceil(batches / c.gradientAccumulationSteps);
  }

  requestStop(reason: string, force = false): void {
    this.stopReason ??= reason;
    if (force) this.stopForced = true;
  }

  shouldStop(): boolean {
    return this.stopReason !== null;
  }

  get reason(): string | null {
    return this.stopReason;
  }
}
