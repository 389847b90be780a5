// Relative input paths in a run config (model and data files) mean "next to the config file", as
// in docker-compose and most tools that read config files: a run started from any folder reads
// the same data. Output paths (checkpoint.dir, logger files) are left as written: the factory
// puts relative ones inside the run folder. Module
// specifiers that do not look like paths (a package name) are left for Node to resolve.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunConfig } from './schema.js';

const abs = (base: string, p: string) => (path.isAbsolute(p) ? p : path.resolve(base, p));

/** A module path: resolved when it looks like a path (./, ../, /) or names a file next to the config. */
function modulePath(base: string, spec: string): string {
  if (spec.startsWith('.') || path.isAbsolute(spec)) return abs(base, spec);
  return existsSync(path.resolve(base, spec)) ? path.resolve(base, spec) : spec;
}

type Source = RunConfig['data']['train'];

function sourcePaths(base: string, source: Source): Source {
  if ('jsonl' in source) return { ...source, jsonl: abs(base, source.jsonl) };
  if ('text' in source) return { ...source, text: abs(base, source.text) };
  if ('idx' in source) return { ...source, idx: { images: abs(base, source.idx.images), labels: abs(base, source.idx.labels) } };
  if ('tensors' in source) return { ...source, tensors: abs(base, source.tensors) };
  return { ...source, module: modulePath(base, source.module) };
}

/** The config with every input file path made absolute against `base` (the config file's folder). */
export function resolvePaths(config: RunConfig, base: string): RunConfig {
  const model = config.model;
  const resolvedModel: RunConfig['model'] = 'torchscript' in model ? { ...model, torchscript: abs(base, model.torchscript) }
    : 'module' in model ? { ...model, module: modulePath(base, model.module) }
      : 'hf' in model ? { ...model, hf: abs(base, model.hf) } : model;
  const tokenizer = config.data.tokenizer;
  const data = {
    ...config.data, train: sourcePaths(base, config.data.train), ...(config.data.val ? { val: sourcePaths(base, config.data.val) } : {}),
    ...(tokenizer && typeof tokenizer === 'object' && 'hf' in tokenizer ? { tokenizer: { hf: abs(base, tokenizer.hf) } } : {}),
  };
  return { ...config, model: resolvedModel, data };
}
