// io.save: a state dict, or any nesting of dicts, lists, tuples, tensors and Python scalars (an
// optimizer's state_dict()), in PyTorch's torch.save format, which Python's torch.load reads with
// its default weights_only=True. The archive holds what torch 2.x's torch.save writes:
// <name>/data.pkl (the value pickled at protocol 2, each tensor a _rebuild_tensor_v2 call on
// a persistent storage id ('storage', torch.<Type>Storage, key, 'cpu', numel)), the raw storage
// bytes as <name>/data/<key>, and the version, byteorder, .format_version, .storage_alignment
// and .data/serialization_id records, in torch's order.
import type { DType } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import { writeFileAtomic } from './file-io.js';
import { MAX_NESTING, PyTuple } from './pickle-reader.js';
import { PickleWriter } from './pickle-writer.js';
import { byteLengthOf, tensorPieces } from './tensor-data.js';
import { archiveName, writeTorchArchive } from './torch-archive.js';

/** A value io.save can store: tensors, Python scalars, and dicts, lists and tuples of them. */
export type SaveValue =
  | Tensor | number | bigint | string | boolean | null
  | readonly SaveValue[]
  | ReadonlyMap<string | number | bigint | boolean | null, SaveValue>
  | { readonly [key: string]: SaveValue };

export const STORAGE_TYPES: Record<DType, string> = {
  float32: 'FloatStorage', float64: 'DoubleStorage', float16: 'HalfStorage', bfloat16: 'BFloat16Storage',
  int64: 'LongStorage', int32: 'IntStorage', int16: 'ShortStorage', int8: 'CharStorage', uint8: 'ByteStorage', bool: 'BoolStorage',
};

/** Row-major strides, as torch gives a contiguous tensor (a 0-sized dim counts as 1). */
function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= Math.max(shape[i], 1);
  }
  return strides;
}

function intTuple(p: PickleWriter, values: number[]): void {
  if (values.length > 3) p.mark();
  for (const v of values) p.int(v);
  p.tuple(values.length);
}

/** Object keys in this form are Python ints below the top level (JS objects cannot have number keys). */
export const INT_KEY = /^(0|-?[1-9][0-9]*)$/;

type DictKey = string | number | bigint | boolean | null;
type Container = Tensor | readonly unknown[] | ReadonlyMap<unknown, unknown> | Record<string, unknown>;

const isPlainObject = (v: object) => [Object.prototype, null].includes(Object.getPrototypeOf(v));
const keyText = (k: unknown) => (typeof k === 'string' ? JSON.stringify(k) : typeof k === 'bigint' ? `${k}n` : String(k));

/** A key as Python gets it: an object's keys are str, except integer-form ones below the top level. */
function pythonKey(key: string, top: boolean): string | number {
  if (top || !INT_KEY.test(key)) return key;
  const n = Number(key);
  return Number.isSafeInteger(n) ? n : key;
}

function entriesOf(v: Container, top: boolean): [DictKey, unknown][] | null {
  if (v instanceof Map) return [...v.entries()];
  if (Array.isArray(v) || v instanceof Tensor) return null;
  return Object.entries(v).map(([k, x]) => [pythonKey(k, top), x]);
}

/**
 * Pass 1, before the file is touched: every value is checked (kind, nesting depth, no cycles,
 * no duplicate Python keys) and references are counted, so values met twice are written once
 * and fetched from the pickle memo after that, as Python's pickler does.
 */
function countReferences(root: unknown): Map<object, number> {
  const refs = new Map<object, number>();
  const open = new Set<object>();
  const visit = (v: unknown, where: string, depth: number): void => {
    if (v === null || ['number', 'bigint', 'string', 'boolean'].includes(typeof v)) return;
    const kinds = 'a Tensor, number, bigint, string, boolean, null, array, io.tuple, Map or plain object';
    if (typeof v !== 'object') throw new TypeError(`save: ${where} must be ${kinds}, got ${typeof v}${v === undefined ? ' (write null for None)' : ''}`);
    if (open.has(v)) throw new TypeError(`save: ${where} contains itself (a cycle); torch files can hold shared values but io.save refuses cycles`);
    const seen = refs.get(v) ?? 0;
    refs.set(v, seen + 1);
    if (seen) return;
    if (v instanceof Tensor) {
      if (v.isDisposed) throw new TypeError(`save: ${where} has been disposed`);
      return;
    }
    if (!(Array.isArray(v) || v instanceof Map || isPlainObject(v))) throw new TypeError(`save: ${where} must be ${kinds}, got a ${v.constructor?.name ?? 'object'}${ArrayBuffer.isView(v) ? ' (make it a tensor: torch.tensor(...))' : ''}`);
    if (depth >= MAX_NESTING) throw new RangeError(`save: ${where} is nested deeper than ${MAX_NESTING} levels`);
    open.add(v);
    const entries = entriesOf(v as Container, depth === 0);
    if (!entries) (v as unknown[]).forEach((x, i) => visit(x, `${where}[${i}]`, depth + 1));
    else {
      const keys = new Set<string>();
      for (const [k, x] of entries) {
        const key = k === true || k === false ? Number(k) : k; // Python: True == 1
        if (!(key === null || ['string', 'number', 'bigint'].includes(typeof key))) throw new TypeError(`save: ${where} has a key of type ${typeof key}; dict keys must be strings, numbers, bigints, booleans or null`);
        const id = typeof key === 'number' && !Number.isSafeInteger(key) ? `f${key}` : typeof key === 'string' ? `s${key}` : `i${String(key)}`;
        if (keys.has(id)) throw new TypeError(`save: ${where} has the key ${keyText(k)} twice as a Python key (1, 1n and true are one key in Python)`);
        keys.add(id);
        visit(x, `${where}[${keyText(k)}]`, depth + 1);
      }
    }
    open.delete(v);
  };
  visit(root, 'values', 0);
  return refs;
}

/**
 * Pass 2: the pickle, and the tensors whose bytes become the storage records, in key order
 * (their storage keys are their indexes). Exported for writers that copy the tensors' bytes
 * now and write the archive later (writeTorchArchive), as lib/checkpoint's background writer.
 */
export function pickleValue(root: unknown): { pickle: Uint8Array; tensors: Tensor[] } {
  const refs = countReferences(root);
  const memo = new Map<object, number>();
  const tensors: Tensor[] = [];
  const p = new PickleWriter().proto();
  const write = (v: unknown, top: boolean): void => {
    if (typeof v === 'number') return void (Number.isSafeInteger(v) && !Object.is(v, -0) ? p.int(v) : p.float(v));
    if (typeof v === 'bigint') return void p.int(v);
    if (typeof v === 'string') return void p.str(v);
    if (typeof v === 'boolean') return void p.bool(v);
    if (v === null) return void p.none();
    const obj = v as Container;
    const slot = memo.get(obj);
    if (slot !== undefined) return void p.get(slot);
    if (obj instanceof Tensor) writeTensor(p, obj, tensors.push(obj) - 1);
    else if (obj instanceof PyTuple) {
      if (obj.length > 3) p.mark();
      for (const x of obj) write(x, false);
      p.tuple(obj.length);
    } else {
      const entries = entriesOf(obj, top);
      // A state dict at the top is an OrderedDict, as torch.save(model.state_dict()) writes it.
      if (!entries) p.emptyList();
      else if (top && !(obj instanceof Map)) p.global('collections', 'OrderedDict').emptyTuple().reduce();
      else p.emptyDict();
      const items: unknown[] = entries ?? (obj as unknown[]);
      // Python's pickler batches items 1000 per SETITEMS / APPENDS.
      for (let i = 0; i < items.length; i++) {
        if (i % 1000 === 0) p.mark();
        if (entries) {
          const [k, x] = entries[i];
          write(k, false);
          write(x, false);
        } else write(items[i], false);
        if (i % 1000 === 999 || i === items.length - 1) (entries ? p.setItems() : p.appends());
      }
    }
    if (refs.get(obj)! > 1) {
      memo.set(obj, memo.size);
      p.put(memo.size - 1);
    }
  };
  write(root, true);
  return { pickle: p.stop().bytes(), tensors };
}

function writeTensor(p: PickleWriter, t: Tensor, key: number): void {
  const shape = t.shape;
  const numel = shape.reduce((n, d) => n * d, 1);
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  p.mark().str('storage').global('torch', STORAGE_TYPES[t.dtype]).str(String(key)).str('cpu').int(numel).tuple(5).persistentId();
  p.int(0);
  intTuple(p, shape);
  intTuple(p, contiguousStrides(shape));
  p.bool(t.requiresGrad).global('collections', 'OrderedDict').emptyTuple().reduce().tuple(6).reduce();
}

/**
 * Saves a value in torch.save's zip format, atomically: a state dict (name -> tensor or plain
 * value, written as an OrderedDict), or any nesting of plain objects and Maps (dicts), arrays
 * (lists), io.tuple(...) (tuples), tensors, numbers (safe integers as Python ints, other numbers,
 * -0, NaN and +-Infinity as floats), bigints (ints), strings, booleans and null (None), such as an
 * optimizer's stateDict(). Below the top level, object keys in integer form ('0', '-3') become
 * Python ints; a Map's keys keep their kind. Values met twice are stored once and stay shared;
 * cycles, nesting deeper than 100 levels and other kinds of values are refused (TypeError /
 * RangeError naming the place) before the file is touched. Tensors are written contiguous, on the
 * CPU, each with its own storage (views of one tensor do not stay shared). Key order is kept.
 */
export function save(path: string, value: SaveValue): void;
/** Any object, e.g. an optimizer's stateDict(): checked at run time as above. */
export function save(path: string, value: object): void;
export function save(path: string, value: unknown): void {
  const { pickle, tensors } = pickleValue(value);
  const storages = tensors.map((t) => ({ byteLength: byteLengthOf(t.dtype, t.shape), pieces: tensorPieces(t) }));
  writeFileAtomic(path, (sink) => writeTorchArchive(sink, archiveName(path), pickle, storages), 'io.save');
}
