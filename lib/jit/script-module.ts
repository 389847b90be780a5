// ScriptModule: a TorchScript module (torch.jit.script(model).save(path) in Python) as a
// trainable nn.Module. The TorchScript module tree is mirrored by a tree of ScriptModules, each
// registering its own parameters, buffers and submodules the way a hand-written Module does, so
// everything nn.Module offers (parameters(), stateDict(), loadStateDict(), to(), zeroGrad(), and
// being the child of another Module) works unchanged. Parameters and buffers are the native
// module's own tensors, wrapped once at load: an optimizer holding them, .grad after backward
// and in-place updates all act on what the TorchScript code computes with.
import { type NativeScriptModule } from '../core/native-script-module.js';
import { Tensor } from '../core/tensor.js';
import { Module } from '../nn/module.js';
import { type Parameter } from '../nn/parameter.js';
import { type ScriptValue } from './values.js';

/** 'a.b.weight' -> ['a.b', 'weight']; 'weight' -> ['', 'weight']. */
function splitName(qualified: string): [string, string] {
  const cut = qualified.lastIndexOf('.');
  return cut < 0 ? ['', qualified] : [qualified.slice(0, cut), qualified.slice(cut + 1)];
}

export class ScriptModule extends Module {
  declare private _native: NativeScriptModule;
  declare private _root: ScriptModule;
  /** The training flag the native module has (JS sets `training` freely; forward syncs). */
  declare private _nativeTraining: boolean;
  declare private _views: ScriptModule[] | undefined;
  /** The file this module (or its root) was loaded from. */
  declare readonly path: string;
  /** The Python class the module was scripted from, e.g. 'Linear' (Python's original_name). */
  declare readonly originalName: string;

  /** @internal use jit.load(). Takes ownership of the native module. */
  constructor(mod: NativeScriptModule, path: string, root?: ScriptModule) {
    super();
    const hidden = (value: unknown) => ({ value, writable: true, enumerable: false });
    Object.defineProperties(this, {
      _native: hidden(mod),
      _root: hidden(root ?? this),
      _views: hidden(undefined),
      path: { value: path, enumerable: false },
      originalName: { value: mod.typeName(), enumerable: false },
    });
    // The training flag is what was saved, as torch.jit.load keeps it.
    this.training = mod.isTraining();
    Object.defineProperty(this, '_nativeTraining', hidden(this.training));
  }

  /** @internal Builds the JS tree over a freshly loaded native module (jit.load). */
  static fromNative(mod: NativeScriptModule, path: string): ScriptModule {
    const root = new ScriptModule(mod, path);
    const views = new Map<string, ScriptModule>([['', root]]);
    try {
      for (const [name, sub] of mod.namedModules()) views.set(name, new ScriptModule(sub, path, root));
      // The Parameters ARE the module's tensors (a copy would never get a gradient).
      for (const [qualified, p] of mod.namedParameters(true)) {
        const [owner, name] = splitName(qualified);
        views.get(owner)!.adoptParameter(name, p);
      }
      // TorchScript keeps no persistent=False flag: Python's state_dict() of a loaded module has every buffer.
      for (const [qualified, b] of mod.namedBuffers(true)) {
        const [owner, name] = splitName(qualified);
        views.get(owner)!.adoptBuffer(name, b);
      }
      for (const [qualified, view] of views) {
        if (qualified === '') continue;
        const [owner, name] = splitName(qualified);
        views.get(owner)!.registerModule(name, view, views.get(owner)!.propFor(name));
      }
    } catch (err) {
      for (const view of views.values()) view.release();
      throw err;
    }
    return root;
  }

  // A TorchScript attribute may be named like a Module method or property ('train', 'training'):
  // it then lives under another property and keeps its name as its state-dict key.
  private propFor(name: string): string {
    let prop = name;
    while (prop in this) prop += '_';
    return prop;
  }

  private adoptParameter(name: string, p: Parameter): void {
    this.registerParameter(name, p, this.propFor(name));
  }

  private adoptBuffer(name: string, b: Tensor): void {
    this.registerBuffer(name, b, { prop: this.propFor(name) });
  }

  private live(): NativeScriptModule {
    if (this._native.isFreed) throw new Error(`ScriptModule(${this.path}): used after dispose()`);
    return this._native;
  }

  /** This module and every ScriptModule below it (the tree is fixed once loaded). */
  private views(): ScriptModule[] {
    return (this._views ??= this.modules().filter((m): m is ScriptModule => m instanceof ScriptModule));
  }

  // train()/eval() here or on any parent Module sets `training` on each module; the native
  // flags follow before anything that depends on them runs.
  private syncModes(): NativeScriptModule {
    const mod = this.live();
    for (const v of this.views()) {
      if (v.training === v._nativeTraining) continue;
      v.live().train(v.training, false);
      v._nativeTraining = v.training;
    }
    return mod;
  }

  /** Sets training mode here and in every submodule (Dropout, BatchNorm), in JS and in TorchScript. */
  override train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`ScriptModule.train: mode must be a boolean, got ${typeof mode}`);
    super.train(mode);
    this.syncModes();
    return this;
  }

  /**
   * Runs the module's forward. Arguments: Tensors, numbers (an int or a float as forward's
   * signature declares; a bigint is always an int), booleans, strings, null, arrays (lists and
   * tuples), plain objects or Maps (dicts). Results come back the same way (tuples as arrays);
   * the type parameter only names what you expect, it is not checked.
   */
  override forward<T extends ScriptValue = Tensor>(...args: ScriptValue[]): T {
    return this.syncModes().forward(args) as T;
  }

  /** Runs another method compiled into the module (@torch.jit.export in Python). */
  callMethod<T extends ScriptValue = Tensor>(name: string, ...args: ScriptValue[]): T {
    if (typeof name !== 'string') throw new TypeError(`ScriptModule.callMethod: name must be a string, got ${typeof name}`);
    return this.syncModes().runMethod(name, args) as T;
  }

  /** The names of the methods compiled into the module. */
  methodNames(): string[] {
    return this.live().methodNames();
  }

  /** A method's TorchScript signature, e.g. 'forward(__torch__.Net self, Tensor x) -> Tensor'. */
  methodSchema(name = 'forward'): string {
    return this.live().methodSchema(name);
  }

  /** Writes the module (code, parameters, buffers, training flags) as a TorchScript archive torch.jit.load reads. */
  save(path: string): void {
    if (typeof path !== 'string' || path === '') throw new TypeError(`ScriptModule.save: path must be a non-empty string, got ${JSON.stringify(path)}`);
    this.syncModes().save(path);
  }

  private release(): void {
    this._native.free();
  }

  /** Frees the native module, its submodules, parameters and buffers now; later use throws. Call it on jit.load's result. */
  dispose(): void {
    if (this._root !== this) throw new Error(`ScriptModule.dispose: this is a submodule of ${this.path}; dispose the module jit.load returned`);
    if (this._native.isFreed) return;
    const tensors = new Set<Tensor>([...this.parameters(), ...this.buffers()]);
    for (const v of this.views()) v.release();
    for (const t of tensors) t.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  override extraRepr(): string {
    return `original_name=${this.originalName}`;
  }
}
