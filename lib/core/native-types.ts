// The values the native interface speaks (lib/core/native.ts declares the functions): branded
// handles, and the option and result records the bindings read and return. Only lib/core uses them.

/** An entry in the addon's tensor table (one at::Tensor reference). */
export type TensorHandle = number & { readonly __brand: 'TensorHandle' };
/** A native optimizer (an id into the per-env optimizer table, native/boundary.h). */
export type OptimizerHandle = number & { readonly __brand: 'OptimizerHandle' };
/** A TorchScript module (bind_jit.cpp's table); submodules get handles of their own. */
export type ModuleHandle = number & { readonly __brand: 'ModuleHandle' };
/** A registered operator overload resolved by opSchema (bind_dispatch.cpp). */
export type OperatorHandle = number & { readonly __brand: 'OperatorHandle' };
/** Where the addon says "no tensor" (an undefined at::Tensor), or is told so. */
export type NoTensor = -1;
/** A c10::ScalarType code (lib/core/dtype.ts maps them to names). */
export type DTypeCode = number;
/** A number as Python passes one: integral numbers and bigints are ints, booleans bools. */
export type NativeScalar = number | boolean | bigint;
/** One dim, or several. */
export type NativeDims = number | number[];
export type Reduction = 'none' | 'mean' | 'sum';
export type RoundingMode = 'trunc' | 'floor';

/** An item of the index spec index/indexPut_ read (lib/core/tensor-indexing.ts builds it). */
export type IndexSpecItem = number | boolean | null | '...' | [start: number | null, stop: number | null, step: number | null] | { tensor: TensorHandle };

export interface OperatorSchema {
  id: OperatorHandle;
  schema: string;
  args: { name: string; type: string; kwargOnly: boolean; hasDefault: boolean; mutable: boolean }[];
  returns: string[];
}

export interface NativeInfo {
  torchtrainVersion: string;
  libtorchVersion: string;
  cxx11Abi: boolean;
  cudaLinked: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  numThreads: number;
  numInteropThreads: number;
  mkl: boolean;
  mkldnn: boolean;
  parallelInfo: string;
}

export interface NativeMemory { tensors: number; bytes: number; storages: number; storageBytes: number; reportedToV8: number; environments: number }

export interface AutocastState { enabled: boolean; dtype: DTypeCode; cacheEnabled: boolean }

/** A parameter group's options as the native optimizers hold them. */
export interface NativeGroupOptions {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  maximize: boolean;
}

/** A GradScaler's state (all five or none), then the update's own options. */
export interface NativeOptimizerStepOptions {
  scale?: TensorHandle;
  growthTracker?: TensorHandle;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  /** A positive number, or a 0-d tensor on the gradients' device (items accumulated there). */
  gradDivisor?: number | { tensor: TensorHandle };
  maxNorm?: number;
  normType?: number;
  errorIfNonfinite?: boolean;
  setToNone?: boolean;
}

export interface NativeOptimizerStepResult {
  /** The total norm before clipping (null without maxNorm). */
  gradNorm: TensorHandle | null;
  /** 0-d float32, 1 where a gradient was inf/NaN. */
  foundInf: TensorHandle;
  /** Whether the scaler skipped the update; null without a scaler (never skipped). */
  skipped: boolean | null;
}

/**
 * A TorchScript value on the wire (native/ivalues.h): the addon cannot tell a tensor handle
 * from a number, so tensors and dicts travel tagged.
 */
export type JitWire =
  | number
  | bigint
  | boolean
  | string
  | null
  | undefined
  | JitWire[]
  | { kind: 'tensor'; handle: TensorHandle }
  | { kind: 'dict'; keys: JitWire[]; values: JitWire[] };

/** bind_runtime.cpp cudaMemoryStats: bytes, as torch.cuda.memory_stats()'s "*.all.*" entries. */
export interface NativeCudaMemoryStats {
  device: number;
  allocatedBytes: number;
  peakAllocatedBytes: number;
  reservedBytes: number;
  peakReservedBytes: number;
}

/** [dotted name, handle, index of the entry it aliases or -1]. */
export type NamedTensorEntry = [name: string, handle: TensorHandle, aliasOf: number];

export type NativeReduceOp = 'sum' | 'mean' | 'max' | 'min' | 'product';
export interface NativeGroupInfo { rank: number; worldSize: number; backend: 'gloo' | 'nccl'; timeoutMs: number }
