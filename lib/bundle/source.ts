// What a bundle is made of, gathered from where it comes from: a Trainer in this process (its
// model's state dict, TaskSpec, config, counters, logs, tokenizer, data profiles and the rows of
// its JsonlLogger) or a checkpoint folder (its model.safetensors and trainer_state.json). Options
// fill in what the source cannot say (a model description, a tokenizer, the history).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';
import { type Tensor } from '../core/tensor.js';
import { findResumePoint } from '../checkpoint/manager.js';
import { FILES } from '../checkpoint/contents.js';
import { type Tokenizer } from '../data/tokenizers.js';
import { type Trainer } from '../engine/trainer.js';
import { ScriptModule } from '../jit/script-module.js';
import { JsonlLogger } from '../loggers/jsonl-logger.js';
import { describeModel, isZooName, type ModelDescription, ZOO_NAMES, type ZooName } from '../models/zoo.js';
import { Module } from '../nn/module.js';
import { parseTaskSpec, type TaskSpec } from '../task/spec.js';
import { BundleError } from './format.js';
import { findTokenizer } from './tokenizer.js';

/** How the bundle says to rebuild the model: a zoo family and config, or a TorchScript file. */
export type BundleModel = ModelDescription | { torchscript: string };

/** One row of the metrics history, as JsonlLogger writes it: step, epoch, wall_time and the scalars. */
export type HistoryRow = { step: number; epoch?: number; wall_time?: number } & Record<string, number | null | undefined>;

export interface ExportBundleOptions {
  /**
   * The model's description, when the source does not record it (a model that is not a zoo
   * class, an older checkpoint): { zoo: 'mlp', config: {...} }, { torchscript: 'path/model.pt' },
   * or a zoo model (or jit.load module) to take it from.
   */
  model?: BundleModel | Module;
  /** The tokenizer (default: the Trainer's DialogueAdapter's or its TextCorpus's). */
  tokenizer?: Tokenizer;
  /** The metrics history: rows, or a JSONL log file (default: the Trainer's JsonlLogger file). */
  history?: HistoryRow[] | string;
  /** Data profiles ({ train, val, drift }); default: trainer.dataProfiles. */
  dataProfiles?: Record<string, unknown>;
  /** The model card's title (default: the model's family and task). */
  name?: string;
  /** What the model is for, in the card (default: a sentence from the task). */
  intendedUse?: string;
  /** Known limits, one per line of the card (added to the ones the card always states). */
  limitations?: string[];
  /** Replace an existing bundle at `dir` (default false: an existing folder is an error). */
  overwrite?: boolean;
}

const modelSchema = z.union([
  z.strictObject({ zoo: z.enum(ZOO_NAMES), config: z.record(z.string(), z.unknown()).default({}) }),
  z.strictObject({ torchscript: z.string().min(1) }),
]);

export const exportOptionsSchema = z.strictObject({
  model: z.union([z.instanceof(Module), modelSchema]).optional(),
  tokenizer: z.custom<Tokenizer>((t) => !!t && typeof (t as Tokenizer).encode === 'function' && typeof (t as Tokenizer).decode === 'function',
    'a tokenizer (an object with encode, decode and vocabSize)').optional(),
  history: z.union([z.array(z.object({ step: z.number().int().nonnegative() }).catchall(z.union([z.number(), z.null()]))), z.string().min(1)]).optional(),
  dataProfiles: z.record(z.string(), z.unknown()).optional(),
  name: z.string().min(1).optional(),
  intendedUse: z.string().min(1).optional(),
  limitations: z.array(z.string()).optional(),
  overwrite: z.boolean().default(false),
});

/** Everything a bundle holds, before it is written. */
export interface BundleContents {
  /** 'a Trainer' or the checkpoint folder. */
  origin: string;
  model: BundleModel;
  /** The weights as tensors (a Trainer's model), or a safetensors file to copy (a checkpoint's). */
  weights: { tensors: Record<string, Tensor> } | { file: string };
  task: TaskSpec;
  config: unknown;
  state: Record<string, unknown>;
  logs: Record<string, number>;
  history: HistoryRow[];
  tokenizer: Tokenizer | undefined;
  dataProfiles: Record<string, unknown> | undefined;
}

const NO_DESCRIPTION = `pass options.model: { zoo, config } naming the zoo family (${ZOO_NAMES.join(', ')}) whose parameter names match, `
  + "or { torchscript: 'model.pt' } (a TorchScript export of the model)";

function resolveModel(given: BundleModel | Module | undefined, fallback: BundleModel | null, where: string): BundleModel {
  if (given instanceof ScriptModule) return { torchscript: given.path };
  if (given instanceof Module) {
    const described = describeModel(given);
    if (!described) throw new BundleError(`exportBundle: options.model is a ${given.constructor.name}, not a zoo model, so it does not say how to rebuild it; ${NO_DESCRIPTION}`);
    return described;
  }
  const model = given ?? fallback;
  if (!model) throw new BundleError(`exportBundle: ${where} does not say how to rebuild the model; ${NO_DESCRIPTION}`);
  if ('zoo' in model && !isZooName(model.zoo)) throw new BundleError(`exportBundle: options.model.zoo ${JSON.stringify(model.zoo)} is not a zoo model; use one of ${ZOO_NAMES.join(', ')}`);
  if ('torchscript' in model && !fs.existsSync(model.torchscript)) throw new BundleError(`exportBundle: the TorchScript file ${model.torchscript} does not exist; pass the path of the model's torch.jit.save file`);
  return model;
}

/** Reads a JSONL log (JsonlLogger's file); torn or unparsable lines are skipped. */
export function readHistory(file: string): HistoryRow[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new BundleError(`exportBundle: cannot read the metrics history ${file} (${(err as Error).message}); pass options.history as rows or an existing JSONL log`);
  }
  const rows: HistoryRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const row = JSON.parse(line) as HistoryRow;
      if (row && typeof row.step === 'number') rows.push(row);
    } catch {
      // a torn last line of a killed run
    }
  }
  return rows;
}

function historyFrom(given: HistoryRow[] | string | undefined, fallback: () => HistoryRow[]): HistoryRow[] {
  if (typeof given === 'string') return readHistory(given);
  return given ?? fallback();
}

/** A single row of the last logged values, for sources without a history. */
const lastRow = (state: Record<string, unknown>, logs: Record<string, number>): HistoryRow[] =>
  Object.keys(logs).length ? [{ step: Number(state.step ?? 0), epoch: Number(state.epoch ?? 0), ...logs }] : [];

export function fromTrainer(trainer: Trainer, options: z.output<typeof exportOptionsSchema>): BundleContents {
  const core = trainer.core;
  const model = resolveModel(options.model as BundleModel | Module | undefined,
    trainer.model instanceof ScriptModule ? { torchscript: trainer.model.path } : describeModel(trainer.model), `the Trainer's model (a ${trainer.model.constructor.name})`);
  const state = { ...trainer.state } as Record<string, unknown>;
  const logs = { ...trainer.logs };
  const jsonl = core.callbacks.find((c): c is JsonlLogger => c instanceof JsonlLogger);
  const profiles = (trainer as unknown as { dataProfiles?: unknown }).dataProfiles;
  return {
    origin: 'a Trainer',
    model,
    weights: { tensors: trainer.model.stateDict() },
    task: core.task,
    config: core.config,
    state,
    logs,
    history: historyFrom(options.history as HistoryRow[] | string | undefined, () => (jsonl && fs.existsSync(jsonl.path) ? readHistory(jsonl.path) : lastRow(state, logs))),
    tokenizer: options.tokenizer ?? findTokenizer(core.adapter, core.train),
    dataProfiles: options.dataProfiles ?? (profiles && typeof profiles === 'object' ? (profiles as Record<string, unknown>) : undefined),
  };
}

const trainerStateSchema = z.object({
  state: z.record(z.string(), z.unknown()),
  config: z.unknown(),
  task: z.unknown(),
  logs: z.record(z.string(), z.unknown()).default({}),
  model: modelSchema.nullable().optional(),
});

export function fromCheckpoint(folder: string, options: z.output<typeof exportOptionsSchema>): BundleContents {
  let found: string;
  try {
    found = findResumePoint(folder, undefined)!.folder;
  } catch (err) {
    throw new BundleError(`exportBundle: ${(err as Error).message.replace(/^resumeFrom: /, '')}`);
  }
  const stateFile = path.join(found, FILES.trainer);
  const raw = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as unknown;
  const parsed = trainerStateSchema.safeParse(raw);
  if (!parsed.success) throw new BundleError(`exportBundle: ${stateFile} is not a torchtrain trainer state:\n  ${formatZodError(parsed.error, raw, { root: '(trainer_state.json)' }).join('\n  ')}`);
  const saved = parsed.data;
  const logs = Object.fromEntries(Object.entries(saved.logs).filter((e): e is [string, number] => typeof e[1] === 'number'));
  const where = `the checkpoint ${found} (written before checkpoints recorded the model, or of a model that is not a zoo class)`;
  return {
    origin: found,
    model: resolveModel(options.model as BundleModel | Module | undefined, saved.model ?? null, where),
    weights: { file: path.join(found, FILES.model) },
    task: parseTaskSpec(saved.task),
    config: saved.config,
    state: saved.state,
    logs,
    history: historyFrom(options.history as HistoryRow[] | string | undefined, () => lastRow(saved.state, logs)),
    tokenizer: options.tokenizer,
    dataProfiles: options.dataProfiles,
  };
}
