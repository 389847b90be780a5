// torchtrain's metrics namespace.
export { MetricsTracker, type LossTotals } from './tracker.js';
export { batchCounts, type BatchCounts } from './batch-metrics.js';
export { METRIC_NAMES, knownMetricNames, metricNameIssues } from './names.js';
export { computeDatasetProfile, sampleIndices, ProfileError, type ProfileOptions, type ProfileSource } from './profile.js';
export {
  compareProfiles, populationStabilityIndex, jensenShannonDivergence, DEFAULT_PSI_THRESHOLD, DEFAULT_JS_THRESHOLD, DEFAULT_PSI_EPSILON, type DriftOptions,
} from './drift.js';
export { profileTrainingData, profileSourceOf, type ProfileDataSetting } from './profile-training.js';
export type {
  BinnedCounts, CategoricalFeatureProfile, DataProfiles, DatasetProfile, DriftReport, FeatureDrift, FeatureProfile, FieldKind, FieldProfile, NumericFeatureProfile,
} from './profile-types.js';
