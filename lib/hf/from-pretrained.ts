// hf.fromPretrained(dir): a Hugging Face model folder -> a lib/hf model with the checkpoint's
// weights loaded by transformers' names, its tokenizer (tokenizer.json) and its config.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type DType } from '../core/dtype.js';
import { type Tensor } from '../core/tensor.js';
import { parseOrThrow } from '../core/validation.js';
import { HfConfigError } from './config.js';
import { type PretrainedModel, setGradientCheckpointing } from './models/common.js';
import { ARCHITECTURES, resolveArchitecture } from './models/registry.js';
import { HfTokenizer } from './tokenizer.js';
import { alignKeys, readFolderWeights } from './weights.js';

const optionsSchema = z.strictObject({
  architecture: z.string().optional(),
  numLabels: z.int().positive().optional(),
  id2label: z.record(z.string(), z.string()).optional(),
  dtype: z.enum(['float32', 'float64', 'float16', 'bfloat16']).optional(),
  device: z.string().optional(),
  tokenizer: z.boolean().optional(),
  warnMissing: z.boolean().optional(),
  gradientCheckpointing: z.boolean().optional(),
});

export interface FromPretrainedOptions {
  /**
   * The transformers class to build, instead of config.json's architectures[0]: e.g.
   * 'BertForSequenceClassification' on a BertModel folder adds a fresh classifier head.
   */
  architecture?: string;
  /** Labels of a classification head (transformers' num_labels); sets id2label LABEL_0... unless given. */
  numLabels?: number;
  /** Names of the labels ({ '0': 'ham', '1': 'spam' }). */
  id2label?: Record<string, string>;
  /** The parameters' dtype. Default float32, whatever the checkpoint holds. */
  dtype?: Extract<DType, 'float32' | 'float64' | 'float16' | 'bfloat16'>;
  /** Where the model lives ('cpu', 'cuda', 'cuda:1'). Default cpu. */
  device?: string;
  /** Read tokenizer.json when the folder has one. Default true. */
  tokenizer?: boolean;
  /** Print a warning naming weights the checkpoint lacks (a new head). Default true. */
  warnMissing?: boolean;
  /** Recompute each transformer block's activations in backward (model.gradientCheckpointingEnable()). Default false. */
  gradientCheckpointing?: boolean;
}

export interface Pretrained<M extends PretrainedModel = PretrainedModel> {
  model: M;
  /** The folder's tokenizer.json, or null when it has none (or options.tokenizer is false). */
  tokenizer: HfTokenizer | null;
  /** config.json as the model was built from it (with numLabels / id2label applied). */
  config: Record<string, unknown>;
  /** Model weights the checkpoint did not have: freshly initialised (a new head), to be trained. */
  missingKeys: string[];
  /** Checkpoint tensors the model has no place for (ignored), such as another head's weights. */
  unexpectedKeys: string[];
}

function readConfig(dir: string): Record<string, unknown> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`hf.fromPretrained: ${dir} is not a folder; give the path of a Hugging Face model folder (config.json, model.safetensors, tokenizer.json)`);
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) throw new Error(`hf.fromPretrained: ${dir} has no config.json; a Hugging Face model folder needs one (transformers writes it with save_pretrained)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HfConfigError(file, [`(config.json): not valid JSON: ${(err as Error).message}`]);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new HfConfigError(file, ['(config.json): must be a JSON object']);
  return raw as Record<string, unknown>;
}

/**
 * Loads a Hugging Face model folder: `const { model, tokenizer, config } = await hf.fromPretrained(dir)`.
 * Builds BertModel, BertForSequenceClassification, BertForMaskedLM, GPT2Model, GPT2LMHeadModel, LlamaModel or LlamaForCausalLM
 * (config.json's architectures, or options.architecture) and loads the weights by name.
 */
export async function fromPretrained<M extends PretrainedModel = PretrainedModel>(dir: string, options: FromPretrainedOptions = {}): Promise<Pretrained<M>> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`hf.fromPretrained: dir must be a folder path, got ${JSON.stringify(dir)}`);
  const o = parseOrThrow(optionsSchema, options, (issues) => new TypeError(`hf.fromPretrained options:\n  ${issues.map((i) => i.text).join('\n  ')}`),
    { root: '(options)', known: { owner: 'hf.fromPretrained', keys: Object.keys(optionsSchema.shape) } });
  const raw = readConfig(dir);
  const where = path.join(dir, 'config.json');
  const { name, spec } = resolveArchitecture(raw, o.architecture, where);
  const config: Record<string, unknown> = { ...raw, architectures: [name] };
  if (o.id2label) {
    config.id2label = o.id2label;
    config.label2id = Object.fromEntries(Object.entries(o.id2label).map(([i, l]) => [l, Number(i)]));
  } else if (o.numLabels !== undefined) {
    const current = config.id2label && typeof config.id2label === 'object' ? Object.keys(config.id2label).length : undefined;
    if (current !== o.numLabels) {
      config.id2label = Object.fromEntries(Array.from({ length: o.numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
      config.label2id = Object.fromEntries(Array.from({ length: o.numLabels }, (_, i) => [`LABEL_${i}`, i]));
    }
  }
  const model = spec.build(config, where);
  const { state } = readFolderWeights(dir);
  const expectedKeys = Object.keys(model.stateDict());
  const aligned = alignKeys(state, new Set(expectedKeys), model.tiedWeights);
  let result: { missingKeys: string[]; unexpectedKeys: string[] };
  try {
    result = model.loadStateDict(aligned, { strict: false });
  } catch (err) {
    throw new Error(`hf.fromPretrained: the weights of ${dir} do not fit ${name} built from its config.json: ${(err as Error).message}`);
  } finally {
    for (const t of new Set<Tensor>(Object.values(state))) t.dispose();
  }
  if (result.missingKeys.length && o.warnMissing !== false) {
    console.warn(`hf.fromPretrained: ${name} weights not in ${dir} were newly initialised (train them before use): ${result.missingKeys.join(', ')}`);
  }
  if (o.gradientCheckpointing) setGradientCheckpointing(model, true);
  if (o.dtype && o.dtype !== 'float32') model.to(o.dtype);
  if (o.device && o.device !== 'cpu') model.to(o.device);
  const tokenizer = o.tokenizer !== false && existsSync(path.join(dir, 'tokenizer.json')) ? HfTokenizer.fromFolder(dir) : null;
  return { model: model as M, tokenizer, config: model.hfConfig, missingKeys: result.missingKeys, unexpectedKeys: result.unexpectedKeys };
}

/** The architectures fromPretrained builds. */
export const supportedArchitectures = (): string[] => Object.keys(ARCHITECTURES);
