// Indexing as Python's x[...]: x.index(0, '1:3', null, '...', mask) reads, and
// x.indexPut_([0, ':'], value) writes. Items: an integer, a slice (a 'start:stop:step' string
// or torch.slice(start, stop, step)), null (a new axis), '...', a boolean, an index or mask
// Tensor, or an array of integers or booleans (made into an index or mask tensor).
import { native } from './addon.js';
import { type IndexSpecItem, type TensorHandle } from './native.js';
import { type Scalar, Tensor, describe, handleOf, wrap } from './tensor.js';

export interface Slice { start?: number | null; stop?: number | null; step?: number | null }
export type IndexItem = number | string | null | boolean | Slice | Tensor | number[] | boolean[];

/** A slice item, as Python's start:stop:step. */
export function slice(start?: number | null, stop?: number | null, step?: number | null): Slice {
  return { start: start ?? null, stop: stop ?? null, step: step ?? null };
}

declare module './tensor.js' {
  interface Tensor {
    /** x[items] as in Python; integers and slices give views. */
    index(...items: IndexItem[]): Tensor;
    /** x[items] = value, in place; returns a new handle to x. */
    indexPut_(items: IndexItem[], value: Tensor | Scalar): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    scatter(dim: number, index: Tensor, src: Tensor | Scalar, options?: { reduce?: 'add' | 'multiply' }): Tensor;
    scatter_(dim: number, index: Tensor, src: Tensor): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    scatterAdd_(dim: number, index: Tensor, src: Tensor): Tensor;
    scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: 'sum' | 'prod' | 'mean' | 'amax' | 'amin', options?: { includeSelf?: boolean }): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    indexAdd(dim: number, index: Tensor, source: Tensor): Tensor;
    maskedFill(mask: Tensor, value: Scalar | Tensor): Tensor;
    maskedFill_(mask: Tensor, value: Scalar | Tensor): Tensor;
    maskedSelect(mask: Tensor): Tensor;
    nonzero(): Tensor;
    /** torch.where(condition, this, other) */
    where(condition: Tensor, other: Tensor | Scalar): Tensor;
  }
}

function parseSliceString(text: string): [number | null, number | null, number | null] {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) throw new RangeError(`index: '${text}' is not a slice; write 'start:stop' or 'start:stop:step' (parts may be empty)`);
  return [0, 1, 2].map((i) => {
    const p = (parts[i] ?? '').trim();
    if (p === '') return null;
    const n = Number(p);
    if (!Number.isInteger(n)) throw new RangeError(`index: '${text}' has '${p}', which is not an integer`);
    return n;
  }) as [number | null, number | null, number | null];
}

// Builds the spec the addon reads; temporary tensors made from arrays are freed by the caller.
function encode(items: IndexItem[], temporaries: TensorHandle[]): IndexSpecItem[] {
  return items.map((item, position) => {
    if (typeof item === 'number' || typeof item === 'boolean' || item === null) return item;
    if (item === undefined) return null;
    if (typeof item === 'string') return item === '...' ? item : parseSliceString(item);
    if (item instanceof Tensor) return { tensor: item._h };
    if (Array.isArray(item)) {
      const isBool = item.length > 0 && item.every((v) => typeof v === 'boolean');
      if (!isBool && !item.every((v) => typeof v === 'number' && Number.isInteger(v))) {
        throw new TypeError(`index: the array at position ${position} must hold only integers or only booleans`);
      }
      const data = isBool ? Uint8Array.from(item as boolean[], (b) => (b ? 1 : 0)) : Float64Array.from(item as number[]);
      const h = native.fromData(data, isBool ? 11 : 4, [item.length]);
      temporaries.push(h);
      return { tensor: h };
    }
    if (typeof item === 'object') {
      const s = item as Slice;
      return [s.start ?? null, s.stop ?? null, s.step ?? null];
    }
    throw new TypeError(`index: item ${position} is ${describe(item)}; use integers, slices, null, '...', booleans or Tensors`);
  });
}

function withSpec<T>(items: IndexItem[], body: (spec: IndexSpecItem[]) => T): T {
  const temporaries: TensorHandle[] = [];
  try {
    return body(encode(items, temporaries));
  } finally {
    for (const h of temporaries) native.free(h);
  }
}

const proto = Tensor.prototype;

proto.index = function index(this: Tensor, ...items: IndexItem[]) {
  return withSpec(items, (spec) => wrap(native.index(this._h, spec)));
};

proto.indexPut_ = function indexPut_(this: Tensor, items: IndexItem[], value: Tensor | Scalar) {
  if (!Array.isArray(items)) throw new TypeError(`indexPut_: items must be an array of index items, got ${describe(items)}`);
  return withSpec(items, (spec) =>
    value instanceof Tensor ? wrap(native.indexPut_(this._h, spec, value._h, true)) : wrap(native.indexPut_(this._h, spec, value, false)));
};

proto.gather = function gather(this: Tensor, dim: number, index: Tensor) {
  return wrap(native.gather(this._h, dim, handleOf(index, 'gather', 'index')));
};
proto.scatter = function scatter(this: Tensor, dim: number, index: Tensor, src: Tensor | Scalar, options?: { reduce?: 'add' | 'multiply' }) {
  const ih = handleOf(index, 'scatter', 'index');
  if (src instanceof Tensor) return wrap(native.scatter(this._h, dim, ih, src._h, options?.reduce));
  return wrap(native.scatterValue(this._h, dim, ih, src));
};
proto.scatter_ = function scatter_(this: Tensor, dim: number, index: Tensor, src: Tensor) {
  return wrap(native.scatter_(this._h, dim, handleOf(index, 'scatter_', 'index'), handleOf(src, 'scatter_', 'src')));
};
proto.scatterAdd = function scatterAdd(this: Tensor, dim: number, index: Tensor, src: Tensor) {
  return wrap(native.scatterAdd(this._h, dim, handleOf(index, 'scatterAdd', 'index'), handleOf(src, 'scatterAdd', 'src')));
};
proto.scatterAdd_ = function scatterAdd_(this: Tensor, dim: number, index: Tensor, src: Tensor) {
  return wrap(native.scatterAdd_(this._h, dim, handleOf(index, 'scatterAdd_', 'index'), handleOf(src, 'scatterAdd_', 'src')));
};
proto.scatterReduce = function scatterReduce(this: Tensor, dim: number, index: Tensor, src: Tensor, reduce: string, options?: { includeSelf?: boolean }) {
  return wrap(native.scatterReduce(this._h, dim, handleOf(index, 'scatterReduce', 'index'), handleOf(src, 'scatterReduce', 'src'), reduce, options?.includeSelf ?? true));
};
proto.indexSelect = function indexSelect(this: Tensor, dim: number, index: Tensor) {
  return wrap(native.indexSelect(this._h, dim, handleOf(index, 'indexSelect', 'index')));
};
proto.indexAdd = function indexAdd(this: Tensor, dim: number, index: Tensor, source: Tensor) {
  return wrap(native.indexAdd(this._h, dim, handleOf(index, 'indexAdd', 'index'), handleOf(source, 'indexAdd', 'source')));
};
proto.maskedFill = function maskedFill(this: Tensor, mask: Tensor, value: Scalar | Tensor) {
  const mh = handleOf(mask, 'maskedFill', 'mask');
  return wrap(value instanceof Tensor ? native.maskedFill(this._h, mh, value._h, true) : native.maskedFill(this._h, mh, value, false));
};
proto.maskedFill_ = function maskedFill_(this: Tensor, mask: Tensor, value: Scalar | Tensor) {
  const mh = handleOf(mask, 'maskedFill_', 'mask');
  return wrap(value instanceof Tensor ? native.maskedFill_(this._h, mh, value._h, true) : native.maskedFill_(this._h, mh, value, false));
};
proto.maskedSelect = function maskedSelect(this: Tensor, mask: Tensor) {
  return wrap(native.maskedSelect(this._h, handleOf(mask, 'maskedSelect', 'mask')));
};
proto.nonzero = function nonzero(this: Tensor) { return wrap(native.nonzero(this._h)); };
proto.where = function where(this: Tensor, condition: Tensor, other: Tensor | Scalar) {
  return whereOp(condition, this, other);
};

/** torch.where(condition, x, y): x where condition holds, else y; x and y may be numbers. */
export function whereOp(condition: Tensor, x: Tensor | Scalar, y: Tensor | Scalar): Tensor {
  const ch = handleOf(condition, 'where', 'condition');
  const xIsTensor = x instanceof Tensor, yIsTensor = y instanceof Tensor;
  for (const [v, name] of [[x, 'input'], [y, 'other']] as const) {
    if (!(v instanceof Tensor) && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new TypeError(`where: ${name} must be a Tensor or a number, got ${describe(v)}`);
    }
  }
  return wrap(native.where(ch, xIsTensor ? (x as Tensor)._h : x, yIsTensor ? (y as Tensor)._h : y, xIsTensor, yIsTensor));
}
