// The Tensor class: a plain JS object holding one integer handle into the addon's tensor table
// (DESIGN.md section 3: one handle, one at::Tensor reference). Operations live in the
// tensor-*.ts files, which add methods to this class's prototype.
import { native } from './addon.js';
import { type AnyTypedArray, type DType, dtypeFromCode, viewBytes } from './dtype.js';
import { formatTensor } from './format.js';
import { noteHostRead } from './host-reads.js';
import { type NoTensor, type TensorHandle } from './native.js';
import { OWNED_BY_SCOPE, type ScopedValue, disposeTensor, setTensorPredicate, track } from './scope.js';

export type Scalar = number | boolean;
export type NestedArray<T> = T | NestedArray<T>[];

// An int64 element as a number, refused where a number would round it to another integer.
function exactNumber(v: bigint, index: number): number {
  if (v > 2n ** 53n || v < -(2n ** 53n)) {
    throw new RangeError(`tolist: element ${index} (flat) is ${v}, beyond 2^53, where a JavaScript number cannot hold it exactly; read int64 values with data() (a BigInt64Array)`);
  }
  return Number(v);
}

// Node's util.inspect.custom is this registered symbol; naming it so keeps Node's types out of
// the published .d.ts (consumers need no @types/node).
const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

export class Tensor implements ScopedValue {
  // `declare`: the fields are assigned in the constructor only. A class-field declaration would
  // first define them as undefined and then change their representation, which makes every
  // tensor allocation markedly slower in V8.
  /** @internal native handle; -1 once disposed. */
  declare _h: TensorHandle;
  /** @internal who frees it: its scope, or the GC backstop. */
  declare _owner: number;

  /** @internal use torch.tensor() and the other factories. */
  constructor(handle: TensorHandle) {
    this._h = handle;
    this._owner = OWNED_BY_SCOPE;
  }

  get shape(): number[] {
    return native.shape(this._h);
  }

  /** size() is the shape; size(dim) one entry of it (negative dims count from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    const shape = this.shape;
    if (dim === undefined) return shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (!Number.isInteger(d) || d < 0 || d >= shape.length) {
      throw new RangeError(`size: dim ${dim} is out of range for a ${shape.length}-d tensor (use -${shape.length} to ${shape.length - 1})`);
    }
    return shape[d];
  }

  get ndim(): number {
    return native.dim(this._h);
  }

  dim(): number {
    return native.dim(this._h);
  }

  numel(): number {
    return native.numel(this._h);
  }

  get dtype(): DType {
    return dtypeFromCode(native.dtype(this._h));
  }

  /** 'cpu', 'cuda:0', ... */
  get device(): string {
    return native.device(this._h);
  }

  get isCuda(): boolean {
    return this.device.startsWith('cuda');
  }

  stride(): number[] {
    return native.strides(this._h);
  }

  isContiguous(): boolean {
    return native.isContiguous(this._h);
  }

  elementSize(): number {
    return native.elementSize(this._h);
  }

  /** Whether dispose() (or the end of its scope) has freed this tensor. */
  get isDisposed(): boolean {
    return this._h < 0;
  }

  /** Frees the native tensor now; later use throws. Views and other handles of the same storage live on. */
  dispose(): void {
    disposeTensor(this);
  }

  [Symbol.dispose](): void {
    disposeTensor(this);
  }

  /** A copy of the elements in row-major order: Float32Array for float32/float16/bfloat16, BigInt64Array for int64, Uint8Array for bool. */
  data(): AnyTypedArray {
    const dtype = this.dtype;
    noteHostRead();
    return viewBytes(dtype, native.toBuffer(this._h));
  }

  /**
   * The elements as nested arrays (int64 as numbers, bool as booleans), like Tensor.tolist(). An
   * int64 element beyond 2^53, which a number cannot hold exactly, is a RangeError: read those
   * with data() (a BigInt64Array).
   */
  tolist(): NestedArray<number | boolean> {
    const dtype = this.dtype;
    const flat = this.data();
    const convert: (i: number) => number | boolean =
      dtype === 'bool' ? (i) => flat[i] !== 0
      : dtype === 'int64' ? (i) => exactNumber((flat as BigInt64Array)[i], i)
      : (i) => (flat as Float32Array)[i];
    const shape = this.shape;
    if (shape.length === 0) return convert(0);
    let offset = 0;
    const build = (depth: number): NestedArray<number | boolean>[] => {
      const out: NestedArray<number | boolean>[] = new Array(shape[depth]);
      for (let i = 0; i < shape[depth]; i++) out[i] = depth === shape.length - 1 ? convert(offset++) : build(depth + 1);
      return out;
    };
    return build(0);
  }

  /** The value of a one-element tensor (an int64 beyond 2^53 is a RangeError: use itemBigInt()). */
  item(): number;
  item<T extends number | boolean>(): T;
  item(): number | boolean {
    noteHostRead();
    return native.item(this._h);
  }

  /** The value of a one-element integer tensor, without rounding through a double. */
  itemBigInt(): bigint {
    noteHostRead();
    return native.itemBigInt(this._h);
  }

  toString(): string {
    if (this._h < 0) return 'tensor(<disposed>)';
    return formatTensor(this);
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

setTensorPredicate((value): value is Tensor => value instanceof Tensor);

/** @internal Wraps a fresh handle from the addon into a tracked Tensor. */
export function wrap(handle: TensorHandle): Tensor {
  const t = new Tensor(handle);
  track(t);
  return t;
}

/** @internal Wraps a handle that may be -1 (no tensor). */
export function wrapOptional(handle: TensorHandle | NoTensor): Tensor | null {
  return handle === -1 ? null : wrap(handle);
}

/** @internal Wraps an array of handles. */
export function wrapList(handles: TensorHandle[]): Tensor[] {
  const out = new Array<Tensor>(handles.length);
  for (let i = 0; i < handles.length; i++) out[i] = wrap(handles[i]);
  return out;
}

/** @internal Wraps a [values, indices] pair. */
export function wrapPair(handles: [TensorHandle, TensorHandle]): [Tensor, Tensor] {
  return [wrap(handles[0]), wrap(handles[1])];
}

/** @internal The handle of a Tensor argument, with a clear TypeError for anything else. */
export function handleOf(value: unknown, fn: string, what = 'argument'): TensorHandle {
  if (value instanceof Tensor) return value._h;
  throw new TypeError(`${fn}: ${what} must be a Tensor, got ${describe(value)}`);
}

/** @internal The handles of a list of tensors, with a TypeError naming the first that is not one. */
export function handlesOf(tensors: readonly unknown[], fn: string, what: string): TensorHandle[] {
  const out = new Array<TensorHandle>(tensors.length);
  for (let i = 0; i < tensors.length; i++) out[i] = handleOf(tensors[i], fn, `${what}[${i}]`);
  return out;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return `${typeof value} ${String(value)}`;
}
