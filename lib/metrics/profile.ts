// computeDatasetProfile(dataset, task): what a dataset looks like, in numbers two datasets can be
// compared by (compareProfiles in drift.ts). Per field, chosen by the TaskSpec and the values:
// token fields give a sequence-length histogram and the top token ids; the label field a class
// distribution (not for language models, whose labels are their inputs); numbers their moments,
// percentiles and counts in quantile bins; images their pixel mean/std and a histogram of each
// item's mean; every field how often it was missing or empty. Large datasets are sampled (seeded,
// without replacement) and the profile says so; streams are profiled by their first items.
import { z } from 'zod';
import { scope } from '../core/scope.js';
import { parseOrThrow } from '../core/validation.js';
import { SeededRandom } from '../data/random.js';
import { startProgress, type ProgressOptions } from '../progress/index.js';
import { type TaskSpec, type TaskSpecInput, parseTaskSpec } from '../task/spec.js';
import { fieldKind, itemFields, readValue, type ReadValue } from './profile-fields.js';
import { CategoricalCounter, NumericAccumulator } from './profile-stats.js';
import { type DatasetProfile, type FeatureProfile, type FieldKind, type FieldProfile } from './profile-types.js';

export interface ProfileOptions {
  /** At most this many items are read (default 5000); more are sampled. */
  maxSamples?: number;
  /** The sample's seed (default 0): the same seed, the same items. */
  seed?: number;
  /** Quantile bins of numeric features (default 10, deciles, as PSI is usually computed). */
  bins?: number;
  /** Token ids listed in a token histogram (default 50; the rest are counted as 'other'). */
  topTokens?: number;
  /** A numeric vector field up to this long is profiled column by column (default 32); longer ones by each item's mean. */
  maxColumns?: number;
  /** A profile to be compared with: its bin edges and top tokens are used here, so the comparison is exact. */
  reference?: DatasetProfile;
  /** What the data is, for progress messages ('train', 'val'). */
  name?: string;
  /** Progress on stderr for long profiles (default true; false: none; or ProgressOptions). */
  progress?: boolean | ProgressOptions;
  /** Stops profiling with a ProfileError when aborted (the Trainer aborts it on SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

/** What computeDatasetProfile reads: a map-style dataset, a stream, or an array of items. */
export type ProfileSource = { readonly length: number; get(index: number): unknown } | AsyncIterable<unknown> | readonly unknown[];

const optionsSchema = z.object({
  maxSamples: z.number().int().positive().default(5000),
  seed: z.number().int().min(0).default(0),
  bins: z.number().int().min(2).max(1000).default(10),
  topTokens: z.number().int().positive().default(50),
  maxColumns: z.number().int().min(1).default(32),
  reference: z.custom<DatasetProfile>((v) => !!v && typeof v === 'object' && Array.isArray((v as DatasetProfile).features), 'a DatasetProfile (computeDatasetProfile\'s result)').optional(),
  name: z.string().default('data'),
  progress: z.union([z.boolean(), z.custom<ProgressOptions>((v) => !!v && typeof v === 'object')]).default(true),
  /** Stops profiling (a ProfileError) when aborted, even while a dataset's get() never settles. */
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'an AbortSignal').optional(),
}).strict();

type Options = z.output<typeof optionsSchema>;

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** Distinct indices in [0, n), k of them, ascending: Floyd's sampling without replacement. */
export function sampleIndices(n: number, k: number, seed: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const rng = new SeededRandom(seed);
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = rng.nextInt(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

interface FieldState {
  profile: FieldProfile;
  numeric: Map<string, NumericAccumulator>;
  categorical: CategoricalCounter | null;
}

/** Reads items one by one into per-field accumulators. */
class ProfileBuilder {
  readonly fields = new Map<string, FieldState>();
  profiled = 0;

  constructor(readonly task: TaskSpec, readonly options: Options) {}

  add(item: unknown): void {
    this.profiled++;
    for (const [name, raw] of itemFields(item, this.task)) {
      const value = readValue(raw);
      if (value === undefined) continue;
      let state = this.fields.get(name);
      if (!state) {
        const kind = fieldKind(name, value, this.task, this.options.maxColumns);
        const dtype = value.kind === 'numbers' ? value.dtype : value.kind === 'text' ? 'string' : value.dtype;
        const shape = value.kind === 'numbers' ? value.shape : value.kind === 'text' ? [value.text.length] : [value.size];
        state = { profile: { name, kind, present: 0, missing: 0, empty: 0, dtype, shape }, numeric: new Map(), categorical: null };
        this.fields.set(name, state);
      }
      state.profile.present++;
      if (this.observe(state, value)) state.profile.empty++;
    }
  }

  private num(state: FieldState, name: string, measure: NumericAccumulator['measure']): NumericAccumulator {
    let acc = state.numeric.get(name);
    if (!acc) state.numeric.set(name, (acc = new NumericAccumulator(name, state.profile.name, measure)));
    return acc;
  }

  private cat(state: FieldState, name: string, measure: CategoricalCounter['measure']): CategoricalCounter {
    return (state.categorical ??= new CategoricalCounter(name, state.profile.name, measure));
  }

  /** Adds one value of a field; returns whether it was empty. */
  private observe(state: FieldState, value: ReadValue): boolean {
    const name = state.profile.name;
    if (value.kind === 'text') {
      this.num(state, `${name}.length`, 'text_length').add(value.text.length);
      return value.text.length === 0;
    }
    if (value.kind === 'other') return value.size === 0;
    const xs = value.values;
    const kind: FieldKind = state.profile.kind;
    if (xs.length === 0 && kind !== 'tokens') return true;
    if (kind === 'tokens') {   // an empty sequence is a length of 0 in the histogram
      const pad = this.task.padTokenId;
      const tokens = this.cat(state, `${name}.tokens`, 'token');
      let length = 0;
      for (let i = 0; i < xs.length; i++) {
        if (xs[i] === pad) continue;
        length++;
        tokens.add(xs[i]!);
      }
      this.num(state, `${name}.length`, 'sequence_length').add(length);
      return length === 0;
    }
    if (kind === 'image') this.num(state, `${name}.mean`, 'item_mean').addPixels(xs);
    else if (kind === 'vector') this.num(state, `${name}.mean`, 'item_mean').add(mean(xs));
    else if (kind === 'numeric') this.num(state, name, 'value').add(xs[0]!);
    else if (kind === 'columns') for (let j = 0; j < xs.length && j < this.options.maxColumns; j++) this.num(state, `${name}[${j}]`, 'value').add(xs[j]!);
    else if (kind === 'label') this.observeLabel(state, value);
    return false;
  }

  private observeLabel(state: FieldState, value: Extract<ReadValue, { kind: 'numbers' }>): void {
    const { type, ignoreIndex, numClasses } = this.task;
    const name = state.profile.name, xs = value.values;
    if (type === 'causal_lm' || type === 'masked_lm') return;
    if (type === 'regression' || type === 'contrastive' || (!value.integer && !numClasses)) {
      if (xs.length === 1) this.num(state, name, 'target').add(xs[0]!);
      else for (let j = 0; j < xs.length && j < this.options.maxColumns; j++) this.num(state, `${name}[${j}]`, 'target').add(xs[j]!);
      return;
    }
    if (type === 'multilabel_classification') {
      const c = this.cat(state, name, 'multilabel');
      for (let j = 0; j < xs.length; j++) if (xs[j]! > 0.5) c.add(j);
      return;
    }
    const c = this.cat(state, name, type === 'token_classification' ? 'token_label' : 'label');
    if (!value.integer && xs.length === numClasses && xs.length > 1) {
      c.add(argmax(xs));   // a soft or one-hot label: its class
      return;
    }
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] === ignoreIndex) c.addIgnored();
      else c.add(xs[i]!);
    }
  }

  build(base: Omit<DatasetProfile, 'fields' | 'features' | 'notes' | 'profiled'>, notes: string[]): DatasetProfile {
    const o = this.options;
    const fields: FieldProfile[] = [];
    const features: FeatureProfile[] = [];
    const refByName = new Map((o.reference?.features ?? []).map((f) => [f.name, f]));
    for (const state of this.fields.values()) {
      const p = state.profile;
      p.missing = this.profiled - p.present;
      const before = features.length;
      for (const acc of state.numeric.values()) {
        const ref = refByName.get(acc.name);
        const summary = acc.summarise(o.bins, ref?.kind === 'numeric' ? ref.histogram.edges : undefined);
        if (summary) features.push(summary);
      }
      const c = state.categorical;
      if (c && c.size > 0) {
        const ref = refByName.get(c.name);
        const fixed = c.measure === 'token' || !this.task.numClasses ? undefined : Array.from({ length: this.task.numClasses }, (_, i) => i);
        features.push(c.summarise({ fixed, topK: o.topTokens, include: ref?.kind === 'categorical' ? ref.categories : undefined }));
      } else if (c && c.summarise({}).ignored) {
        p.note = 'every value was the ignore index';
      }
      if (features.length === before && !p.note) p.note = noteFor(p.kind, this.task);
      fields.push(p);
    }
    return { ...base, profiled: this.profiled, fields, features, notes };
  }
}

function noteFor(kind: FieldKind, task: TaskSpec): string {
  if (kind === 'label' && (task.type === 'causal_lm' || task.type === 'masked_lm')) return 'language-model labels are the inputs shifted or masked: not profiled';
  if (kind === 'auxiliary') return 'derived from other fields (mask, ids, positions): counted, not profiled';
  if (kind === 'other') return 'not numbers or text: counted, not profiled';
  return 'no finite values';
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

function isMapLike(d: unknown): d is { readonly length: number; get(index: number): unknown } {
  return !!d && typeof (d as { get?: unknown }).get === 'function' && typeof (d as { length?: unknown }).length === 'number';
}

/**
 * A profile of `dataset` for `task`: sizes, and per field the statistics its kind has (see the
 * top of this file). Reads at most options.maxSamples items (default 5000): a seeded random
 * sample without replacement of a map-style dataset, the first items of a stream.
 */
export async function computeDatasetProfile(dataset: ProfileSource, task: TaskSpec | TaskSpecInput, options: ProfileOptions = {}): Promise<DatasetProfile> {
  const o = parseOrThrow(optionsSchema, options, (issues) => new ProfileError(`computeDatasetProfile: invalid options:\n  ${issues.map((i) => i.text).join('\n  ')}`),
    { root: '(options)', known: { owner: 'computeDatasetProfile', keys: Object.keys(optionsSchema.shape) } });
  const spec = isParsedSpec(task) ? task : parseTaskSpec(task);
  const builder = new ProfileBuilder(spec, o);
  const base = { version: 1 as const, task: spec.type, seed: o.seed, maxSamples: o.maxSamples };
  const progressOptions = typeof o.progress === 'object' ? o.progress : {};
  const notes: string[] = [];
  if (Array.isArray(dataset) || isMapLike(dataset)) {
    const source = dataset as { readonly length: number; get?(i: number): unknown } & ArrayLike<unknown>;
    const n = source.length;
    const at = typeof source.get === 'function' ? (i: number) => source.get!(i) : (i: number) => source[i];
    const indices = sampleIndices(n, o.maxSamples, o.seed);
    const progress = o.progress === false ? null : startProgress(`profiling ${o.name} data`, { ...progressOptions, total: indices.length, unit: 'items' });
    // Tensors a dataset makes for an item (TensorDataset's row views) are freed with the chunk's
    // scope; tensors the dataset holds itself are not the scope's, so they stay.
    for (let start = 0; start < indices.length; start += 64) {
      await scope(async () => {
        for (const i of indices.slice(start, start + 64)) {
          if (o.signal?.aborted) throw stopped(o.signal);
          let item = at(i);
          if (item instanceof Promise) item = await untilAborted(item, o.signal);
          builder.add(item);
        }
      });
      progress?.update(Math.min(indices.length, start + 64));
    }
    progress?.finish();
    if (n > indices.length) notes.push(`a seeded random sample (seed ${o.seed}) of ${indices.length} of the ${n} items`);
    return builder.build({ ...base, items: n, sampled: n > indices.length, sampling: n > indices.length ? 'random' : 'all' }, notes);
  }
  if (dataset && typeof (dataset as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const length = (dataset as { length?: unknown }).length;
    const known = typeof length === 'number' ? length : null;
    const progress = o.progress === false ? null : startProgress(`profiling ${o.name} data`, { ...progressOptions, total: known === null ? undefined : Math.min(known, o.maxSamples), unit: 'items' });
    const it = (dataset as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    let more = false;
    try {
      while (true) {
        if (builder.profiled >= o.maxSamples) {
          more = true;
          break;
        }
        const r = await scope(async () => {
          const next = await untilAborted(it.next(), o.signal);
          if (!next.done) builder.add(next.value);
          return next.done;
        });
        if (r) break;
        progress?.tick();
      }
    } finally {
      if (more) await it.return?.();
      progress?.finish();
    }
    const sampled = more && (known === null || known > builder.profiled);
    if (sampled) notes.push(`a stream: its first ${builder.profiled} items (not a random sample; later items may differ)`);
    return builder.build({ ...base, items: known ?? (more ? null : builder.profiled), sampled, sampling: sampled ? 'head' : 'all' }, notes);
  }
  throw new ProfileError(`computeDatasetProfile: expected a dataset (length + get(i), an async iterable, or an array of items), got ${dataset === null ? 'null' : typeof dataset}`);
}

function stopped(signal: AbortSignal): ProfileError {
  return new ProfileError(`computeDatasetProfile: stopped (${String(signal.reason ?? 'aborted')})`);
}

/** The promise's value, or a ProfileError as soon as the signal aborts (the promise is left to settle on its own). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(stopped(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stopped(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function isParsedSpec(t: TaskSpec | TaskSpecInput): t is TaskSpec {
  return typeof (t as TaskSpec).normalizeBy === 'string' && typeof (t as TaskSpec).modality === 'string' && Array.isArray((t as TaskSpec).metrics);
}
