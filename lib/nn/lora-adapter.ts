// LoRA adapters in PEFT's folder format: adapter_config.json (peft_type 'LORA', r, lora_alpha,
// lora_dropout, target_modules, ...) and adapter_model.safetensors, whose keys are
// 'base_model.model.<module path>.lora_A.weight' / '.lora_B.weight' (PEFT drops the adapter
// name 'default' when saving), and for modules_to_save 'base_model.model.<module path>.<param>'
// (the trained copy; PEFT drops 'modules_to_save.default'). peft's PeftModel.from_pretrained(base, dir) loads what
// saveAdapter writes; loadAdapter loads what peft's save_pretrained writes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type Tensor, describe } from '../core/tensor.js';
import { parseOrThrow } from '../core/validation.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { type Module } from './module.js';
import { ADAPTER_NAME, type LoraLinear } from './lora-linear.js';
import { Dropout } from './layers/activation.js';
import { type LoraSummary, type TargetModules, apply, isTarget, loraLayers, requireModule } from './lora-apply.js';
import { matchModulesToSave, modulesToSaveLayers } from './lora-modules-to-save.js';

export const CONFIG_FILE = 'adapter_config.json';
export const WEIGHTS_FILE = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

/** PEFT's task types (what PeftModel class from_pretrained builds); null for a plain module. */
const TASK_TYPES = ['SEQ_CLS', 'SEQ_2_SEQ_LM', 'CAUSAL_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION'] as const;

export interface SaveAdapterOptions {
  /** The base model's hub id or folder (adapter_config.json's base_model_name_or_path). */
  baseModelNameOrPath?: string | null;
  /** PEFT's task_type ('CAUSAL_LM', 'SEQ_CLS', ...), or null (the default) for a plain module. */
  taskType?: (typeof TASK_TYPES)[number] | null;
  /**
   * fan_in_fan_out: whether the base weights are [in, out] (GPT-2's Conv1D in transformers); it
   * only changes how PEFT merges. Default: true when the adapted layers are Conv1D.
   */
  fanInFanOut?: boolean;
}

const saveSchema = z.strictObject({
  baseModelNameOrPath: z.string().nullable().default(null),
  taskType: z.enum(TASK_TYPES).nullable().default(null),
  fanInFanOut: z.boolean().optional(),
});

/** The fields of adapter_config.json torchtrain reads; others (PEFT adds many) are kept but unused. */
const configSchema = z.looseObject({
  peft_type: z.literal('LORA'),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).lt(1).default(0),
  target_modules: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  bias: z.literal('none').default('none'),
  use_rslora: z.boolean().default(false),
  use_dora: z.literal(false).optional(),
  fan_in_fan_out: z.boolean().default(false),
  rank_pattern: z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length === 0, 'per-layer ranks (rank_pattern) are not supported').optional(),
  alpha_pattern: z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length === 0, 'per-layer alphas (alpha_pattern) are not supported').optional(),
  modules_to_save: z.array(z.string().min(1)).nullable().optional(),
  layers_to_transform: z.null().optional(),
  task_type: z.string().nullable().optional(),
  base_model_name_or_path: z.string().nullable().optional(),
});

export type AdapterConfig = z.output<typeof configSchema>;

function common(layers: [string, LoraLinear][], where: string): { r: number; alpha: number; dropout: number; useRslora: boolean } {
  if (layers.length === 0) throw new RangeError(`${where}: the model has no LoRA layers; call nn.lora.apply(model, { targetModules, r, alpha }) first`);
  const [, first] = layers[0];
  const dropoutOf = (l: LoraLinear) => {
    const d = l.loraDropout.get(ADAPTER_NAME);
    return d instanceof Dropout ? d.p : 0;
  };
  for (const [name, l] of layers) {
    if (l.r !== first.r || l.alpha !== first.alpha || dropoutOf(l) !== dropoutOf(first) || l.scaling !== first.scaling) {
      throw new RangeError(`${where}: LoRA layer '${name}' (r ${l.r}, alpha ${l.alpha}) differs from '${layers[0][0]}' (r ${first.r}, alpha ${first.alpha}); one adapter folder holds one r, alpha and dropout: apply LoRA once with the same options for every target`);
    }
  }
  return { r: first.r, alpha: first.alpha, dropout: dropoutOf(first), useRslora: first.scaling !== first.alpha / first.r };
}

/**
 * Writes the model's LoRA adapters as PEFT does (adapter_config.json + adapter_model.safetensors
 * in `dir`, created if needed). Only the adapters are written, never the base weights; merged
 * layers are written with their A and B as well (PEFT does the same).
 */
export function saveAdapter(model: Module, dir: string, options: SaveAdapterOptions = {}): void {
  const where = 'nn.lora.saveAdapter';
  requireModule(model, where);
  if (typeof dir !== 'string' || !dir) throw new TypeError(`${where}: dir must be a folder path, got ${describe(dir)}`);
  const o = parseOrThrow(saveSchema, options, (issues) => new RangeError(`${where}: invalid options:\n  ${issues.map((i) => i.text).join('\n  ')}`), { root: '(options)' });
  const layers = loraLayers(model);
  const { r, alpha, dropout, useRslora } = common(layers, where);
  // Exact module paths always match in PEFT (`key in target_modules`), whatever names or
  // patterns the adapters were applied with.
  const targets = layers.map(([name]) => name);
  const saved = modulesToSaveLayers(model);
  const config = {
    peft_type: 'LORA', task_type: o.taskType, base_model_name_or_path: o.baseModelNameOrPath, revision: null,
    r, lora_alpha: alpha, lora_dropout: dropout, target_modules: targets, bias: 'none', use_rslora: useRslora, use_dora: false,
    fan_in_fan_out: o.fanInFanOut ?? layers.some(([, l]) => l.fanInFanOut), init_lora_weights: true, inference_mode: true,
    modules_to_save: saved.length ? saved.map(([name]) => name) : null,
    layers_to_transform: null, layers_pattern: null, rank_pattern: {}, alpha_pattern: {}, lora_bias: false,
  };
  const tensors: Record<string, Tensor> = {};
  for (const [name, l] of layers) {
    tensors[`${PREFIX}${name}.lora_A.weight`] = l.a.weight.detach();
    tensors[`${PREFIX}${name}.lora_B.weight`] = l.b.weight.detach();
  }
  // modules_to_save: the trained copy's tensors under the module's own path (PEFT drops 'modules_to_save.default').
  for (const [name, w] of saved) {
    for (const [key, t] of Object.entries(w.trained.stateDict())) tensors[`${PREFIX}${name}.${key}`] = t.detach();
  }
  mkdirSync(dir, { recursive: true });
  saveSafetensors(path.join(dir, WEIGHTS_FILE), tensors, { format: 'pt' });
  writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  for (const t of Object.values(tensors)) t.dispose();
}

/** Reads and checks a folder's adapter_config.json. */
export function readAdapterConfig(dir: string): AdapterConfig {
  const where = 'nn.lora.loadAdapter';
  if (typeof dir !== 'string' || !dir) throw new TypeError(`${where}: dir must be a folder path, got ${describe(dir)}`);
  const file = path.join(dir, CONFIG_FILE);
  if (!existsSync(file)) throw new Error(`${where}: ${file} does not exist; an adapter folder holds ${CONFIG_FILE} and ${WEIGHTS_FILE} (peft's save_pretrained or nn.lora.saveAdapter writes them)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${where}: ${file} is not valid JSON (${(err as Error).message})`);
  }
  return parseOrThrow(configSchema, raw, (issues) => new RangeError(`${where}: ${file} is not a LoRA adapter torchtrain can load:\n  ${issues.map((i) => i.text).join('\n  ')}`), { root: CONFIG_FILE });
}

/**
 * Loads a PEFT LoRA adapter folder into `model`: applies LoRA with the folder's r, lora_alpha,
 * lora_dropout and target_modules when the model has no adapters yet (a model that has them
 * must have them on exactly the folder's targets), then copies lora_A/lora_B in. Every
 * adapter layer must get its weights and every weight must find its layer.
 */
export function loadAdapter(model: Module, dir: string): LoraSummary {
  const where = 'nn.lora.loadAdapter';
  requireModule(model, where);
  if (typeof dir !== 'string' || !dir) throw new TypeError(`${where}: dir must be a folder path, got ${describe(dir)}`);
  const config = readAdapterConfig(dir);
  const weightsFile = path.join(dir, WEIGHTS_FILE);
  if (!existsSync(weightsFile)) {
    throw new Error(`${where}: ${weightsFile} does not exist${existsSync(path.join(dir, 'adapter_model.bin')) ? ' (only adapter_model.bin is there: save it again with save_pretrained(..., safe_serialization=True))' : ''}`);
  }
  const targets: TargetModules = config.target_modules;
  let layers = loraLayers(model);
  let summary: LoraSummary;
  if (layers.length === 0) {
    // PEFT lists SEQ_CLS heads ('classifier', 'score') whether or not the model has them: only names that match count.
    const modulesToSave = [...new Set(config.modules_to_save ?? [])].filter((n) => matchModulesToSave(model, [n], where, true).length > 0);
    summary = apply(model, { targetModules: targets, r: config.r, alpha: config.lora_alpha, dropout: config.lora_dropout, useRslora: config.use_rslora, modulesToSave });
    layers = loraLayers(model);
  } else {
    const off = layers.filter(([name]) => !isTarget(name, targets)).map(([n]) => n);
    if (off.length) throw new RangeError(`${where}: the model already has LoRA layers that the adapter does not target (${off.join(', ')}); load into a model without adapters`);
    const total = model.numParameters(), trainable = model.numParameters({ trainableOnly: true });
    summary = { trainable, total, percent: total ? (100 * trainable) / total : 0, targets: layers.map(([n]) => n), modulesToSave: modulesToSaveLayers(model).map(([n]) => n) };
  }
  const saved = modulesToSaveLayers(model);
  const tensors = loadSafetensors(weightsFile);
  try {
    const state: Record<string, Tensor> = {};
    const unknown: string[] = [];
    const savedExpected: string[] = [];
    for (const [name, w] of saved) for (const k of Object.keys(w.trained.stateDict())) savedExpected.push(`${name}.modules_to_save.${ADAPTER_NAME}.${k}`);
    for (const [key, t] of Object.entries(tensors)) {
      const m = /^(?:base_model\.model\.)?(.+)\.(lora_A|lora_B)(?:\.[^.]+)?\.weight$/.exec(key);
      const bare = key.replace(/^base_model\.model\./, '');
      const owner = saved.find(([name]) => bare.startsWith(`${name}.`));
      if (owner) {
        state[`${owner[0]}.modules_to_save.${ADAPTER_NAME}.${bare.slice(owner[0].length + 1)}`] = t;
        continue;
      }
      if (!m) {
        unknown.push(key);
        continue;
      }
      state[`${m[1]}.${m[2]}.${ADAPTER_NAME}.weight`] = t;
    }
    const expected = [...layers.flatMap(([n]) => [`${n}.lora_A.${ADAPTER_NAME}.weight`, `${n}.lora_B.${ADAPTER_NAME}.weight`]), ...savedExpected];
    const missing = expected.filter((k) => !(k in state));
    const extra = Object.keys(state).filter((k) => !expected.includes(k));
    if (unknown.length || missing.length || extra.length) {
      throw new RangeError(`${where}: ${weightsFile} does not fit the model's LoRA layers:` +
        (missing.length ? `\n  missing: ${missing.join(', ')}` : '') +
        (extra.length ? `\n  no such LoRA layer: ${extra.join(', ')}` : '') +
        (unknown.length ? `\n  neither LoRA weights nor modules_to_save (DoRA and embedding adapters are not supported): ${unknown.join(', ')}` : ''));
    }
    model.loadStateDict(state, { strict: false });
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  return summary;
}
