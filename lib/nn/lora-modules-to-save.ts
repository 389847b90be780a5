// PEFT's modules_to_save: whole modules (a classification head, say) that train fully next to
// the LoRA adapters and are saved with them. As in PEFT, the module is wrapped: original_module
// keeps the frozen original, modules_to_save.default a trainable copy that forward uses, so the
// state-dict keys read as PEFT's ('classifier.modules_to_save.default.weight').
import { keep } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
import { nearestName } from '../core/validation.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { ModuleDict } from './layers/container.js';
import { ADAPTER_NAME } from './lora-linear.js';

/** A deep copy of a module: same class and settings, parameters and buffers cloned (a tie inside it is kept). */
export function copyModule<M extends Module>(module: M, copies = new Map<object, object>()): M {
  const done = copies.get(module);
  if (done) return done as M;
  const copy = Object.create(Object.getPrototypeOf(module)) as M;
  copies.set(module, copy);
  for (const key of Reflect.ownKeys(module)) {
    const d = Object.getOwnPropertyDescriptor(module, key)!;
    if ('value' in d) {
      const v: unknown = d.value;
      if (v instanceof Parameter) {
        d.value = copies.get(v) ?? new Parameter(v.detach().clone(), v.requiresGrad);
      } else if (v instanceof Tensor) {
        d.value = copies.get(v) ?? keep(v.clone());
      } else if (v instanceof Module) {
        d.value = copyModule(v, copies);
      } else if (v instanceof Map) {
        d.value = new Map(v);
      }
      if (v instanceof Tensor) copies.set(v, d.value as object);
    }
    Object.defineProperty(copy, key, d);
  }
  return copy;
}

/** PEFT's ModulesToSaveWrapper: forward runs the trainable copy; the original stays as it was. */
export class ModulesToSaveWrapper extends Module {
  declare originalModule: Module;
  declare modulesToSave: ModuleDict;

  constructor(original: Module) {
    super();
    this.registerModule('original_module', original, 'originalModule');
    const copy = copyModule(original);
    copy.requiresGrad_(true);
    this.registerModule('modules_to_save', new ModuleDict({ [ADAPTER_NAME]: copy }), 'modulesToSave');
    original.requiresGrad_(false);
  }

  /** The copy that trains and is saved. */
  get trained(): Module {
    return this.modulesToSave.get(ADAPTER_NAME);
  }

  forward(...args: unknown[]): unknown {
    return (this.trained.forward as (...a: unknown[]) => unknown)(...args);
  }
}

/** The wrapped modules of a model, by dotted path. */
export function modulesToSaveLayers(model: Module): [string, ModulesToSaveWrapper][] {
  return model.namedModules().filter((e): e is [string, ModulesToSaveWrapper] => e[1] instanceof ModulesToSaveWrapper);
}

/**
 * The module paths `names` select, as PEFT's _set_trainable matches them (a path ending with a
 * name), outermost only; an unmatched name is an error with the nearest module name unless
 * `lenient` (PEFT itself ignores names such as SEQ_CLS's 'score' on a model without one).
 */
export function matchModulesToSave(model: Module, names: readonly string[], where: string, lenient = false): string[] {
  const all = model.namedModules().filter(([n]) => n !== '');
  const picked: string[] = [];
  for (const name of names) {
    const hits = all.filter(([path]) => path.endsWith(name) && !/(^|\.)(lora_[AB]|lora_dropout|base_layer|original_module|modules_to_save)(\.|$)/.test(path));
    if (hits.length === 0 && !lenient) {
      const near = nearestName(name, [...new Set(all.map(([n]) => n.split('.').pop()!))]);
      throw new RangeError(`${where}: modulesToSave '${name}' matches no module of ${model.constructor.name}${near ? `; did you mean '${near}'?` : ''}`);
    }
    for (const [path] of hits) if (!picked.includes(path)) picked.push(path);
  }
  // A match inside another match is part of that copy already.
  return picked.filter((p) => !picked.some((q) => q !== p && p.startsWith(`${q}.`)));
}

/** Wraps the modules at `paths` (from matchModulesToSave) so that a trainable copy of each replaces it in forward. */
export function wrapModulesToSave(model: Module, paths: readonly string[], replaceChild: (parent: Module, child: Module, replacement: Module) => void): void {
  const byPath = new Map(model.namedModules());
  for (const path of paths) {
    const target = byPath.get(path)!;
    if (target instanceof ModulesToSaveWrapper) continue;
    const parentPath = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    const wrapper = new ModulesToSaveWrapper(target);
    wrapper.train(target.training);
    replaceChild(byPath.get(parentPath)!, target, wrapper);
  }
}
