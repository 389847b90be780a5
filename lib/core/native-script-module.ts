// A loaded TorchScript module at the Tensor level: lib/jit's ScriptModule tree holds these, never
// a module handle. Parameters and buffers come back as the native module's own tensors, wrapped
// once (tied tensors as one JS object), so gradients and in-place updates reach what the
// TorchScript code computes with.
import { native } from './addon.js';
import { type ModuleHandle, type NamedTensorEntry, type TensorHandle } from './native.js';
import { Parameter } from './parameter.js';
import { keep } from './scope.js';
import { type ScriptValue, fromWire, toWire } from './script-values.js';
import { type Tensor, wrap } from './tensor.js';

// The GC backstop for modules nobody freed; their tensors are freed by their own finalizers.
const finalizers = new FinalizationRegistry<ModuleHandle>((handle) => {
  try {
    native.jitFree(handle);
  } catch {
    // The environment is shutting down; the module table goes with it.
  }
});

/** Wraps native [name, handle, aliasOf] entries once; tied tensors share one JS object. */
function adoptAll<T extends Tensor>(entries: NamedTensorEntry[], make: (handle: TensorHandle) => T): [string, T][] {
  const out: [string, T][] = [];
  for (const [name, handle, aliasOf] of entries) {
    if (aliasOf >= 0) {
      native.free(handle);
      out.push([name, out[aliasOf][1]]);
    } else out.push([name, make(handle)]);
  }
  return out;
}

export class NativeScriptModule {
  #handle: ModuleHandle | -1;

  private constructor(handle: ModuleHandle) {
    this.#handle = handle;
    finalizers.register(this, handle, this);
  }

  /** Loads a TorchScript archive, its tensors onto `device` when given (libtorch's errors pass through). */
  static load(path: string, device?: string): NativeScriptModule {
    return new NativeScriptModule(device === undefined ? native.jitLoad(path) : native.jitLoad(path, device));
  }

  /** Whether free() has released it. */
  get isFreed(): boolean {
    return this.#handle === -1;
  }

  private get handle(): ModuleHandle {
    if (this.#handle === -1) throw new Error('TorchScript module used after it was freed');
    return this.#handle;
  }

  /** The class the module was scripted from, e.g. 'Linear' (Python's original_name). */
  typeName(): string {
    return native.jitTypeName(this.handle);
  }

  isTraining(): boolean {
    return native.jitIsTraining(this.handle);
  }

  /** Sets the training flag: recursively (Module.train()), or of this module only. */
  train(mode: boolean, recursive: boolean): void {
    native.jitTrain(this.handle, mode, recursive);
  }

  /** Every submodule in named_modules() order (not this one), each its own NativeScriptModule. */
  namedModules(): [string, NativeScriptModule][] {
    return native.jitNamedModules(this.handle).map(([name, handle]) => [name, new NativeScriptModule(handle)]);
  }

  /**
   * The parameters as Parameters that ARE the module's tensors (a copy would never get a
   * gradient), kept out of every scope; tied ones come back as one object.
   */
  namedParameters(recurse = true): [string, Parameter][] {
    return adoptAll(native.jitNamedParameters(this.handle, recurse), (h) => Parameter.adopt(h));
  }

  /** The buffers, the module's own tensors, kept out of every scope. */
  namedBuffers(recurse = true): [string, Tensor][] {
    return adoptAll(native.jitNamedBuffers(this.handle, recurse), (h) => keep(wrap(h)));
  }

  /** Runs forward; tensors in the result are owned by the current torch.scope. */
  forward(args: readonly ScriptValue[]): ScriptValue {
    return fromWire(native.jitForward(this.handle, args.map((a, i) => toWire(a, `forward: argument ${i + 1}`))));
  }

  /** Runs another compiled method (@torch.jit.export in Python). */
  runMethod(name: string, args: readonly ScriptValue[]): ScriptValue {
    return fromWire(native.jitRunMethod(this.handle, name, args.map((a, i) => toWire(a, `${name}: argument ${i + 1}`))));
  }

  methodNames(): string[] {
    return native.jitMethodNames(this.handle);
  }

  /** A method's TorchScript signature, e.g. 'forward(__torch__.Net self, Tensor x) -> Tensor'. */
  methodSchema(name: string): string {
    return native.jitMethodSchema(this.handle, name);
  }

  /** Writes a TorchScript archive torch.jit.load reads. */
  save(path: string): void {
    native.jitSave(this.handle, path);
  }

  /** Releases the native module (not its parameters and buffers, which have handles of their own). A second free is a no-op. */
  free(): void {
    if (this.#handle === -1) return;
    finalizers.unregister(this);
    native.jitFree(this.#handle);
    this.#handle = -1;
  }
}
