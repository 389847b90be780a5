// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (run natively).
import { clipGradNorm as clipNormOf, clipGradValue as clipValueOf } from '../core/native-optimizer.js';
import { type Tensor, describe } from '../core/tensor.js';
import { Parameter } from '../nn/parameter.js';

function parameterList(params: Iterable<Parameter> | Parameter, fn: string): Parameter[] {
  const list = params instanceof Parameter ? [params] : [...params];
  list.forEach((p, i) => {
    if (!(p instanceof Parameter)) throw new TypeError(`${fn}: parameters[${i}] is ${describe(p)}, not an nn.Parameter`);
  });
  return list;
}

/**
 * Scales all gradients together so their total norm is at most maxNorm; returns the total norm
 * before clipping (a 0-d tensor). errorIfNonfinite throws on an inf/NaN norm instead.
 */
export function clipGradNorm(params: Iterable<Parameter> | Parameter, maxNorm: number,
  options: { normType?: number; errorIfNonfinite?: boolean } = {}): Tensor {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be a non-negative number, got ${describe(maxNorm)}`);
  return clipNormOf(parameterList(params, 'clipGradNorm'), maxNorm, options.normType ?? 2, options.errorIfNonfinite ?? false);
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Parameter> | Parameter, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be a non-negative number, got ${describe(clipValue)}`);
  clipValueOf(parameterList(params, 'clipGradValue'), clipValue);
}
