// Empty samples: a sample with a zero-length sequence field (an empty line of a corpus, a text
// the tokenizer turned into nothing) would become an all-padding row whose loss has no items.
// They are dropped before collation and reported in one warning with the count. This is the one
// filter the default collate, the DataLoader and its worker threads share (workers load this
// file: no tensor core imports).
import { isPlainObject } from './collate-rules.js';

/** A dropped sample: its index (dataset index, stream position or batch position) and its empty fields. */
export interface EmptySample {
  index: number;
  fields: string[];
}

/** The (dotted) names of a sample's zero-length sequence fields; empty when the sample is fine. */
export function emptyFields(sample: unknown, prefix = ''): string[] {
  if (Array.isArray(sample) || (ArrayBuffer.isView(sample) && !(sample instanceof DataView))) {
    return (sample as ArrayLike<unknown>).length === 0 ? [prefix || '(sample)'] : [];
  }
  if (!isPlainObject(sample)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(sample)) out.push(...emptyFields(value, prefix ? `${prefix}.${key}` : key));
  return out;
}

/** Splits samples into the kept ones (with their indices) and the empty ones; `filter` false keeps all. */
export function partitionEmpty<T>(samples: readonly T[], indices: readonly number[], filter: boolean): { kept: T[]; keptIndices: number[]; empty: EmptySample[] } {
  const kept: T[] = [];
  const keptIndices: number[] = [];
  const empty: EmptySample[] = [];
  samples.forEach((sample, i) => {
    const fields = filter ? emptyFields(sample) : [];
    if (fields.length) {
      empty.push({ index: indices[i]!, fields });
    } else {
      kept.push(sample);
      keptIndices.push(indices[i]!);
    }
  });
  return { kept, keptIndices, empty };
}

/**
 * The one warning about dropped samples (process.emitWarning, type DataWarning, code
 * TORCHTRAIN_EMPTY_SAMPLES): who dropped how many, of how many or in which epoch, which fields
 * were empty, and an example index.
 */
export function warnEmptySamples(who: string, empty: readonly EmptySample[], context: { of?: number; epoch?: number; indexName: string }): void {
  if (empty.length === 0) return;
  const fields = [...new Set(empty.flatMap((e) => e.fields))];
  const of = context.of === undefined ? '' : ` of ${context.of}`;
  const epoch = context.epoch === undefined ? '' : ` in epoch ${context.epoch}`;
  process.emitWarning(`${who} dropped ${empty.length} empty sample(s)${of}${epoch} (zero-length ${fields.join(', ')}; e.g. ${context.indexName} ${empty[0]!.index}); `
    + 'clean the dataset, or pass filterEmpty: false to keep them as all-padding rows', { type: 'DataWarning', code: 'TORCHTRAIN_EMPTY_SAMPLES' });
}
