// torchtrain's public entry point.
// The declarations use Symbol.dispose (`using t = ...`): a consumer's TypeScript gets that lib from here.
/// <reference lib="esnext.disposable" preserve="true" />
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
export * as data from './data/index.js';
export { seedEverything } from './data/seed.js';
export * as engine from './engine/index.js';
export * as checkpoint from './checkpoint/index.js';
export { Trainer } from './engine/trainer.js';
export * as task from './task/index.js';
export { TaskSpec, TaskSpecs, parseTaskSpec } from './task/index.js';
export * as metrics from './metrics/index.js';
export * as loggers from './loggers/index.js';
export * as losses from './loss/index.js';
export * as bundle from './bundle/index.js';
export { exportBundle, loadBundle } from './bundle/index.js';
export * as config from './config/index.js';
export { getTrainer, createTrainerForModelType, TrainingConfigBuilder } from './config/index.js';
export { startProgress, Progress, type ProgressOptions, type ProgressStream } from './progress/index.js';
export * as distributed from './distributed/index.js';
export * as hf from './hf/index.js';
export * as bench from './bench/index.js';
