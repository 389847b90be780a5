// Devices are strings, as PyTorch prints them: 'cpu', 'cuda', 'cuda:N'. Nothing here assumes
// CPU: CUDA paths run wherever libtorch has CUDA and a device.
import { native } from './addon.js';

const DEVICE = /^(cpu|cuda|mps|meta)(:\d+)?$/;

/** Checks a device string's form (libtorch checks that the device exists when it is used). */
export function parseDevice(spec: unknown, fn = 'device'): string {
  if (typeof spec !== 'string' || !DEVICE.test(spec)) {
    throw new TypeError(`${fn}: ${JSON.stringify(spec)} is not a device; use 'cpu', 'cuda' or 'cuda:N'`);
  }
  return spec;
}

export const cuda = {
  /** Whether libtorch has CUDA and at least one device answers. */
  isAvailable(): boolean {
    return native.cudaIsAvailable();
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /** Seeds every CUDA device's generator (torch.manualSeed seeds them too). */
  manualSeedAll(seed: number | bigint): void {
    native.cudaManualSeed(seed);
  },
  /** Waits for queued kernels to finish (a no-op without CUDA). */
  synchronize(device?: number): void {
    native.cudaSynchronize(device);
  },
};

/** 'cuda' when a CUDA device is available, else 'cpu' (what a config's device: 'auto' means). */
export function defaultDevice(): string {
  return cuda.isAvailable() ? 'cuda' : 'cpu';
}
