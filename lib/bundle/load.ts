// loadBundle: checks a bundle against bundle.json (a missing, truncated or damaged file, or a
// format version this torchtrain does not read, is a BundleError naming it), rebuilds the model
// from the zoo (or jit.load for TorchScript), loads the weights strictly, switches to eval mode,
// and hands back everything the bundle holds with predict() bound to it.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { getRngState, setRngState } from '../core/runtime.js';
import { dispose } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';
import { type Tokenizer } from '../data/tokenizers.js';
import { load as jitLoad } from '../jit/index.js';
import { loadSafetensors } from '../io/safetensors.js';
import { createModel, type ModelDescription } from '../models/zoo.js';
import { type Module } from '../nn/module.js';
import { parseTaskSpec, type TaskSpec } from '../task/spec.js';
import { BUNDLE_FILES, BundleError, type BundleManifest, verifyBundle } from './format.js';
import { type BundlePrediction, type PredictInput, predictWith } from './predict.js';
import { type HistoryRow, readHistory } from './source.js';
import { restoreTokenizer } from './tokenizer.js';

export interface LoadBundleOptions {
  /** Where the model runs (default 'cpu'). */
  device?: string;
  /** Check every file's SHA-256 (default true; sizes are always checked). */
  hashes?: boolean;
}

const optionsSchema = z.strictObject({ device: z.string().min(1).default('cpu'), hashes: z.boolean().default(true) });

export interface LoadedBundle {
  dir: string;
  manifest: BundleManifest;
  /** The model with the bundle's weights, in eval mode. */
  model: Module;
  /** How the model was rebuilt: { zoo, config } or { torchscript: 'model.pt' }. */
  description: ModelDescription | { torchscript: string };
  task: TaskSpec;
  /** The tokenizer, when the bundle saved one. */
  tokenizer?: Tokenizer;
  /** The training config the model was trained with. */
  config: unknown;
  /** training.json: source, config, counters (state), final metrics, wall time. */
  training: Record<string, unknown>;
  /** The metrics history (metrics.jsonl), one row per logging step. */
  metrics: HistoryRow[];
  /** Data profiles and drift ({ train, val, drift }), when the run recorded them. */
  dataProfiles?: Record<string, unknown>;
  /** The model on raw inputs (texts with a tokenizer, a tensor, or a batch), without autograd: see BundlePrediction. */
  predict(inputs: PredictInput): BundlePrediction;
}

const descriptionSchema = z.union([
  z.strictObject({ zoo: z.string(), config: z.record(z.string(), z.unknown()) }),
  z.strictObject({ torchscript: z.literal(BUNDLE_FILES.torchscript) }),
]);

function readJson(dir: string, name: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  } catch (err) {
    throw new BundleError(`bundle ${dir}: ${name} is not valid JSON (${(err as Error).message}); export the bundle again`);
  }
}

function buildModel(dir: string, description: ModelDescription | { torchscript: string }): Module {
  if ('torchscript' in description) return jitLoad(path.join(dir, description.torchscript));
  // The initial weights (overwritten next) come from torch's generator: put it back after, so
  // loading a bundle does not change what a seeded script draws next.
  const rng = getRngState();
  try {
    return createModel(description.zoo, description.config);
  } catch (err) {
    throw new BundleError(`bundle ${dir}: model.json does not build a model: ${(err as Error).message}`);
  } finally {
    setRngState(rng);
  }
}

/** Reads and checks a bundle, rebuilds its model with its weights (strictly) and returns it ready to predict. */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`loadBundle: dir must be a bundle folder (a non-empty string), got ${JSON.stringify(dir)}`);
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) throw new TypeError(`loadBundle: invalid options: ${parsedOptions.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  const o = parsedOptions.data;
  const manifest = verifyBundle(dir, { hashes: o.hashes });
  const rawDescription = readJson(dir, BUNDLE_FILES.model);
  const parsed = descriptionSchema.safeParse(rawDescription);
  if (!parsed.success) throw new BundleError(`bundle ${dir}: model.json must be { zoo, config } or { torchscript: 'model.pt' }, got ${JSON.stringify(rawDescription).slice(0, 120)}`);
  const description = parsed.data as ModelDescription | { torchscript: string };
  let task: TaskSpec;
  try {
    task = parseTaskSpec(readJson(dir, BUNDLE_FILES.task));
  } catch (err) {
    throw new BundleError(`bundle ${dir}: task.json is not a valid TaskSpec: ${(err as Error).message}`);
  }
  const has = (name: string) => manifest.files[name] !== undefined;
  const tokenizer = has(BUNDLE_FILES.tokenizer) ? await restoreTokenizer(readJson(dir, BUNDLE_FILES.tokenizer), path.join(dir, BUNDLE_FILES.tokenizer)) : undefined;
  const training = (has(BUNDLE_FILES.training) ? readJson(dir, BUNDLE_FILES.training) : {}) as Record<string, unknown>;
  const metrics = has(BUNDLE_FILES.metrics) ? readHistory(path.join(dir, BUNDLE_FILES.metrics)) : [];
  const dataProfiles = has(BUNDLE_FILES.profile) ? (readJson(dir, BUNDLE_FILES.profile) as Record<string, unknown>) : undefined;

  const model = buildModel(dir, description);
  let weights: Record<string, Tensor>;
  try {
    weights = loadSafetensors(path.join(dir, BUNDLE_FILES.weights));
  } catch (err) {
    throw new BundleError(`bundle ${dir}: model.safetensors cannot be read: ${(err as Error).message}`);
  }
  try {
    model.loadStateDict(weights, { strict: true });
  } catch (err) {
    throw new BundleError(`bundle ${dir}: the weights do not fit the model that model.json describes: ${(err as Error).message}`);
  } finally {
    dispose(weights);
  }
  model.eval();
  if (o.device !== 'cpu') model.to(o.device);
  return {
    dir, manifest, model, description, task, config: training.config, training, metrics,
    ...(tokenizer ? { tokenizer } : {}), ...(dataProfiles ? { dataProfiles } : {}),
    predict: (inputs) => predictWith(model, task, tokenizer, inputs),
  };
}
