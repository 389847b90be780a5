// What lib/amp needs of the addon: libtorch's per-thread autocast state, and the GradScaler's
// two kernels (unscale with an inf/NaN check, and the scale's growth/backoff), at the Tensor level.
import { native } from './addon.js';
import { type DType, dtypeCode } from './dtype.js';
import { type Tensor, handleOf, handlesOf } from './tensor.js';

/** Whether autocast is on for a device type on this thread. */
export function isAutocastEnabled(deviceType: 'cuda' | 'cpu'): boolean {
  return native.autocastGet(deviceType).enabled;
}

/**
 * Enters an autocast region for a device type (nesting is counted natively) and returns the
 * function that leaves it, restoring the state it was entered from (the outermost exit clears
 * the cast-weights cache, as torch.autocast does).
 */
export function enterAutocast(deviceType: 'cuda' | 'cpu', enabled: boolean, dtype: DType, cacheEnabled: boolean): () => void {
  const previous = native.autocastGet(deviceType);
  native.autocastEnter(deviceType, enabled, dtypeCode(dtype), cacheEnabled);
  return () => native.autocastExit(deviceType, previous.enabled, previous.dtype, previous.cacheEnabled);
}

/** Multiplies the gradients of `params` by invScale in place, setting foundInf (0-d float32) to 1 on any inf/NaN. */
export function unscaleGrads(params: readonly Tensor[], foundInf: Tensor, invScale: Tensor): void {
  const fn = 'GradScaler.unscale_';
  native.gradScalerUnscale(handlesOf(params, fn, 'params'), handleOf(foundInf, fn, 'foundInf'), handleOf(invScale, fn, 'invScale'));
}

/**
 * torch._amp_update_scale_: backs the scale off on an overflow (foundInf non-zero), grows it
 * after growthInterval clean steps; scale and growthTracker are updated in place on the device.
 */
export function updateScale(scale: Tensor, growthTracker: Tensor, foundInf: Tensor, growthFactor: number, backoffFactor: number, growthInterval: number): void {
  const fn = 'GradScaler.update';
  native.gradScalerUpdate(handleOf(scale, fn, 'scale'), handleOf(growthTracker, fn, 'growthTracker'), handleOf(foundInf, fn, 'foundInf'),
    growthFactor, backoffFactor, growthInterval);
}
