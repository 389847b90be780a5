// amp.autocast: runs fn with autocast on for a device type, as torch.autocast does (CUDA:
// float16 by default, CPU: bfloat16), nestable, restoring the previous state on exceptions and
// when an async fn settles. Like grad mode, autocast is libtorch per-thread state: code that
// runs on the thread during an async fn's awaits sees it too.
import { enterAutocast, isAutocastEnabled as autocastOn } from '../core/amp-kernels.js';
import { cuda } from '../core/device.js';
import { type DType } from '../core/dtype.js';
import { describe } from '../core/tensor.js';

export interface AutocastOptions {
  deviceType: 'cuda' | 'cpu';
  dtype?: Extract<DType, 'float16' | 'bfloat16'>;
  enabled?: boolean;
  cacheEnabled?: boolean;
}

export function autocast<T>(options: AutocastOptions, fn: () => T): T {
  if (!options || (options.deviceType !== 'cuda' && options.deviceType !== 'cpu')) {
    throw new TypeError(`autocast: deviceType must be 'cuda' or 'cpu', got ${describe(options?.deviceType)}`);
  }
  if (typeof fn !== 'function') throw new TypeError(`autocast: expected a function to run, got ${describe(fn)}`);
  const device = options.deviceType;
  const dtype = options.dtype ?? (device === 'cuda' ? 'float16' : 'bfloat16');
  if (dtype !== 'float16' && dtype !== 'bfloat16') throw new RangeError(`autocast: dtype must be float16 or bfloat16, got ${dtype}`);
  let enabled = options.enabled ?? true;
  if (enabled && device === 'cuda' && !cuda.isAvailable()) {
    process.emitWarning("User provided device_type of 'cuda', but CUDA is not available. Disabling", 'TorchWarning');
    enabled = false;
  }
  const restore = enterAutocast(device, enabled, dtype, options.cacheEnabled ?? true);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    restore();
    throw err;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/** Whether autocast is on for a device type here. */
export function isAutocastEnabled(deviceType: 'cuda' | 'cpu' = 'cuda'): boolean {
  return autocastOn(deviceType);
}
