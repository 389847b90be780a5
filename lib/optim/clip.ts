// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (run natively).
import { native } from '../core/addon.js';
import { type Tensor, describe, wrap } from '../core/tensor.js';
import { Parameter } from '../nn/parameter.js';

function handles(params: Iterable<Parameter> | Parameter, fn: string): number[] {
  const list = params instanceof Parameter ? [params] : [...params];
  return list.map((p, i) => {
    if (!(p instanceof Parameter)) throw new TypeError(`${fn}: parameters[${i}] is ${describe(p)}, not an nn.Parameter`);
    return p._h;
  });
}

/**
 * Scales all gradients together so their total norm is at most maxNorm; returns the total norm
 * before clipping (a 0-d tensor). errorIfNonfinite throws on an inf/NaN norm instead.
 */
export function clipGradNorm(params: Iterable<Parameter> | Parameter, maxNorm: number,
  options: { normType?: number; errorIfNonfinite?: boolean } = {}): Tensor {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be a non-negative number, got ${describe(maxNorm)}`);
  return wrap(native.clipGradNorm(handles(params, 'clipGradNorm'), maxNorm, options.normType ?? 2, options.errorIfNonfinite ?? false));
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Parameter> | Parameter, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be a non-negative number, got ${describe(clipValue)}`);
  native.clipGradValue(handles(params, 'clipGradValue'), clipValue);
}
