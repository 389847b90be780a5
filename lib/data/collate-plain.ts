// The first half of the default collate: samples -> a "plain batch" of typed arrays with shapes
// and dtypes, padded, with attention masks, validated. It makes no tensors, so it runs in worker
// threads (whose results cross to the main thread as transferable buffers); the main thread then
// makes each tensor with one copy (plainToTensors in collate.ts).
import { type DType, fitsDType } from '../core/dtype.js';
import {
  type CollateOptions, type CollateRules, type ElementKind, dataError, dtypeFor, isPaddedField, isPlainObject,
  padValueFor, resolveCollateOptions, sampleName, typedArrayKind,
} from './collate-rules.js';
import { type EmptySample, partitionEmpty } from './empty-samples.js';

export type StorageArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** A tensor to be: its elements (in a storage array the tensor constructor copies from), shape and dtype. */
export interface PlainTensor { kind: 'tensor'; dtype: DType; shape: number[]; data: StorageArray }
/** Values passed through as a list (strings, or objects such as tensors collated on the main thread). */
export interface PlainList { kind: 'list'; values: unknown[] }
export interface PlainDict { kind: 'dict'; fields: Record<string, PlainValue> }
export type PlainValue = PlainTensor | PlainList | PlainDict;

export interface PlainBatch {
  /** Undefined when every sample was filtered out. */
  value: PlainValue | undefined;
  /** Samples in the batch. */
  size: number;
  /** Batch positions of the samples kept, in order. */
  kept: number[];
  /** Samples dropped as empty (index: their batch position), and which fields made them so. */
  filtered: EmptySample[];
}

type Leaf = ArrayLike<unknown>;
interface ArrayInfo { shape: number[]; leaves: Leaf[]; kind: ElementKind }

/** Collates samples into a plain batch. Throws DataError naming the field and sample on bad input. */
export function collatePlain(samples: readonly unknown[], options: CollateOptions | CollateRules = {}): PlainBatch {
  if (!Array.isArray(samples)) throw new TypeError('collate: samples must be an array');
  const rules = 'idFields' in options && options.idFields instanceof Set ? options as CollateRules : resolveCollateOptions(options as CollateOptions);
  const { kept: keptSamples, keptIndices: kept, empty: filtered } = partitionEmpty(samples, samples.map((_, i) => i), rules.filterEmpty);
  if (kept.length === 0) return { value: undefined, size: 0, kept, filtered };
  const value = collateValue(rules, '', keptSamples, kept, true);
  return { value, size: kept.length, kept, filtered };
}

/** The buffers of a plain batch, to transfer rather than copy between threads. */
export function transferList(value: PlainValue | undefined, into: ArrayBuffer[] = []): ArrayBuffer[] {
  if (!value) return into;
  if (value.kind === 'tensor') into.push(value.data.buffer as ArrayBuffer);
  else if (value.kind === 'dict') for (const v of Object.values(value.fields)) transferList(v, into);
  return into;
}

type Kind = 'missing' | 'number' | 'bigint' | 'boolean' | 'string' | 'array' | 'dict' | 'object' | 'invalid';

function kindOf(v: unknown): Kind {
  if (v === undefined || v === null) return 'missing';
  switch (typeof v) {
    case 'number': return 'number';
    case 'bigint': return 'bigint';
    case 'boolean': return 'boolean';
    case 'string': return 'string';
    case 'object':
      if (Array.isArray(v)) return 'array';
      if (ArrayBuffer.isView(v)) return typedArrayKind(v) ? 'array' : 'invalid';
      if (isPlainObject(v)) return 'dict';
      return 'object';
    default: return 'invalid';
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return isPlainObject(v) ? 'an object' : `a ${(v as object).constructor?.name ?? 'object'}`;
  return `a ${typeof v}`;
}

function collateValue(rules: CollateRules, field: string, values: unknown[], positions: number[], top: boolean): PlainValue {
  const kinds = values.map(kindOf);
  const first = kinds[0]!;
  kinds.forEach((k, i) => {
    if (k === 'missing') {
      throw dataError(rules, field, positions[i]!, `${field ? 'has no value' : 'is missing'}${values[i] === null ? ' (null)' : ''}${i > 0 && first !== 'missing' ? ` (${sampleName(rules, positions[0]!)} has one)` : ''}; every sample needs every field`);
    }
    if (k === 'invalid') throw dataError(rules, field, positions[i]!, `is ${describe(values[i])}, which cannot be collated; use numbers, booleans, bigints, strings, arrays, typed arrays or objects of them`);
    if (k !== first) throw dataError(rules, field, positions[i]!, `is ${describe(values[i])} but ${sampleName(rules, positions[0]!)} is ${describe(values[0])}; give every sample the same kind of value`);
  });
  switch (first) {
    case 'dict': return collateDict(rules, field, values as Record<string, unknown>[], positions, top);
    case 'number': case 'bigint': case 'boolean': return collateScalars(rules, field, values, positions);
    case 'array': return collateArrays(rules, field, values, positions).tensor;
    default: return { kind: 'list', values }; // strings, and objects such as tensors (stacked on the main thread)
  }
}

function collateDict(rules: CollateRules, prefix: string, values: Record<string, unknown>[], positions: number[], top: boolean): PlainDict {
  const keys = Object.keys(values[0]!);
  const name = (key: string) => (prefix ? `${prefix}.${key}` : key);
  values.forEach((v, i) => {
    for (const key of Object.keys(v)) {
      if (!keys.includes(key)) throw dataError(rules, name(key), positions[i]!, `has this field but ${sampleName(rules, positions[0]!)} does not; every sample needs the same fields`);
    }
  });
  const fields: Record<string, PlainValue> = {};
  for (const key of keys) {
    const path = name(key);
    const column = values.map((v) => v[key]);
    // The attention mask is built beside the inputs it describes (top-level fields only).
    if (top && path === rules.inputs && kindOf(column[0]) === 'array') {
      const { tensor, lengths, padded } = collateArrays(rules, path, column, positions);
      fields[key] = tensor;
      if (rules.buildMask && !keys.includes(rules.attentionMask)) fields[rules.attentionMask] = maskFor(lengths, padded, rules.left);
    } else {
      fields[key] = collateValue(rules, path, column, positions, false);
    }
  }
  return { kind: 'dict', fields };
}

function maskFor(lengths: number[], padded: number, left: boolean): PlainTensor {
  const data = new Int32Array(lengths.length * padded);
  lengths.forEach((len, b) => data.fill(1, b * padded + (left ? padded - len : 0), b * padded + (left ? padded : len)));
  return { kind: 'tensor', dtype: 'int64', shape: [lengths.length, padded], data };
}

function collateScalars(rules: CollateRules, field: string, values: unknown[], positions: number[]): PlainTensor {
  const kind: ElementKind = typeof values[0] === 'number' ? 'number' : typeof values[0] === 'bigint' ? 'bigint' : 'boolean';
  const dtype = dtypeFor(rules, field, kind);
  const data = allocate(dtype, kind, values.length);
  values.forEach((v, i) => writeValue(rules, field, positions[i]!, data, i, v, dtype, () => ''));
  return { kind: 'tensor', dtype, shape: [values.length], data };
}

/** Shape, innermost 1-D runs and element kind of one sample's (possibly nested) array. */
function describeArray(rules: CollateRules, field: string, position: number, value: unknown): ArrayInfo {
  if (ArrayBuffer.isView(value)) {
    const leaf = value as unknown as Leaf;
    return { shape: [leaf.length], leaves: [leaf], kind: leaf.length ? typedArrayKind(value)! : 'empty' };
  }
  const items = value as unknown[];
  if (items.length === 0) return { shape: [0], leaves: [], kind: 'empty' };
  const kinds = new Set(items.map(kindOf));
  if (kinds.size === 1 && (kinds.has('number') || kinds.has('bigint') || kinds.has('boolean'))) {
    return { shape: [items.length], leaves: [items], kind: typeof items[0] as 'number' | 'bigint' | 'boolean' };
  }
  if (kinds.size === 1 && kinds.has('array')) {
    const inner = items.map((item, j) => ({ j, info: describeArray(rules, field, position, item) }));
    const shape0 = inner[0]!.info.shape;
    let kind: ElementKind = 'empty';
    for (const { j, info } of inner) {
      if (info.shape.join() !== shape0.join()) {
        throw dataError(rules, field, position, `is ragged: element [${j}] has shape [${info.shape.join(', ')}] but element [0] has [${shape0.join(', ')}]; nested arrays must be rectangular (only the first dimension may differ between samples)`);
      }
      if (info.kind !== 'empty' && kind !== 'empty' && info.kind !== kind) throw dataError(rules, field, position, `mixes ${kind} and ${info.kind} elements`);
      if (info.kind !== 'empty') kind = info.kind;
    }
    return { shape: [items.length, ...shape0], leaves: inner.flatMap((x) => x.info.leaves), kind };
  }
  const bad = items.findIndex((item) => !['number', 'bigint', 'boolean', 'array'].includes(kindOf(item)) || kindOf(item) !== kindOf(items[0]));
  const at = bad < 0 ? 0 : bad;
  throw dataError(rules, field, position, `holds ${describe(items[at])} at [${at}]${bad > 0 ? ` after ${describe(items[0])}` : ''}; an array field holds numbers, bigints or booleans (or arrays of them), all of one kind`);
}

function collateArrays(rules: CollateRules, field: string, values: unknown[], positions: number[]): { tensor: PlainTensor; lengths: number[]; padded: number } {
  const infos = values.map((v, i) => describeArray(rules, field, positions[i]!, v));
  // The reference sample: the first with elements (an empty one says nothing about kind or rank).
  const refIndex = Math.max(0, infos.findIndex((x) => x.kind !== 'empty'));
  const ref = infos[refIndex]!;
  const inner = ref.shape.slice(1);
  infos.forEach((info, i) => {
    if (info.kind !== 'empty' && ref.kind !== 'empty' && info.kind !== ref.kind) {
      throw dataError(rules, field, positions[i]!, `holds ${info.kind} values but ${sampleName(rules, positions[refIndex]!)} holds ${ref.kind} values; give every sample the same kind (e.g. all Int32Array or all number arrays)`);
    }
    if (info.shape[0] === 0 && info.shape.length === 1) info.shape = [0, ...inner];
    if (info.shape.slice(1).join() !== inner.join()) {
      throw dataError(rules, field, positions[i]!, `has shape [${info.shape.join(', ')}] but ${sampleName(rules, positions[refIndex]!)} has [${ref.shape.join(', ')}]; only the first dimension can be padded, the others must agree`);
    }
  });
  const lengths = infos.map((x) => x.shape[0]!);
  const longest = Math.max(...lengths);
  const multiple = isPaddedField(rules, field) ? rules.padToMultipleOf : undefined;
  const padded = multiple ? Math.ceil(longest / multiple) * multiple : longest;
  const needsPad = lengths.some((len) => len !== padded);
  let pad: number | boolean | undefined;
  if (needsPad) {
    const found = padValueFor(rules, field);
    if ('missing' in found) {
      const shortest = lengths.indexOf(Math.min(...lengths));
      const longestAt = lengths.indexOf(longest);
      throw dataError(rules, field, positions[shortest]!, `has length ${lengths[shortest]} but ${sampleName(rules, positions[longestAt]!)} has length ${longest}${multiple ? ` (padding to a multiple of ${multiple})` : ''}, and the field cannot be padded: ${found.missing}`);
    }
    pad = found.value;
  }
  const kind = ref.kind;
  const dtype = dtypeFor(rules, field, kind);
  const innerSize = inner.reduce((a, b) => a * b, 1);
  const rowSize = padded * innerSize;
  const data = allocate(dtype, kind, values.length * rowSize);
  if (pad !== undefined) fillPad(data, pad);
  infos.forEach((info, b) => {
    const start = b * rowSize + (rules.left ? (padded - info.shape[0]!) * innerSize : 0);
    let done = 0;
    for (const leaf of info.leaves) {
      writeLeaf(rules, field, positions[b]!, data, start + done, leaf, dtype, info.shape, done);
      done += leaf.length;
    }
  });
  return { tensor: { kind: 'tensor', dtype, shape: [values.length, padded, ...inner], data }, lengths, padded };
}

/**
 * The array a tensor is built from. int64 goes through Float64Array (exact to 2^53; the native
 * copy converts) unless the values are bigints: making a BigInt per element costs far more.
 */
function allocate(dtype: DType, kind: ElementKind, n: number): StorageArray {
  switch (dtype) {
    case 'float64': return new Float64Array(n);
    case 'int64': return kind === 'bigint' || kind === 'bigint64' ? new BigInt64Array(n) : new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int16': return new Int16Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    default: return new Float32Array(n); // float32, and float16/bfloat16 (converted by the tensor copy)
  }
}

function fillPad(data: StorageArray, pad: number | boolean): void {
  const n = typeof pad === 'boolean' ? (pad ? 1 : 0) : pad;
  if (data instanceof BigInt64Array) data.fill(BigInt(n));
  else data.fill(n);
}

const isIntegerDType = (d: DType) => d === 'int64' || d === 'int32' || d === 'int16' || d === 'int8' || d === 'uint8';

/** Checks one element: NaN never passes, and an integer dtype needs an integer. */
function checkNumber(rules: CollateRules, field: string, position: number, v: number, dtype: DType, at: () => string): void {
  if (Number.isNaN(v)) throw dataError(rules, field, position, `has NaN${at()}; fix the sample or filter it out of the dataset`);
  if (isIntegerDType(dtype) && !Number.isInteger(v)) {
    throw dataError(rules, field, position, `has ${v}${at()}, not an integer, but the field is ${dtype}${rules.idFields.has(field) ? ' (an id field)' : ''}; fix the value, or declare the dtype with dtypes: { '${field}': 'float32' }`);
  }
}

function writeValue(rules: CollateRules, field: string, position: number, data: StorageArray, i: number, v: unknown, dtype: DType, at: () => string): void {
  // A typed array wraps what does not fit (300 into int8 is 44): refuse it, as torch.tensor does.
  if ((typeof v === 'number' || typeof v === 'bigint') && !Number.isNaN(v) && !fitsDType(v, dtype)) {
    throw dataError(rules, field, position, `has ${v}${at()}, which does not fit ${dtype} (value cannot be converted without overflow); fix the value, or declare a wider dtype with dtypes: { '${field}': 'int64' }`);
  }
  if (typeof v === 'number') {
    checkNumber(rules, field, position, v, dtype, at);
    if (data instanceof BigInt64Array) data[i] = BigInt(v);
    else data[i] = v;
  } else if (typeof v === 'bigint') {
    if (data instanceof BigInt64Array) data[i] = v;
    else data[i] = Number(v);
  } else {
    if (data instanceof BigInt64Array) data[i] = v ? 1n : 0n;
    else data[i] = v ? 1 : 0;
  }
}

function position(shape: number[], flat: number): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return ` at [${idx.join(', ')}]`;
}

function writeLeaf(rules: CollateRules, field: string, pos: number, data: StorageArray, offset: number, leaf: Leaf, dtype: DType, shape: number[], sampleOffset: number): void {
  const bigLeaf = leaf instanceof BigInt64Array || leaf instanceof BigUint64Array;
  const bigData = data instanceof BigInt64Array;
  const floatLeaf = leaf instanceof Float32Array || leaf instanceof Float64Array;
  // A typed array copies in bulk, unless its elements need checking (NaN; integers for an integer dtype).
  if (ArrayBuffer.isView(leaf) && bigLeaf === bigData && !(floatLeaf && (isIntegerDType(dtype) || hasNaN(leaf as Float32Array)))) {
    (data as Float64Array).set(leaf as unknown as Float64Array, offset);
    return;
  }
  for (let k = 0; k < leaf.length; k++) {
    const v = leaf[k];
    writeValue(rules, field, pos, data, offset + k, typeof v === 'bigint' && !bigData ? Number(v) : v, dtype, () => position(shape, sampleOffset + k));
  }
}

function hasNaN(a: Float32Array | Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) return true;
  return false;
}
