// Raw element bytes in and out of tensors, for file formats (lib/io: safetensors, torch.save
// archives). lib/core is the only layer that touches the addon; this file is lib/io's way in.
import { native } from './addon.js';
import { noteHostRead } from './host-reads.js';
import { type DType, dtypeCode } from './dtype.js';
import { type Tensor, wrap } from './tensor.js';

const ITEM_SIZES: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

/** Bytes per element as files store it (bool: one byte). */
export function itemSize(dtype: DType): number {
  return ITEM_SIZES[dtype];
}

/**
 * A new CPU tensor whose elements are `bytes` (little-endian, row-major, in `dtype`'s own width).
 * The bytes are copied, so the caller may reuse its buffer. Bool bytes other than 0 read as true.
 */
export function tensorFromBytes(bytes: Uint8Array, dtype: DType, shape: readonly number[]): Tensor {
  return wrap(native.fromBytes(bytes, dtypeCode(dtype), [...shape]));
}

/** A copy of the tensor's elements as raw little-endian bytes, row-major (made contiguous, on the CPU). */
export function tensorBytes(t: Tensor): Uint8Array {
  noteHostRead();
  return new Uint8Array(native.toBytes(t._h));
}
