// Matrix products, softmax, clamping, interpolation, and in-place fills and random draws.
import { native } from './addon.js';
import { type DType, dtypeCode } from './dtype.js';
import { type Scalar, Tensor, describe, handleOf, wrap } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    outer(other: Tensor): Tensor;
    dot(other: Tensor): Tensor;
    /** beta * this + alpha * (batch1 @ batch2) */
    baddbmm(batch1: Tensor, batch2: Tensor, options?: { beta?: number; alpha?: number }): Tensor;
    /** beta * this + alpha * (mat1 @ mat2) */
    addmm(mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor;
    softmax(dim: number, options?: { dtype?: DType }): Tensor;
    logSoftmax(dim: number, options?: { dtype?: DType }): Tensor;
    /** clamp(min, max): either may be null; numbers or tensors. */
    clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor;
    clampMin(min: number): Tensor;
    clampMax(max: number): Tensor;
    clamp_(min?: number | null, max?: number | null): Tensor;
    lerp(end: Tensor, weight: number | Tensor): Tensor;
    lerp_(end: Tensor, weight: number): Tensor;
    addcmul(t1: Tensor, t2: Tensor, options?: { value?: number }): Tensor;
    addcdiv(t1: Tensor, t2: Tensor, options?: { value?: number }): Tensor;
    addcmul_(t1: Tensor, t2: Tensor, options?: { value?: number }): Tensor;
    addcdiv_(t1: Tensor, t2: Tensor, options?: { value?: number }): Tensor;
    nanToNum(options?: { nan?: number; posinf?: number; neginf?: number }): Tensor;
    /** Copies src (broadcast, converted) into this tensor. */
    copy_(src: Tensor, options?: { nonBlocking?: boolean }): Tensor;
    fill_(value: Scalar | Tensor): Tensor;
    uniform_(from?: number, to?: number): Tensor;
    normal_(mean?: number, std?: number): Tensor;
    bernoulli_(p?: number): Tensor;
    exponential_(lambda?: number): Tensor;
    /** Draws 0/1 with this tensor's values as probabilities. */
    bernoulli(): Tensor;
    multinomial(numSamples: number, replacement?: boolean): Tensor;
  }
}

const proto = Tensor.prototype;

const nMatmul = native.matmul;
proto.matmul = function matmul(this: Tensor, other: Tensor): Tensor {
  return wrap(nMatmul(this._h, handleOf(other, 'matmul', 'other')));
};
proto.mm = function mm(this: Tensor, other: Tensor) { return wrap(native.mm(this._h, handleOf(other, 'mm', 'other'))); };
proto.bmm = function bmm(this: Tensor, other: Tensor) { return wrap(native.bmm(this._h, handleOf(other, 'bmm', 'other'))); };
proto.outer = function outer(this: Tensor, other: Tensor) { return wrap(native.outer(this._h, handleOf(other, 'outer', 'other'))); };
proto.dot = function dot(this: Tensor, other: Tensor) { return wrap(native.dot(this._h, handleOf(other, 'dot', 'other'))); };

proto.baddbmm = function baddbmm(this: Tensor, b1: Tensor, b2: Tensor, options?: { beta?: number; alpha?: number }) {
  return wrap(native.baddbmm(this._h, handleOf(b1, 'baddbmm', 'batch1'), handleOf(b2, 'baddbmm', 'batch2'), options?.beta, options?.alpha));
};
proto.addmm = function addmm(this: Tensor, m1: Tensor, m2: Tensor, options?: { beta?: number; alpha?: number }) {
  return wrap(native.addmm(this._h, handleOf(m1, 'addmm', 'mat1'), handleOf(m2, 'addmm', 'mat2'), options?.beta, options?.alpha));
};

const optDtype = (options?: { dtype?: DType }) => (options?.dtype === undefined ? undefined : dtypeCode(options.dtype));
proto.softmax = function softmax(this: Tensor, dim: number, options?: { dtype?: DType }) {
  return wrap(native.softmax(this._h, dim, optDtype(options)));
};
proto.logSoftmax = function logSoftmax(this: Tensor, dim: number, options?: { dtype?: DType }) {
  return wrap(native.logSoftmax(this._h, dim, optDtype(options)));
};

proto.clamp = function clamp(this: Tensor, min?: number | Tensor | null, max?: number | Tensor | null): Tensor {
  if (min instanceof Tensor || max instanceof Tensor) {
    const lo = min == null ? -1 : handleOf(min, 'clamp', 'min');
    const hi = max == null ? -1 : handleOf(max, 'clamp', 'max');
    return wrap(native.clampTensor(this._h, lo, hi));
  }
  return wrap(native.clamp(this._h, min ?? undefined, max ?? undefined));
};
proto.clampMin = function clampMin(this: Tensor, min: number) { return this.clamp(min, null); };
proto.clampMax = function clampMax(this: Tensor, max: number) { return this.clamp(null, max); };
proto.clamp_ = function clamp_(this: Tensor, min?: number | null, max?: number | null) {
  return wrap(native.clamp_(this._h, min ?? undefined, max ?? undefined));
};

proto.lerp = function lerp(this: Tensor, end: Tensor, weight: number | Tensor) {
  const e = handleOf(end, 'lerp', 'end');
  return wrap(typeof weight === 'number' ? native.lerp(this._h, e, weight) : native.lerp(this._h, e, handleOf(weight, 'lerp', 'weight'), true));
};
proto.lerp_ = function lerp_(this: Tensor, end: Tensor, weight: number) {
  return wrap(native.lerpScalar_(this._h, handleOf(end, 'lerp_', 'end'), weight));
};

for (const name of ['addcmul', 'addcdiv', 'addcmul_', 'addcdiv_'] as const) {
  const fn = native[name];
  proto[name] = function (this: Tensor, t1: Tensor, t2: Tensor, options?: { value?: number }) {
    return wrap(fn(this._h, handleOf(t1, name, 'tensor1'), handleOf(t2, name, 'tensor2'), options?.value));
  };
}

proto.nanToNum = function nanToNum(this: Tensor, options = {}) {
  const { nan, posinf, neginf } = options as { nan?: number; posinf?: number; neginf?: number };
  return wrap(native.nanToNum(this._h, nan, posinf, neginf));
};

proto.copy_ = function copy_(this: Tensor, src: Tensor, options?: { nonBlocking?: boolean }) {
  return wrap(native.copy_(this._h, handleOf(src, 'copy_', 'src'), options?.nonBlocking ?? false));
};
proto.fill_ = function fill_(this: Tensor, value: Scalar | Tensor) {
  if (value instanceof Tensor) return wrap(native.fillTensor_(this._h, value._h));
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`fill_: value must be a number, boolean or 0-d Tensor, got ${describe(value)}`);
  return wrap(native.fill_(this._h, value));
};
proto.uniform_ = function uniform_(this: Tensor, from = 0, to = 1) { return wrap(native.uniform_(this._h, from, to)); };
proto.normal_ = function normal_(this: Tensor, mean = 0, std = 1) { return wrap(native.normal_(this._h, mean, std)); };
proto.bernoulli_ = function bernoulli_(this: Tensor, p = 0.5) { return wrap(native.bernoulli_(this._h, p)); };
proto.exponential_ = function exponential_(this: Tensor, lambda = 1) { return wrap(native.exponential_(this._h, lambda)); };
proto.bernoulli = function bernoulli(this: Tensor) { return wrap(native.bernoulli(this._h)); };
proto.multinomial = function multinomial(this: Tensor, numSamples: number, replacement = false) {
  return wrap(native.multinomial(this._h, numSamples, replacement));
};
