// TrainingConfigBuilder: a run config built in code, checked as a file is.
//
//   const run = new TrainingConfigBuilder()
//     .name('tiny-gpt')
//     .model('gpt', { nLayer: 2, nHead: 2, nEmbd: 32 })
//     .task({ type: 'causal_lm' })
//     .data({ tokenizer: 'char', train: { text: 'train.txt', blockSize: 32 } })
//     .trainer({ maxSteps: 100, optimizer: { lr: 3e-3 } })
//     .logger({ type: 'jsonl' })
//     .callback('earlyStopping', { patience: 3 })
//     .build();                         // a checked RunConfig: getTrainer(run)
import type { z } from 'zod';
import type { TrainingConfigInput } from '../engine/config.js';
import type { TaskSpecInput } from '../task/spec.js';
import { resolve } from './load.js';
import { RUN_CONFIG_VERSION, type RunConfig, type RunConfigInput, type ZOO_CONFIG_SCHEMAS, type ZooName } from './schema.js';

/** A zoo model's config as written: every field may be left out here (those the data decides are filled in; the rest are checked at build()). */
export type ZooConfigInput<Z extends ZooName> = Partial<z.input<(typeof ZOO_CONFIG_SCHEMAS)[Z]>>;

type Callbacks = NonNullable<RunConfigInput['callbacks']>;

export class TrainingConfigBuilder {
  private readonly draft: Record<string, unknown> = { version: RUN_CONFIG_VERSION };
  private readonly loggers: NonNullable<RunConfigInput['loggers']> = [];
  private readonly callbacks: Callbacks = {};

  /** Starts from an existing config (input or checked), e.g. to change a few fields. */
  static from(config: RunConfigInput | RunConfig): TrainingConfigBuilder {
    const b = new TrainingConfigBuilder();
    const { loggers, callbacks, ...rest } = structuredClone(config) as RunConfigInput;
    Object.assign(b.draft, rest);
    b.loggers.push(...(loggers ?? []));
    Object.assign(b.callbacks, callbacks ?? {});
    return b;
  }

  name(name: string): this { this.draft.name = name; return this; }

  /** A zoo model by name with its config. */
  model<Z extends ZooName>(zoo: Z, config: ZooConfigInput<Z> = {}): this { this.draft.model = { zoo, config }; return this; }

  /** A TorchScript file (torch.jit.script(model).save(path) in Python). */
  torchscript(file: string): this { this.draft.model = { torchscript: file }; return this; }

  /** A module whose export is a factory (options, { task, tokenizer }) => Module. */
  modelModule(file: string, options: { export?: string; options?: Record<string, unknown> } = {}): this {
    this.draft.model = { module: file, ...options };
    return this;
  }

  task(task: TaskSpecInput | Partial<TaskSpecInput>): this { this.draft.task = task; return this; }

  data(data: RunConfigInput['data']): this { this.draft.data = data; return this; }

  trainer(trainer: TrainingConfigInput): this { this.draft.trainer = trainer; return this; }

  checkpoint(checkpoint: NonNullable<RunConfigInput['checkpoint']>): this { this.draft.checkpoint = checkpoint; return this; }

  logger(logger: NonNullable<RunConfigInput['loggers']>[number]): this { this.loggers.push(logger); return this; }

  callback<K extends keyof Callbacks>(name: K, options: NonNullable<Callbacks[K]> = {} as NonNullable<Callbacks[K]>): this {
    this.callbacks[name] = options;
    return this;
  }

  /** The config as written so far (unchecked). */
  toInput(): RunConfigInput {
    return { ...structuredClone(this.draft), loggers: [...this.loggers], callbacks: { ...this.callbacks } } as RunConfigInput;
  }

  /** The checked RunConfig; relative paths are taken from baseDir (default: the current folder). Throws RunConfigError. */
  build(options: { baseDir?: string } = {}): RunConfig {
    return resolve(this.toInput(), options);
  }
}
