// The default collate: samples -> a batch of tensors. Dict samples go through the plain phase
// (collate-plain.ts: validation, dtypes, padding, attention masks) and then become tensors here,
// one copy each. Tensor samples (TensorDataset rows, or tensor fields) are stacked; tensors
// never come from worker threads, so this half runs on the main thread only.
import { Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import type { Batch } from '../loss/types.js';
import { collatePlain, type PlainBatch, type PlainValue } from './collate-plain.js';
import { type CollateOptions, type CollateRules, dataError, resolveCollateOptions } from './collate-rules.js';
import { warnEmptySamples } from './empty-samples.js';
import { DataError } from './errors.js';

/** What a collate function receives besides the samples. */
export interface CollateContext {
  /** Dataset indices of the samples (map-style datasets), for messages. */
  indices?: number[];
  /** The loader's epoch. */
  epoch: number;
}

export type CollateFn<T = unknown, B = Batch> = (samples: T[], context: CollateContext) => B | Promise<B>;

/**
 * Stacks samples into a batch. Dict samples (numbers, booleans, bigints, strings, arrays, typed
 * arrays, nested dicts) become a dict of tensors, with sequence fields padded and an attention
 * mask beside the inputs; see resolveCollateOptions/dtypeFor for the rules. A Tensor sample is
 * stacked; an array of tensors (a TensorDataset row) is collated position by position.
 * Empty samples are dropped with a warning (filterEmpty, default true).
 */
export function defaultCollate(samples: readonly unknown[], options: CollateOptions = {}): Batch | Tensor | unknown[] {
  return collateWithRules(samples, resolveCollateOptions(options));
}

/** defaultCollate with its options already resolved (the loader resolves them once, not per batch). */
export function collateWithRules(samples: readonly unknown[], rules: CollateRules): Batch | Tensor | unknown[] {
  if (!Array.isArray(samples) || samples.length === 0) throw new DataError('collate: got no samples; a batch needs at least one');
  const first = samples[0];
  if (first instanceof Tensor) return stackTensors(rules, '', samples as unknown[], samples.map((_, i) => i));
  if (Array.isArray(first) && first.some((v) => v instanceof Tensor)) return collateTuples(samples, rules);
  const plain = collatePlain(samples, rules);
  warnEmptySamples('collate', plain.filtered, { of: samples.length, indexName: 'batch position' });
  if (plain.value === undefined) {
    throw new DataError(`collate: all ${samples.length} samples are empty (zero-length ${plain.filtered[0]!.fields.join(', ')}); filter them out of the dataset`);
  }
  return plainToTensors(plain, rules) as Batch;
}

/** Makes the tensors of a plain batch (one copy each; the typed arrays are not kept). */
export function plainToTensors(plain: PlainBatch, rules: CollateRules | CollateOptions = {}): unknown {
  if (plain.value === undefined) throw new DataError('collate: the batch is empty');
  const resolved = 'idFields' in rules && rules.idFields instanceof Set ? rules as CollateRules : resolveCollateOptions(rules as CollateOptions);
  return toTensors(resolved, '', plain.value, plain.kept);
}

function toTensors(rules: CollateRules, field: string, value: PlainValue, positions: number[]): unknown {
  switch (value.kind) {
    case 'tensor': return torch.tensor(value.data, { dtype: value.dtype, shape: value.shape });
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value.fields)) out[key] = toTensors(rules, field ? `${field}.${key}` : key, v, positions);
      return out;
    }
    case 'list':
      return value.values.length > 0 && value.values[0] instanceof Tensor ? stackTensors(rules, field, value.values, positions) : value.values;
  }
}

/** Stacks tensors of equal shape; anything else is an error naming the sample (never libtorch's crash). */
function stackTensors(rules: CollateRules, field: string, values: unknown[], positions: number[]): Tensor {
  const first = values[0] as Tensor;
  // Read once: shape and dtype each ask the addon.
  const firstShape = first.shape.join(), firstDType = first.dtype;
  values.forEach((v, i) => {
    if (!(v instanceof Tensor)) throw dataError(rules, field, positions[i]!, `is not a Tensor but the first sample's is; give every sample the same kind of value`);
    if (i > 0 && (v.shape.join() !== firstShape || v.dtype !== firstDType)) {
      throw dataError(rules, field, positions[i]!, `is a ${v.dtype} tensor of shape [${v.shape.join(', ')}] but the first is ${first.dtype} [${first.shape.join(', ')}]; tensors are stacked, not padded: give plain arrays to have them padded`);
    }
  });
  return torch.stack(values as Tensor[]);
}

function collateTuples(samples: readonly unknown[], rules: CollateRules): unknown[] {
  const width = (samples[0] as unknown[]).length;
  samples.forEach((s, i) => {
    if (!Array.isArray(s) || s.length !== width) throw dataError(rules, '', i, `has ${Array.isArray(s) ? s.length : 'no'} elements but the first sample has ${width}; tuple samples must have the same length`);
  });
  return Array.from({ length: width }, (_, j) => collateWithRules(samples.map((s) => (s as unknown[])[j]), rules));
}
