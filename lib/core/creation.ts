// Tensor factories: torch.tensor from JS values, constant and random factories, *Like forms.
//
// dtype inference for torch.tensor (JS cannot tell 1 from 1.0): numbers give float32,
// booleans bool, bigints int64, and a typed array its own element type. Pass { dtype } for
// anything else. arange() follows PyTorch: all-integer arguments give int64.
import { native } from './addon.js';
import { type DType, dtypeCode, dtypeFromCode, dtypeOfTypedArray, isFloatingPoint, parseDType } from './dtype.js';
import { parseDevice } from './device.js';
import { Tensor, describe, handleOf, wrap } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

export type Shape = number | readonly number[];
type Nested = number | boolean | bigint | ArrayLike<unknown>;

function optionArgs(options: TensorOptions | undefined, fn: string): [number | undefined, string | undefined, boolean | undefined] {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${fn}: options must be an object like { dtype, device, requiresGrad }, got ${describe(options)}`);
  }
  return [
    options?.dtype === undefined ? undefined : dtypeCode(parseDType(options.dtype, `${fn}: dtype`)),
    options?.device === undefined ? undefined : parseDevice(options.device, fn),
    options?.requiresGrad,
  ];
}

function shapeArg(shape: Shape, fn: string): number[] {
  const list = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(list)) throw new TypeError(`${fn}: shape must be a number or an array of numbers, got ${describe(shape)}`);
  return list as number[];
}

interface Flattened { shape: number[]; values: (number | boolean | bigint)[] }

function flatten(data: Nested): Flattened {
  const shape: number[] = [];
  const values: (number | boolean | bigint)[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe) || ArrayBuffer.isView(probe)) {
    const arr = probe as ArrayLike<unknown>;
    shape.push(arr.length);
    if (arr.length === 0) break;
    probe = arr[0];
  }
  const walk = (value: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
        values.push(value);
        return;
      }
      throw new TypeError(`tensor: element ${path || '(top)'} is ${describe(value)}; elements must be numbers, booleans or bigints (nested arrays must be rectangular)`);
    }
    if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
      throw new RangeError(`tensor: nested arrays are ragged: ${path || 'the top level'} should be an array of length ${shape[depth]}, got ${describe(value)}`);
    }
    const arr = value as ArrayLike<unknown>;
    if (arr.length !== shape[depth]) {
      throw new RangeError(`tensor: nested arrays are ragged: ${path || 'the top level'} has length ${arr.length}, but its siblings have ${shape[depth]}`);
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return { shape, values };
}

/**
 * torch.tensor: a new tensor holding a copy of `data` (a number, boolean, bigint, nested arrays
 * of them, or a typed array; pass options.shape to shape a flat typed array).
 */
export function tensor(data: Nested | Tensor, options: TensorOptions & { shape?: number[] } = {}): Tensor {
  const [dtype, device, requiresGrad] = optionArgs(options, 'tensor');
  if (data instanceof Tensor) return data.detach().to({ dtype: options.dtype ?? data.dtype, device: options.device, copy: true }).requiresGrad_(requiresGrad ?? false);
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const source = dtypeOfTypedArray(data);
    const shape = options.shape ?? [(data as unknown as ArrayLike<unknown>).length];
    return wrap(native.fromData(data, dtype ?? dtypeCode(source), shape, device, requiresGrad, 'tensor'));
  }
  const { shape, values } = flatten(data);
  let target = dtype;
  let buffer: Float64Array | BigInt64Array | Uint8Array;
  const allBool = values.length > 0 && values.every((v) => typeof v === 'boolean');
  const anyBigint = values.some((v) => typeof v === 'bigint');
  if (anyBigint) {
    target ??= dtypeCode(values.some((v) => typeof v === 'number' && !Number.isInteger(v)) ? 'float32' : 'int64');
    if (isFloatingPoint(dtypeFromCode(target)) || values.some((v) => typeof v === 'number' && !Number.isInteger(v))) {
      buffer = Float64Array.from(values, Number);
    } else {
      // BigInt64Array.from would wrap 2n ** 64n to 0: refuse what int64 cannot hold, as PyTorch does.
      const bad = values.findIndex((v) => typeof v === 'bigint' && BigInt.asIntN(64, v) !== v);
      if (bad >= 0) {
        throw new RangeError(`tensor: data${elementPosition(bad, shape)} is ${values[bad]}n: value cannot be converted to type int64 without overflow`);
      }
      buffer = BigInt64Array.from(values, (v) => BigInt(v));
    }
  } else if (allBool) {
    target ??= dtypeCode('bool');
    buffer = Uint8Array.from(values, (v) => (v ? 1 : 0));
  } else {
    target ??= dtypeCode('float32');
    buffer = Float64Array.from(values, Number);
  }
  return wrap(native.fromData(buffer, target, options.shape ?? shape, device, requiresGrad, 'tensor'));
}

/** "[1][2]" for the flat position k of an array of this shape. */
function elementPosition(k: number, shape: readonly number[]): string {
  let out = '';
  for (let d = shape.length - 1; d >= 0; d--) {
    out = `[${k % shape[d]}]${out}`;
    k = Math.floor(k / shape[d]);
  }
  return out;
}

/** A 0-d tensor holding one number. */
export function scalarTensor(value: number | boolean, options?: TensorOptions): Tensor {
  return wrap(native.scalarTensor(value, ...optionArgs(options, 'scalarTensor')));
}

function shapeFactory(name: 'zeros' | 'ones' | 'empty' | 'rand' | 'randn') {
  const fn = native[name];
  return (shape: Shape, options?: TensorOptions): Tensor => wrap(fn(shapeArg(shape, name), ...optionArgs(options, name)));
}

export const zeros = shapeFactory('zeros');
export const ones = shapeFactory('ones');
export const empty = shapeFactory('empty');
/** Uniform on [0, 1), from the default generator (torch.manualSeed makes it match PyTorch). */
export const rand = shapeFactory('rand');
/** Standard normal, from the default generator. */
export const randn = shapeFactory('randn');

/** A tensor filled with value (float32 for numbers unless a dtype is given; bool for booleans). */
export function full(shape: Shape, value: number | boolean, options?: TensorOptions): Tensor {
  return wrap(native.full(shapeArg(shape, 'full'), value, ...optionArgs(options, 'full')));
}

/** randint(high, shape) or randint(low, high, shape): integers in [low, high), int64 by default. */
export function randint(lowOrHigh: number, highOrShape: number | Shape, shapeOrOptions?: Shape | TensorOptions, maybeOptions?: TensorOptions): Tensor {
  let low = 0, high: number, shape: Shape, options: TensorOptions | undefined;
  if (typeof highOrShape === 'number' && shapeOrOptions !== undefined && (typeof shapeOrOptions === 'number' || Array.isArray(shapeOrOptions))) {
    [low, high, shape, options] = [lowOrHigh, highOrShape, shapeOrOptions as Shape, maybeOptions];
  } else {
    [high, shape, options] = [lowOrHigh, highOrShape as Shape, shapeOrOptions as TensorOptions | undefined];
  }
  return wrap(native.randint(low, high, shapeArg(shape, 'randint'), ...optionArgs(options, 'randint')));
}

/** arange(end), arange(start, end) or arange(start, end, step), each optionally followed by options. */
export function arange(...args: (number | TensorOptions)[]): Tensor {
  const options = typeof args[args.length - 1] === 'object' ? (args.pop() as TensorOptions) : undefined;
  const nums = args as number[];
  for (const n of nums) if (typeof n !== 'number') throw new TypeError(`arange: expected numbers (end, or start, end, step), got ${describe(n)}`);
  const [start, end, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (nums.length === 0 || nums.length > 3) throw new TypeError(`arange: expected 1 to 3 numbers, got ${nums.length}`);
  return wrap(native.arange(start, end, step, ...optionArgs(options, 'arange')));
}

export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  return wrap(native.linspace(start, end, steps, ...optionArgs(options, 'linspace')));
}

export function eye(n: number, m?: number | TensorOptions, options?: TensorOptions): Tensor {
  if (typeof m === 'object') [m, options] = [undefined, m];
  return wrap(native.eye(n, m, ...optionArgs(options, 'eye')));
}

function likeFactory(name: 'zerosLike' | 'onesLike' | 'emptyLike' | 'randLike' | 'randnLike') {
  const fn = native[name];
  return (like: Tensor, options?: TensorOptions): Tensor => wrap(fn(handleOf(like, name, 'input'), ...optionArgs(options, name)));
}

export const zerosLike = likeFactory('zerosLike');
export const onesLike = likeFactory('onesLike');
export const emptyLike = likeFactory('emptyLike');
export const randLike = likeFactory('randLike');
export const randnLike = likeFactory('randnLike');

export function fullLike(like: Tensor, value: number | boolean, options?: TensorOptions): Tensor {
  return wrap(native.fullLike(handleOf(like, 'fullLike', 'input'), value, ...optionArgs(options, 'fullLike')));
}

export function randintLike(like: Tensor, low: number, high?: number, options?: TensorOptions): Tensor {
  if (high === undefined) [low, high] = [0, low];
  return wrap(native.randintLike(handleOf(like, 'randintLike', 'input'), low, high, ...optionArgs(options, 'randintLike')));
}
