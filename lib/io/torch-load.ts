// io.load: state dicts from PyTorch's torch.save zip format (torch >= 1.6, including 1.13 and
// 2.x). data.pkl is read by our own pickle subset (pickle-reader.ts) with an allow-list like
// torch.load's weights_only: OrderedDict, _rebuild_tensor_v2, _rebuild_parameter and the typed
// storage classes. Each storage is read once, at its offset, and every tensor becomes a view of
// it with the saved offset, size and stride, so views that shared a storage in Python (a state
// dict holding `w` and `w[1:]`) share it here too. io.loadValues reads flat state dicts;
// io.loadObject reads any nesting of dicts, lists and tuples (an optimizer's state_dict()).
import type { DType } from '../core/dtype.js';
import { itemSize, tensorFromBytes } from '../core/bytes.js';
import type { Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import { WeightsFileError } from './errors.js';
import { type ReadableFile, readAt, withReadableFile } from './file-io.js';
import { MAX_NESTING, PickleError, PyTuple, tuple, type PyValue, type UnpickleHooks, typeName, unpickle } from './pickle-reader.js';
import { INT_KEY, STORAGE_TYPES } from './torch-save.js';
import { readTensor } from './tensor-data.js';
import { ZipArchive } from './zip-reader.js';

/** A value io.loadValues returns: tensors, and the plain values a state dict may hold. */
export type LoadedValue = Tensor | number | bigint | string | boolean | null;

const DTYPE_OF_STORAGE = new Map(Object.entries(STORAGE_TYPES).map(([dtype, name]) => [name, dtype as DType]));
const ALLOWED = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);

class Callable { constructor(readonly qualname: string) {} }
class StorageType { constructor(readonly name: string, readonly dtype: DType) {} }
class StorageRef { constructor(readonly key: string, readonly dtype: DType, readonly numel: number) {} }
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[], readonly requiresGrad: boolean) {}
}

const isCount = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const counts = (v: PyValue): number[] | null => (Array.isArray(v) && v.every(isCount) ? [...(v as number[])] : null);

/** The allow-list: what data.pkl may name and call. Anything else is refused before it is used. */
function torchHooks(): UnpickleHooks {
  const storages = new Map<string, StorageRef>();
  return {
    findClass(module, name) {
      const qualname = `${module}.${name}`;
      if (ALLOWED.has(qualname)) return new Callable(qualname);
      if (module === 'torch' && DTYPE_OF_STORAGE.has(name)) return new StorageType(name, DTYPE_OF_STORAGE.get(name)!);
      if (module === 'torch' && name.endsWith('Storage')) throw new PickleError(`storage type torch.${name} holds a dtype torchtrain does not support (supported: ${[...DTYPE_OF_STORAGE.keys()].join(', ')})`);
      throw new PickleError(`global ${qualname} is not supported: io.load reads state dicts (name -> tensor, number, string, bool), the allow-listed globals being ${[...ALLOWED].join(', ')} and torch.<Type>Storage`);
    },
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') throw new PickleError(`persistent id ${describe(pid)} is not a ('storage', type, key, location, numel) tuple`);
      const [, type, key, , numel] = pid;
      if (!(type instanceof StorageType) || typeof key !== 'string' || !isCount(numel)) throw new PickleError(`malformed storage id ${describe(pid)}`);
      const id = `${key}\0${type.dtype}`;
      if (!storages.has(id)) storages.set(id, new StorageRef(key, type.dtype, numel));
      const ref = storages.get(id)!;
      if (ref.numel !== numel) throw new PickleError(`storage "${key}" is referenced with ${ref.numel} and ${numel} elements`);
      return ref;
    },
    call(fn, args) {
      const name = fn instanceof Callable ? fn.qualname : typeName(fn);
      if (name === 'collections.OrderedDict' && args.length === 0) return new Map();
      if (name === 'torch._utils._rebuild_tensor_v2' && (args.length === 6 || args.length === 7)) {
        const [storage, offset, size, stride, requiresGrad] = args;
        const sizes = counts(size), strides = counts(stride);
        if (!(storage instanceof StorageRef) || !isCount(offset) || !sizes || !strides || sizes.length !== strides.length || typeof requiresGrad !== 'boolean') {
          throw new PickleError(`_rebuild_tensor_v2 got malformed arguments (storage, offset ${describe(offset)}, size ${describe(size)}, stride ${describe(stride)})`);
        }
        return new TensorRef(storage, offset, sizes, strides, requiresGrad);
      }
      if ((name === 'torch._utils._rebuild_parameter' && args.length === 3) || (name === 'torch._utils._rebuild_parameter_with_state' && args.length === 4)) {
        const [data, requiresGrad] = args;
        if (!(data instanceof TensorRef) || typeof requiresGrad !== 'boolean') throw new PickleError(`${name} got malformed arguments`);
        return new TensorRef(data.storage, data.offset, data.size, data.stride, requiresGrad);
      }
      throw new PickleError(`${name} called with ${args.length} arguments is not supported`);
    },
    build(obj) {
      // An OrderedDict's state is its attributes (a module's state_dict carries `_metadata`,
      // the layers' versions), which a flat name -> tensor result has no place for.
      if (!(obj instanceof Map)) throw new PickleError(`BUILD (setting state) on a ${typeName(obj)} is not supported`);
    },
  };
}

function describe(v: PyValue): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === null) return String(v);
  return typeName(v);
}

/** torch.save archives' first entry is <archive>/...: every record lives under that folder. */
function archivePrefix(zip: ZipArchive, file: string): string {
  const first = zip.entries.keys().next().value;
  const slash = first?.indexOf('/') ?? -1;
  if (first === undefined || slash < 0) throw new WeightsFileError(file, 'zip', 'is a zip archive, but not one torch.save wrote (its records must sit in one top-level folder)');
  return first.slice(0, slash);
}

function readPickle(zip: ZipArchive, file: string): PyValue {
  const prefix = archivePrefix(zip, file);
  const entry = (name: string) => zip.entries.get(`${prefix}/${name}`);
  // TorchScript archives (torch.jit.save) share the container, and have a data.pkl too.
  if (entry('constants.pkl') || [...zip.entries.keys()].some((k) => k.startsWith(`${prefix}/code/`))) {
    throw new WeightsFileError(file, 'zip', 'is a TorchScript archive (torch.jit.save), not a torch.save file: load it with jit.load');
  }
  const pkl = entry('data.pkl');
  if (!pkl) throw new WeightsFileError(file, 'zip', `has no ${prefix}/data.pkl, so it is not a torch.save file`);
  const version = entry('version') ?? entry('.data/version');
  if (!version) throw new WeightsFileError(file, 'zip', `has no ${prefix}/version record (not a torch.save file, or corrupt)`);
  if (version.size > 64 || !/^\s*\d+\s*$/.test(zip.read(version).toString('latin1'))) throw new WeightsFileError(file, `${prefix}/version`, 'is not a version number');
  const byteorder = entry('byteorder');
  if (byteorder && zip.read(byteorder).toString('latin1') !== 'little') {
    throw new WeightsFileError(file, `${prefix}/byteorder`, 'is not "little": big-endian checkpoints are not supported; re-save it on a little-endian machine');
  }
  try {
    return unpickle(zip.read(pkl), torchHooks());
  } catch (err) {
    if (err instanceof PickleError) throw new WeightsFileError(file, `${prefix}/data.pkl`, err.message);
    throw err;
  }
}

/** The archive of a zip-format torch.save file, or a WeightsFileError for anything else. */
function openArchive(f: ReadableFile, path: string): ZipArchive {
  const magic = readAt(f, 0, Math.min(4, f.size), 'file start');
  if (magic.length < 4 || magic.readUInt32LE(0) !== 0x04034b50) {
    const legacy = magic[0] === 0x80;
    throw new WeightsFileError(path, '', legacy
      ? 'is a legacy (pre-1.6, non-zip) torch.save file, which is not supported: in Python, torch.save(torch.load(path), path) rewrites it in the zip format'
      : 'is not a torch.save file (it does not start with a zip header)');
  }
  return ZipArchive.open(f);
}

/** Name -> value of a torch.save file holding a dict (or OrderedDict); tensors land on the CPU. */
export function loadValues(path: string): Record<string, LoadedValue> {
  return withReadableFile(path, (f) => {
    const zip = openArchive(f, path);
    const root = readPickle(zip, path);
    const prefix = archivePrefix(zip, path);
    if (!(root instanceof Map)) throw new WeightsFileError(path, `${prefix}/data.pkl`, `holds a ${root instanceof TensorRef ? 'single tensor' : typeName(root)}, not a dict of tensors (a state dict)`);
    const storages = new Map<StorageRef, Tensor>();
    const uses = new Map<StorageRef, number>();
    for (const value of root.values()) if (value instanceof TensorRef) uses.set(value.storage, (uses.get(value.storage) ?? 0) + 1);
    const out: [string, LoadedValue][] = [];
    try {
      for (const [key, value] of root) {
        if (typeof key !== 'string') throw new WeightsFileError(path, `${prefix}/data.pkl`, `has a ${typeName(key)} key; state dict keys are strings`);
        if (value instanceof TensorRef) out.push([key, materialize(zip, value, uses.get(value.storage) === 1 ? null : storages, path, key)]);
        else if (value === null || ['number', 'bigint', 'string', 'boolean'].includes(typeof value)) out.push([key, value as LoadedValue]);
        else throw new WeightsFileError(path, `${prefix}/data.pkl, key "${key}"`, `holds a ${typeName(value)}; io.load reads flat state dicts (tensors, numbers, strings, bools)`);
      }
    } catch (err) {
      for (const [, v] of out) if (typeof v === 'object' && v !== null) v.dispose();
      throw err;
    } finally {
      for (const s of storages.values()) s.dispose();
    }
    return Object.fromEntries(out);
  });
}

/** Whether the view is its whole storage in row-major order (strides of size-1 dims do not matter). */
function coversStorage(ref: TensorRef, numel: number): boolean {
  if (ref.offset !== 0 || numel !== ref.storage.numel) return false;
  let step = 1;
  for (let i = ref.size.length - 1; i >= 0; i--) {
    if (ref.size[i] !== 1 && ref.stride[i] !== step) return false;
    step *= ref.size[i];
  }
  return true;
}

/**
 * The tensor for one reference. A storage only this tensor uses, covered whole and in order (the
 * usual state dict entry), is read straight into a tensor of its shape; otherwise the storage is
 * read once into `storages` and the tensor is a view of it with the saved offset and strides.
 */
function materialize(zip: ZipArchive, ref: TensorRef, storages: Map<StorageRef, Tensor> | null, file: string, key: string): Tensor {
  const s = ref.storage;
  const fail = (problem: string): never => { throw new WeightsFileError(file, `tensor "${key}"`, problem); };
  const numel = ref.size.reduce((n, d) => n * d, 1);
  if (numel === 0) return withGrad(tensorFromBytes(new Uint8Array(0), s.dtype, ref.size), ref);
  // The farthest element this view reaches must lie inside its storage.
  const last = ref.size.reduce((acc, d, i) => acc + (d - 1) * ref.stride[i], ref.offset);
  if (!Number.isSafeInteger(last) || last >= s.numel) fail(`offset ${ref.offset}, size [${ref.size}], stride [${ref.stride}] reach element ${last} of a storage with ${s.numel}`);
  const read = (shape: number[]): Tensor => {
    const prefix = archivePrefix(zip, file);
    const entry = zip.entries.get(`${prefix}/data/${s.key}`) ?? fail(`its storage record ${prefix}/data/${s.key} is missing`);
    const bytes = s.numel * itemSize(s.dtype);
    if (entry.size !== bytes) fail(`storage ${prefix}/data/${s.key} holds ${entry.size} bytes, but ${s.numel} elements of ${s.dtype} need ${bytes}`);
    const reader = zip.reader(entry);
    const t = readTensor(reader.read, bytes, s.dtype, shape);
    try {
      reader.verify();
    } catch (err) {
      t.dispose();
      throw err;
    }
    return t;
  };
  if (!storages && coversStorage(ref, numel)) return withGrad(read(ref.size), ref);
  const cache = storages ?? new Map<StorageRef, Tensor>();
  let storage = cache.get(s);
  if (!storage) cache.set(s, (storage = read([s.numel])));
  try {
    return withGrad(torch.ops.aten.as_strided(storage, ref.size, ref.stride, ref.offset) as Tensor, ref);
  } finally {
    if (!storages) storage.dispose();
  }
}

function withGrad(t: Tensor, ref: TensorRef): Tensor {
  return ref.requiresGrad && torch.isFloatingPoint(ref.storage.dtype) ? t.requiresGrad_(true) : t;
}

/** Name -> tensor of a torch.save file holding a state dict; any non-tensor value is an error (see loadValues). */
export function load(path: string): Record<string, Tensor> {
  const values = loadValues(path);
  const other = Object.entries(values).find(([, v]) => typeof v !== 'object' || v === null);
  if (other) {
    for (const v of Object.values(values)) if (typeof v === 'object' && v !== null) v.dispose();
    throw new WeightsFileError(path, `key "${other[0]}"`, `holds a ${typeof other[1]} (${String(other[1])}), not a tensor; use io.loadValues to read tensors and plain values together`);
  }
  return values as Record<string, Tensor>;
}

/** What io.loadObject returns: tensors and Python scalars, nested in dicts, lists and tuples. */
export type LoadedObject =
  | LoadedValue | Uint8Array | LoadedObject[] | PyTuple<LoadedObject>
  | Map<LoadedObject, LoadedObject> | { [key: string]: LoadedObject };

/**
 * The keys a dict keeps as a plain object, or null when only a Map keeps them (the inverse of
 * io.save's rule): str keys, and below the top level also int keys (as their decimal text); a str
 * key in integer form below the top, an int key at the top, or any other key (float, tuple, None,
 * big int) needs a Map.
 */
function objectKeys(dict: Map<PyValue, PyValue>, top: boolean): string[] | null {
  const keys: string[] = [];
  for (const k of dict.keys()) {
    if (typeof k === 'string' && (top || !INT_KEY.test(k))) keys.push(k);
    else if (typeof k === 'number' && !top && Number.isSafeInteger(k) && !Object.is(k, -0)) keys.push(String(k));
    else return null;
  }
  return keys;
}

const where = (path: string) => path || 'the root value';
/** A readable path to a value, as `state[0].exp_avg` or `param_groups[0].betas`. */
const child = (path: string, key: PyValue) => (typeof key === 'string' && !INT_KEY.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${describe(key)}]`);

/**
 * Any value a torch.save file holds, nested (an optimizer's state_dict(), a checkpoint dict),
 * built from the same allow-list as io.load (so Python's weights_only files read). Dicts come
 * back as plain objects when the keys allow (str keys; below the top also int keys, as '0', '1',
 * ... in ascending order, as JS orders such keys), else as Maps; lists as arrays; tuples as
 * PyTuple (an array that io.save writes back as a tuple); ints as numbers (bigints beyond 2^53);
 * floats as numbers (so 1.0 reads as 1 and would be written back as an int); None as null; bytes
 * as Uint8Array. Values the file shares (one tensor under two names) come back shared. Nesting
 * deeper than 100 levels and self-containing values are refused with a WeightsFileError.
 */
export function loadObject(path: string): LoadedObject {
  return withReadableFile(path, (f) => {
    const zip = openArchive(f, path);
    const root = readPickle(zip, path);
    const prefix = archivePrefix(zip, path);
    const fail = (at: string, problem: string): never => { throw new WeightsFileError(path, `${prefix}/data.pkl, ${where(at)}`, problem); };
    // Pass 1: shape checks (depth, cycles) and the tensors, so a storage's users are known first.
    const refs = new Map<TensorRef, string>();
    const seen = new Set<object>(), open = new Set<object>();
    const visit = (v: PyValue, at: string, depth: number): void => {
      if (v instanceof TensorRef) return void (refs.has(v) || refs.set(v, where(at)));
      if (!(Array.isArray(v) || v instanceof Map)) {
        if (v === null || v instanceof Uint8Array || typeof v !== 'object') return;
        fail(at, `holds a ${v instanceof Callable || v instanceof StorageType ? 'Python class or function itself' : typeName(v)}, not a value (io.loadObject returns tensors, scalars, dicts, lists and tuples)`);
      }
      if (open.has(v)) fail(at, 'contains itself (a cycle), which io.loadObject does not return');
      if (seen.has(v)) return;
      if (depth >= MAX_NESTING) fail(at, `is nested deeper than ${MAX_NESTING} levels`);
      seen.add(v);
      open.add(v);
      if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${at}[${i}]`, depth + 1));
      else for (const [k, x] of v as Map<PyValue, PyValue>) (visit(k, `${at} (a key)`, depth + 1), visit(x, child(at, k), depth + 1));
      open.delete(v);
    };
    visit(root, '', 0);
    const uses = new Map<StorageRef, number>();
    for (const ref of refs.keys()) uses.set(ref.storage, (uses.get(ref.storage) ?? 0) + 1);
    // Pass 2: the JS values, each shared Python object converted once.
    const storages = new Map<StorageRef, Tensor>();
    const made: Tensor[] = [];
    const done = new Map<object, LoadedObject>();
    const convert = (v: PyValue, top: boolean): LoadedObject => {
      if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v as LoadedObject;
      if (done.has(v)) return done.get(v)!;
      let out: LoadedObject;
      if (v instanceof TensorRef) {
        out = materialize(zip, v, uses.get(v.storage) === 1 ? null : storages, path, refs.get(v)!);
        made.push(out);
      } else if (v instanceof PyTuple) out = tuple(v.map((x) => convert(x, false)));
      else if (Array.isArray(v)) out = v.map((x) => convert(x, false));
      else {
        const dict = v as Map<PyValue, PyValue>;
        const keys = objectKeys(dict, top);
        const values = [...dict.values()].map((x) => convert(x, false));
        out = keys ? Object.fromEntries(keys.map((k, i) => [k, values[i]])) : new Map([...dict.keys()].map((k, i) => [convert(k, false), values[i]]));
      }
      done.set(v, out);
      return out;
    };
    try {
      return convert(root, true);
    } catch (err) {
      for (const t of made) t.dispose();
      throw err;
    } finally {
      for (const s of storages.values()) s.dispose();
    }
  });
}
