// A tensor's bytes to and from a file in bounded pieces: one huge tensor never needs its whole
// byte image in JS memory on writing, and reading stays within Node's buffer limit (4 GiB on
// Node 20) by building big tensors from pieces.
import { itemSize, tensorBytes, tensorFromBytes } from '../core/bytes.js';
import type { DType } from '../core/dtype.js';
import { torch } from '../core/torch.js';
import type { Tensor } from '../core/tensor.js';

/**
 * write: tensors up to this many bytes are copied out in one piece, bigger ones in pieces of it.
 * read: tensors up to this many bytes are read in one piece; bigger ones in pieces, then joined.
 * @internal mutable only so tests can exercise the piecewise paths on small tensors.
 */
export const pieceBytes = { write: 64 << 20, read: 512 << 20 };

/** The number of bytes a tensor of this dtype and shape stores. */
export function byteLengthOf(dtype: DType, shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1) * itemSize(dtype);
}

/** The tensor's elements as little-endian bytes, row-major, in pieces of at most pieceBytes.write bytes. */
export function* tensorPieces(t: Tensor): Generator<Uint8Array> {
  const total = byteLengthOf(t.dtype, t.shape);
  if (total <= pieceBytes.write) {
    yield tensorBytes(t);
    return;
  }
  const flat = t.reshape(-1);
  try {
    const perPiece = Math.max(1, Math.floor(pieceBytes.write / t.elementSize()));
    const numel = flat.numel();
    for (let start = 0; start < numel; start += perPiece) {
      const piece = flat.narrow(0, start, Math.min(perPiece, numel - start));
      try {
        yield tensorBytes(piece);
      } finally {
        piece.dispose();
      }
    }
  } finally {
    flat.dispose();
  }
}

/**
 * A tensor of `dtype` and `shape` from `byteLength` bytes that `read(offset, length)` returns in
 * order (offsets relative to the tensor's first byte). The caller has checked that byteLength
 * matches the shape and lies within the file.
 */
export function readTensor(read: (offset: number, length: number) => Uint8Array, byteLength: number, dtype: DType, shape: readonly number[]): Tensor {
  if (byteLength <= pieceBytes.read) return tensorFromBytes(read(0, byteLength), dtype, shape);
  const size = itemSize(dtype);
  const perPiece = Math.max(1, Math.floor(pieceBytes.read / size)) * size;
  const pieces: Tensor[] = [];
  try {
    for (let offset = 0; offset < byteLength; offset += perPiece) {
      const length = Math.min(perPiece, byteLength - offset);
      pieces.push(tensorFromBytes(read(offset, length), dtype, [length / size]));
    }
    const joined = torch.cat(pieces);
    try {
      return joined.reshape([...shape]);
    } finally {
      joined.dispose();
    }
  } finally {
    for (const p of pieces) p.dispose();
  }
}
