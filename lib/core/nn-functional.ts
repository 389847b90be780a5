// torch.nn.functional's kernels that call the addon, at the Tensor level: PyTorch's positional
// arguments then an options object, each calling the ATen entry point Python's F.* calls, with
// Python's defaults. lib/nn/functional.ts is their public home.
import { native } from './addon.js';
import { type TensorHandle } from './native.js';
import { Tensor, handleOf, wrap } from './tensor.js';

type IntOrPair = number | number[];
type Reduction = 'none' | 'mean' | 'sum';

const list = (v: IntOrPair | undefined, fallback: number[]): number[] => (v === undefined ? fallback : typeof v === 'number' ? [v] : v);
const opt = (t: Tensor | null | undefined, fn: string, what: string): TensorHandle | undefined => (t == null ? undefined : handleOf(t, fn, what));
const h = (t: Tensor, fn: string, what = 'input') => handleOf(t, fn, what);


export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrap(native.linear(h(input, 'linear'), h(weight, 'linear', 'weight'), opt(bias, 'linear', 'bias')));
}

export interface ConvOptions { stride?: IntOrPair; padding?: IntOrPair | 'same' | 'valid'; dilation?: IntOrPair; groups?: number }

function conv(name: 'conv1d' | 'conv2d', input: Tensor, weight: Tensor, bias: Tensor | null | undefined, o: ConvOptions): Tensor {
  const padding = typeof o.padding === 'string' ? o.padding : list(o.padding, [0]);
  return wrap(native[name](h(input, name), h(weight, name, 'weight'), opt(bias, name, 'bias'), list(o.stride, [1]), padding, list(o.dilation, [1]), o.groups ?? 1));
}

export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return conv('conv1d', input, weight, bias, options);
}

export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return conv('conv2d', input, weight, bias, options);
}

export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null,
  o: { stride?: IntOrPair; padding?: IntOrPair; outputPadding?: IntOrPair; groups?: number; dilation?: IntOrPair } = {}): Tensor {
  return wrap(native.convTranspose2d(h(input, 'convTranspose2d'), h(weight, 'convTranspose2d', 'weight'), opt(bias, 'convTranspose2d', 'bias'),
    list(o.stride, [1]), list(o.padding, [0]), list(o.outputPadding, [0]), o.groups ?? 1, list(o.dilation, [1])));
}

export interface PoolOptions { stride?: IntOrPair; padding?: IntOrPair; ceilMode?: boolean }

/** stride defaults to the kernel size, as in PyTorch. */
export function maxPool2d(input: Tensor, kernelSize: IntOrPair, o: PoolOptions & { dilation?: IntOrPair } = {}): Tensor {
  return wrap(native.maxPool2d(h(input, 'maxPool2d'), list(kernelSize, []), list(o.stride, []), list(o.padding, [0]), list(o.dilation, [1]), o.ceilMode ?? false));
}

export function avgPool2d(input: Tensor, kernelSize: IntOrPair, o: PoolOptions & { countIncludePad?: boolean; divisorOverride?: number } = {}): Tensor {
  return wrap(native.avgPool2d(h(input, 'avgPool2d'), list(kernelSize, []), list(o.stride, []), list(o.padding, [0]), o.ceilMode ?? false,
    o.countIncludePad ?? true, o.divisorOverride));
}

/** outputSize entries may be null: that dim keeps the input's size. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | (number | null)[]): Tensor {
  const shape = input.shape;
  const size = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize.map((s, i) => s ?? shape[shape.length - 2 + i]);
  return wrap(native.adaptiveAvgPool2d(h(input, 'adaptiveAvgPool2d'), size));
}

export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null,
  o: { weight?: Tensor | null; bias?: Tensor | null; training?: boolean; momentum?: number; eps?: number } = {}): Tensor {
  return wrap(native.batchNorm(h(input, 'batchNorm'), opt(o.weight, 'batchNorm', 'weight'), opt(o.bias, 'batchNorm', 'bias'),
    opt(runningMean, 'batchNorm', 'runningMean'), opt(runningVar, 'batchNorm', 'runningVar'), o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5));
}

export function layerNorm(input: Tensor, normalizedShape: number | number[], o: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {}): Tensor {
  return wrap(native.layerNorm(h(input, 'layerNorm'), list(normalizedShape, []), opt(o.weight, 'layerNorm', 'weight'), opt(o.bias, 'layerNorm', 'bias'), o.eps ?? 1e-5));
}

export function groupNorm(input: Tensor, numGroups: number, o: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {}): Tensor {
  return wrap(native.groupNorm(h(input, 'groupNorm'), numGroups, opt(o.weight, 'groupNorm', 'weight'), opt(o.bias, 'groupNorm', 'bias'), o.eps ?? 1e-5));
}

/** eps defaults to the dtype's machine epsilon, as in F.rms_norm. */
export function rmsNorm(input: Tensor, normalizedShape: number | number[], o: { weight?: Tensor | null; eps?: number } = {}): Tensor {
  return wrap(native.rmsNorm(h(input, 'rmsNorm'), list(normalizedShape, []), opt(o.weight, 'rmsNorm', 'weight'), o.eps));
}

export function embedding(input: Tensor, weight: Tensor, o: { paddingIdx?: number | null; scaleGradByFreq?: boolean; sparse?: boolean } = {}): Tensor {
  let padding = o.paddingIdx ?? -1;
  if (o.paddingIdx != null && o.paddingIdx < 0) padding = weight.shape[0] + o.paddingIdx;
  return wrap(native.embedding(h(weight, 'embedding', 'weight'), h(input, 'embedding'), padding, o.scaleGradByFreq ?? false, o.sparse ?? false));
}

export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  return wrap(native.dropout(h(input, 'dropout'), p, training));
}

export function gelu(input: Tensor, o: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  return wrap(native.gelu(h(input, 'gelu'), o.approximate ?? 'none'));
}

export const logSigmoid = (input: Tensor): Tensor => wrap(native.logSigmoid(h(input, 'logSigmoid')));
export const leakyRelu = (input: Tensor, negativeSlope = 0.01): Tensor => wrap(native.leakyRelu(h(input, 'leakyRelu'), negativeSlope));
export const elu = (input: Tensor, alpha = 1.0): Tensor => wrap(native.elu(h(input, 'elu'), alpha));
export const softplus = (input: Tensor, o: { beta?: number; threshold?: number } = {}): Tensor =>
  wrap(native.softplus(h(input, 'softplus'), o.beta ?? 1, o.threshold ?? 20));
export const hardtanh = (input: Tensor, minVal = -1, maxVal = 1): Tensor => wrap(native.hardtanh(h(input, 'hardtanh'), minVal, maxVal));

// ---- losses ----

export function crossEntropy(input: Tensor, target: Tensor,
  o: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {}): Tensor {
  return wrap(native.crossEntropy(h(input, 'crossEntropy'), h(target, 'crossEntropy', 'target'), opt(o.weight, 'crossEntropy', 'weight'),
    o.reduction ?? 'mean', o.ignoreIndex ?? -100, o.labelSmoothing ?? 0));
}

export function nllLoss(input: Tensor, target: Tensor, o: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}): Tensor {
  return wrap(native.nllLoss(h(input, 'nllLoss'), h(target, 'nllLoss', 'target'), opt(o.weight, 'nllLoss', 'weight'), o.reduction ?? 'mean', o.ignoreIndex ?? -100));
}

function pairLoss(name: 'mseLoss' | 'l1Loss') {
  return (input: Tensor, target: Tensor, o: { reduction?: Reduction } = {}): Tensor =>
    wrap(native[name](h(input, name), h(target, name, 'target'), o.reduction ?? 'mean'));
}
export const mseLoss = pairLoss('mseLoss');
export const l1Loss = pairLoss('l1Loss');

export function smoothL1Loss(input: Tensor, target: Tensor, o: { reduction?: Reduction; beta?: number } = {}): Tensor {
  return wrap(native.smoothL1Loss(h(input, 'smoothL1Loss'), h(target, 'smoothL1Loss', 'target'), o.reduction ?? 'mean', o.beta ?? 1));
}

export function huberLoss(input: Tensor, target: Tensor, o: { reduction?: Reduction; delta?: number } = {}): Tensor {
  return wrap(native.huberLoss(h(input, 'huberLoss'), h(target, 'huberLoss', 'target'), o.reduction ?? 'mean', o.delta ?? 1));
}

export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor,
  o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  return wrap(native.bceWithLogits(h(input, fn), h(target, fn, 'target'), opt(o.weight, fn, 'weight'), opt(o.posWeight, fn, 'posWeight'), o.reduction ?? 'mean'));
}

/** reduction 'batchmean' divides the sum by the batch size, which is the true KL divergence. */
export function klDiv(input: Tensor, target: Tensor, o: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  const reduction = o.reduction ?? 'mean';
  const out = wrap(native.klDiv(h(input, 'klDiv'), h(target, 'klDiv', 'target'), reduction === 'batchmean' ? 'sum' : reduction, o.logTarget ?? false));
  if (reduction !== 'batchmean' || input.ndim === 0) return out;
  const scaled = out.div(input.shape[0]);
  out.dispose();
  return scaled;
}

export function cosineSimilarity(x1: Tensor, x2: Tensor, o: { dim?: number; eps?: number } = {}): Tensor {
  return wrap(native.cosineSimilarity(h(x1, 'cosineSimilarity', 'x1'), h(x2, 'cosineSimilarity', 'x2'), o.dim ?? 1, o.eps ?? 1e-8));
}

export function oneHot(input: Tensor, numClasses = -1): Tensor {
  return wrap(native.oneHot(h(input, 'oneHot'), numClasses));
}

/** softmax(q k^T * scale + mask) v; libtorch's fused kernels where it has them. */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor,
  o: { attnMask?: Tensor | null; dropoutP?: number; isCausal?: boolean; scale?: number } = {}): Tensor {
  const fn = 'scaledDotProductAttention';
  return wrap(native.sdpa(h(query, fn, 'query'), h(key, fn, 'key'), h(value, fn, 'value'), opt(o.attnMask, fn, 'attnMask'), o.dropoutP ?? 0, o.isCausal ?? false, o.scale));
}

export interface SummedCrossEntropyResult {
  /** The cross entropy summed over the targets that are not ignoreIndex (weighted with weight). */
  sum: Tensor;
  /** The divisor matching `sum` (0-d float64): the number of counted targets, or their summed class weight. */
  counted: Tensor;
  /** The number of targets that are not ignoreIndex (0-d int64). */
  targets: Tensor;
}

/**
 * logits [..., C] against class indices [...], in one native call (upcast of half logits,
 * flatten, count and sum), with nothing read to the host. `fn` names the caller in errors.
 */
export function summedCrossEntropy(logits: Tensor, targets: Tensor, o: { weight?: Tensor | null; ignoreIndex: number; labelSmoothing: number },
  fn = 'summedCrossEntropy'): SummedCrossEntropyResult {
  const [sum, counted, count] = native.summedCrossEntropy(h(logits, fn, 'logits'), h(targets, fn, 'targets'), opt(o.weight, fn, 'classWeights'),
    o.ignoreIndex, o.labelSmoothing);
  return { sum: wrap(sum), counted: wrap(counted), targets: wrap(count) };
}
