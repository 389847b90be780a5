// Reductions. Each takes PyTorch's dim (a number, an array of numbers, or nothing for all dims)
// and keepdim, either positionally (x.sum(1, true)) or as options (x.sum(1, { keepdim: true })).
import { native } from './addon.js';
import { type TensorHandle } from './native.js';
import { type DType, dtypeCode } from './dtype.js';
import { Tensor, wrap, wrapPair } from './tensor.js';

export type Dims = number | number[] | null | undefined;
export interface ReduceOptions { keepdim?: boolean; dtype?: DType }
/** Values and their indices, usable as a tuple ([v, i]) or by name ({ values, indices }). */
export type ValuesIndices = [Tensor, Tensor] & { values: Tensor; indices: Tensor };

declare module './tensor.js' {
  interface Tensor {
    sum(dim?: Dims, keepdimOrOptions?: boolean | ReduceOptions): Tensor;
    mean(dim?: Dims, keepdimOrOptions?: boolean | ReduceOptions): Tensor;
    prod(dim?: number | null, keepdimOrOptions?: boolean | ReduceOptions): Tensor;
    /** max() is the overall maximum; max(dim) gives values and indices; max(other) is maximum(other). */
    max(): Tensor;
    max(dim: number, keepdim?: boolean): ValuesIndices;
    max(other: Tensor): Tensor;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): ValuesIndices;
    min(other: Tensor): Tensor;
    amax(dim?: Dims, keepdim?: boolean): Tensor;
    amin(dim?: Dims, keepdim?: boolean): Tensor;
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    /** Standard deviation with Bessel's correction (correction: 1) unless told otherwise. */
    std(dim?: Dims, options?: { correction?: number; unbiased?: boolean; keepdim?: boolean } | boolean): Tensor;
    var(dim?: Dims, options?: { correction?: number; unbiased?: boolean; keepdim?: boolean } | boolean): Tensor;
    /** The vector p-norm (torch.linalg.vector_norm); p = 2 by default, Infinity allowed. */
    norm(p?: number, dim?: Dims, keepdim?: boolean): Tensor;
    logsumexp(dim?: Dims, keepdim?: boolean): Tensor;
    cumsum(dim: number, options?: { dtype?: DType }): Tensor;
    cumprod(dim: number, options?: { dtype?: DType }): Tensor;
    topk(k: number, dim?: number, options?: { largest?: boolean; sorted?: boolean }): ValuesIndices;
    sort(dim?: number, descendingOrOptions?: boolean | { descending?: boolean; stable?: boolean }): ValuesIndices;
    argsort(dim?: number, descendingOrOptions?: boolean | { descending?: boolean; stable?: boolean }): Tensor;
    all(dim?: number | null, keepdim?: boolean): Tensor;
    any(dim?: number | null, keepdim?: boolean): Tensor;
    countNonzero(dim?: Dims): Tensor;
  }
}

const proto = Tensor.prototype;

function options(arg: boolean | ReduceOptions | undefined): { keepdim: boolean; dtype: number | undefined } {
  if (typeof arg === 'boolean') return { keepdim: arg, dtype: undefined };
  return { keepdim: arg?.keepdim ?? false, dtype: arg?.dtype === undefined ? undefined : dtypeCode(arg.dtype) };
}

function dims(dim: Dims): number | number[] | undefined {
  return dim === null ? undefined : dim;
}

export function valuesIndices(handles: [TensorHandle, TensorHandle]): ValuesIndices {
  const [values, indices] = wrapPair(handles);
  return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
}

const nSum = native.sum, nMean = native.mean;
proto.sum = function sum(this: Tensor, dim?: Dims, keepdimOrOptions?: boolean | ReduceOptions) {
  if (dim === undefined && keepdimOrOptions === undefined) return wrap(nSum(this._h));
  const o = options(keepdimOrOptions);
  return wrap(nSum(this._h, dims(dim), o.keepdim, o.dtype));
};
proto.mean = function mean(this: Tensor, dim?: Dims, keepdimOrOptions?: boolean | ReduceOptions) {
  if (dim === undefined && keepdimOrOptions === undefined) return wrap(nMean(this._h));
  const o = options(keepdimOrOptions);
  return wrap(nMean(this._h, dims(dim), o.keepdim, o.dtype));
};
proto.prod = function prod(this: Tensor, dim?: number | null, keepdimOrOptions?: boolean | ReduceOptions) {
  const o = options(keepdimOrOptions);
  return wrap(native.prod(this._h, dim ?? undefined, o.keepdim, o.dtype));
};

function extreme(name: 'max' | 'min') {
  const all = native[name], byDim = native[`${name}Dim`], pairwise = name === 'max' ? native.maximum : native.minimum;
  return function (this: Tensor, dimOrOther?: number | Tensor, keepdim = false): any {
    if (dimOrOther === undefined) return wrap(all(this._h));
    if (dimOrOther instanceof Tensor) return wrap(pairwise(this._h, dimOrOther._h));
    return valuesIndices(byDim(this._h, dimOrOther, keepdim));
  };
}
proto.max = extreme('max');
proto.min = extreme('min');

proto.amax = function amax(this: Tensor, dim?: Dims, keepdim = false) { return wrap(native.amax(this._h, dims(dim), keepdim)); };
proto.amin = function amin(this: Tensor, dim?: Dims, keepdim = false) { return wrap(native.amin(this._h, dims(dim), keepdim)); };
proto.argmax = function argmax(this: Tensor, dim?: number | null, keepdim = false) {
  return wrap(native.argmax(this._h, dim ?? undefined, keepdim));
};
proto.argmin = function argmin(this: Tensor, dim?: number | null, keepdim = false) {
  return wrap(native.argmin(this._h, dim ?? undefined, keepdim));
};

function spread(name: 'std' | 'var') {
  const fn = native[name];
  return function (this: Tensor, dim?: Dims, opts?: { correction?: number; unbiased?: boolean; keepdim?: boolean } | boolean) {
    const o = typeof opts === 'boolean' ? { unbiased: opts } : (opts ?? {});
    const correction = o.correction ?? (o.unbiased === false ? 0 : 1);
    return wrap(fn(this._h, dims(dim), correction, o.keepdim ?? false));
  };
}
proto.std = spread('std');
proto.var = spread('var');

proto.norm = function norm(this: Tensor, p = 2, dim?: Dims, keepdim = false) {
  return wrap(native.norm(this._h, p, dims(dim), keepdim));
};
proto.logsumexp = function logsumexp(this: Tensor, dim?: Dims, keepdim = false) {
  return wrap(native.logsumexp(this._h, dims(dim), keepdim));
};
proto.cumsum = function cumsum(this: Tensor, dim: number, opts?: { dtype?: DType }) {
  return wrap(native.cumsum(this._h, dim, opts?.dtype === undefined ? undefined : dtypeCode(opts.dtype)));
};
proto.cumprod = function cumprod(this: Tensor, dim: number, opts?: { dtype?: DType }) {
  return wrap(native.cumprod(this._h, dim, opts?.dtype === undefined ? undefined : dtypeCode(opts.dtype)));
};
proto.topk = function topk(this: Tensor, k: number, dim = -1, opts?: { largest?: boolean; sorted?: boolean }) {
  return valuesIndices(native.topk(this._h, k, dim, opts?.largest ?? true, opts?.sorted ?? true));
};

function sortOptions(arg?: boolean | { descending?: boolean; stable?: boolean }) {
  return typeof arg === 'boolean' ? { descending: arg, stable: false } : { descending: arg?.descending ?? false, stable: arg?.stable ?? false };
}
proto.sort = function sort(this: Tensor, dim = -1, arg?: boolean | { descending?: boolean; stable?: boolean }) {
  const o = sortOptions(arg);
  return valuesIndices(native.sort(this._h, dim, o.descending, o.stable));
};
proto.argsort = function argsort(this: Tensor, dim = -1, arg?: boolean | { descending?: boolean; stable?: boolean }) {
  const o = sortOptions(arg);
  return wrap(native.argsort(this._h, dim, o.descending, o.stable));
};
proto.all = function all(this: Tensor, dim?: number | null, keepdim = false) { return wrap(native.all(this._h, dim ?? undefined, keepdim)); };
proto.any = function any(this: Tensor, dim?: number | null, keepdim = false) { return wrap(native.any(this._h, dim ?? undefined, keepdim)); };
proto.countNonzero = function countNonzero(this: Tensor, dim?: Dims) { return wrap(native.countNonzero(this._h, dims(dim))); };
