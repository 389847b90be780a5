// Devices are strings, as PyTorch prints them: 'cpu', 'cuda', 'cuda:N'. Nothing here assumes
// CPU: CUDA paths run wherever libtorch has CUDA and a device.
import { native } from './addon.js';
import { type NativeCudaMemoryStats } from './native.js';

/** A CUDA device for the memory queries: 'cuda', 'cuda:N' or N (PyTorch takes both); absent: the current one. */
export type CudaDeviceSpec = string | number;

function cudaDeviceName(device: CudaDeviceSpec | undefined, fn: string): string | undefined {
  if (device === undefined || typeof device === 'string') return device;
  if (typeof device === 'number' && Number.isSafeInteger(device) && device >= 0) return `cuda:${device}`;
  throw new TypeError(`torch.cuda.${fn}: device must be 'cuda', 'cuda:N' or a device index N >= 0, got ${JSON.stringify(device)}`);
}

function memoryStats(device: CudaDeviceSpec | undefined, fn: string): NativeCudaMemoryStats | null {
  return native.cudaMemoryStats(cudaDeviceName(device, fn));
}

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
  // The caching allocator's counters (torch.cuda.memory_allocated and friends). Without CUDA (a
  // CPU machine, a CPU-only libtorch, or libtorch before 2.9, which lacks the device-generic
  // allocator interface) they return null instead of PyTorch's error, so logging code can ask
  // unconditionally. A malformed device name throws everywhere.
  /** Bytes held by live tensors on the device, or null without CUDA. */
  memoryAllocated(device?: CudaDeviceSpec): number | null {
    return memoryStats(device, 'memoryAllocated')?.allocatedBytes ?? null;
  },
  /** The most bytes held by tensors since the start or the last resetPeakMemoryStats, or null without CUDA. */
  maxMemoryAllocated(device?: CudaDeviceSpec): number | null {
    return memoryStats(device, 'maxMemoryAllocated')?.peakAllocatedBytes ?? null;
  },
  /** Bytes the caching allocator holds from the driver (allocated plus cached), or null without CUDA. */
  memoryReserved(device?: CudaDeviceSpec): number | null {
    return memoryStats(device, 'memoryReserved')?.reservedBytes ?? null;
  },
  /** The most bytes reserved since the start or the last resetPeakMemoryStats, or null without CUDA. */
  maxMemoryReserved(device?: CudaDeviceSpec): number | null {
    return memoryStats(device, 'maxMemoryReserved')?.peakReservedBytes ?? null;
  },
  /** Starts the peaks over from the current values (a no-op without CUDA). */
  resetPeakMemoryStats(device?: CudaDeviceSpec): void {
    native.cudaResetPeakMemoryStats(cudaDeviceName(device, 'resetPeakMemoryStats'));
  },
};

/** 'cuda' when a CUDA device is available, else 'cpu' (what a config's device: 'auto' means). */
export function defaultDevice(): string {
  return cuda.isAvailable() ? 'cuda' : 'cpu';
}
