// nn.init, as torch/nn/init.py: the same arithmetic in the same order, drawing from the same
// generator in the same sequence, so torch.manualSeed(s) gives PyTorch's initial weights.
import { noGrad } from '../core/autograd.js';
import { empty, emptyLike, full } from '../core/creation.js';
import { scalarErf, where } from '../core/functions.js';
import { ops } from '../core/ops.js';
import { info } from '../core/runtime.js';
import { scope } from '../core/scope.js';
import { Tensor, describe } from '../core/tensor.js';

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

function check(tensor: Tensor, fn: string): Tensor {
  if (!(tensor instanceof Tensor)) throw new TypeError(`init.${fn}: expected a Tensor, got ${describe(tensor)}`);
  return tensor;
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'conv_transpose1d': case 'conv_transpose2d':
    case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh': return 5.0 / 3;
    case 'relu': return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu': return 3.0 / 4;
    default: throw new RangeError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight of shape [out, in, ...receptive field]. */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  const shape = check(tensor, 'calculateFanInAndFanOut').shape;
  if (shape.length < 2) throw new RangeError(`Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (got shape [${shape}])`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1] * receptive, shape[0] * receptive];
}

function correctFan(tensor: Tensor, mode: 'fan_in' | 'fan_out'): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new RangeError(`Mode ${mode} not supported, please use one of fan_in, fan_out`);
  return mode === 'fan_in' ? fanIn : fanOut;
}

// Each initialiser fills in place without recording autograd and returns the tensor it was given.
const inPlace = (tensor: Tensor, fill: (t: Tensor) => Tensor): Tensor => {
  noGrad(() => scope(() => void fill(tensor)));
  return tensor;
};

export const uniform_ = (tensor: Tensor, a = 0, b = 1): Tensor => inPlace(check(tensor, 'uniform_'), (t) => t.uniform_(a, b));
export const normal_ = (tensor: Tensor, mean = 0, std = 1): Tensor => inPlace(check(tensor, 'normal_'), (t) => t.normal_(mean, std));
export const constant_ = (tensor: Tensor, value: number): Tensor => inPlace(check(tensor, 'constant_'), (t) => t.fill_(value));
export const zeros_ = (tensor: Tensor): Tensor => inPlace(check(tensor, 'zeros_'), (t) => t.zero_());
export const ones_ = (tensor: Tensor): Tensor => inPlace(check(tensor, 'ones_'), (t) => t.fill_(1));

/**
 * Normal(mean, std) truncated to [a, b]. PyTorch changed the algorithm in 2.12 (inverse-CDF
 * sampling lost precision for small std); each libtorch target gets its own PyTorch's.
 */
export function truncNormal_(tensor: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  check(tensor, 'truncNormal_');
  // JS has no erf; libm's (through the addon) is the one Python's math.erf uses.
  const normCdf = (x: number) => (1 + scalarErf(x / Math.sqrt(2))) / 2;
  const [major, minor] = String(info().libtorchVersion).split('.').map(Number);
  if (major < 2 || (major === 2 && minor < 12)) {
    const l = normCdf((a - mean) / std), u = normCdf((b - mean) / std);
    return inPlace(tensor, (t) => t.uniform_(2 * l - 1, 2 * u - 1).erfinv_().mul_(std * Math.sqrt(2)).add_(mean).clamp_(a, b));
  }
  const p = normCdf((b - mean) / std) - normCdf((a - mean) / std);
  return inPlace(tensor, (t) => (p > 0.3 ? truncByRedraw(t, mean, std, a, b) : truncByAcceptance(t, mean, std, a, b)));
}

// Most of the mass is inside [a, b]: redraw the normal samples that fall outside.
function truncByRedraw(t: Tensor, mean: number, std: number, a: number, b: number): Tensor {
  const lo = full([], a, { dtype: t.dtype }).item(), hi = full([], b, { dtype: t.dtype }).item();
  let result = t.normal_(mean, std);
  for (;;) {
    const mask = result.lt(lo).logicalOr(result.gt(hi));
    if (!mask.any().item()) break;
    result = where(mask, emptyLike(result).normal_(mean, std), result);
  }
  return t.copy_(result);
}

// Little mass inside [a, b]: uniform candidates on [a, b], accepted with the normal's relative density.
function truncByAcceptance(t: Tensor, mean: number, std: number, a: number, b: number): Tensor {
  const mode = Math.max(a, Math.min(mean, b));
  const logPeak = -0.5 * ((mode - mean) / std) ** 2;
  const candidates = emptyLike(t), accept = emptyLike(t);
  t.uniform_(a, b);
  candidates.copy_(t);
  candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(logPeak);
  let pending = accept.uniform_().log_().gt(candidates);
  if (!pending.any().item()) return t;
  let result = t;
  for (;;) {
    candidates.uniform_(a, b);
    result = where(pending, candidates, result);
    candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(logPeak);
    pending = where(pending, accept.uniform_().log_().gt(candidates), pending);
    if (!pending.any().item()) break;
  }
  return t.copy_(result);
}

export function xavierUniform_(tensor: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(check(tensor, 'xavierUniform_'));
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const bound = Math.sqrt(3.0) * std;
  return inPlace(tensor, (t) => t.uniform_(-bound, bound));
}

export function xavierNormal_(tensor: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(check(tensor, 'xavierNormal_'));
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  return inPlace(tensor, (t) => t.normal_(0, std));
}

export interface KaimingOptions { a?: number; mode?: 'fan_in' | 'fan_out'; nonlinearity?: Nonlinearity }

export function kaimingUniform_(tensor: Tensor, o: KaimingOptions = {}): Tensor {
  if (check(tensor, 'kaimingUniform_').numel() === 0) return tensor;
  const fan = correctFan(tensor, o.mode ?? 'fan_in');
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return inPlace(tensor, (t) => t.uniform_(-bound, bound));
}

export function kaimingNormal_(tensor: Tensor, o: KaimingOptions = {}): Tensor {
  if (check(tensor, 'kaimingNormal_').numel() === 0) return tensor;
  const fan = correctFan(tensor, o.mode ?? 'fan_in');
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
  return inPlace(tensor, (t) => t.normal_(0, std));
}

/** A (semi-)orthogonal matrix from the QR decomposition of a normal sample, as PyTorch does. */
export function orthogonal_(tensor: Tensor, gain = 1): Tensor {
  const shape = check(tensor, 'orthogonal_').shape;
  if (shape.length < 2) throw new RangeError('Only tensors with 2 or more dimensions are supported');
  if (tensor.numel() === 0) return tensor;
  const rows = shape[0], cols = tensor.numel() / rows;
  return inPlace(tensor, (t) => {
    let flat = empty([rows, cols], { dtype: t.dtype }).normal_(0, 1);
    if (rows < cols) flat = flat.t();
    const [q, r] = ops.aten.linalg_qr(flat) as Tensor[];
    const ph = r.diag(0).sign();
    let qs = q.mul_(ph);
    if (rows < cols) qs = qs.t();
    t.viewAs(qs).copy_(qs);
    return t.mul_(gain);
  });
}

