// In-place updates that give back no new Tensor (no handle to track or free): what nn.Module
// does to its parameters and buffers when loading, moving and clearing them.
import { native } from './addon.js';
import { type Tensor, handleOf } from './tensor.js';

/** target.copy_(source), without a result tensor. */
export function copyInto(target: Tensor, source: Tensor, nonBlocking = false): void {
  native.free(native.copy_(handleOf(target, 'copyInto', 'target'), handleOf(source, 'copyInto', 'source'), nonBlocking));
}

/** target.zero_(), without a result tensor. */
export function zeroInPlace(target: Tensor): void {
  native.free(native.zero_(handleOf(target, 'zeroInPlace', 'target')));
}

/**
 * Python's `param.data = source`: target keeps its identity (and autograd leaf-ness) but takes
 * source's data, dtype and device. Module.to() moves parameters this way.
 */
export function setData(target: Tensor, source: Tensor): void {
  native.setData(handleOf(target, 'setData', 'target'), handleOf(source, 'setData', 'source'));
}
