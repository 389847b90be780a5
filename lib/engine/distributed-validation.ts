// Validation under data parallelism: each rank validates its shard, and the counts behind the
// metrics (loss sums, items, correct, confusion matrices, ... every MetricsTracker counter is a
// sum) are summed across ranks before the metrics are computed, so every rank reports what one
// process validating the whole set reports: exactly for counts (accuracy, F1, confusion matrix),
// and the loss as the global loss sum over the global item count (float64 sums of per-rank sums).
//
// The shard has no padding: rank r takes items r, r + k, r + 2k, ... in the loader's order, so no
// item is counted twice (PyTorch's DistributedSampler pads with repeats instead, which skews the
// metrics). Validation makes no collective per batch, so uneven shards are fine. A val DataLoader
// with a DistributedSampler of its own is used as it is and reduced (its padding counted, as in
// PyTorch); any other source is validated whole on every rank, as before, and not reduced.
import { tensor } from '../core/creation.js';
import { scope } from '../core/scope.js';
import { DataLoader } from '../data/loader.js';
import { DistributedSampler, RandomSampler, type Sampler, SequentialSampler } from '../data/samplers.js';
import { allGather, allReduce } from '../distributed/process-group.js';
import { type Batch } from '../loss/types.js';
import { type BatchSource } from './batch-source.js';
import { type DataParallel } from './distributed-data-parallel.js';

/** Rank r of k: the positions r, r + k, ... of the dataset's order (sequential), no padding. */
export class UnpaddedShardSampler implements Sampler {
  readonly length: number;
  constructor(private readonly size: number, readonly rank: number, readonly worldSize: number) {
    this.length = Math.max(0, Math.ceil((size - rank) / worldSize));
  }
  indices(_epoch = 0): number[] {
    const mine: number[] = [];
    for (let i = this.rank; i < this.size; i += this.worldSize) mine.push(i);
    return mine;
  }
}

export interface ValidationShard {
  source: BatchSource;
  /** Whether the metrics' counters are summed across ranks (each rank saw part of the data). */
  reduce: boolean;
}

const shards = new WeakMap<object, ValidationShard>();

/** This rank's part of a validation source (made once per source). */
export function shardValidationSource(source: BatchSource, ddp: DataParallel): ValidationShard {
  const known = shards.get(source as object);
  if (known) return known;
  let shard: ValidationShard = { source, reduce: false };
  if (source instanceof DataLoader) {
    const loader = source as DataLoader<unknown, Batch>;
    const sampler = loader.sampler;
    if (sampler instanceof DistributedSampler) shard = { source, reduce: true };
    else if (sampler instanceof SequentialSampler || sampler instanceof RandomSampler) {
      // A random order does not change validation metrics; the shard reads in dataset order.
      const size = (loader.dataset as { length: number }).length;
      shard = { source: loader.withSampler(new UnpaddedShardSampler(size, ddp.rank, ddp.worldSize)), reduce: true };
    }
  }
  shards.set(source as object, shard);
  return shard;
}

/**
 * The sums over every rank of each named counter (missing names and shorter counters count as
 * zeros, so a rank with an empty shard takes part too). Three small collectives.
 */
export function sumCountersAcrossRanks(values: Map<string, number[]>, device: string): Map<string, number[]> {
  const layout = Buffer.from(JSON.stringify([...values].map(([name, v]) => [name, v.length])), 'utf8');
  const longest = scope(() => allReduce(tensor([layout.length], { dtype: 'int64', device }), 'max').to('cpu').item());
  const padded = new Uint8Array(Number(longest));
  padded.set(layout);
  const layouts = scope(() => allGather(tensor([...padded], { dtype: 'uint8', device })).map((t) => [...(t.to('cpu').data() as Uint8Array)]));
  const union = new Map<string, number>();
  for (const bytes of layouts) {
    const text = Buffer.from(bytes.filter((b) => b !== 0)).toString('utf8');
    for (const [name, size] of JSON.parse(text) as [string, number][]) union.set(name, Math.max(union.get(name) ?? 0, size));
  }
  const names = [...union.keys()].sort();
  const flat: number[] = [];
  for (const name of names) {
    const own = values.get(name) ?? [];
    for (let i = 0; i < union.get(name)!; i++) flat.push(own[i] ?? 0);
  }
  if (flat.length === 0) return new Map();
  const summed = scope(() => [...(allReduce(tensor(flat, { dtype: 'float64', device }), 'sum').to('cpu').data() as Float64Array)]);
  const out = new Map<string, number[]>();
  let offset = 0;
  for (const name of names) {
    out.set(name, summed.slice(offset, offset + union.get(name)!));
    offset += union.get(name)!;
  }
  return out;
}
