// The shapes of a data profile and a drift report: plain JSON (they go into the dashboard, the
// export bundle and model cards), so every number is finite and every histogram is arrays.

/**
 * Counts in bins cut at `edges` (a reference profile's quantiles): bin 0 is (-inf, edges[0]],
 * bin i is (edges[i-1], edges[i]], the last is (edges[last], +inf), so counts.length is
 * edges.length + 1 and a value outside the reference's range still lands in a bin.
 */
export interface BinnedCounts {
  edges: number[];
  counts: number[];
}

/** What a numeric feature measures of its field. */
export type NumericMeasure = 'value' | 'target' | 'sequence_length' | 'text_length' | 'item_mean';

/** Statistics of one number per item (or per item and column). */
export interface NumericFeatureProfile {
  /** The feature's name: the field, a column ('features[2]') or a measure of it ('input_ids.length'). */
  name: string;
  field: string;
  kind: 'numeric';
  measure: NumericMeasure;
  /** Finite values seen. */
  count: number;
  /** Non-finite values (NaN, +-inf), left out of every statistic. */
  nonFinite: number;
  mean: number;
  /** Population standard deviation (numpy's default, ddof 0). */
  std: number;
  min: number;
  max: number;
  /** For reading: the 1st, 5th, 25th, 50th, 75th, 95th and 99th percentiles (numpy's linear interpolation). */
  quantiles: { p01: number; p05: number; p25: number; p50: number; p75: number; p95: number; p99: number };
  /** Percentiles 0, 1, ..., 100: what compareProfiles re-bins from when two profiles' edges differ. */
  percentiles: number[];
  histogram: BinnedCounts;
  /** Image fields only: every pixel's mean and standard deviation (the feature itself is the per-item mean). */
  pixels?: { mean: number; std: number; count: number };
}

export type CategoricalMeasure = 'label' | 'token' | 'token_label' | 'multilabel';

/** Counts of discrete values: classes, the most frequent token ids, ... */
export interface CategoricalFeatureProfile {
  name: string;
  field: string;
  kind: 'categorical';
  measure: CategoricalMeasure;
  /** Observations counted (items for a label, tokens for a token field, positives for multi-label). */
  total: number;
  /** The categories listed (class ids, or the top token ids), as strings. */
  categories: string[];
  counts: number[];
  /** Observations in categories not listed (the tokens outside the top K; out-of-range labels). */
  other: number;
  /** Distinct values seen. */
  distinct: number;
  /** Observations equal to the TaskSpec's ignoreIndex (not counted anywhere else). */
  ignored?: number;
}

export type FeatureProfile = NumericFeatureProfile | CategoricalFeatureProfile;

/** How a field was read. */
export type FieldKind = 'tokens' | 'image' | 'numeric' | 'columns' | 'vector' | 'label' | 'text' | 'auxiliary' | 'other';

export interface FieldProfile {
  name: string;
  kind: FieldKind;
  /** Items that had the field. */
  present: number;
  /** Items without it (absent, null or undefined). */
  missing: number;
  /** Items where it was empty: no elements, '', or (token fields) only padding. */
  empty: number;
  /** dtype of the first value seen ('float32', 'int64', 'number', 'string', ...). */
  dtype: string;
  /** Shape of the first value seen (per item). */
  shape: number[];
  /** Why the field has no feature, when it has none. */
  note?: string;
}

export interface DatasetProfile {
  version: 1;
  /** The TaskSpec's type the fields were read for. */
  task: string;
  /** Items in the dataset (null: a stream without a length). */
  items: number | null;
  /** Items read. */
  profiled: number;
  /** Whether the profile covers a part of the data only. */
  sampled: boolean;
  /** all: every item; random: a seeded sample without replacement; head: a stream's first items; none: not read. */
  sampling: 'all' | 'random' | 'head' | 'none';
  seed: number;
  maxSamples: number;
  fields: FieldProfile[];
  features: FeatureProfile[];
  /** Anything a reader should know (a stream profiled by its head, a field skipped, ...). */
  notes: string[];
}

/** One feature of compareProfiles: how far `current` moved from `reference`. */
export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  /** Population stability index (natural log; empty bins at epsilon). */
  psi: number;
  /** Jensen-Shannon divergence, base 2, in [0, 1]. */
  js: number;
  flagged: boolean;
  /** exact: both profiles were binned on the same edges; approximate: current re-binned from its percentiles. */
  binning: 'exact' | 'approximate';
  /** The bins' names ('<= 12', '12 – 30', '> 30'; class ids; token ids and 'other'). */
  bins: string[];
  /** Each bin's share of reference and current (sums to 1, before epsilon). */
  referenceShares: number[];
  currentShares: number[];
  /** Observations on each side (items, tokens). */
  referenceCount: number;
  currentCount: number;
  /** One line for people: what moved, and how much. */
  summary: string;
}

export interface DriftReport {
  reference: string;
  current: string;
  thresholds: { psi: number; js: number };
  epsilon: number;
  features: FeatureDrift[];
  /** The flagged features' names. */
  flagged: string[];
  /** Features in one profile only. */
  unmatched: { feature: string; in: string }[];
}

/** What the Trainer profiles at fit start: trainer.dataProfiles. */
export interface DataProfiles {
  train?: DatasetProfile;
  val?: DatasetProfile;
  /** val compared with train. */
  drift?: DriftReport;
}
