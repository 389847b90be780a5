// LoRA (Hu et al. 2021) as PEFT does it: apply() replaces the targeted nn.Linear layers with
// LoraLinear (PEFT's layout and names) and freezes every other parameter, so only the adapters
// train; merge/unmerge fold the update into the base weights and back.
import { z } from 'zod';
import { describe } from '../core/tensor.js';
import { parseOrThrow, nearestName } from '../core/validation.js';
import { Module } from './module.js';
import { Linear } from './layers/linear.js';
import { MultiheadAttention } from './layers/attention.js';
import { type LoraBase, LoraLinear, isConv1D } from './lora-linear.js';
import { ModulesToSaveWrapper, matchModulesToSave, modulesToSaveLayers, wrapModulesToSave } from './lora-modules-to-save.js';


/**
 * Which Linear layers get an adapter, as PEFT's target_modules: a list of names, each matching a
 * module whose dotted path equals it or ends with '.' + it ('query', 'attn.c_attn',
 * 'encoder.layer.0.attention.self.value'), and/or RegExps matched against the whole path; or one
 * string, which PEFT reads as a regular expression over the whole path.
 */
export type TargetModules = string | RegExp | (string | RegExp)[];

export interface LoraOptions {
  targetModules: TargetModules;
  /** The adapters' rank. Default 8 (PEFT's). */
  r?: number;
  /** The update is scaled by alpha / r. Default 8 (PEFT's lora_alpha). */
  alpha?: number;
  /** Dropout on the adapter path's input. Default 0. */
  dropout?: number;
  /** Which biases train: only 'none' (PEFT's default: every bias stays frozen). */
  bias?: 'none';
  /** Scale by alpha / sqrt(r) (PEFT's use_rslora). Default false. */
  useRslora?: boolean;
  /**
   * Modules trained fully and saved with the adapter (PEFT's modules_to_save), such as a new
   * classification head: ['classifier']. A name selects the modules whose path ends with it.
   */
  modulesToSave?: string[];
}

export interface LoraSummary {
  /** Parameter elements that will train (shared parameters counted once). */
  trainable: number;
  total: number;
  /** 100 * trainable / total. */
  percent: number;
  /** The dotted paths of the layers that got an adapter. */
  targets: string[];
  /** The dotted paths of the modules trained fully (modulesToSave). */
  modulesToSave: string[];
}

const targetSchema = z.union([z.string().min(1), z.instanceof(RegExp)]);
const optionsSchema = z.strictObject({
  targetModules: z.union([targetSchema, z.array(targetSchema).min(1)]),
  r: z.number().int().positive().default(8),
  alpha: z.number().positive().finite().default(8),
  dropout: z.number().min(0).lt(1).default(0),
  bias: z.literal('none').default('none'),
  useRslora: z.boolean().default(false),
  modulesToSave: z.array(z.string().min(1)).default([]),
});

export type ResolvedLoraOptions = z.output<typeof optionsSchema>;

const KEYS = Object.keys(optionsSchema.shape);

export function parseLoraOptions(options: unknown, where: string): ResolvedLoraOptions {
  return parseOrThrow(optionsSchema, options, (issues) => new RangeError(`${where}: invalid LoRA options:\n  ${issues.map((i) => i.text).join('\n  ')}`), {
    root: '(options)',
    known: { owner: where, keys: KEYS },
    fixes: { bias: "only 'none' is supported (every bias stays frozen, PEFT's default)" },
  });
}

/** Checks that `model` is an nn.Module (the error names the function). */
export function requireModule(model: unknown, where: string): Module {
  if (!(model instanceof Module)) throw new TypeError(`${where}: expected an nn.Module, got ${describe(model)}`);
  return model;
}

function fullMatch(re: RegExp, name: string): boolean {
  return new RegExp(`^(?:${re.source})$`, re.flags.replace(/[gy]/g, '')).test(name);
}

/** PEFT's check_target_module_exists for one module path. */
export function isTarget(name: string, targets: TargetModules): boolean {
  if (typeof name !== 'string') throw new TypeError(`nn.lora.isTarget: name must be a module path string, got ${describe(name)}`);
  const valid = (t: unknown) => typeof t === 'string' || t instanceof RegExp;
  if (!(valid(targets) || (Array.isArray(targets) && targets.every(valid)))) {
    throw new TypeError(`nn.lora.isTarget: targets must be a string, a RegExp or an array of them, got ${describe(targets)}`);
  }
  if (typeof targets === 'string') return fullMatch(new RegExp(targets), name);
  const list = Array.isArray(targets) ? targets : [targets];
  return list.some((t) => (typeof t === 'string' ? name === t || name.endsWith(`.${t}`) : fullMatch(t, name)));
}

/** The LoRA layers of a model, by dotted path. */
export function loraLayers(model: Module): [string, LoraLinear][] {
  return requireModule(model, 'nn.lora.loraLayers').namedModules().filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);
}

/** Replaces the child `child` of `parent` (keeping its registered name and its place in the order). */
function replaceChild(parent: Module, child: Module, replacement: Module): void {
  const self = parent as unknown as Record<string, unknown>;
  const prop = Object.keys(self).find((k) => self[k] === child);
  if (prop === undefined) throw new Error(`nn.lora: cannot find ${child.constructor.name} among the properties of ${parent.constructor.name}`);
  self[prop] = replacement;
}

function parentsByChild(model: Module): Map<Module, Module> {
  const parents = new Map<Module, Module>();
  for (const m of model.modules()) for (const c of m.children()) if (!parents.has(c)) parents.set(c, m);
  return parents;
}

/** Counts parameter elements: what trains and what there is (as PEFT's print_trainable_parameters). */
export function countParameters(model: Module): { trainable: number; total: number; percent: number } {
  requireModule(model, 'nn.lora.countParameters');
  const total = model.numParameters();
  const trainable = model.numParameters({ trainableOnly: true });
  return { trainable, total, percent: total ? (100 * trainable) / total : 0 };
}

/** PEFT's line: 'trainable params: 1,024 || all params: 90,000 || trainable%: 1.1378'. */
export function formatParameterCounts(model: Module): string {
  requireModule(model, 'nn.lora.formatParameterCounts');
  const { trainable, total, percent } = countParameters(model);
  return `trainable params: ${trainable.toLocaleString('en-US')} || all params: ${total.toLocaleString('en-US')} || trainable%: ${percent.toFixed(4)}`;
}

/**
 * Puts a LoRA adapter on every targeted nn.Linear of `model` (in place) and freezes every other
 * parameter (PEFT's default, bias 'none'): afterwards only lora_A/lora_B train. Returns the
 * parameter counts and the targeted paths. An error names targets that match nothing (with the
 * nearest Linear names) and matches that are not Linear layers.
 */
export function apply(model: Module, options: LoraOptions): LoraSummary {
  requireModule(model, 'nn.lora.apply');
  const o = parseLoraOptions(options, 'nn.lora.apply');
  const parents = parentsByChild(model);
  const insideLora = new Set<Module>();
  for (const [, m] of loraLayers(model)) for (const inner of m.modules()) if (inner !== m) insideLora.add(inner);
  const matched = model.namedModules().filter(([name, m]) => name !== '' && !insideLora.has(m) && isTarget(name, o.targetModules));
  const linears = model.namedModules().filter(([, m]) => (m instanceof Linear || isConv1D(m)) && !insideLora.has(m)).map(([n]) => n);
  if (matched.length === 0) {
    const wanted = Array.isArray(o.targetModules) ? o.targetModules : [o.targetModules];
    const hints = wanted.filter((t): t is string => typeof t === 'string').map((t) => {
      const near = nearestName(t, [...new Set(linears.map((n) => n.split('.').pop()!))]);
      return near ? ` ('${t}': did you mean '${near}'?)` : '';
    }).join('');
    throw new RangeError(`nn.lora.apply: targetModules ${JSON.stringify(wanted.map(String))} match no module of ${model.constructor.name}${hints}; ` +
      `its Linear layers are: ${linears.slice(0, 12).join(', ')}${linears.length > 12 ? ', ...' : ''}`);
  }
  for (const [name, m] of matched) {
    if (m instanceof LoraLinear) throw new RangeError(`nn.lora.apply: '${name}' already has a LoRA adapter; call nn.lora.unload(model) (or mergeAndUnload) first`);
    if (!(m instanceof Linear) && !isConv1D(m)) {
      throw new RangeError(`nn.lora.apply: target '${name}' is a ${m.constructor.name}; LoRA wraps nn.Linear (and GPT-2's Conv1D) layers only: narrow targetModules to Linear layers (e.g. ${linears.slice(0, 4).join(', ')})`);
    }
    if (parents.get(m) instanceof MultiheadAttention) {
      throw new RangeError(`nn.lora.apply: target '${name}' is MultiheadAttention's out_proj, whose weight the attention reads directly (as PyTorch's does), so an adapter there would be ignored; target the MLP's Linear layers, or a model with separate q/k/v/o Linear layers (hf.fromPretrained)`);
    }
  }
  const toSave = matchModulesToSave(model, o.modulesToSave, 'nn.lora.apply');
  model.requiresGrad_(false);
  for (const [, m] of matched) {
    const lora = new LoraLinear(m as LoraBase, { r: o.r, alpha: o.alpha, dropout: o.dropout, useRslora: o.useRslora });
    lora.training = m.training;
    lora.modules().forEach((x) => (x.training = m.training));
    replaceChild(parents.get(m)!, m, lora);
  }
  wrapModulesToSave(model, toSave, replaceChild);
  return { ...countParameters(model), targets: matched.map(([n]) => n), modulesToSave: modulesToSaveLayers(model).map(([n]) => n) };
}

function requireLora(model: Module, where: string): [string, LoraLinear][] {
  requireModule(model, where);
  return loraLayers(model);
}

/** Adds every adapter's B @ A * scaling into its base weight; forward then costs what the base model's does. No-op for merged layers. */
export function merge(model: Module): void {
  for (const [, l] of requireLora(model, 'nn.lora.merge')) l.merge();
}

/** Subtracts the merged updates again (up to float rounding). No-op for unmerged layers. */
export function unmerge(model: Module): void {
  for (const [, l] of requireLora(model, 'nn.lora.unmerge')) l.unmerge();
}

/**
 * Puts the base Linear layers back (undoing apply; merged updates stay in the weights) and the
 * trained copies of modulesToSave in place of their wrappers (as PEFT's unload).
 */
export function unload(model: Module): void {
  const layers = requireLora(model, 'nn.lora.unload');
  const parents = parentsByChild(model);
  for (const [, l] of layers) replaceChild(parents.get(l)!, l, l.baseLayer);
  for (const [, w] of modulesToSaveLayers(model)) replaceChild(parents.get(w)!, w, (w as ModulesToSaveWrapper).trained);
}

/** merge, then unload: a plain model with the adapters folded into its weights (PEFT's merge_and_unload). */
export function mergeAndUnload(model: Module): void {
  merge(model);
  unload(model);
}
