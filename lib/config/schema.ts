// The run config: one zod schema for a whole training run, as a YAML/JSON file or an object.
//
//   version: 2
//   name: tiny-gpt
//   model: { zoo: gpt, config: { nLayer: 2, nHead: 2, nEmbd: 32 } }
//   task: { type: causal_lm }
//   data: { tokenizer: char, train: { text: train.txt, blockSize: 32 }, batchSize: 16 }
//   trainer: { maxSteps: 100, optimizer: { lr: 3e-3 } }      # the engine's TrainingConfig
//   checkpoint: { everyNSteps: 50, keepLast: 2 }              # the Trainer's checkpoint options
//   loggers: [{ type: jsonl }, { type: tensorboard }]         # paths default inside the run folder
//   callbacks: { earlyStopping: { patience: 3 }, progressBar: {} }
//
// Values that follow from the data may be left out: the task's vocabSize (and pad/mask ids) from
// the tokenizer, the model's vocabSize, numClasses and block length from the task and the data
// (derive.ts). The schema checks them as if filled in, so a config that loads also builds.
import { z } from 'zod';
import { checkpointOptionsSchema } from '../checkpoint/manager.js';
import { trainingConfigSchema } from '../engine/config.js';
import { ZOO_CONFIG_SCHEMAS, ZOO_NAMES, type ZooName } from '../models/zoo.js';
import { TaskSpecError, type TaskSpecInput, parseTaskSpec } from '../task/spec.js';
import { deriveModelConfig, deriveTaskInput, placeholderTokenizerSize, variableLength } from './derive.js';

/** The version this torchtrain writes and reads; older files are migrated (migrate.ts). */
export const RUN_CONFIG_VERSION = 2;

export { ZOO_CONFIG_SCHEMAS, ZOO_NAMES, type ZooName };

const filePath = z.string().min(1);
const options = z.record(z.string(), z.unknown());

// ---- model: exactly one of zoo / torchscript / module / hf (errors pick the branch by its key)
const zooModel = z.strictObject({ zoo: z.enum(ZOO_NAMES), config: options.default({}) });
const torchscriptModel = z.strictObject({ torchscript: filePath });
/** A JS/TS module whose export (default: `default`) is a factory `(options) => Module | Promise<Module>`. */
const moduleModel = z.strictObject({ module: filePath, export: z.string().min(1).optional(), options: options.default({}) });
/** LoRA on a `{ hf }` model (nn.lora.apply's options): only the adapters (and modulesToSave) train. */
const hfLora = z.strictObject({
  targetModules: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  r: z.int().positive().default(8),
  alpha: z.number().positive().default(8),
  dropout: z.number().min(0).lt(1).default(0),
  /** Modules trained fully and saved with the adapter (PEFT's modules_to_save), e.g. [classifier]. */
  modulesToSave: z.array(z.string().min(1)).optional(),
});
/** A Hugging Face model folder (hf.fromPretrained); the head follows the task unless `architecture` names one. */
const hfModel = z.strictObject({
  hf: filePath,
  architecture: z.string().min(1).optional(),
  gradientCheckpointing: z.boolean().default(false),
  lora: hfLora.optional(),
});
export const modelSourceSchema = z.union([zooModel, torchscriptModel, moduleModel, hfModel],
  { error: 'expected one of { zoo, config }, { torchscript: file }, { module: file, export?, options? }, { hf: folder }' });

// ---- data
export const BPE_ENCODINGS = ['r50k_base', 'p50k_base', 'cl100k_base', 'o200k_base'] as const;
/** 'char': one id per character of the training (and validation) text; 'byte': UTF-8 bytes; { bpe }: OpenAI's vocabularies. */
/** { hf }: a Hugging Face folder's tokenizer.json (or the file itself), with its own special ids (hf.HfTokenizer). */
export const tokenizerSchema = z.union([z.enum(['char', 'byte']), z.strictObject({ bpe: z.enum(BPE_ENCODINGS) }), z.strictObject({ hf: filePath })],
  { error: "expected 'char', 'byte', { bpe: 'r50k_base' | 'p50k_base' | 'cl100k_base' | 'o200k_base' } or { hf: <folder or tokenizer.json> }" });

/** JSON lines, one sample per line; `fields` renames keys (file key -> batch field), `tokenize` turns a text field into ids. */
const jsonlSource = z.strictObject({
  jsonl: filePath,
  fields: z.record(z.string(), z.string().min(1)).optional(),
  tokenize: z.strictObject({
    field: z.string().min(1).default('text'),
    into: z.string().min(1).default('input_ids'),
    maxLength: z.int().positive().optional(),
    /** The field holds chat turns [{ role, content }]: encoded with the chat template, labels on the assistant's turns only. */
    chat: z.boolean().default(false),
  }).optional(),
});
/** A plain-text corpus cut into blocks of token ids (data.TextCorpus), tokenized with data.tokenizer. */
const textSource = z.strictObject({
  text: filePath,
  blockSize: z.int().positive(),
  stride: z.int().positive().optional(),
  /** 'next-token': labels are the inputs moved one on (nanoGPT); 'none': the loss shifts (default for causal LM is next-token). */
  labels: z.enum(['next-token', 'none']).optional(),
});
/** IDX files (MNIST's format): images [N, H, W] or [N, C, H, W], labels [N]; uint8 pixels are scaled to [0, 1]. */
const idxSource = z.strictObject({ idx: z.strictObject({ images: filePath, labels: filePath }), scale: z.number().positive().optional() });
/** A safetensors file of named tensors with equal first dimensions: row i of each is one sample, named by the tensor. */
const tensorsSource = z.strictObject({ tensors: filePath });
/** A JS/TS module whose export (default: `default`) is a dataset or a function `(options) => dataset` (maybe async). */
const moduleSource = z.strictObject({ module: filePath, export: z.string().min(1).optional(), options: options.default({}) });
export const dataSourceSchema = z.union([jsonlSource, textSource, idxSource, tensorsSource, moduleSource],
  { error: 'expected one of { jsonl: file }, { text: file, blockSize }, { idx: { images, labels } }, { tensors: file }, { module: file }' });

export const dataSchema = z.strictObject({
  train: dataSourceSchema,
  val: dataSourceSchema.optional(),
  tokenizer: tokenizerSchema.optional(),
  batchSize: z.int().positive().default(32),
  /** Validation batch size (default: batchSize). */
  valBatchSize: z.int().positive().optional(),
  shuffle: z.boolean().default(true),
  dropLast: z.boolean().default(false),
  numWorkers: z.int().min(0).default(0),
  /** Seed of the masking collate for masked LM validation (fixed masks across checks). */
  valMaskSeed: z.int().min(0).default(1),
});

// ---- checkpoint: the Trainer's options; dir defaults to <run folder>/checkpoints; false: none
export const runCheckpointSchema = z.union([z.literal(false), checkpointOptionsSchema.extend({ dir: filePath.optional() })]);

// ---- loggers (their files default inside the run folder)
export const loggerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('jsonl'), path: filePath.optional(), fsync: z.boolean().optional() }),
  z.strictObject({ type: z.literal('csv'), path: filePath.optional(), fsync: z.boolean().optional() }),
  z.strictObject({ type: z.literal('tensorboard'), dir: filePath.optional(), histogramsEveryNSteps: z.int().min(0).optional(), histogramBins: z.int().positive().optional(), fsync: z.boolean().optional() }),
  z.strictObject({ type: z.literal('dashboard'), path: filePath.optional(), title: z.string().optional(), minIntervalMs: z.int().min(0).optional(), autoRefreshSeconds: z.int().min(0).optional() }),
], { error: "expected a logger { type: 'jsonl' | 'csv' | 'tensorboard' | 'dashboard', ...options }" });

// ---- callbacks: each key switches one on; {} takes its defaults
export const callbacksSchema = z.strictObject({
  earlyStopping: z.strictObject({ monitor: z.string().min(1).optional(), patience: z.int().positive().optional(), minDelta: z.number().min(0).optional(), mode: z.enum(['min', 'max']).optional(), stopOnNonFinite: z.boolean().optional() }).optional(),
  lrMonitor: z.strictObject({}).optional(),
  progressBar: z.strictObject({ logEvery: z.int().positive().optional(), label: z.string().optional() }).optional(),
  gradientMonitor: z.strictObject({ vanishingThreshold: z.number().positive().optional(), explodingThreshold: z.number().positive().optional(), perLayer: z.boolean().optional(), everyNSteps: z.int().positive().optional() }).optional(),
});

/** The TaskSpec's keys (checked against its input type), so that a misspelt one gets a suggestion. */
const TASK_KEYS = {
  type: true, modality: true, fields: true, padTokenId: true, ignoreIndex: true, vocabSize: true, numClasses: true, maskTokenId: true,
  maskProbability: true, loss: true, metrics: true, normalizeBy: true,
} satisfies Record<keyof TaskSpecInput, true>;
/** The task section: free-form here, checked as a TaskSpec below; its shape lists the keys for suggestions. */
const taskSchema = z.looseObject(Object.fromEntries(Object.keys(TASK_KEYS).map((k) => [k, z.unknown().optional()])));

const runObject = z.strictObject({
  version: z.literal(RUN_CONFIG_VERSION),
  /** The run's name (run folders are runs/<name>-<timestamp>/). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (it names the run folder)').default('run'),
  model: modelSourceSchema,
  /** The TaskSpec (lib/task): type, fields, ids, classes, loss, metrics. */
  task: taskSchema,
  data: dataSchema,
  trainer: trainingConfigSchema,
  checkpoint: runCheckpointSchema.optional(),
  loggers: z.array(loggerSchema).default([]),
  callbacks: callbacksSchema.default({}),
});

/** Cross-checks with the task and the model config filled in as the factory will (see derive.ts). */
function checkTaskAndModel(run: z.output<typeof runObject>, ctx: z.RefinementCtx): void {
  const tokenizerSize = placeholderTokenizerSize(run.data);
  const taskInput = deriveTaskInput(run.task, tokenizerSize, variableLength(run.data));
  let task;
  try {
    task = parseTaskSpec(taskInput);
  } catch (error) {
    if (!(error instanceof TaskSpecError)) throw error;
    for (const line of error.issues) {
      const unknown = /^\(spec\): Unrecognized key: "([^"]+)"/.exec(line);
      if (unknown) {
        ctx.addIssue({ code: 'unrecognized_keys', keys: [unknown[1]!], path: ['task'], input: run.task, message: line });
        continue;
      }
      const colon = line.indexOf(': ');
      const field = colon > 0 && /^[\w.]+$/.test(line.slice(0, colon)) ? line.slice(0, colon) : '';
      ctx.addIssue({ code: 'custom', path: ['task', ...(field ? field.split('.') : [])], message: field ? line.slice(colon + 2) : line });
    }
    return;
  }
  if (!('zoo' in run.model)) return;
  const config = deriveModelConfig(run.model.zoo, run.model.config, task, run.data);
  const checked = ZOO_CONFIG_SCHEMAS[run.model.zoo].safeParse(config);
  if (checked.success) return;
  for (const issue of checked.error.issues) {
    ctx.addIssue({ ...issue, path: ['model', 'config', ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
  }
}

// Runs also when other sections (trainer, loggers) have problems, so that one pass reports them all.
export const runConfigSchema = runObject.superRefine(checkTaskAndModel, {
  when: (payload) => !payload.issues.some((i) => ['version', 'model', 'task', 'data'].includes(String(i.path?.[0] ?? ''))),
});

/** A run config as written (defaults may be left out). */
export type RunConfigInput = z.input<typeof runConfigSchema>;
/** A checked run config with the run-level defaults filled in. */
export type RunConfig = z.output<typeof runConfigSchema>;
export type ModelSource = RunConfig['model'];
export type DataSource = RunConfig['data']['train'];
export type TokenizerSpec = z.output<typeof tokenizerSchema>;
export type LoggerConfig = RunConfig['loggers'][number];
export type CallbacksConfig = RunConfig['callbacks'];
