// Shape, layout, dtype and device methods. Size lists may be passed spread (x.reshape(2, 3))
// or as one array (x.reshape([2, 3])), as in PyTorch.
import { native } from './addon.js';
import { type DType, dtypeCode, parseDType } from './dtype.js';
import { parseDevice } from './device.js';
import { Tensor, describe, wrap, wrapList } from './tensor.js';

type Sizes = number[] | [number[]];

export interface ToOptions { dtype?: DType; device?: string; nonBlocking?: boolean; copy?: boolean }

declare module './tensor.js' {
  interface Tensor {
    reshape(...shape: Sizes): Tensor;
    /** view(...shape) reinterprets the shape (no copy); view(dtype) reinterprets the bytes. */
    view(...shape: Sizes | [DType]): Tensor;
    viewAs(other: Tensor): Tensor;
    reshapeAs(other: Tensor): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    unflatten(dim: number, sizes: number[]): Tensor;
    squeeze(dim?: number | number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    permute(...dims: Sizes): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    t(): Tensor;
    /** The transpose of the last two dims (Tensor.mT). */
    readonly mT: Tensor;
    movedim(source: number | number[], destination: number | number[]): Tensor;
    expand(...sizes: Sizes): Tensor;
    expandAs(other: Tensor): Tensor;
    broadcastTo(...sizes: Sizes): Tensor;
    repeat(...sizes: Sizes): Tensor;
    repeatInterleave(repeats: number, dim?: number): Tensor;
    flip(...dims: Sizes): Tensor;
    roll(shifts: number | number[], dims?: number | number[]): Tensor;
    /** Pieces of splitSize along dim (the last may be smaller), or pieces of the given sizes. */
    split(splitSizeOrSections: number | number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    narrow(dim: number, start: number, length: number): Tensor;
    select(dim: number, index: number): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    diag(diagonal?: number): Tensor;
    /** to(dtype), to(device), to(other) (its dtype and device) or to({ dtype, device, nonBlocking, copy }). */
    to(target: DType | string | Tensor | ToOptions, options?: Omit<ToOptions, 'dtype' | 'device'>): Tensor;
    cpu(): Tensor;
    cuda(device?: number | string): Tensor;
    float(): Tensor;
    double(): Tensor;
    half(): Tensor;
    bfloat16(): Tensor;
    long(): Tensor;
    int(): Tensor;
    short(): Tensor;
    char(): Tensor;
    byte(): Tensor;
    bool(): Tensor;
    /** Pads the last dims: pads = [left, right, top, bottom, ...] as in torch.nn.functional.pad. */
    pad(pads: number[], options?: { mode?: 'constant' | 'reflect' | 'replicate' | 'circular'; value?: number }): Tensor;
  }
}

const proto = Tensor.prototype;

function sizes(args: Sizes, fn: string): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0];
  for (const s of args) if (typeof s !== 'number') throw new TypeError(`${fn}: sizes must be numbers or one array of numbers, got ${describe(s)}`);
  return args as number[];
}

const nReshape = native.reshape, nView = native.view;
proto.reshape = function reshape(this: Tensor, ...shape: Sizes) { return wrap(nReshape(this._h, sizes(shape, 'reshape'))); };
proto.view = function view(this: Tensor, ...shape: Sizes | [DType]) {
  if (shape.length === 1 && typeof shape[0] === 'string') return wrap(native.viewDtype(this._h, dtypeCode(shape[0])));
  return wrap(nView(this._h, sizes(shape as Sizes, 'view')));
};
proto.viewAs = function viewAs(this: Tensor, other: Tensor) { return this.view(other.shape); };
proto.reshapeAs = function reshapeAs(this: Tensor, other: Tensor) { return this.reshape(other.shape); };
proto.flatten = function flatten(this: Tensor, startDim = 0, endDim = -1) { return wrap(native.flatten(this._h, startDim, endDim)); };
proto.unflatten = function unflatten(this: Tensor, dim: number, s: number[]) { return wrap(native.unflatten(this._h, dim, s)); };
proto.squeeze = function squeeze(this: Tensor, dim?: number | number[]) { return wrap(native.squeeze(this._h, dim)); };
proto.unsqueeze = function unsqueeze(this: Tensor, dim: number) { return wrap(native.unsqueeze(this._h, dim)); };
proto.permute = function permute(this: Tensor, ...dims: Sizes) { return wrap(native.permute(this._h, sizes(dims, 'permute'))); };
proto.transpose = function transpose(this: Tensor, d0: number, d1: number) { return wrap(native.transpose(this._h, d0, d1)); };
proto.t = function t(this: Tensor) { return wrap(native.t(this._h)); };
Object.defineProperty(proto, 'mT', {
  get(this: Tensor) {
    return this.transpose(-2, -1);
  },
});
proto.movedim = function movedim(this: Tensor, source: number | number[], destination: number | number[]) {
  return wrap(native.movedim(this._h, source, destination));
};
proto.expand = function expand(this: Tensor, ...s: Sizes) { return wrap(native.expand(this._h, sizes(s, 'expand'))); };
proto.expandAs = function expandAs(this: Tensor, other: Tensor) { return this.expand(other.shape); };
proto.broadcastTo = function broadcastTo(this: Tensor, ...s: Sizes) { return wrap(native.broadcastTo(this._h, sizes(s, 'broadcastTo'))); };
proto.repeat = function repeat(this: Tensor, ...s: Sizes) { return wrap(native.repeat(this._h, sizes(s, 'repeat'))); };
proto.repeatInterleave = function repeatInterleave(this: Tensor, repeats: number, dim?: number) {
  return wrap(native.repeatInterleave(this._h, repeats, dim));
};
proto.flip = function flip(this: Tensor, ...dims: Sizes) { return wrap(native.flip(this._h, sizes(dims, 'flip'))); };
proto.roll = function roll(this: Tensor, shifts: number | number[], dims?: number | number[]) {
  return wrap(native.roll(this._h, shifts, dims));
};
proto.split = function split(this: Tensor, s: number | number[], dim = 0) { return wrapList(native.split(this._h, s, dim)); };
proto.chunk = function chunk(this: Tensor, chunks: number, dim = 0) { return wrapList(native.chunk(this._h, chunks, dim)); };
proto.unbind = function unbind(this: Tensor, dim = 0) { return wrapList(native.unbind(this._h, dim)); };
proto.narrow = function narrow(this: Tensor, dim: number, start: number, length: number) {
  return wrap(native.narrow(this._h, dim, start, length));
};
proto.select = function select(this: Tensor, dim: number, index: number) { return wrap(native.select(this._h, dim, index)); };
proto.contiguous = function contiguous(this: Tensor) { return wrap(native.contiguous(this._h)); };
proto.clone = function clone(this: Tensor) { return wrap(native.clone(this._h)); };
proto.detach = function detach(this: Tensor) { return wrap(native.detach(this._h)); };
proto.tril = function tril(this: Tensor, diagonal = 0) { return wrap(native.tril(this._h, diagonal)); };
proto.triu = function triu(this: Tensor, diagonal = 0) { return wrap(native.triu(this._h, diagonal)); };
proto.diag = function diag(this: Tensor, diagonal = 0) { return wrap(native.diag(this._h, diagonal)); };

const nTo = native.to;
proto.to = function to(this: Tensor, target: DType | string | Tensor | ToOptions, options?: Omit<ToOptions, 'dtype' | 'device'>) {
  let dtype: number | undefined;
  let device: string | undefined;
  let rest: Omit<ToOptions, 'dtype' | 'device'> = options ?? {};
  if (target instanceof Tensor) {
    dtype = native.dtype(target._h);
    device = target.device;
  } else if (typeof target === 'string') {
    let isDtype = true;
    try {
      dtype = dtypeCode(parseDType(target));
    } catch {
      isDtype = false;
    }
    if (!isDtype) device = parseDevice(target, 'to');
  } else if (target && typeof target === 'object') {
    dtype = target.dtype === undefined ? undefined : dtypeCode(target.dtype);
    device = target.device === undefined ? undefined : parseDevice(target.device, 'to');
    rest = { ...target, ...rest };
  } else {
    throw new TypeError(`to: expected a dtype, a device, a Tensor or options, got ${describe(target)}`);
  }
  return wrap(nTo(this._h, dtype, device, rest.nonBlocking ?? false, rest.copy ?? false));
};
proto.cpu = function cpu(this: Tensor) { return this.to('cpu'); };
proto.cuda = function cuda(this: Tensor, device: number | string = 0) {
  return this.to(typeof device === 'number' ? `cuda:${device}` : device);
};
for (const [name, dtype] of [
  ['float', 'float32'], ['double', 'float64'], ['half', 'float16'], ['bfloat16', 'bfloat16'], ['long', 'int64'],
  ['int', 'int32'], ['short', 'int16'], ['char', 'int8'], ['byte', 'uint8'], ['bool', 'bool'],
] as const) {
  const code = dtypeCode(dtype);
  proto[name] = function (this: Tensor) { return wrap(nTo(this._h, code, undefined, false, false)); };
}

proto.pad = function pad(this: Tensor, pads: number[], options = {}) {
  const { mode = 'constant', value = 0 } = options as { mode?: string; value?: number };
  return wrap(native.pad(this._h, pads, mode, value));
};

