// nn.Module, as torch.nn.Module. A module's parameters, buffers and submodules are its own
// properties, in the order they were assigned (as Python registers them in __setattr__ order):
// any property holding a Parameter or a Module counts; buffers are registered explicitly.
// registerParameter/registerBuffer/registerModule also let a camelCase property carry
// PyTorch's snake_case key (inProjWeight <-> 'in_proj_weight'), so state dicts match PyTorch's.
import { noGrad } from '../core/autograd.js';
import { type DType, isFloatingPoint, parseDType } from '../core/dtype.js';
import { parseDevice } from '../core/device.js';
import { keep } from '../core/scope.js';
import { copyInto, setData, zeroInPlace } from '../core/in-place.js';
import { Tensor, describe } from '../core/tensor.js';
import { Parameter } from './parameter.js';

interface Slot { prop: string; name: string; value: unknown; buffer?: { persistent: boolean } }

export interface LoadResult { missingKeys: string[]; unexpectedKeys: string[] }

const NAME = /^[^.]+$/;

/**
 * An input a layer cannot take. It carries the layer, so a caller holding the whole model (the
 * Trainer) can name it by its path ('encoder.layers.0.norm').
 */
export class LayerInputError extends RangeError {
  constructor(readonly module: Module, message: string) {
    super(message);
    this.name = 'LayerInputError';
  }
}

export abstract class Module {
  /** Whether the module is in training mode (Dropout, BatchNorm); set by train()/eval(). */
  declare training: boolean;
  declare private _keys: Map<string, string>;
  declare private _buffers: Map<string, { persistent: boolean }>;

  constructor() {
    Object.defineProperty(this, 'training', { value: true, writable: true, enumerable: false });
    Object.defineProperty(this, '_keys', { value: new Map(), enumerable: false });
    Object.defineProperty(this, '_buffers', { value: new Map(), enumerable: false });
  }

  abstract forward(...args: any[]): any;

  // ---- registration ----

  private claim(kind: string, name: string, prop: string, value: unknown): void {
    if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`${this.constructor.name}.register${kind}: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    (this as unknown as Record<string, unknown>)[prop] = value;
    if (prop !== name) this._keys.set(prop, name);
  }

  /** Registers a parameter (or null, for an absent one such as bias: false) under PyTorch's name. */
  protected registerParameter<T extends Parameter | null>(name: string, value: T, prop: string = name): T {
    if (value !== null && !(value instanceof Parameter)) throw new TypeError(`registerParameter('${name}'): expected a Parameter or null, got ${describe(value)}`);
    this.claim('Parameter', name, prop, value);
    return value;
  }

  /** Registers a buffer: state saved in stateDict (unless persistent: false) but not trained. */
  protected registerBuffer<T extends Tensor | null>(name: string, value: T, options: { persistent?: boolean; prop?: string } = {}): T {
    if (value !== null && !(value instanceof Tensor)) throw new TypeError(`registerBuffer('${name}'): expected a Tensor or null, got ${describe(value)}`);
    const prop = options.prop ?? name;
    if (value) keep(value);
    this.claim('Buffer', name, prop, value);
    this._buffers.set(prop, { persistent: options.persistent ?? true });
    return value;
  }

  protected registerModule<T extends Module | null>(name: string, value: T, prop: string = name): T {
    if (value !== null && !(value instanceof Module)) throw new TypeError(`registerModule('${name}'): expected a Module or null, got ${describe(value)}`);
    this.claim('Module', name, prop, value);
    return value;
  }

  /** Replaces a buffer's tensor (e.g. BatchNorm's running statistics after an update). */
  protected setBuffer(prop: string, value: Tensor): void {
    keep(value);
    (this as unknown as Record<string, unknown>)[prop] = value;
  }

  private slots(): Slot[] {
    const out: Slot[] = [];
    const self = this as unknown as Record<string, unknown>;
    for (const prop of Object.keys(this)) {
      const value = self[prop];
      const name = this._keys.get(prop) ?? prop;
      const buffer = this._buffers.get(prop);
      if (buffer || value instanceof Parameter || value instanceof Module) out.push({ prop, name, value, buffer });
    }
    return out;
  }

  // ---- traversal ----

  namedChildren(): [string, Module][] {
    return this.slots().filter((s) => !s.buffer && s.value instanceof Module).map((s) => [s.name, s.value as Module]);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, pre-order, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    const seen = new Set<Module>([this]);
    const visit = (m: Module, p: string) => {
      for (const [name, child] of m.namedChildren()) {
        if (seen.has(child)) continue;
        seen.add(child);
        const full = p ? `${p}.${name}` : name;
        out.push([full, child]);
        visit(child, full);
      }
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with PyTorch's dotted names; a parameter shared by two modules is listed once. */
  namedParameters(options: { recurse?: boolean; removeDuplicate?: boolean } = {}): [string, Parameter][] {
    const { recurse = true, removeDuplicate = true } = options;
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const modules: [string, Module][] = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of modules) {
      for (const s of m.slots()) {
        if (s.buffer || !(s.value instanceof Parameter)) continue;
        if (removeDuplicate && seen.has(s.value)) continue;
        seen.add(s.value);
        out.push([prefix ? `${prefix}.${s.name}` : s.name, s.value]);
      }
    }
    return out;
  }

  parameters(options: { recurse?: boolean } = {}): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  namedBuffers(options: { recurse?: boolean } = {}): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of options.recurse === false ? ([['', this]] as [string, Module][]) : this.namedModules()) {
      for (const s of m.slots()) if (s.buffer && s.value instanceof Tensor) out.push([prefix ? `${prefix}.${s.name}` : s.name, s.value]);
    }
    return out;
  }

  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(options).map(([, b]) => b);
  }

  // ---- state ----

  /** Every parameter and persistent buffer, keyed as PyTorch keys them and in its order (detached views). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [key, t] of this.stateEntries()) out[key] = t.detach();
    return out;
  }

  /** The (key, tensor) pairs stateDict and loadStateDict work on; TorchScript modules override it. */
  protected stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      const slots = m.slots();
      const key = (name: string) => (prefix ? `${prefix}.${name}` : name);
      for (const s of slots) if (!s.buffer && s.value instanceof Parameter) out.push([key(s.name), s.value]);
      for (const s of slots) if (s.buffer?.persistent && s.value instanceof Tensor) out.push([key(s.name), s.value]);
    }
    return out;
  }

  /**
   * Copies a state dict into this module's parameters and buffers. Nothing is copied unless
   * everything fits: with strict (the default) missing and unexpected keys are errors, and a
   * shape mismatch always is; the error lists them all.
   */
  loadStateDict(state: Record<string, Tensor>, options: { strict?: boolean } = {}): LoadResult {
    const strict = options.strict ?? true;
    if (!state || typeof state !== 'object') throw new TypeError(`loadStateDict: expected an object of Tensors, got ${describe(state)}`);
    const own = this.stateEntries();
    const expected = new Set(own.map(([k]) => k));
    const missingKeys = own.map(([k]) => k).filter((k) => !(k in state));
    const unexpectedKeys = Object.keys(state).filter((k) => !expected.has(k));
    const problems: string[] = [];
    for (const [key, t] of own) {
      const src = state[key];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) problems.push(`${key} is ${describe(src)}, not a Tensor`);
      else if (src.shape.join(',') !== t.shape.join(',')) {
        problems.push(`size mismatch for ${key}: copying a param with shape [${src.shape}] from checkpoint, the shape in current model is [${t.shape}]`);
      }
    }
    if (strict && missingKeys.length) problems.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
    if (problems.length) throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${problems.join('\n\t')}`);
    noGrad(() => {
      for (const [key, t] of own) if (state[key] !== undefined) copyInto(t, state[key]);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- modes, devices, grads ----

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Moves (and/or casts) parameters and buffers in place, keeping each Parameter object (so
   * optimizers holding them stay valid): a dtype casts floating-point ones only, as in PyTorch.
   */
  to(target: DType | string | { dtype?: DType; device?: string }): this {
    let dtype: DType | undefined, device: string | undefined;
    if (typeof target === 'string') {
      try {
        dtype = parseDType(target);
      } catch {
        device = parseDevice(target, 'Module.to');
      }
    } else if (target && typeof target === 'object') {
      dtype = target.dtype && parseDType(target.dtype);
      device = target.device && parseDevice(target.device, 'Module.to');
    } else throw new TypeError(`Module.to: expected a dtype, a device or { dtype, device }, got ${describe(target)}`);
    const move = (t: Tensor) => {
      const castable = dtype !== undefined && isFloatingPoint(t.dtype);
      if (!castable && device === undefined) return;
      const moved = t.to({ dtype: castable ? dtype : undefined, device });
      setData(t, moved);
      moved.dispose();
    };
    noGrad(() => {
      for (const p of this.parameters()) {
        move(p);
        const g = p.grad;
        if (g) {
          move(g);
          p.grad = g;
          g.dispose();
        }
      }
      for (const b of this.buffers()) move(b);
    });
    return this;
  }

  /** Clears gradients: to null (the default, as in PyTorch 2) or to zeros. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else {
        const g = p.grad;
        if (g) {
          zeroInPlace(g);
          g.dispose();
        }
      }
    }
  }

  /** Freezes (false) or unfreezes (true) every parameter. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Calls fn on every submodule (children first) and then on this one, as Module.apply does. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** The number of parameter elements (shared parameters counted once). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !options.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.numel(), 0);
  }

  /** Extra text inside this module's repr, e.g. 'in_features=2, out_features=3, bias=True'. */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's module repr: the class name, extraRepr, and children indented. */
  toString(): string {
    const children = this.namedChildren().map(([name, m]) => `(${name}): ${m.toString().split('\n').join('\n  ')}`);
    const extra = this.extraRepr();
    if (!children.length) return `${this.constructor.name}(${extra})`;
    return `${this.constructor.name}(${extra ? `\n  ${extra}` : ''}\n  ${children.join('\n  ')}\n)`;
  }
}
