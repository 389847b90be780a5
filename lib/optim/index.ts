// torchtrain's optim namespace.
export { Optimizer, ParamGroup, type GroupOptions, type ParamGroupInput, type ParamsInput, type OptimizerStateDict } from './optimizer.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { SGD, type SGDOptions } from './sgd.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export { paramGroupsWithoutDecay } from './param-groups.js';
export { LRScheduler } from './schedulers/base.js';
export { OneCycleLR, type OneCycleOptions } from './schedulers/one-cycle.js';
export { WarmupCosineLR, WarmupLinearLR, WarmupConstantLR, type WarmupOptions } from './schedulers/warmup.js';
export { StepLR, ReduceLROnPlateau, type PlateauOptions } from './schedulers/step-lr.js';
