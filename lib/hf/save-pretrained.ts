// hf.savePretrained(model, dir, { tokenizer }): a folder transformers' from_pretrained reads:
// config.json, model.safetensors (or shards + model.safetensors.index.json) and the tokenizer's
// files. Tied weights are written once, as transformers writes them.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type Tensor } from '../core/tensor.js';
import { parseOrThrow } from '../core/validation.js';
import { isPretrainedModel, type PretrainedModel } from './models/common.js';
import { ARCHITECTURES } from './models/registry.js';
import { HfTokenizer } from './tokenizer.js';
import { parseSize, writeFolderWeights } from './weights.js';

export interface SavePretrainedOptions {
  /** The tokenizer to save next to the weights (tokenizer.json, tokenizer_config.json, special_tokens_map.json). */
  tokenizer?: HfTokenizer | null;
  /** Shard the weights above this size: bytes, or '5GB', '200MB'. Default '5GB'. */
  maxShardSize?: number | string;
}

const optionsSchema = z.strictObject({
  tokenizer: z.instanceof(HfTokenizer, { message: 'an HfTokenizer (from hf.fromPretrained or HfTokenizer.fromFolder)' }).nullable().optional(),
  maxShardSize: z.union([z.number().positive(), z.string()]).optional(),
});

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes the model (and tokenizer) as a Hugging Face folder; returns the files written. */
export async function savePretrained(model: PretrainedModel, dir: string, options: SavePretrainedOptions = {}): Promise<string[]> {
  if (!isPretrainedModel(model)) {
    throw new TypeError(`hf.savePretrained: model must be one of lib/hf's models (${Object.keys(ARCHITECTURES).join(', ')}), from hf.fromPretrained or built with hf.models; save other modules with io.saveSafetensors`);
  }
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`hf.savePretrained: dir must be a folder path, got ${JSON.stringify(dir)}`);
  const o = parseOrThrow(optionsSchema, options, (issues) => new TypeError(`hf.savePretrained options:\n  ${issues.map((i) => i.text).join('\n  ')}`),
    { root: '(options)', known: { owner: 'hf.savePretrained', keys: Object.keys(optionsSchema.shape) } });
  const maxBytes = parseSize(o.maxShardSize ?? '5GB', 'hf.savePretrained');
  mkdirSync(dir, { recursive: true });

  const state = model.stateDict();
  for (const [target, source] of Object.entries(model.tiedWeights)) if (source in state) delete state[target];
  const dtypes = new Set(Object.values(state).filter((t) => t.dtype.startsWith('float') || t.dtype === 'bfloat16').map((t) => t.dtype));
  const cpu: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(state)) cpu[k] = t.device === 'cpu' ? t : t.to('cpu');
  const files = writeFolderWeights(dir, cpu, maxBytes);

  const spec = ARCHITECTURES[model.architecture]!;
  const config = {
    ...model.hfConfig,
    architectures: [model.architecture],
    model_type: spec.modelType,
    ...(dtypes.size === 1 ? { dtype: [...dtypes][0] } : {}),
    ...(model.tiedWeights && Object.keys(model.tiedWeights).length ? { tie_word_embeddings: true } : {}),
  };
  writeJson(path.join(dir, 'config.json'), config);
  files.push('config.json');
  if (o.tokenizer) {
    writeJson(path.join(dir, 'tokenizer.json'), o.tokenizer.files.tokenizer);
    writeJson(path.join(dir, 'tokenizer_config.json'), o.tokenizer.files.config);
    files.push('tokenizer.json', 'tokenizer_config.json');
    if (o.tokenizer.files.specialTokensMap) {
      writeJson(path.join(dir, 'special_tokens_map.json'), o.tokenizer.files.specialTokensMap);
      files.push('special_tokens_map.json');
    }
  }
  return files;
}
