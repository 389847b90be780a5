// The trainer factory: a run config becomes a ready Trainer (getTrainer), or all the pieces of a
// run (buildRun: model, task, datasets, tokenizer, loaders, trainer). The setups are the
// examples': a causal LM on a text corpus learns next-token labels without a second shift, a
// masked LM uses BERT's masking collate (fixed masks for validation), everything else the default
// collate, which pads with the task's padTokenId; a TorchScript model gets the TorchScript adapter.
import path from 'node:path';
import { DataLoader } from '../data/loader.js';
import { maskedLmCollate } from '../data/masked-lm.js';
import type { Dataset } from '../data/dataset.js';
import type { Tokenizer } from '../data/tokenizers.js';
import { seedEverything } from '../data/seed.js';
import { TorchScriptAdapter } from '../engine/adapters/adapter.js';
import type { BatchSource } from '../engine/batch-source.js';
import type { TrainingHooks } from '../engine/hooks.js';
import { Trainer } from '../engine/trainer.js';
import type { Module } from '../nn/module.js';
import { type TaskSpec, parseTaskSpec } from '../task/spec.js';
import { buildRunData, defaultTextLabels } from './datasets.js';
import { deriveTaskInput, placeholderTokenizerSize, type PretrainedIds, variableLength } from './derive.js';
import { hfModelVocabSize, specialIdsOf } from './hf-sources.js';
import { load, resolve } from './load.js';
import { buildCallbacks, buildLoggers } from './run-callbacks.js';
import type { RunConfig, RunConfigInput } from './schema.js';
import { buildModel } from './zoo.js';

export interface BuildRunOptions {
  /** The run folder: default logger files and checkpoints go inside it (default: runs/<name> under the current folder). */
  runDir?: string;
  /** Callbacks added after the config's own (and its loggers). */
  callbacks?: TrainingHooks[];
}

export interface BuiltRun {
  config: RunConfig;
  runDir: string;
  model: Module;
  task: TaskSpec;
  tokenizer: Tokenizer | undefined;
  datasets: { train: Dataset; val: Dataset | undefined };
  loaders: { train: BatchSource; val: BatchSource | undefined };
  trainer: Trainer;
}

type Json = Record<string, unknown>;

/** The checked TaskSpec: ids and vocabulary from the tokenizer, and the causal-LM loss matched to next-token labels. */
export function runTask(config: RunConfig, tokenizerSize: number | undefined, pretrained: PretrainedIds = {}): TaskSpec {
  const input: Json = deriveTaskInput(config.task, tokenizerSize, variableLength(config.data), pretrained);
  const train = config.data.train;
  const nextToken = 'text' in train && (train.labels ?? defaultTextLabels(String(input.type))) === 'next-token';
  // Labels already moved one on: the loss must not shift them again (examples/causal-lm.ts).
  if (input.type === 'causal_lm' && nextToken && input.loss === undefined) input.loss = { name: 'causal_lm', options: { shift: false } };
  return parseTaskSpec(input);
}

/**
 * A validation source that makes a new loader (and so a new seeded masking collate) for each
 * pass: every check masks the same tokens, as examples/masked-lm.ts does by hand.
 */
function freshEachPass(make: () => DataLoader): BatchSource {
  const first = make();
  let used = false;
  return {
    length: first.length,
    yieldsFreshBatches: true,
    [Symbol.asyncIterator]() {
      const loader = used ? make() : first;
      used = true;
      return loader[Symbol.asyncIterator]();
    },
  } as BatchSource;
}

function loaders(config: RunConfig, task: TaskSpec, train: Dataset, val: Dataset | undefined): BuiltRun['loaders'] {
  const d = config.data;
  const common = { numWorkers: d.numWorkers };
  if (task.type === 'masked_lm') {
    const valLoader = val ? freshEachPass(() => new DataLoader(val, { ...common, batchSize: d.valBatchSize ?? d.batchSize, collate: maskedLmCollate({ task, seed: d.valMaskSeed }) })) : undefined;
    return { train: new DataLoader(train, { ...common, batchSize: d.batchSize, shuffle: d.shuffle, dropLast: d.dropLast, collate: maskedLmCollate({ task }) }), val: valLoader };
  }
  return {
    train: new DataLoader(train, { ...common, batchSize: d.batchSize, shuffle: d.shuffle, dropLast: d.dropLast, collateOptions: { task } }),
    val: val ? new DataLoader(val, { ...common, batchSize: d.valBatchSize ?? d.batchSize, collateOptions: { task } }) : undefined,
  };
}

/** Checkpoint options: none when the config says false; otherwise its options with dir inside the run folder by default. */
function checkpointOptions(config: RunConfig, runDir: string, explicitRunDir: boolean) {
  const c = config.checkpoint;
  if (c === false) return undefined;
  if (c === undefined) return explicitRunDir ? { dir: path.join(runDir, 'checkpoints') } : undefined;
  return { ...c, dir: path.resolve(runDir, c.dir ?? 'checkpoints') };
}

const isRunConfigInput = (v: unknown): v is RunConfigInput | RunConfig => v !== null && typeof v === 'object' && !Array.isArray(v);

/** All the pieces of a run: checks the config (a RunConfig, an input object, or a file path), reads the data, builds model and Trainer. */
export async function buildRun(runConfig: RunConfig | RunConfigInput | string, options: BuildRunOptions = {}): Promise<BuiltRun> {
  if (typeof runConfig !== 'string' && !isRunConfigInput(runConfig)) {
    throw new TypeError(`getTrainer: expected a run config (from config.load or an object) or a config file path, got ${runConfig === null ? 'null' : typeof runConfig}`);
  }
  const config = typeof runConfig === 'string' ? load(runConfig) : resolve(runConfig, { warn: true });
  const runDir = path.resolve(options.runDir ?? path.join('runs', config.name));
  // The fields and type before the tokenizer exists (the data readers need the field names).
  const draft = parseTaskSpec(deriveTaskInput(config.task, placeholderTokenizerSize(config.data), variableLength(config.data)));
  const data = await buildRunData(config.data, draft);
  // A Hugging Face tokenizer brings its own [PAD] / [MASK]; a Hugging Face model its vocabulary size.
  const modelVocabSize = 'hf' in config.model ? hfModelVocabSize(config.model.hf) : undefined;
  const task = runTask(config, data.tokenizer?.vocabSize, { ...specialIdsOf(data.tokenizer), ...(modelVocabSize !== undefined ? { modelVocabSize } : {}) });
  // Seeds the model's initial weights and the data order (the Trainer's own seeding comes after the model exists).
  seedEverything(config.trainer.seed);
  const model = await buildModel(config.model, task, config.data, data.tokenizer);
  const built = loaders(config, task, data.train, data.val);
  const callbacks = [...buildCallbacks(config.callbacks), ...buildLoggers(config.loggers, runDir), ...(options.callbacks ?? [])];
  const trainer = new Trainer({
    model, task, config: config.trainer, train: built.train, callbacks,
    ...(built.val ? { val: built.val } : {}),
    ...('torchscript' in config.model ? { adapter: new TorchScriptAdapter() } : {}),
    ...(checkpointOptions(config, runDir, options.runDir !== undefined) ? { checkpoint: checkpointOptions(config, runDir, options.runDir !== undefined) } : {}),
  });
  return { config, runDir, model, task, tokenizer: data.tokenizer, datasets: { train: data.train, val: data.val }, loaders: built, trainer };
}

/** The Trainer a run config describes (buildRun(...).trainer); `await trainer.fit()` runs it. */
export async function getTrainer(runConfig: RunConfig | RunConfigInput | string, options: BuildRunOptions = {}): Promise<Trainer> {
  return (await buildRun(runConfig, options)).trainer;
}
