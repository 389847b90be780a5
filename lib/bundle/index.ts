// Export bundles (`bundle` in the public API): a trained model as one self-describing folder
// (weights, model description, TaskSpec, tokenizer, metrics, data profile, model card) and the
// one call that loads it back and predicts. See format.ts for the folder's layout.
export { exportBundle } from './export.js';
export { loadBundle, type LoadBundleOptions, type LoadedBundle } from './load.js';
export { verifyBundle, BundleError, BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_VERSION, type BundleManifest } from './format.js';
export { type ExportBundleOptions, type BundleModel, type HistoryRow } from './source.js';
export { type BundlePrediction, type PredictInput } from './predict.js';
