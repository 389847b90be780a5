// How a data profile reads an item: its fields by name (dicts as they are, TensorDataset tuples
// by the TaskSpec's input and label names, nested dicts with dotted names), each value as plain
// numbers with a shape, and which kind of field it is (tokens, image, label, ...) from the
// TaskSpec and the value itself.
import { Tensor } from '../core/tensor.js';
import { type TaskSpec } from '../task/spec.js';
import { type FieldKind } from './profile-types.js';

/** A field's value as numbers, or as text. */
export type ReadValue =
  | { kind: 'numbers'; values: ArrayLike<number>; shape: number[]; integer: boolean; dtype: string }
  | { kind: 'text'; text: string }
  | { kind: 'other'; dtype: string; size: number };

const INTEGER_ARRAYS = [Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array, Uint32Array, Uint8ClampedArray];
const AUXILIARY = new Set(['token_type_ids', 'position_ids', 'special_tokens_mask', 'offset_mapping', 'id', 'ids', 'index']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A tensor's data without a tensor: { kind: 'tensor', dtype, shape, data } (lib/data's PlainTensor form). */
interface HostTensor { kind: 'tensor'; dtype: string; shape: number[]; data: ArrayLike<number> | BigInt64Array }

function isHostTensor(v: unknown): v is HostTensor {
  const t = v as HostTensor;
  return isPlainObject(v) && t.kind === 'tensor' && typeof t.dtype === 'string' && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

function isValueLike(v: unknown): boolean {
  return v instanceof Tensor || ArrayBuffer.isView(v) || Array.isArray(v) || !isPlainObject(v) || isHostTensor(v);
}

/** An item's fields by name (absent fields are simply not there). */
export function itemFields(item: unknown, task: TaskSpec): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (Array.isArray(item) && item.length > 0 && item.every((v) => v instanceof Tensor || ArrayBuffer.isView(v))) {
    // a tuple row (TensorDataset(x, y)): PyTorch's (input, label) order
    const inputs = typeof task.fields.inputs === 'string' ? task.fields.inputs : 'inputs';
    const names = item.length === 2 ? [inputs, task.fields.labels] : item.map((_, i) => `[${i}]`);
    item.forEach((v, i) => out.set(names[i]!, v));
    return out;
  }
  if (!isPlainObject(item)) {
    out.set('item', item);
    return out;
  }
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [k, v] of Object.entries(obj)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (depth < 3 && !isValueLike(v)) walk(v as Record<string, unknown>, name, depth + 1);
      else out.set(name, v);
    }
  };
  walk(item, '', 0);
  return out;
}

/** Nested arrays of numbers: the flat values and the shape (of the first element at each level). */
function flattenArray(a: unknown[]): { values: number[]; shape: number[]; integer: boolean } | null {
  const values: number[] = [];
  const shape: number[] = [];
  let integer = true;
  let cur: unknown = a;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const visit = (x: unknown): boolean => {
    if (Array.isArray(x)) return x.every(visit);
    if (typeof x === 'number') {
      if (!Number.isInteger(x)) integer = false;
      values.push(x);
      return true;
    }
    if (typeof x === 'bigint') return values.push(Number(x)) > 0;
    if (typeof x === 'boolean') return values.push(x ? 1 : 0) > 0;
    return false;
  };
  return visit(a) ? { values, shape, integer } : null;
}

/** A value as plain numbers (or text); undefined for a missing one (null, undefined). */
export function readValue(v: unknown): ReadValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Tensor || isHostTensor(v)) {
    const data = v instanceof Tensor ? v.data() : v.data;
    const dtype = v.dtype;
    const values = data instanceof BigInt64Array ? Float64Array.from(data, Number) : (data as ArrayLike<number>);
    return { kind: 'numbers', values, shape: v.shape, integer: !dtype.startsWith('float') && !dtype.startsWith('bfloat'), dtype };
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
      return { kind: 'numbers', values: Float64Array.from(v as BigInt64Array, Number), shape: [v.length], integer: true, dtype: v.constructor.name };
    }
    const arr = v as unknown as ArrayLike<number> & { constructor: { name: string } };
    return { kind: 'numbers', values: arr, shape: [arr.length], integer: INTEGER_ARRAYS.some((C) => v instanceof C), dtype: arr.constructor.name };
  }
  if (typeof v === 'number') return { kind: 'numbers', values: [v], shape: [], integer: Number.isInteger(v), dtype: 'number' };
  if (typeof v === 'bigint') return { kind: 'numbers', values: [Number(v)], shape: [], integer: true, dtype: 'bigint' };
  if (typeof v === 'boolean') return { kind: 'numbers', values: [v ? 1 : 0], shape: [], integer: true, dtype: 'boolean' };
  if (typeof v === 'string') return { kind: 'text', text: v };
  if (Array.isArray(v)) {
    const flat = flattenArray(v);
    if (flat) return { kind: 'numbers', values: flat.values, shape: flat.shape, integer: flat.integer, dtype: 'array' };
    if (v.every((x) => typeof x === 'string')) return { kind: 'text', text: v.join(' ') };
    return { kind: 'other', dtype: 'array', size: v.length };
  }
  return { kind: 'other', dtype: typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v, size: 1 };
}

/** The TaskSpec's input fields that hold token ids, and those that hold images. */
function inputRoles(task: TaskSpec): { text: string[]; image: string[] } {
  const inputs = task.fields.inputs;
  if (typeof inputs === 'string') return task.modality === 'text' ? { text: [inputs], image: [] } : task.modality === 'vision' ? { text: [], image: [inputs] } : { text: [], image: [] };
  const text: string[] = [], image: string[] = [];
  for (const [role, name] of Object.entries(inputs)) (/image|pixel|vision/i.test(role) ? image : text).push(name);
  return { text, image };
}

const TOKEN_NAME = /(^|[._])(input_ids|token_ids|tokens)$/;

/** Which kind of field this is, from the TaskSpec and its first value. */
export function fieldKind(name: string, value: ReadValue, task: TaskSpec, maxColumns: number): FieldKind {
  if (name === task.fields.attentionMask || AUXILIARY.has(name.split('.').pop()!)) return 'auxiliary';
  if (name === task.fields.labels) return 'label';
  if (value.kind === 'text') return 'text';
  if (value.kind === 'other') return 'other';
  const roles = inputRoles(task);
  if (value.integer && (roles.text.includes(name) || TOKEN_NAME.test(name)) && value.shape.length >= 1) return 'tokens';
  if (roles.image.includes(name) || (!value.integer && value.shape.length >= 2)) return 'image';
  if (value.shape.length === 0 || value.values.length === 1) return 'numeric';
  if (value.shape.length === 1 && value.values.length <= maxColumns) return 'columns';
  return 'vector';
}
