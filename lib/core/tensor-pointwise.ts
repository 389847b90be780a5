// Element-wise Tensor methods: math, comparisons, logical ops and their in-place forms.
// Numbers and booleans act as Python scalars: an integer-valued number keeps an integer tensor
// integral (x.add(1)), a fractional one promotes it to float (x.add(0.5)).
import { native } from './addon.js';
import { noteHostRead } from './host-reads.js';
import { type TensorHandle } from './native.js';
import { type Scalar, Tensor, describe, wrap } from './tensor.js';

type Other = Tensor | Scalar;

export const UNARY_OPS = [
  'neg', 'abs', 'exp', 'exp2', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt', 'rsqrt', 'square',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'sigmoid', 'relu', 'silu',
  'erf', 'erfinv', 'sign', 'floor', 'ceil', 'trunc', 'frac', 'reciprocal', 'logicalNot', 'bitwiseNot',
  'isnan', 'isinf', 'isfinite',
] as const;

export const UNARY_INPLACE_OPS = [
  'neg_', 'abs_', 'exp_', 'log_', 'log1p_', 'sqrt_', 'rsqrt_', 'square_', 'sin_', 'cos_', 'tanh_',
  'sigmoid_', 'relu_', 'sign_', 'floor_', 'ceil_', 'round_', 'trunc_', 'reciprocal_', 'zero_', 'erfinv_',
] as const;

/** Binary ops with a tensor form and a scalar form in the addon. */
export const BINARY_OPS = {
  mul: 'mulScalar', pow: 'powScalar', remainder: 'remainderScalar', fmod: 'fmodScalar',
  eq: 'eqScalar', ne: 'neScalar', lt: 'ltScalar', le: 'leScalar', gt: 'gtScalar', ge: 'geScalar',
  maximum: 'maximumScalar', minimum: 'minimumScalar',
} as const;

/** Binary ops that take tensors only. */
export const TENSOR_BINARY_OPS = ['atan2', 'logicalAnd', 'logicalOr', 'logicalXor', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor'] as const;

type UnaryName = (typeof UNARY_OPS)[number] | (typeof UNARY_INPLACE_OPS)[number];
type BinaryName = keyof typeof BINARY_OPS | (typeof TENSOR_BINARY_OPS)[number];

declare module './tensor.js' {
  interface Tensor extends Record<UnaryName, () => Tensor>, Record<BinaryName, (other: Other) => Tensor> {
    /** this + alpha * other */
    add(other: Other, options?: { alpha?: number }): Tensor;
    /** this - alpha * other */
    sub(other: Other, options?: { alpha?: number }): Tensor;
    /** true division, or roundingMode 'trunc' / 'floor' */
    div(other: Other, options?: { roundingMode?: 'trunc' | 'floor' }): Tensor;
    /** other - this (Python's `other - x` with a scalar other) */
    rsub(other: Other): Tensor;
    /** other / this */
    rdiv(other: Other): Tensor;
    /** other ** this */
    rpow(other: Scalar): Tensor;
    round(options?: { decimals?: number }): Tensor;
    /** torch.equal: same shape and same values */
    equal(other: Tensor): boolean;
    allclose(other: Tensor, options?: { rtol?: number; atol?: number; equalNan?: boolean }): boolean;
    add_(other: Other, options?: { alpha?: number }): Tensor;
    sub_(other: Other, options?: { alpha?: number }): Tensor;
    mul_(other: Other): Tensor;
    div_(other: Other, options?: { roundingMode?: 'trunc' | 'floor' }): Tensor;
    pow_(other: Other): Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;

for (const name of [...UNARY_OPS, ...UNARY_INPLACE_OPS]) {
  const fn = native[name];
  proto[name] = function unary(this: Tensor): Tensor {
    return wrap(fn(this._h));
  };
}

function badOther(op: string, other: unknown): never {
  throw new TypeError(`${op}: other must be a Tensor or a number, got ${describe(other)}`);
}

for (const name of Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]) {
  const scalarName = BINARY_OPS[name];
  const withTensor = native[name];
  const withScalar = native[scalarName];
  proto[name] = function binary(this: Tensor, other: Other): Tensor {
    if (other instanceof Tensor) return wrap(withTensor(this._h, other._h));
    if (typeof other === 'number' || typeof other === 'boolean') return wrap(withScalar(this._h, other));
    return badOther(name, other);
  };
}

for (const name of TENSOR_BINARY_OPS) {
  const fn = native[name];
  proto[name] = function binary(this: Tensor, other: Tensor): Tensor {
    if (!(other instanceof Tensor)) throw new TypeError(`${name}: other must be a Tensor, got ${describe(other)}`);
    return wrap(fn(this._h, other._h));
  };
}

const nAdd = native.add, nAddScalar = native.addScalar, nSub = native.sub, nSubScalar = native.subScalar;
const nDiv = native.div, nDivScalar = native.divScalar;

// (The common no-alpha call passes two arguments: the addon then skips reading a third.)
Tensor.prototype.add = function add(this: Tensor, other: Other, options?: { alpha?: number }): Tensor {
  if (options === undefined) {
    if (other instanceof Tensor) return wrap(nAdd(this._h, other._h));
    if (typeof other === 'number' || typeof other === 'boolean') return wrap(nAddScalar(this._h, other));
  }
  const alpha = options?.alpha;
  if (other instanceof Tensor) return wrap(nAdd(this._h, other._h, alpha));
  if (typeof other === 'number' || typeof other === 'boolean') return wrap(nAddScalar(this._h, other, alpha));
  return badOther('add', other);
};

Tensor.prototype.sub = function sub(this: Tensor, other: Other, options?: { alpha?: number }): Tensor {
  if (options === undefined) {
    if (other instanceof Tensor) return wrap(nSub(this._h, other._h));
    if (typeof other === 'number' || typeof other === 'boolean') return wrap(nSubScalar(this._h, other));
  }
  const alpha = options?.alpha;
  if (other instanceof Tensor) return wrap(nSub(this._h, other._h, alpha));
  if (typeof other === 'number' || typeof other === 'boolean') return wrap(nSubScalar(this._h, other, alpha));
  return badOther('sub', other);
};

Tensor.prototype.div = function div(this: Tensor, other: Other, options?: { roundingMode?: 'trunc' | 'floor' }): Tensor {
  const mode = options?.roundingMode;
  if (other instanceof Tensor) return wrap(nDiv(this._h, other._h, mode));
  if (typeof other === 'number' || typeof other === 'boolean') return wrap(nDivScalar(this._h, other, mode));
  return badOther('div', other);
};

Tensor.prototype.rsub = function rsub(this: Tensor, other: Other): Tensor {
  if (other instanceof Tensor) return other.sub(this);
  if (typeof other === 'number' || typeof other === 'boolean') return wrap(native.rsubScalar(this._h, other));
  return badOther('rsub', other);
};

Tensor.prototype.rdiv = function rdiv(this: Tensor, other: Other): Tensor {
  if (other instanceof Tensor) return other.div(this);
  if (typeof other === 'number' || typeof other === 'boolean') return wrap(native.rdivScalar(this._h, other));
  return badOther('rdiv', other);
};

Tensor.prototype.rpow = function rpow(this: Tensor, other: Scalar): Tensor {
  if (typeof other !== 'number' && typeof other !== 'boolean') badOther('rpow', other);
  return wrap(native.rpowScalar(this._h, other));
};

Tensor.prototype.round = function round(this: Tensor, options?: { decimals?: number }): Tensor {
  return wrap(native.round(this._h, options?.decimals));
};

Tensor.prototype.equal = function equal(this: Tensor, other: Tensor): boolean {
  if (!(other instanceof Tensor)) throw new TypeError(`equal: other must be a Tensor, got ${describe(other)}`);
  noteHostRead();
  return native.equal(this._h, other._h);
};

Tensor.prototype.allclose = function allclose(this: Tensor, other: Tensor, options = {}): boolean {
  if (!(other instanceof Tensor)) throw new TypeError(`allclose: other must be a Tensor, got ${describe(other)}`);
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = options;
  noteHostRead();
  return native.allclose(this._h, other._h, rtol, atol, equalNan);
};

// In-place forms modify this tensor and return a new Tensor that shares it (DESIGN: every op
// returns a fresh handle).
function inplace<E>(op: string, withTensor: (x: TensorHandle, y: TensorHandle, extra?: E) => TensorHandle,
  withScalar: (x: TensorHandle, s: Scalar, extra?: E) => TensorHandle) {
  return function (this: Tensor, other: Other, extra?: E): Tensor {
    if (other instanceof Tensor) return wrap(withTensor(this._h, other._h, extra));
    if (typeof other === 'number' || typeof other === 'boolean') return wrap(withScalar(this._h, other, extra));
    return badOther(op, other);
  };
}

const addInplace = inplace('add_', native.add_, native.addScalar_);
const subInplace = inplace('sub_', native.sub_, native.subScalar_);
const divInplace = inplace('div_', native.div_, native.divScalar_);
Tensor.prototype.add_ = function add_(this: Tensor, other: Other, options?: { alpha?: number }) {
  return addInplace.call(this, other, options?.alpha);
};
Tensor.prototype.sub_ = function sub_(this: Tensor, other: Other, options?: { alpha?: number }) {
  return subInplace.call(this, other, options?.alpha);
};
Tensor.prototype.mul_ = inplace('mul_', native.mul_, native.mulScalar_);
Tensor.prototype.div_ = function div_(this: Tensor, other: Other, options?: { roundingMode?: 'trunc' | 'floor' }) {
  return divInplace.call(this, other, options?.roundingMode);
};
Tensor.prototype.pow_ = inplace('pow_', native.pow_, native.powScalar_);
