// Tensors that exercise a weights format: every dtype with its extreme and special values,
// 0-d scalars, empty tensors, and non-contiguous sources (transposed, strided, offset views).
import { tensorBytes } from '../../lib/core/bytes.js';
import { type DType, type Tensor, torch } from '../../lib/index.js';

const FLOATS = [0, -0, 1.5, -2.25, 1e-3, 65504, -1e30, Infinity, -Infinity, NaN, 3.14159, 1e-7];

function valuesOf(dtype: DType): Tensor {
  switch (dtype) {
    case 'int64': return torch.tensor(BigInt64Array.from([0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 123456789012345n, -42n, 7n, 8n, 9n, 10n, 11n]), { shape: [3, 4] });
    case 'int32': return torch.tensor([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 123456, -42, 7, 8, 9, 10, 11], { dtype, shape: [3, 4] });
    case 'int16': return torch.tensor([0, 1, -1, 32767, -32768, 1234, -42, 7, 8, 9, 10, 11], { dtype, shape: [3, 4] });
    case 'int8': return torch.tensor([0, 1, -1, 127, -128, 12, -42, 7, 8, 9, 10, 11], { dtype, shape: [3, 4] });
    case 'uint8': return torch.tensor([0, 1, 255, 128, 127, 12, 42, 7, 8, 9, 10, 11], { dtype, shape: [3, 4] });
    case 'bool': return torch.tensor([true, false, true, true, false, false, true, false, true, false, false, true]).reshape(3, 4);
    default: return torch.tensor(FLOATS, { dtype, shape: [3, 4] });
  }
}

export const ALL_DTYPES: DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];

/** Per dtype: a [3, 4] matrix, its transpose (non-contiguous), a strided and offset view, a 0-d scalar, an empty tensor. */
export function sampleTensors(): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const dtype of ALL_DTYPES) {
    const m = valuesOf(dtype);
    out[`${dtype}.matrix`] = m;
    out[`${dtype}.transposed`] = m.t();
    out[`${dtype}.strided`] = m.index('1:', '::2');
    out[`${dtype}.scalar`] = m.index(2, 1);
    out[`${dtype}.empty`] = torch.zeros([0, 3], { dtype });
  }
  out['float32.permuted3d'] = torch.arange(24, { dtype: 'float32' }).reshape(2, 3, 4).permute(2, 0, 1);
  out['float32.expanded'] = torch.tensor([1, 2, 3]).expand(4, 3);
  return out;
}

/** The raw element bits, row-major (exact even for NaN payloads, which data()'s widening of float16 may alter). */
export function sameBits(a: Tensor, b: Tensor): boolean {
  return Buffer.from(tensorBytes(a)).equals(Buffer.from(tensorBytes(b)));
}
