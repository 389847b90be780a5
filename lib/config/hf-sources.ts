// Hugging Face folders in a run config: `model: { hf: <folder>, architecture?, gradientCheckpointing?,
// lora? }` built with hf.fromPretrained (and nn.lora.apply), and `data.tokenizer: { hf: <folder or
// tokenizer.json> }` read with hf.HfTokenizer. The files are read synchronously and once per path,
// so the checks after loading (paths made absolute) and the factory see the same vocabulary and
// special ids: a BERT tokenizer pads with its own [PAD] id, not an id appended after its vocabulary.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fromPretrained } from '../hf/from-pretrained.js';
import { type PretrainedModel } from '../hf/models/common.js';
import { HfTokenizer } from '../hf/tokenizer.js';
import { savePretrained } from '../hf/save-pretrained.js';
import { saveAdapter } from '../nn/lora-adapter.js';
import { apply as applyLora, loraLayers } from '../nn/lora-apply.js';
import type { TaskSpec } from '../task/spec.js';

type Json = Record<string, unknown>;

/** A model or tokenizer path of a run config that cannot be read: the field, the path, and the fix. */
export interface HfSourceProblem { field: string; message: string; fix: string }

/** The folder of a tokenizer spec: the folder itself, or the folder of a tokenizer.json file. */
export function hfTokenizerFolder(spec: string): string {
  return spec.endsWith('.json') ? path.dirname(spec) : spec;
}

/** What is wrong with a Hugging Face model folder path, or undefined when it has a config.json. */
export function hfModelProblem(dir: string, field = 'model.hf'): HfSourceProblem | undefined {
  if (!existsSync(dir)) return { field, message: `${dir} does not exist`, fix: 'give the path of a Hugging Face model folder (config.json, model.safetensors); relative paths are taken from the config file\'s folder' };
  if (!statSync(dir).isDirectory()) return { field, message: `${dir} is a file, not a folder`, fix: 'give the folder that holds config.json and model.safetensors' };
  if (!existsSync(path.join(dir, 'config.json'))) return { field, message: `${dir} has no config.json, so it is not a Hugging Face model folder`, fix: 'give the folder transformers\' save_pretrained wrote (config.json, model.safetensors)' };
  return undefined;
}

/** What is wrong with a tokenizer spec's path, or undefined when a tokenizer.json is there. */
export function hfTokenizerProblem(spec: string, field = 'data.tokenizer.hf'): HfSourceProblem | undefined {
  const file = spec.endsWith('.json') ? spec : path.join(spec, 'tokenizer.json');
  if (existsSync(file) && statSync(file).isFile()) return undefined;
  return { field, message: `${file} does not exist`, fix: 'give a Hugging Face folder with a tokenizer.json, or the tokenizer.json file itself (relative paths are taken from the config file\'s folder)' };
}

const tokenizers = new Map<string, HfTokenizer>();

/** The tokenizer of a `{ hf }` spec, read once per path. */
export function readHfTokenizer(spec: string): HfTokenizer {
  const folder = path.resolve(hfTokenizerFolder(spec));
  let tokenizer = tokenizers.get(folder);
  if (!tokenizer) {
    const problem = hfTokenizerProblem(spec);
    if (problem) throw new Error(`${problem.field}: ${problem.message}; fix: ${problem.fix}`);
    tokenizer = HfTokenizer.fromFolder(folder);
    tokenizers.set(folder, tokenizer);
  }
  return tokenizer;
}

/** The special ids a task takes from a Hugging Face tokenizer instead of appending new ones. */
export interface TokenizerSpecialIds { padTokenId?: number; maskTokenId?: number }

/** A tokenizer's own padding and mask ids (padding falls back to the end-of-text id, as GPT-2 and Llama fine-tunes do). */
export function specialIdsOf(tokenizer: unknown): TokenizerSpecialIds {
  if (!(tokenizer instanceof HfTokenizer)) return {};
  const pad = tokenizer.padTokenId ?? tokenizer.eosTokenId;
  const mask = tokenizer.maskTokenId;
  return { ...(pad !== null ? { padTokenId: pad } : {}), ...(mask !== null ? { maskTokenId: mask } : {}) };
}

/** config.json of a model folder, or undefined when it cannot be read (the path check reports why). */
export function readHfModelConfig(dir: string): Json | undefined {
  try {
    const raw: unknown = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    return raw && typeof raw === 'object' && !Array.isArray(raw) ? raw as Json : undefined;
  } catch {
    return undefined;
  }
}

/** The model's vocabulary (config.json's vocab_size): the size of its logits and embeddings. */
export function hfModelVocabSize(dir: string): number | undefined {
  const size = readHfModelConfig(dir)?.vocab_size;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : undefined;
}

/** The transformers class a task needs from a model_type, when the config names none. */
const ARCHITECTURE_FOR_TASK: Record<string, Record<string, string>> = {
  bert: { seq_classification: 'BertForSequenceClassification', masked_lm: 'BertForMaskedLM' },
  gpt2: { causal_lm: 'GPT2LMHeadModel' },
  llama: { causal_lm: 'LlamaForCausalLM' },
};

export interface HfModelSource {
  hf: string;
  architecture?: string | undefined;
  gradientCheckpointing?: boolean | undefined;
  lora?: { targetModules: string | string[]; r: number; alpha: number; dropout: number; modulesToSave?: string[] | undefined } | undefined;
}

/** Builds a `{ hf }` model for the task: the matching head (numLabels from the task), checkpointing and LoRA as configured. */
export async function buildHfModel(source: HfModelSource, task: TaskSpec): Promise<PretrainedModel> {
  const problem = hfModelProblem(source.hf);
  if (problem) throw new Error(`${problem.field}: ${problem.message}; fix: ${problem.fix}`);
  const modelType = readHfModelConfig(source.hf)?.model_type;
  const architecture = source.architecture ?? (typeof modelType === 'string' ? ARCHITECTURE_FOR_TASK[modelType]?.[task.type] : undefined);
  const numLabels = task.type === 'seq_classification' || task.type === 'token_classification' ? task.numClasses : undefined;
  let pretrained;
  try {
    pretrained = await fromPretrained(source.hf, {
      ...(architecture ? { architecture } : {}), ...(numLabels !== undefined ? { numLabels } : {}),
      gradientCheckpointing: source.gradientCheckpointing ?? false, tokenizer: false,
    });
  } catch (error) {
    throw new Error(`model.hf ${source.hf}: ${(error as Error).message}`);
  }
  const model = pretrained.model;
  if (source.lora) {
    const { targetModules, r, alpha, dropout, modulesToSave } = source.lora;
    try {
      applyLora(model, { targetModules, r, alpha, dropout, ...(modulesToSave ? { modulesToSave } : {}) });
    } catch (error) {
      throw new Error(`model.lora: ${(error as Error).message}`);
    }
  }
  return model;
}

/** The unreadable Hugging Face paths of a config whose paths are absolute: checked when it loads, before anything is built. */
export function hfPathProblems(config: { model: object; data: { tokenizer?: unknown } }): HfSourceProblem[] {
  const problems: HfSourceProblem[] = [];
  if ('hf' in config.model && typeof config.model.hf === 'string') {
    const p = hfModelProblem(config.model.hf);
    if (p) problems.push(p);
  }
  const t = config.data.tokenizer;
  if (t && typeof t === 'object' && 'hf' in t && typeof t.hf === 'string') {
    const p = hfTokenizerProblem(t.hf);
    if (p) problems.push(p);
  }
  return problems;
}

/** PEFT's task_type for a lib/hf architecture (what PeftModel class peft builds when loading the adapter). */
function peftTaskType(architecture: string): 'SEQ_CLS' | 'CAUSAL_LM' | null {
  if (architecture.endsWith('ForSequenceClassification')) return 'SEQ_CLS';
  if (architecture.endsWith('ForCausalLM') || architecture.endsWith('LMHeadModel')) return 'CAUSAL_LM';
  return null;
}

/**
 * The export of a `{ hf }` run: the LoRA adapter in PEFT's format (with modulesToSave) when the
 * model has one, else a Hugging Face folder (savePretrained, with the tokenizer) that
 * transformers' from_pretrained loads.
 */
export async function exportHfRun(model: PretrainedModel, source: HfModelSource, dir: string, tokenizer: unknown): Promise<Record<string, unknown>> {
  if (loraLayers(model).length > 0) {
    saveAdapter(model, dir, { baseModelNameOrPath: source.hf, taskType: peftTaskType(model.architecture) });
    return { format: 'peft-adapter', baseModel: source.hf };
  }
  await savePretrained(model, dir, { tokenizer: tokenizer instanceof HfTokenizer ? tokenizer : null });
  return { format: 'hf-folder' };
}
