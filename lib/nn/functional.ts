// nn.functional: torch.nn.functional's forms, PyTorch's positional arguments then an options
// object. Each calls the ATen entry point Python's F.* calls, with Python's defaults; the ones
// that call the addon directly live in lib/core/nn-functional.ts.
import { type DType } from '../core/dtype.js';
import { Tensor, describe } from '../core/tensor.js';

export {
  linear, conv1d, conv2d, convTranspose2d, maxPool2d, avgPool2d, adaptiveAvgPool2d, batchNorm, layerNorm, groupNorm, rmsNorm,
  embedding, dropout, gelu, logSigmoid, leakyRelu, elu, softplus, hardtanh, crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss,
  huberLoss, binaryCrossEntropyWithLogits, klDiv, cosineSimilarity, oneHot, scaledDotProductAttention,
  type ConvOptions, type PoolOptions,
} from '../core/nn-functional.js';

function tensorArg(input: Tensor, fn: string): Tensor {
  if (!(input instanceof Tensor)) throw new TypeError(`${fn}: input must be a Tensor, got ${describe(input)}`);
  return input;
}

export const relu = (input: Tensor): Tensor => tensorArg(input, 'relu').relu();
export const silu = (input: Tensor): Tensor => tensorArg(input, 'silu').silu();
export const sigmoid = (input: Tensor): Tensor => tensorArg(input, 'sigmoid').sigmoid();
export const tanh = (input: Tensor): Tensor => tensorArg(input, 'tanh').tanh();
export const softmax = (input: Tensor, dim: number, o?: { dtype?: DType }): Tensor => tensorArg(input, 'softmax').softmax(dim, o);
export const logSoftmax = (input: Tensor, dim: number, o?: { dtype?: DType }): Tensor => tensorArg(input, 'logSoftmax').logSoftmax(dim, o);

/** input / max(||input||_p over dim, eps), as F.normalize. */
export function normalize(input: Tensor, o: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  tensorArg(input, 'normalize');
  const norm = input.norm(o.p ?? 2, o.dim ?? 1, true);
  const denom = norm.clampMin(o.eps ?? 1e-12);
  const expanded = denom.expandAs(input);
  const out = input.div(expanded);
  for (const t of [norm, denom, expanded]) t.dispose();
  return out;
}

export function pad(input: Tensor, pads: number[], o: { mode?: 'constant' | 'reflect' | 'replicate' | 'circular'; value?: number } = {}): Tensor {
  return tensorArg(input, 'pad').pad(pads, o);
}
