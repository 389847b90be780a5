// torchtrain's metrics namespace.
export { MetricsTracker, type LossTotals } from './tracker.js';
export { batchCounts, type BatchCounts } from './batch-metrics.js';
export { METRIC_NAMES, knownMetricNames, metricNameIssues } from './names.js';
