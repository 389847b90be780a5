// torchtrain's public entry point.
export { torch } from './core/torch.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as amp from './amp/index.js';
export { Tensor } from './core/tensor.js';
export type { Scalar, NestedArray } from './core/tensor.js';
export type { DType, AnyTypedArray } from './core/dtype.js';
export type { TensorOptions, Shape } from './core/creation.js';
export type { TorchInfo, MemoryStats } from './core/runtime.js';
export type { IndexItem, Slice } from './core/tensor-indexing.js';
export type { ValuesIndices, Dims } from './core/tensor-reduction.js';
export type { GradOptions } from './core/autograd.js';
export { TorchError, OutOfMemoryError } from './core/errors.js';
export * as io from './io/index.js';
export * as jit from './jit/index.js';
export * as models from './models/index.js';
