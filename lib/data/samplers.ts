// Samplers decide which dataset indices an epoch visits, in which order. Each is a pure function
// of the epoch (`indices(epoch)`), so an order can be recomputed to resume mid-epoch, and the
// same seed and epoch give the same order on every run and machine. The loader passes its epoch
// (DataLoader.setEpoch is what PyTorch's sampler.set_epoch is).
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';
import { defaultSeed, mixSeeds, SeededRandom } from './random.js';

export interface Sampler {
  /** Indices per epoch. */
  readonly length: number;
  indices(epoch: number): number[];
}

type SizeSource = number | { readonly length: number };

function sizeOf(source: SizeSource, who: string): number {
  const n = typeof source === 'number' ? source : source?.length;
  if (!Number.isInteger(n) || (n as number) < 0) throw new TypeError(`${who}: need a dataset (with a length) or a sample count; got ${String(n)}`);
  return n as number;
}

function parse<T>(schema: z.ZodType<T>, options: unknown, who: string): T {
  const r = schema.safeParse(options ?? {});
  if (!r.success) throw new TypeError(`${who} options: ${formatZodError(r.error, options ?? {}, { root: '(options)' }).join('; ')}`);
  return r.data;
}

/** 0, 1, ..., n-1 every epoch. */
export class SequentialSampler implements Sampler {
  readonly length: number;
  constructor(dataset: SizeSource) {
    this.length = sizeOf(dataset, 'SequentialSampler');
  }
  indices(_epoch = 0): number[] {
    return Array.from({ length: this.length }, (_, i) => i);
  }
}

const randomSchema = z.object({
  seed: z.number().int().optional(),
  replacement: z.boolean().default(false),
  numSamples: z.number().int().positive().optional(),
}).strict();

/**
 * A seeded random order, new each epoch (the permutation of epoch e depends only on seed and e).
 * With `replacement`, `numSamples` independent draws; without, a permutation (numSamples
 * larger than the dataset repeats whole permutations, as PyTorch's RandomSampler does).
 */
export class RandomSampler implements Sampler {
  readonly length: number;
  readonly seed: number;
  readonly replacement: boolean;
  private readonly size: number;

  constructor(dataset: SizeSource, options: { seed?: number; replacement?: boolean; numSamples?: number } = {}) {
    this.size = sizeOf(dataset, 'RandomSampler');
    const o = parse(randomSchema, options, 'RandomSampler');
    this.seed = o.seed ?? defaultSeed();
    this.replacement = o.replacement;
    this.length = o.numSamples ?? this.size;
    if (this.size === 0 && this.length > 0) throw new RangeError('RandomSampler: cannot draw samples from an empty dataset');
  }

  indices(epoch = 0): number[] {
    const rng = new SeededRandom(mixSeeds(this.seed, epoch));
    if (this.replacement) return Array.from({ length: this.length }, () => rng.nextInt(this.size));
    // Whole permutations, the last one cut; joined by a loop (spreading a big dataset's
    // permutation into push() overflows the call stack: ~100k arguments and up).
    const out: number[] = [];
    while (out.length < this.length) {
      const perm = rng.permutation(this.size);
      for (let i = 0; i < perm.length && out.length < this.length; i++) out.push(perm[i]!);
    }
    return out;
  }
}

const distributedSchema = z.object({
  rank: z.number().int().min(0),
  worldSize: z.number().int().positive(),
  shuffle: z.boolean().default(true),
  seed: z.number().int().optional(),
  dropLast: z.boolean().default(false),
}).strict();

/**
 * One rank's share of the dataset, with torch.utils.data.DistributedSampler's semantics: every
 * rank gets the same number of indices; without dropLast the (shuffled) index list is padded by
 * repeating its start until it divides evenly, with dropLast its tail is cut instead; rank r takes
 * positions r, r + worldSize, r + 2 worldSize, ... All ranks must use the same seed and epoch.
 * The shuffled order comes from this package's PRNG, not torch.randperm, so it is not PyTorch's.
 */
export class DistributedSampler implements Sampler {
  readonly rank: number;
  readonly worldSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices for this rank per epoch. */
  readonly length: number;
  /** Indices over all ranks (after padding or cutting). */
  readonly totalSize: number;
  private readonly size: number;

  constructor(dataset: SizeSource, options: { rank: number; worldSize: number; shuffle?: boolean; seed?: number; dropLast?: boolean }) {
    this.size = sizeOf(dataset, 'DistributedSampler');
    const o = parse(distributedSchema, options, 'DistributedSampler');
    if (o.rank >= o.worldSize) throw new RangeError(`DistributedSampler: rank ${o.rank} is out of range for worldSize ${o.worldSize} (ranks are 0..${o.worldSize - 1})`);
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.shuffle = o.shuffle;
    this.seed = o.seed ?? defaultSeed();
    this.dropLast = o.dropLast;
    // PyTorch: with dropLast and an uneven split, the tail is cut so that no rank pads.
    this.length = this.dropLast && this.size % this.worldSize !== 0
      ? Math.ceil((this.size - this.worldSize) / this.worldSize)
      : Math.ceil(this.size / this.worldSize);
    this.totalSize = this.length * this.worldSize;
    if (this.size === 0 && this.totalSize > 0) throw new RangeError('DistributedSampler: the dataset is empty');
  }

  indices(epoch = 0): number[] {
    // The same permutation on every rank: it depends on seed and epoch only, never on the rank.
    let all = this.shuffle ? new SeededRandom(mixSeeds(this.seed, epoch)).permutation(this.size) : Array.from({ length: this.size }, (_, i) => i);
    if (this.dropLast) {
      all = all.slice(0, this.totalSize);
    } else {
      // Repeat the list's start (cyclically, when more than one copy is needed).
      const n = all.length;
      for (let i = 0; all.length < this.totalSize; i++) all.push(all[i % n]!);
    }
    const mine: number[] = [];
    for (let i = this.rank; i < this.totalSize; i += this.worldSize) mine.push(all[i]!);
    return mine;
  }
}
