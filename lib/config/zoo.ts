// Models for a run config: a zoo model built from its name and config, a TorchScript file, a
// Hugging Face folder (hf-sources.ts), or a module exporting a factory `(options, { task, tokenizer }) => Module` (maybe async).
import { pathToFileURL } from 'node:url';
import type { Tokenizer } from '../data/tokenizers.js';
import { load as loadTorchScript } from '../jit/index.js';
import { createModel } from '../models/zoo.js';
import { Module } from '../nn/module.js';
import type { TaskSpec } from '../task/spec.js';
import { deriveModelConfig } from './derive.js';
import { buildHfModel } from './hf-sources.js';
import type { ModelSource, RunConfig } from './schema.js';

type Json = Record<string, unknown>;

export class RunModelError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'RunModelError';
  }
}

/** The zoo model's config as the factory builds it: the file's, with what task and data decide filled in. */
export function zooModelConfig(model: Extract<ModelSource, { zoo: string }>, task: TaskSpec, data: RunConfig['data']): Json {
  return deriveModelConfig(model.zoo, model.config, task, data);
}

/** Builds the model a run config names. */
export async function buildModel(model: ModelSource, task: TaskSpec, data: RunConfig['data'], tokenizer: Tokenizer | undefined): Promise<Module> {
  if ('zoo' in model) return createModel(model.zoo, zooModelConfig(model, task, data));
  if ('torchscript' in model) return loadTorchScript(model.torchscript);
  if ('hf' in model) return buildHfModel(model, task);
  const name = model.export ?? 'default';
  let mod: Json;
  try {
    mod = await import(model.module.startsWith('/') ? pathToFileURL(model.module).href : model.module) as Json;
  } catch (error) {
    throw new RunModelError(`model.module ${model.module}`, `cannot be imported (${(error as Error).message.split('\n')[0]}); fix: check the path (relative to the config file)`);
  }
  const factory = mod[name];
  if (factory instanceof Module) return factory;
  if (typeof factory !== 'function') {
    throw new RunModelError(`model.module ${model.module}`, `has no function export '${name}' (it exports ${Object.keys(mod).join(', ') || 'nothing'}); fix: set model.export to the factory's name`);
  }
  const made: unknown = await (factory as (o: Json, c: { task: TaskSpec; tokenizer?: Tokenizer }) => unknown)(model.options, { task, tokenizer });
  if (!(made instanceof Module)) throw new RunModelError(`model.module ${model.module}`, `export '${name}' returned ${made === null ? 'null' : typeof made}, not an nn.Module`);
  return made;
}
