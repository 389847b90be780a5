// The Trainer: one engine for every task the TaskSpec describes.
//
//   const trainer = new Trainer({ model, task, config, train, val, callbacks });
//   const result = await trainer.fit();          // async; yields to the event loop between steps
//   const metrics = await trainer.validate();
//   const { logits } = await trainer.predict(loader);
//
// The Trainer owns the loops (training-loop.ts holds the training step, top to bottom) and the
// run's TrainerState (trainer-state.ts); stateDict() is everything a checkpoint needs besides the
// model, optimizer, schedule and scaler.
import { constants } from 'node:os';
import { manualSeed } from '../core/runtime.js';
import { describe } from '../core/tensor.js';
import { nearestName } from '../core/validation.js';
import { type LossStrategy, type ModelOutput } from '../loss/types.js';
import { Module } from '../nn/module.js';
import { type TaskSpec, type TaskSpecInput, parseTaskSpec } from '../task/spec.js';
import { lossForTask, get as getLoss } from '../loss/index.js';
import { type CheckpointOptionsInput } from '../checkpoint/manager.js';
import { type ModelAdapter, UniversalAdapter } from './adapters/adapter.js';
import { type BatchSource } from './batch-source.js';
import { type TrainingConfigInput, parseTrainingConfig } from './config.js';
import { type Extension, extensions } from './extensions.js';
import { type DataProfiles } from '../metrics/profile-types.js';
import { DataParallel } from './distributed-data-parallel.js';
import { profileTrainingData } from '../metrics/profile-training.js';
import { callHook, type FitResult, type EpochResult, type TrainingHooks } from './hooks.js';
import { StandardStrategy, type TrainingStrategy } from './strategies.js';
import { TrainerCore } from './trainer-core.js';
import { type TrainerStateDict } from './trainer-core.js';
import { type TrainerState, recordValidation } from './trainer-state.js';
import { resume } from './resume.js';
import { TrainingLoop } from './training-loop.js';
import { type Prediction, ValidationLoop } from './validation-loop.js';

export type { TrainerStateDict } from './trainer-core.js';

export interface TrainerOptions {
  model: Module;
  task: TaskSpec | TaskSpecInput;
  config: TrainingConfigInput;
  train: BatchSource;
  val?: BatchSource;
  callbacks?: TrainingHooks[];
  /** How batches reach the model (default: chosen from the TaskSpec and the model). */
  adapter?: ModelAdapter;
  /** A LossStrategy or a registered name (default: the TaskSpec's loss). */
  loss?: LossStrategy | string;
  /** How parameters become optimizer groups (default: standard). */
  strategy?: TrainingStrategy;
  /** Checkpoints: { dir, everyNSteps, everyNEpochs, everyNMinutes, keepLast, keepBest, monitor, mode, saveOnSignal, ... }. */
  checkpoint?: CheckpointOptionsInput;
}

const TRAINER_OPTIONS = ['model', 'task', 'config', 'train', 'val', 'callbacks', 'adapter', 'loss', 'strategy', 'checkpoint'] as const;

/** A misspelt or unsupported option is refused with the nearest known name, never ignored. */
function checkOptionNames(options: object): void {
  for (const key of Object.keys(options)) {
    if ((TRAINER_OPTIONS as readonly string[]).includes(key)) continue;
    const near = nearestName(key, TRAINER_OPTIONS);
    throw new TypeError(`Trainer: unknown option '${key}'${near ? `; did you mean '${near}'?` : ''} (the options are ${TRAINER_OPTIONS.join(', ')}; `
      + 'training settings such as maxEpochs go inside config)');
  }
}

function isParsedSpec(t: TaskSpec | TaskSpecInput): t is TaskSpec {
  return typeof (t as TaskSpec).normalizeBy === 'string' && typeof (t as TaskSpec).modality === 'string' && Array.isArray((t as TaskSpec).metrics);
}

export class Trainer {
  readonly core: TrainerCore;
  readonly extensions: Extension[];
  private readonly trainingLoop: TrainingLoop;
  private readonly validationLoop: ValidationLoop;
  private warnedWholeBatch = false;

  constructor(options: TrainerOptions) {
    if (!options || typeof options !== 'object') throw new TypeError(`Trainer: expected options { model, task, config, train }, got ${describe(options)}`);
    checkOptionNames(options);
    if (!(options.model instanceof Module)) throw new TypeError(`Trainer: model must be an nn.Module, got ${describe(options.model)}`);
    if (!options.train || (typeof (options.train as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function' && typeof (options.train as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
      throw new TypeError(`Trainer: train must be a DataLoader or an (async) iterable of batches, got ${describe(options.train)}`);
    }
    const task = isParsedSpec(options.task) ? options.task : parseTaskSpec(options.task);
    const config = parseTrainingConfig(options.config);
    // Seeds what the Trainer does from here on (dropout, shuffling); the model was built before
    // this, so its initialisation is covered only by seedEverything(seed) called before building it.
    manualSeed(config.seed);
    const loss = typeof options.loss === 'string' ? getLoss(options.loss) : options.loss ?? lossForTask(task);
    this.extensions = config.extensions.map((name) => extensions.create(name));
    const callbacks = [...(options.callbacks ?? []), ...this.extensions];
    this.core = new TrainerCore(options.model, task, config, options.adapter ?? new UniversalAdapter(), loss, options.strategy ?? new StandardStrategy(),
      callbacks, options.train, options.val, options.checkpoint);
    this.validationLoop = new ValidationLoop(this.core);
    this.trainingLoop = new TrainingLoop(this.core, this.validationLoop);
  }

  get model(): Module { return this.core.model; }
  get optimizer() { return this.core.optimizer; }
  get scheduler() { return this.core.scheduler; }
  get scaler() { return this.core.scaler; }
  get step(): number { return this.core.state.step; }
  get epoch(): number { return this.core.state.epoch; }
  /** The run's counters (read-only: the loops change them). */
  get state(): Readonly<TrainerState> { return this.core.state; }
  /** The latest logged values ('train/loss', 'train/lr', ..., 'val/loss', ...). */
  get logs(): Readonly<Record<string, number>> { return this.core.logs; }
  /** Profiles of the train and val data and val's drift from train, made at each fit's start (config.profileData). */
  get dataProfiles(): DataProfiles | undefined { return this.core.dataProfiles; }

  /**
   * Trains until maxEpochs or maxSteps, an AbortSignal, a hook's requestStop, or SIGINT/SIGTERM
   * (each stops after the current step, with the remaining hooks called). resumeFrom: 'latest'
   * (the newest valid checkpoint under checkpoint.dir; none: a fresh start) or a checkpoint
   * folder; weightsOnly: take only its weights (a fresh optimizer, schedule and position).
   * dataProfiles: profiles of this train/val data made before (the CLI's check phase), used
   * instead of profiling again.
   */
  async fit(options: { signal?: AbortSignal; resumeFrom?: string; weightsOnly?: boolean; dataProfiles?: DataProfiles } = {}): Promise<FitResult> {
    const c = this.core;
    const cfg = c.config;
    if (c.loss.usesWholeBatch && cfg.gradientAccumulationSteps > 1 && !this.warnedWholeBatch) {
      this.warnedWholeBatch = true;
      process.emitWarning(`the '${c.loss.name}' loss uses the whole batch (in-batch negatives or batch statistics): with gradientAccumulationSteps ${cfg.gradientAccumulationSteps} each micro-batch only sees its own, so the objective differs from one large batch`, 'TrainerWarning');
    }
    c.clearStop();
    // The first SIGINT/SIGTERM stops after the current step (and interrupts a wait for data);
    // the process then exits with 128 + the signal's number, as a killed process would, so batch
    // schedulers see it was stopped. A second one exits at once, as Python's second Ctrl-C does.
    let signalled = false;
    const profiling = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      const code = 128 + (constants.signals[signal] ?? 0);
      if (signalled) process.exit(code);
      signalled = true;
      process.exitCode = code;
      c.requestStop(`received ${signal}`, true);
      c.interruptData(`received ${signal}`);
      profiling.abort(`received ${signal}`);
    };
    const onAbort = () => {
      c.requestStop('aborted', true);
      profiling.abort('aborted');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted) onAbort();
    const epochs: EpochResult[] = [];
    try {
      if (options.resumeFrom !== undefined) resume(c, options.resumeFrom, { weightsOnly: options.weightsOnly });
      DataParallel.warnIfJoinedLate(cfg.distributed, c.ddp);
      if (c.ddp) {
        // As DDP's constructor: the same model on every rank, then rank 0's values everywhere.
        c.ddp.checkModelsAgree(c.model);
        c.ddp.broadcastModel(c.model);
        c.ddp.attachReducer(c.model);
      }
      // Every fit profiles (sampled, so cheap; rank 0 only in data-parallel training); it leaves
      // libtorch's RNG as it found it (a resumed one too).
      if (options.dataProfiles && cfg.profileData !== false) c.dataProfiles = options.dataProfiles;
      else if (!c.ddp || c.ddp.isMain) c.dataProfiles = await profileTrainingData(c.train, c.val, c.task, cfg.profileData, cfg.seed, profiling.signal);
      await callHook(c.callbacks, 'onFitStart', c.view);
      while ((cfg.maxEpochs === undefined || c.state.epoch < cfg.maxEpochs) && !c.shouldStop() && !c.reachedMaxSteps()) {
        const epoch = c.state.epoch;
        c.strategy.onEpochStart?.(c.model, epoch);
        await callHook(c.callbacks, 'onTrainEpochStart', c.view, epoch);
        const result = await this.trainingLoop.runEpoch();
        if (result.validation) recordValidation(c.state, 'val/loss', 'min', result.validation.loss);
        epochs.push(result);
        await callHook(c.callbacks, 'onTrainEpochEnd', c.view, result);
        c.agreeOnStop();
      }
      const ckpt = c.checkpoints?.options;
      // Data-parallel ranks decide by the agreed stop (a signal may reach one rank only).
      const bySignal = c.ddp ? c.stopForced : signalled;
      if (ckpt && !c.checkpoints!.savedAt(c.state.step) && (bySignal ? ckpt.saveOnSignal : ckpt.saveAtEnd)) this.trainingLoop.saveCheckpoint();
      // The last checkpoint (written in the background) is on disk before fit() resolves, and so
      // before a signalled process exits; a failed write is reported here at the latest. Other
      // ranks wait for rank 0's write, so that no rank ends the job before it is complete.
      c.checkpoints?.flush();
      c.ddp?.barrier();
      const reason = c.reason ?? (c.reachedMaxSteps() ? `maxSteps (${cfg.maxSteps}) reached` : `maxEpochs (${cfg.maxEpochs}) reached`);
      const result: FitResult = { epochs, steps: c.state.step, stoppedEarly: c.reason !== null, reason };
      await callHook(c.callbacks, 'onFitEnd', c.view, result);
      return result;
    } catch (err) {
      c.checkpoints?.flush({ quiet: true });
      await callHook(c.callbacks, 'onException', c.view, err);
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      options.signal?.removeEventListener('abort', onAbort);
      c.ddp?.detachReducer();
    }
  }

  /** Loss and the TaskSpec's metrics on a source (default: the val source). */
  async validate(source?: BatchSource): Promise<Record<string, number>> {
    const s = source ?? this.core.val;
    if (!s) throw new RangeError('Trainer.validate: no validation data (pass a source, or give the Trainer a val source)');
    return this.validationLoop.run(s);
  }

  /**
   * The confusion matrix of the last validation run (single-label classification: rows the true
   * class, columns the predicted one, as sklearn's confusion_matrix), or null. Not a scalar, so
   * not in validate()'s metrics; loggers and dashboards read it here.
   */
  confusionMatrix(): number[][] | null {
    return this.validationLoop.lastConfusionMatrix();
  }

  /**
   * The model's outputs over a source joined along the batch dimension ({ logits: [N, ...] }),
   * in eval mode without grad. Dispose the result when done (torch.dispose(result)).
   */
  async predict(source: BatchSource): Promise<ModelOutput> {
    return this.validationLoop.predict(source);
  }

  /** The model's output batch by batch, with each batch's index and its `ids`/`id` field (dispose each output). */
  predictions(source: BatchSource): AsyncGenerator<Prediction> {
    return this.validationLoop.predictions(source);
  }

  /** The run's state for a checkpoint: TrainerState and each stateful callback's state (extensions included). */
  stateDict(): TrainerStateDict {
    return this.core.stateDict();
  }

  /** Restores stateDict(): the counters, then each callback's state by key (a saved key with no callback is an error). */
  loadStateDict(sd: TrainerStateDict): void {
    this.core.loadStateDict(sd);
  }

  /** Extension states by name, for checkpoints. */
  extensionStates(): Record<string, Record<string, unknown>> {
    return Object.fromEntries(this.extensions.filter((e) => e.stateDict).map((e) => [e.name, e.stateDict!()]));
  }

  loadExtensionStates(states: Record<string, Record<string, unknown>>): void {
    for (const e of this.extensions) if (states[e.name] && e.loadStateDict) e.loadStateDict(states[e.name]);
  }
}
