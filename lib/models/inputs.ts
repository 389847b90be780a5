// Checks on what the zoo's forward methods are given. libtorch's own messages for these
// mistakes ("index out of range in self", "mat1 and mat2 shapes cannot be multiplied") name
// neither the model nor the argument, so each model checks shapes and dtypes up front and says
// what it expected, what it got, and how to fix it. The checks read shapes and dtypes only
// (no device sync); out-of-range token ids are diagnosed only after libtorch has refused them.
import { Tensor, describe } from '../core/tensor.js';
import { type Embedding } from '../nn/layers/embedding.js';

export function requireTensor(value: unknown, where: string, name: string): Tensor {
  if (!(value instanceof Tensor)) throw new TypeError(`${where}: ${name} must be a Tensor, got ${describe(value)}`);
  return value;
}

/** Token ids: a [batch, seq] int64 or int32 tensor (what nn.Embedding accepts). */
export function requireTokenIds(value: unknown, where: string, name: string): Tensor {
  const ids = requireTensor(value, where, name);
  if (ids.dtype !== 'int64' && ids.dtype !== 'int32') {
    throw new TypeError(`${where}: ${name} must hold integer token ids (int64 or int32), got ${ids.dtype}; make it with torch.tensor(ids, { dtype: 'int64' })`);
  }
  if (ids.ndim !== 2) throw new RangeError(`${where}: ${name} must be [batch, seq], got shape [${ids.shape}]${ids.ndim === 1 ? '; add a batch dim with .unsqueeze(0)' : ''}`);
  if (ids.shape[1] === 0) throw new RangeError(`${where}: ${name} has an empty sequence (shape [${ids.shape}]); give at least one token`);
  return ids;
}

/** An optional per-token tensor (attention mask, token types) that must match the ids' shape. */
export function requireSameShape(value: unknown, ids: Tensor, where: string, name: string): Tensor {
  const t = requireTensor(value, where, name);
  if (t.shape.join(',') !== ids.shape.join(',')) throw new RangeError(`${where}: ${name} must have the ids' shape [${ids.shape}], got [${t.shape}]`);
  return t;
}

/**
 * Images: [batch, channels, height, width] floating point. `size` (when given) is the one
 * height and width the model was built for.
 */
export function requireImages(value: unknown, where: string, channels: number, size?: number): Tensor {
  const x = requireTensor(value, where, 'images');
  if (x.ndim !== 4) throw new RangeError(`${where}: images must be [batch, channels, height, width], got shape [${x.shape}]${x.ndim === 3 ? '; add a batch dim with .unsqueeze(0)' : ''}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64' && x.dtype !== 'float16' && x.dtype !== 'bfloat16') {
    throw new TypeError(`${where}: images must be floating point, got ${x.dtype}; convert with .float() (and scale to [0, 1] or normalise)`);
  }
  if (x.shape[1] !== channels) throw new RangeError(`${where}: expected ${channels} input channel(s) (config inChannels), got images of shape [${x.shape}]`);
  if (size !== undefined && (x.shape[2] !== size || x.shape[3] !== size)) {
    throw new RangeError(`${where}: expected ${size}x${size} images (config imageSize), got shape [${x.shape}]; resize the images or build the model with imageSize: ${x.shape[2]}`);
  }
  return x;
}

/**
 * An embedding lookup whose out-of-range error names the model, the argument, the valid range
 * and the offending value (found only after the lookup failed, so the normal path costs nothing).
 */
export function lookup(embedding: Embedding, ids: Tensor, where: string, name: string, sizeName: string): Tensor {
  try {
    return embedding.forward(ids);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const lo = ids.min().item(), hi = ids.max().item();
    const bad = lo < 0 ? lo : hi;
    throw new RangeError(`${where}: ${name} holds ${bad}, outside [0, ${embedding.numEmbeddings}) (config ${sizeName} = ${embedding.numEmbeddings})`);
  }
}
