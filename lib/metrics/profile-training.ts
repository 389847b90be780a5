// What the Trainer profiles at fit start: its training and validation data, as datasets when it
// can reach them (a DataLoader's dataset; the rows of an array of batches), then val against
// train with compareProfiles, and a console warning per drifted feature. Profiling reads items
// through the datasets' own get(), which may draw random numbers (augmentations): libtorch's
// generator is saved and restored around it, so a run trains the same with or without profiling.
import { getRngState, setRngState } from '../core/runtime.js';
import { Tensor } from '../core/tensor.js';
import { type TaskSpec } from '../task/spec.js';
import { compareProfiles } from './drift.js';
import { computeDatasetProfile, type ProfileSource } from './profile.js';
import { type DataProfiles, type DatasetProfile } from './profile-types.js';

/** The training config's profileData: true, false, or { maxSamples }. */
export type ProfileDataSetting = boolean | { maxSamples?: number };

/**
 * The items of an array of batches, row by row: each field's row r (a tensor's [r, ...] slice as
 * plain data; an array's element r). Reads a batch's tensors once for all its rows.
 */
class BatchRows {
  readonly length: number;
  private readonly starts: number[] = [];
  private cached: { batch: number; fields: Map<string, { data: ArrayLike<number> | BigInt64Array; shape: number[]; dtype: string } | unknown[]> } | null = null;

  constructor(private readonly batches: readonly Record<string, unknown>[]) {
    let n = 0;
    for (const b of batches) {
      this.starts.push(n);
      n += rowsOf(b);
    }
    this.length = n;
  }

  get(index: number): Record<string, unknown> {
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    const r = index - this.starts[lo]!;
    if (this.cached?.batch !== lo) {
      const fields = new Map<string, { data: ArrayLike<number> | BigInt64Array; shape: number[]; dtype: string } | unknown[]>();
      for (const [k, v] of Object.entries(this.batches[lo]!)) {
        if (v instanceof Tensor && v.dim() > 0) fields.set(k, { data: v.data() as ArrayLike<number>, shape: v.shape, dtype: v.dtype });
        else if (Array.isArray(v)) fields.set(k, v);
      }
      this.cached = { batch: lo, fields };
    }
    const item: Record<string, unknown> = {};
    for (const [k, v] of this.cached.fields) {
      if (Array.isArray(v)) item[k] = v[r];
      else {
        const per = v.shape.slice(1).reduce((a, b) => a * b, 1);
        const data = (v.data as Float32Array).subarray(r * per, (r + 1) * per);
        item[k] = { kind: 'tensor', dtype: v.dtype, shape: v.shape.slice(1), data };
      }
    }
    return item;
  }
}

function rowsOf(batch: Record<string, unknown>): number {
  for (const v of Object.values(batch)) if (v instanceof Tensor) return v.dim() > 0 ? v.shape[0]! : 1;
  return 0;
}

/** The dataset behind a batch source, or why there is none. */
export function profileSourceOf(source: unknown): { dataset: ProfileSource } | { skipped: string } {
  const dataset = (source as { dataset?: unknown })?.dataset;
  if (dataset && (typeof (dataset as { get?: unknown }).get === 'function' || typeof (dataset as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')) {
    return { dataset: dataset as ProfileSource };
  }
  if (Array.isArray(source) && source.every((b) => b && typeof b === 'object' && !Array.isArray(b))) return { dataset: new BatchRows(source as Record<string, unknown>[]) };
  return { skipped: 'the source is neither a DataLoader nor an array of batches (a generator can be read only once): not profiled' };
}

function skippedProfile(task: TaskSpec, why: string, maxSamples: number): DatasetProfile {
  return { version: 1, task: task.type, items: null, profiled: 0, sampled: false, sampling: 'none', seed: 0, maxSamples, fields: [], features: [], notes: [why] };
}

/**
 * Profiles train (and val, compared with train) for a Trainer's fit; undefined when switched off.
 * Warns on stderr, one line per drifted feature. A failure to profile warns and returns what it
 * has: profiling is a diagnosis and never stops a run.
 */
export async function profileTrainingData(train: unknown, val: unknown, task: TaskSpec, setting: ProfileDataSetting, seed: number, signal?: AbortSignal): Promise<DataProfiles | undefined> {
  if (setting === false) return undefined;
  const maxSamples = typeof setting === 'object' && setting.maxSamples ? setting.maxSamples : 5000;
  const rng = getRngState();
  const out: DataProfiles = {};
  try {
    const t = profileSourceOf(train);
    out.train = 'dataset' in t ? await computeDatasetProfile(t.dataset, task, { maxSamples, seed, name: 'train', signal }) : skippedProfile(task, t.skipped, maxSamples);
    if (val !== undefined) {
      const v = profileSourceOf(val);
      out.val = 'dataset' in v
        ? await computeDatasetProfile(v.dataset, task, { maxSamples, seed, name: 'val', reference: out.train.profiled ? out.train : undefined, signal })
        : skippedProfile(task, v.skipped, maxSamples);
    }
    if (out.train.profiled && out.val?.profiled) {
      out.drift = compareProfiles(out.train, out.val, { names: ['train', 'val'] });
      for (const f of out.drift.features) {
        if (f.flagged) console.warn(`torchtrain: data drift: ${f.summary}. The validation data differs from the training data here, so validation metrics may not reflect the training distribution (thresholds: PSI ${out.drift.thresholds.psi}, JS ${out.drift.thresholds.js}; config.profileData: false turns profiling off)`);
      }
    }
  } catch (err) {
    // A stop (signal, abort) during profiling ends it quietly: the fit stops next.
    if (signal?.aborted) return out;
    console.warn(`torchtrain: could not profile the data (${(err as Error).message}); training goes on without data profiles (config.profileData: false turns profiling off)`);
  } finally {
    setRngState(rng);
  }
  return out;
}
