// Distributed training on PyTorch's c10d (DESIGN.md section 3): process groups under torchrun.
export {
  initProcessGroup, isInitialized, getRank, getWorldSize, getLocalRank, getBackend,
  allReduce, broadcast, allGather, reduceScatter, barrier, destroyProcessGroup, DEFAULT_TIMEOUT_MS,
} from './process-group.js';
export type { Backend, ReduceOp, InitProcessGroupOptions } from './process-group.js';
export { readTorchrunEnvironment, LAUNCH_HINT } from './environment.js';
export type { TorchrunEnvironment } from './environment.js';
export { allReduceGradients, gradientBuckets } from './gradient-buckets.js';
export type { AllReduceGradientsOptions, GradientBucket } from './gradient-buckets.js';
