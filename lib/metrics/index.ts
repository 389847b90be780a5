// torchtrain's metrics namespace.
export { MetricsTracker } from './tracker.js';
export { batchCounts, type BatchCounts } from './batch-metrics.js';
