// The Trainer: one engine for every task the TaskSpec describes.
//
//   const trainer = new Trainer({ model, task, config, train, val, callbacks });
//   const result = await trainer.fit();          // async; yields to the event loop between steps
//   const metrics = await trainer.validate();
//   const outputs = await trainer.predict(loader);
//
// One training step, top to bottom (see hooks.ts for where each hook runs):
//   batch -> device -> (autocast) adapter.forward -> LossStrategy (summed loss, item count)
//   -> backward (scaled under fp16) -> GradientAccumulator -> at a window's end, one native
//   call: unscale + divide by the window's items, non-finite check, clip, optimizer, scaler,
//   schedule, zero grad -> metrics and hooks. Each micro-batch runs in a tensor scope.
import { manualSeed } from '../core/runtime.js';
import { describe } from '../core/tensor.js';
import { type LossStrategy } from '../loss/types.js';
import { type ModelOutput } from '../loss/types.js';
import { Module } from '../nn/module.js';
import { type TaskSpec, type TaskSpecInput, parseTaskSpec } from '../task/spec.js';
import { lossForTask, get as getLoss } from '../loss/index.js';
import { type ModelAdapter, UniversalAdapter } from './adapters/adapter.js';
import { type TrainingConfigInput, parseTrainingConfig } from './config.js';
import { type Extension, extensions } from './extensions.js';
import { callHook, type FitResult, type EpochResult, type TrainingHooks } from './hooks.js';
import { type BatchSource, TrainingLoop } from './loops.js';
import { StandardStrategy, type TrainingStrategy } from './strategies.js';
import { TrainerCore } from './trainer-core.js';

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
}

function isParsedSpec(t: TaskSpec | TaskSpecInput): t is TaskSpec {
  return typeof (t as TaskSpec).normalizeBy === 'string' && typeof (t as TaskSpec).modality === 'string' && Array.isArray((t as TaskSpec).metrics);
}

export class Trainer {
  readonly core: TrainerCore;
  readonly extensions: Extension[];
  private readonly loop: TrainingLoop;
  private warnedWholeBatch = false;

  constructor(options: TrainerOptions) {
    if (!options || typeof options !== 'object') throw new TypeError(`Trainer: expected options { model, task, config, train }, got ${describe(options)}`);
    if (!(options.model instanceof Module)) throw new TypeError(`Trainer: model must be an nn.Module, got ${describe(options.model)}`);
    if (!options.train || (typeof (options.train as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function' && typeof (options.train as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
      throw new TypeError(`Trainer: train must be a DataLoader or an (async) iterable of batches, got ${describe(options.train)}`);
    }
    const task = isParsedSpec(options.task) ? options.task : parseTaskSpec(options.task);
    const config = parseTrainingConfig(options.config);
    manualSeed(config.seed);
    const loss = typeof options.loss === 'string' ? getLoss(options.loss) : options.loss ?? lossForTask(task);
    this.extensions = config.extensions.map((name) => extensions.create(name));
    const callbacks = [...(options.callbacks ?? []), ...this.extensions];
    this.core = new TrainerCore(options.model, task, config, options.adapter ?? new UniversalAdapter(), loss, options.strategy ?? new StandardStrategy(),
      callbacks, options.train, options.val);
    this.loop = new TrainingLoop(this.core);
  }

  get model(): Module { return this.core.model; }
  get optimizer() { return this.core.optimizer; }
  get scheduler() { return this.core.scheduler; }
  get step(): number { return this.core.step; }
  get epoch(): number { return this.core.epoch; }

  /**
   * Trains until maxEpochs or maxSteps, an AbortSignal, a hook's requestStop, or SIGINT/SIGTERM
   * (each stops after the current step, with the remaining hooks called).
   */
  async fit(options: { signal?: AbortSignal } = {}): Promise<FitResult> {
    const c = this.core;
    const cfg = c.config;
    if (c.loss.usesWholeBatch && cfg.gradientAccumulationSteps > 1 && !this.warnedWholeBatch) {
      this.warnedWholeBatch = true;
      process.emitWarning(`the '${c.loss.name}' loss uses the whole batch (in-batch negatives or batch statistics): with gradientAccumulationSteps ${cfg.gradientAccumulationSteps} each micro-batch only sees its own, so the objective differs from one large batch`, 'TrainerWarning');
    }
    const onSignal = (signal: NodeJS.Signals) => c.requestStop(`received ${signal}`, true);
    const onAbort = () => c.requestStop('aborted', true);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted) onAbort();
    const epochs: EpochResult[] = [];
    try {
      await callHook(c.callbacks, 'onFitStart', c.view);
      for (let epoch = c.epoch; cfg.maxEpochs === undefined || epoch < cfg.maxEpochs; epoch++) {
        if (c.shouldStop() || (cfg.maxSteps !== undefined && c.step >= cfg.maxSteps)) break;
        c.strategy.onEpochStart?.(c.model, epoch);
        await callHook(c.callbacks, 'onTrainEpochStart', c.view, epoch);
        const result = await this.loop.runEpoch(epoch);
        epochs.push(result);
        await callHook(c.callbacks, 'onTrainEpochEnd', c.view, result);
        c.epoch = epoch + 1;
        if (result.microBatches === 0) throw new RangeError(`epoch ${epoch + 1} had no batches: the training data is empty`);
      }
      const reason = c.reason ?? (cfg.maxSteps !== undefined && c.step >= cfg.maxSteps ? `maxSteps (${cfg.maxSteps}) reached` : `maxEpochs (${cfg.maxEpochs}) reached`);
      const result: FitResult = { epochs, steps: c.step, stoppedEarly: c.reason !== null, reason };
      await callHook(c.callbacks, 'onFitEnd', c.view, result);
      return result;
    } catch (err) {
      await callHook(c.callbacks, 'onException', c.view, err);
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Loss and the TaskSpec's metrics on a source (default: the val source). */
  async validate(source?: BatchSource): Promise<Record<string, number>> {
    const s = source ?? this.core.val;
    if (!s) throw new RangeError('Trainer.validate: no validation data (pass a source, or give the Trainer a val source)');
    return this.core.validation.run(s);
  }

  /** The model's outputs on a source, in eval mode without grad (dispose them when done). */
  async predict(source: BatchSource): Promise<ModelOutput[]> {
    return this.core.validation.predict(source);
  }

  /** Extension states by name, for checkpoints. */
  extensionStates(): Record<string, Record<string, unknown>> {
    return Object.fromEntries(this.extensions.filter((e) => e.stateDict).map((e) => [e.name, e.stateDict!()]));
  }

  loadExtensionStates(states: Record<string, Record<string, unknown>>): void {
    for (const e of this.extensions) if (states[e.name] && e.loadStateDict) e.loadStateDict(states[e.name]);
  }
}
