// Process-level state: which libtorch is loaded, live-tensor counts, random generators, threads.
import { addonFile, buildInfo, native } from './addon.js';
import { type NativeInfo } from './native.js';
import { scopeDepth } from './scope.js';

export { hostReads } from './host-reads.js';

/** What the addon reports of itself (NativeInfo), and how the build found libtorch. */
export interface TorchInfo extends NativeInfo {
  /** How the build found libtorch: the LIBTORCH variable, a Python torch, or the system package. */
  libtorchSource: string | null;
  libtorchDir: string | null;
  addon: string;
  referencePython: string | null;
}

/** Which libtorch is in use, how it was found, CUDA and thread counts. */
export function info(): TorchInfo {
  const n = native.info();
  return {
    torchtrainVersion: n.torchtrainVersion,
    libtorchVersion: n.libtorchVersion,
    libtorchSource: buildInfo?.libtorch.source ?? null,
    libtorchDir: buildInfo?.libtorch.libDir ?? null,
    cxx11Abi: n.cxx11Abi,
    cudaLinked: n.cudaLinked,
    cudaAvailable: n.cudaAvailable,
    cudaDeviceCount: n.cudaDeviceCount,
    numThreads: n.numThreads,
    numInteropThreads: n.numInteropThreads,
    mkl: n.mkl,
    mkldnn: n.mkldnn,
    parallelInfo: n.parallelInfo,
    addon: addonFile,
    referencePython: buildInfo?.referencePython ?? null,
  };
}

export interface MemoryStats {
  /** Live tensor handles. */
  tensors: number;
  /** Bytes those handles cover (a view counts its own extent). */
  bytes: number;
  /** Distinct storages behind them, and their bytes (views share one). */
  storages: number;
  storageBytes: number;
  /** Native bytes V8 has been told about (napi_adjust_external_memory, batched per MiB), which
   * makes the GC run sooner when unscoped tensors pile up. */
  reportedToV8: number;
  /** How deeply torch.scope calls are nested where memory() was called. */
  scopeDepth: number;
  /** JS environments in this process (the main thread and each worker thread) holding torchtrain
   * state. A worker's state, every tensor in it included, is freed when the worker ends, also by
   * worker.terminate(); the other fields count this thread's tensors only. */
  environments: number;
}

export function memory(): MemoryStats {
  const m = native.memory();
  return { tensors: m.tensors, bytes: m.bytes, storages: m.storages, storageBytes: m.storageBytes, reportedToV8: m.reportedToV8, scopeDepth: scopeDepth(), environments: m.environments };
}

/** Seeds the CPU generator and every CUDA generator, as torch.manual_seed does. */
export function manualSeed(seed: number | bigint): void {
  native.manualSeed(seed);
}

/** Seeds from a non-deterministic source and returns the seed. */
export function seed(): bigint {
  return native.seed();
}

export function initialSeed(): bigint {
  return native.initialSeed();
}

/**
 * A generator's state as bytes (for checkpoints): the CPU's by default (torch.get_rng_state()),
 * or a CUDA device's ('cuda', 'cuda:N'; torch.cuda.get_rng_state(N)). setRngState restores it.
 */
export function getRngState(device?: string): Uint8Array {
  return new Uint8Array(native.getRngState(device));
}

export function setRngState(state: Uint8Array, device?: string): void {
  native.setRngState(state, device);
}

export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** Inter-op threads can only be set before any inter-op work has started. */
export function setNumInteropThreads(n: number): void {
  native.setNumInteropThreads(n);
}

export function getNumInteropThreads(): number {
  return native.getNumInteropThreads();
}
