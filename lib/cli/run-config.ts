// Between the CLI and lib/config: loading a run config, the CLI's defaults for a run folder
// (checkpoints and loggers inside it), and the run's parts for the pipeline and the commands.
//
// config.yaml in a run folder keeps the run folder's own paths relative (checkpoints,
// logs/metrics.jsonl, dashboard.html), so a run folder can be moved or copied and still resumed;
// inRunFolder() makes them absolute against wherever the folder is now.
import path from 'node:path';
import { checkpointOptionsSchema } from '../checkpoint/manager.js';
import { buildRun } from '../config/factory.js';
import { exportHfRun } from '../config/hf-sources.js';
import { loadDetailed, toYaml } from '../config/load.js';
import { type RunConfig } from '../config/schema.js';
import { exportBundle } from '../bundle/index.js';
import { isPretrainedModel } from '../hf/models/common.js';
import { type BatchSource } from '../engine/batch-source.js';
import { type Trainer } from '../engine/trainer.js';
import { type Module } from '../nn/module.js';
import { type TaskSpec } from '../task/spec.js';
import { type BuiltRun, type PreparedData, type RunBuilder } from './pipeline.js';
import { RUN_FILES, type RunPaths, newestValidCheckpoint } from './run-folder.js';

/** Loads and checks a config file (errors name the file and line); migration notes go to stderr. */
export function loadRunConfig(file: string, overrides: readonly string[]): RunConfig {
  return loadDetailed(file, { overrides }).config;
}

export function runConfigYaml(runConfig: RunConfig): string {
  return toYaml(runConfig);
}

/** Where each logger writes inside a run folder when the config does not say. */
const LOGGER_PATHS = {
  jsonl: path.join(RUN_FILES.logs, 'metrics.jsonl'),
  csv: path.join(RUN_FILES.logs, 'metrics.csv'),
  tensorboard: path.join(RUN_FILES.logs, 'tensorboard'),
  dashboard: RUN_FILES.dashboard,
} as const;

/**
 * The CLI's defaults, with the run folder's paths relative (what config.yaml holds): the run's
 * name; checkpoints in checkpoints/ (every epoch, the last 3 kept, unless the config says);
 * loggers jsonl + dashboard when the config names none. `checkpoint: false` is refused: resume,
 * predict and export read the run's checkpoints.
 */
export function withRunDefaults(runConfig: RunConfig, name: string): RunConfig {
  if (runConfig.checkpoint === false) {
    throw new Error('the torchtrain command needs checkpoints (resume, predict, validate and export read them): remove `checkpoint: false` from the config, '
      + 'or set e.g. `checkpoint: { everyNEpochs: 1 }`');
  }
  const checkpoint = runConfig.checkpoint ?? checkpointOptionsSchema.parse({ dir: RUN_FILES.checkpoints, everyNEpochs: 1, keepLast: 3 });
  const loggers = (runConfig.loggers.length ? runConfig.loggers : [{ type: 'jsonl' as const }, { type: 'dashboard' as const }])
    .map((l) => (l.type === 'tensorboard' ? { ...l, dir: l.dir ?? LOGGER_PATHS.tensorboard } : { ...l, path: l.path ?? LOGGER_PATHS[l.type] }));
  return { ...runConfig, name, checkpoint: { ...checkpoint, dir: checkpoint.dir ?? RUN_FILES.checkpoints }, loggers };
}

/** The config with the run folder's relative paths (checkpoint dir, logger files) made absolute against it. */
export function inRunFolder(runConfig: RunConfig, paths: RunPaths): RunConfig {
  const abs = (p: string) => path.resolve(paths.root, p);
  const checkpoint = runConfig.checkpoint ? { ...runConfig.checkpoint, dir: abs(runConfig.checkpoint.dir ?? RUN_FILES.checkpoints) } : runConfig.checkpoint;
  const loggers = runConfig.loggers.map((l) => (l.type === 'tensorboard' ? { ...l, dir: abs(l.dir ?? LOGGER_PATHS.tensorboard) } : { ...l, path: abs(l.path ?? LOGGER_PATHS[l.type]) }));
  return { ...runConfig, checkpoint, loggers };
}

/** The run's parts the commands use. */
export interface RunParts {
  trainer: Trainer;
  model: Module;
  task: TaskSpec;
  val?: BatchSource;
  trainData?: unknown;
  valData?: unknown;
  tokenizer?: unknown;
}

/**
 * Builds the run. `sideEffects: false` (validate, predict, export): no checkpoints written, no
 * loggers, so the run folder is only read.
 */
export async function buildRunParts(runConfig: RunConfig, o: { runDir: string | undefined; sideEffects: boolean }): Promise<RunParts> {
  const config: RunConfig = o.sideEffects ? runConfig : { ...runConfig, checkpoint: false, loggers: [], callbacks: { ...runConfig.callbacks, progressBar: undefined } };
  const run = await buildRun(config, o.runDir ? { runDir: o.runDir } : {});
  return {
    trainer: run.trainer, model: run.model, task: run.task,
    val: run.loaders.val, trainData: run.datasets.train, valData: run.datasets.val, tokenizer: run.tokenizer,
  };
}

/** The pipeline's builder for a run folder: the data and model phases, and the export bundle. */
export function builderFor(runConfig: RunConfig, paths: RunPaths): RunBuilder {
  let parts: RunParts | undefined;
  return {
    async prepareData(): Promise<PreparedData> {
      parts = await buildRunParts(runConfig, { runDir: paths.root, sideEffects: true });
      return { trainData: parts.trainData, valData: parts.valData, summary: sizes(parts) };
    },
    async buildModel(): Promise<BuiltRun> {
      const p = parts!;
      return { trainer: p.trainer, model: p.model, val: p.val, modelDescription: runConfig.model };
    },
    async exportBundle(built: BuiltRun, dir: string) {
      const folder = newestValidCheckpoint(checkpointDir(runConfig, paths), paths.root);
      // A Hugging Face model goes back out as transformers / peft read it (the evaluate phase loaded the trained weights).
      if ('hf' in runConfig.model && isPretrainedModel(built.model)) return { from: path.basename(folder), ...await exportHfRun(built.model, runConfig.model, dir, parts?.tokenizer) };
      exportBundle(folder, dir, { ...bundleOptions(runConfig, paths, parts ?? { ...built, task: built.trainer.core.task }), overwrite: true });
      return { from: path.basename(folder) };
    },
  };
}

function sizes(p: RunParts): Record<string, unknown> {
  const length = (d: unknown) => (d && typeof (d as { length?: unknown }).length === 'number' ? (d as { length: number }).length : undefined);
  return { trainItems: length(p.trainData), valItems: length(p.valData) };
}

function checkpointDir(runConfig: RunConfig, paths: RunPaths): string {
  return (runConfig.checkpoint && runConfig.checkpoint.dir) || paths.checkpoints;
}

function bundleOptions(runConfig: RunConfig, paths: RunPaths, parts: RunParts | undefined) {
  const jsonl = runConfig.loggers.find((l) => l.type === 'jsonl') as { path?: string } | undefined;
  return {
    // The built model describes itself (zoo family and the config with derived sizes filled in).
    ...(parts ? { model: parts.model } : 'torchscript' in runConfig.model ? { model: { torchscript: runConfig.model.torchscript } } : {}),
    ...(parts?.tokenizer ? { tokenizer: parts.tokenizer as never } : {}),
    ...(jsonl?.path ? { history: path.resolve(paths.root, jsonl.path) } : {}),
    name: runConfig.name,
  };
}

/** `torchtrain export`: a bundle of a checkpoint, with the model description and tokenizer the config gives. */
export async function exportFromCheckpoint(runConfig: RunConfig, paths: RunPaths, folder: string, out: string): Promise<string> {
  const parts = await buildRunParts(runConfig, { runDir: undefined, sideEffects: false });
  return exportBundle(folder, out, bundleOptions(runConfig, paths, parts));
}

/**
 * The run config for `torchtrain predict`: the input JSONL file as the validation source, read as
 * the training data is (a JSONL training source's `fields` and `tokenize`; for a text corpus, a
 * `text` field tokenized into input_ids), in order, in batches of `batchSize`. The training
 * source stays, so a tokenizer built from the training text is the same as in training.
 */
export function predictionConfig(runConfig: RunConfig, input: string, batchSize: number): RunConfig {
  const train = runConfig.data.train;
  const val: RunConfig['data']['train'] = 'jsonl' in train ? { ...train, jsonl: input }
    : 'text' in train && runConfig.data.tokenizer ? { jsonl: input, tokenize: { field: 'text', into: 'input_ids' } } as RunConfig['data']['train']
      : { jsonl: input };
  return { ...runConfig, data: { ...runConfig.data, val, valBatchSize: batchSize } };
}
