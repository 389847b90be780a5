// torchtrain's amp namespace: autocast and GradScaler.
export { autocast, isAutocastEnabled, type AutocastOptions } from './autocast.js';
export { GradScaler, type GradScalerOptions, type GradScalerState, type ScalableOptimizer } from './grad-scaler.js';
