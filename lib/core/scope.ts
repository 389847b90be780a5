// The memory model (DESIGN.md section 3): every tensor made inside torch.scope() is freed when
// the scope ends unless it is returned (then it moves to the enclosing scope) or kept.
// Tensors made outside any scope are freed by dispose() or, as a last resort, by a GC finalizer.
// Scoped tensors never pay for a finalizer (registering one costs more than a whole tiny op).
// The current scope follows async contexts (AsyncLocalStorage), so scopes work across await.
import { AsyncLocalStorage } from 'node:async_hooks';
import { native } from './addon.js';
import { type TensorHandle } from './native.js';

/** What the scope machinery needs of a tensor (lib/core/tensor.ts implements it). */
export interface ScopedValue {
  /** Native handle; DISPOSED (-1) once freed. */
  _h: TensorHandle;
  /** OWNED_BY_SCOPE or OWNED_BY_GC. */
  _owner: number;
}

/** The handle of a freed tensor: the addon answers it with a clear "disposed" error. */
export const DISPOSED = -1 as TensorHandle;

export const OWNED_BY_SCOPE = 0;
export const OWNED_BY_GC = 1;

// An empty array literal starts with small-integer elements, so a scope's first tracked tensor
// changes its elements kind; track()'s push site then sees both kinds and V8 stops inlining it,
// calling its generic push builtin for every tensor (~125 instructions, about 2% of a tiny op).
// A list that starts with object elements keeps the site inlined.
function emptyTensorList(): ScopedValue[] {
  const list: ScopedValue[] = [null as unknown as ScopedValue];
  list.length = 0;
  return list;
}

class Scope {
  readonly tensors: ScopedValue[] = emptyTensorList();
  constructor(readonly parent: Scope | undefined, readonly name: string | undefined) {}
}

const storage = new AsyncLocalStorage<Scope>();
let isTensor: (value: unknown) => value is ScopedValue = (_v): _v is ScopedValue => false;

/** Called once by tensor.ts so that results can be searched for tensors without an import cycle. */
export function setTensorPredicate(predicate: (value: unknown) => value is ScopedValue): void {
  isTensor = predicate;
}

// ---- the GC backstop and debug records ----

let debugScopes = process.env.TORCHTRAIN_DEBUG_SCOPES === '1';
const debugStacks = new Map<TensorHandle, string>(); // handle -> where an unscoped tensor was made

const finalizers = new FinalizationRegistry<TensorHandle>((handle) => {
  debugStacks.delete(handle);
  try {
    native.free(handle);
  } catch {
    // The environment is shutting down; the table goes with it.
  }
});

function giveToGc(t: ScopedValue, stack?: string): void {
  t._owner = OWNED_BY_GC;
  finalizers.register(t, t._h, t);
  if (debugScopes) debugStacks.set(t._h, stack ?? new Error().stack?.split('\n').slice(3).join('\n') ?? '');
}

/** Gives a new tensor straight to the GC backstop, whatever scope is current (parameters, state). */
export function trackUnscoped(t: ScopedValue): void {
  giveToGc(t);
}

/** Records a new tensor with the current scope (or the GC, outside any scope). Hot path. */
export function track(t: ScopedValue): void {
  const scope = storage.getStore();
  if (scope !== undefined) scope.tensors.push(t);
  else giveToGc(t);
}

/** Frees a tensor now. A second dispose is a no-op. */
export function disposeTensor(t: ScopedValue): void {
  const handle = t._h;
  if (handle < 0) return;
  t._h = DISPOSED;
  if (t._owner === OWNED_BY_GC) {
    finalizers.unregister(t);
    if (debugScopes) debugStacks.delete(handle);
  }
  native.free(handle);
}

// ---- scopes ----

function collectTensors(value: unknown, into: Set<ScopedValue>, seen: Set<object>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 16) return;
  if (isTensor(value)) {
    into.add(value);
    return;
  }
  if (seen.has(value)) return;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    for (const item of value) collectTensors(item, into, seen, depth + 1);
  } else if (value instanceof Map) {
    for (const item of value.values()) collectTensors(item, into, seen, depth + 1);
  } else if (value instanceof Set) {
    for (const item of value) collectTensors(item, into, seen, depth + 1);
  } else if (!(value instanceof Promise)) {
    for (const key of Object.keys(value)) collectTensors((value as Record<string, unknown>)[key], into, seen, depth + 1);
  }
}

// Handles to free are gathered here and freed in one native call; reused to spare allocations.
let doomed = new Int32Array(1024);

function closeScope(scope: Scope, result: unknown): void {
  let survivors: Set<ScopedValue> | null = null;
  if (result !== null && typeof result === 'object') {
    survivors = new Set();
    collectTensors(result, survivors, new Set(), 0);
    if (survivors.size === 0) survivors = null;
  }
  const tensors = scope.tensors;
  if (doomed.length < tensors.length) doomed = new Int32Array(Math.max(tensors.length, doomed.length * 2));
  let count = 0;
  let escaped: ScopedValue[] | null = null;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    if (t._h < 0 || t._owner !== OWNED_BY_SCOPE) continue;
    if (survivors !== null && survivors.has(t)) {
      if (scope.parent) scope.parent.tensors.push(t);
      else (escaped ??= []).push(t);
    } else {
      doomed[count++] = t._h;
      t._h = DISPOSED;
    }
  }
  tensors.length = 0;
  if (count > 0) native.freeMany(doomed.subarray(0, count));
  if (escaped === null) return;
  for (const t of escaped) giveToGc(t, `returned from torch.scope(${scope.name ?? ''})`);
  if (debugScopes) {
    process.emitWarning(`torch.scope${scope.name ? ` '${scope.name}'` : ''} returned ${escaped.length} tensor(s) to unscoped code, where only dispose() or the GC frees them`, 'TorchScopeWarning');
  }
}

/**
 * Runs fn; every tensor made inside and not part of its result is freed when it ends (when its
 * promise settles, for an async fn). Returned tensors, also inside arrays and objects, survive
 * into the enclosing scope.
 */
export function scope<T>(fn: () => T, name?: string): T {
  if (typeof fn !== 'function') throw new TypeError('torch.scope: expected a function to run, got ' + typeof fn);
  const current = new Scope(storage.getStore(), name);
  let result: T;
  try {
    result = storage.run(current, fn);
  } catch (err) {
    closeScope(current, undefined);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        closeScope(current, value);
        return value;
      },
      (err) => {
        closeScope(current, undefined);
        throw err;
      },
    ) as T;
  }
  closeScope(current, result);
  return result;
}

/**
 * Takes tensors (also inside arrays and objects) out of scope ownership: they live until
 * dispose() or garbage collection. Parameters and optimizer state are kept this way.
 */
export function keep<T>(value: T): T {
  if (isTensor(value) && value._h < 0) {
    throw new TypeError('torch.keep: the tensor was already disposed (by dispose() or by the end of the torch.scope it was made in), so there is nothing to keep; call torch.keep() on it before its scope ends');
  }
  const found = new Set<ScopedValue>();
  collectTensors(value, found, new Set(), 0);
  for (const t of found) if (t._h >= 0 && t._owner === OWNED_BY_SCOPE) giveToGc(t, 'kept with torch.keep()');
  return value;
}

/** Frees every tensor in a value (a tensor, or arrays and objects holding tensors). */
export function dispose(value: unknown): void {
  const found = new Set<ScopedValue>();
  collectTensors(value, found, new Set(), 0);
  for (const t of found) disposeTensor(t);
}

/** How deeply scopes are nested here (0 outside any). */
export function scopeDepth(): number {
  let depth = 0;
  for (let s = storage.getStore(); s; s = s.parent) depth++;
  return depth;
}

/** Debug mode: records where unscoped tensors are made and warns when scopes leak tensors to them. */
export function setDebugScopes(on: boolean): void {
  debugScopes = on;
  if (!on) debugStacks.clear();
}

/** In debug mode, the live unscoped tensors and where each was made. */
export function leaks(): { handle: number; stack: string }[] {
  return [...debugStacks.entries()].map(([handle, stack]) => ({ handle, stack }));
}
