// What happens to a batch's samples before any tensor is made, the same in a worker thread and
// on the main thread: empty samples are dropped (and counted), then either the default collate's
// plain phase runs, or the samples are handed on as they are for a user collate.
import { collatePlain, type PlainBatch } from './collate-plain.js';
import type { CollateOptions } from './collate-rules.js';
import { type EmptySample, partitionEmpty } from './empty-samples.js';

/** A sample dropped as empty; index: its dataset index (map-style) or stream position (iterable). */
export type FilteredSample = EmptySample;

export interface AssembledBatch {
  /** Dataset indices of the samples kept. */
  indices: number[];
  /** The kept samples, for a collate that runs on the main thread. */
  samples?: unknown[];
  /** The default collate's plain batch (no samples kept: value undefined). */
  plain?: PlainBatch;
  filtered: FilteredSample[];
}

/** Drops empty samples (when asked) and, given default-collate options, runs the plain phase. */
export function assembleBatch(samples: unknown[], indices: number[], collate: CollateOptions | null, filterEmpty: boolean): AssembledBatch {
  const { kept, keptIndices, empty: filtered } = partitionEmpty(samples, indices, filterEmpty);
  if (!collate) return { indices: keptIndices, samples: kept, filtered };
  const plain = kept.length ? collatePlain(kept, { ...collate, indices: keptIndices, filterEmpty: false }) : { value: undefined, size: 0, kept: [], filtered: [] };
  return { indices: keptIndices, plain, filtered };
}

/** Reads samples by index; gets that return promises are awaited together, in order. */
export async function fetchSamples(dataset: { get(i: number): unknown }, indices: number[]): Promise<unknown[]> {
  const out = indices.map((i) => dataset.get(i));
  return out.some((v) => v instanceof Promise) ? Promise.all(out) : out;
}

/** An error as data, to cross from a worker (Error objects lose their own fields when cloned). */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  where?: Record<string, unknown>;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const where: Record<string, unknown> = {};
    for (const key of ['path', 'field', 'sampleIndex', 'datasetIndex']) if ((e as unknown as Record<string, unknown>)[key] !== undefined) where[key] = (e as unknown as Record<string, unknown>)[key];
    return { name: e.name, message: e.message, stack: e.stack, where };
  }
  return { name: 'Error', message: String(e) };
}
