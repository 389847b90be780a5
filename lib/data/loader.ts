// DataLoader: batches from a dataset, as torch.utils.data.DataLoader. Each iteration is one epoch
// (`for await (const batch of loader)`); its order comes from the sampler and the epoch alone,
// so runs repeat exactly. Batch tensors are made when the consumer asks for the batch (in the
// tensor scope current at that `next()`), so a training step's scope frees its batch; prefetched
// batches wait as plain typed arrays, never as tensors.
// Worker threads live for one epoch's iteration (unless persistentWorkers), until close(), or
// until the loader is garbage-collected; interrupt() stops an iteration in progress from outside.
import { z } from 'zod';
import { formatZodError } from '../core/validation.js';
import { torch } from '../core/torch.js';
import type { Batch } from '../loss/types.js';
import { assembleBatch, fetchSamples, type AssembledBatch, type FilteredSample } from './batch-assembly.js';
import { collateWithRules, plainToTensors, type CollateContext, type CollateFn } from './collate.js';
import { type CollateOptions, type CollateRules, resolveCollateOptions } from './collate-rules.js';
import { warnEmptySamples } from './empty-samples.js';
import { hasWorkerSource, isIterableDataset, isMapDataset, MappedIterableDataset, MappedMapDataset, type Dataset, type DatasetSource } from './dataset.js';
import { RandomSampler, type Sampler, SequentialSampler } from './samplers.js';
import { Interruption } from './interruption.js';
import { WorkerPool } from './worker-pool.js';

export interface DataLoaderOptions<T = unknown, B = Batch> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** A seeded RandomSampler (default false); not with `sampler`, nor for iterable datasets. */
  shuffle?: boolean;
  /** The shuffle seed (default: seedEverything's seed, else 0); with the epoch it fixes the order. */
  seed?: number;
  /** Drop the last batch when it is short (default false). */
  dropLast?: boolean;
  /** Which indices an epoch visits (SequentialSampler, RandomSampler, DistributedSampler, yours). */
  sampler?: Sampler;
  /** Makes a batch from samples; always preferred to the default collate. Runs on the main thread. */
  collate?: CollateFn<T, B>;
  /** Options of the default collate (task, padTokenId, padToMultipleOf, dtypes, ...). */
  collateOptions?: CollateOptions;
  /** Worker threads that read samples and run the default collate's plain phase (default 0: the main thread). */
  numWorkers?: number;
  /** Batches requested ahead of the consumer with workers (default 2 per worker). */
  prefetch?: number;
  /** Drop samples with zero-length sequence fields, with one warning per epoch (default true). */
  filterEmpty?: boolean;
  /**
   * Keep the worker threads between epochs (default false: they stop when an epoch's iteration
   * ends, by completion, break or error, and start again with the next). With true they stay
   * until `close()` (or until the loader is garbage-collected): whoever made the loader closes it.
   */
  persistentWorkers?: boolean;
}

/**
 * The loader's worker pool, apart from the loader: the FinalizationRegistry holds this (never the
 * loader), so a loader dropped with running workers can be collected, and then its pool is closed.
 */
interface PoolHolder {
  pool: WorkerPool | undefined;
}

function closePool(holder: PoolHolder): Promise<void> {
  const pool = holder.pool;
  holder.pool = undefined;
  return pool ? pool.close() : Promise.resolve();
}

const collectedLoaders = new FinalizationRegistry<PoolHolder>((holder) => void closePool(holder));

const schema = z.object({
  batchSize: z.number().int().positive().default(1),
  shuffle: z.boolean().default(false),
  seed: z.number().int().optional(),
  dropLast: z.boolean().default(false),
  numWorkers: z.number().int().min(0).default(0),
  prefetch: z.number().int().positive().optional(),
  filterEmpty: z.boolean().default(true),
  persistentWorkers: z.boolean().default(false),
}).loose();

export class DataLoader<T = unknown, B = Batch> implements AsyncIterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly numWorkers: number;
  readonly prefetch: number;
  readonly filterEmpty: boolean;
  readonly persistentWorkers: boolean;
  /** Undefined for iterable datasets. */
  readonly sampler: Sampler | undefined;
  /** Every batch is made of new tensors, which the Trainer's loops dispose after the step. */
  readonly yieldsFreshBatches = true;
  private readonly collate: CollateFn<T, B> | undefined;
  private readonly collateRules: CollateRules;
  private readonly collateOptions: CollateOptions;
  private nextEpoch = 0;
  /** Batches the next iteration passes over (a resumed epoch), without loading them. */
  private nextSkip = 0;
  private readonly workers: PoolHolder = { pool: undefined };
  /** Iterations running now (started and not finished); non-persistent workers stop at 0. */
  private active = 0;
  private interruption = new Interruption();
  private streams = 0;
  /** The options it was made with (withSampler makes a twin from them). */
  private readonly options: DataLoaderOptions<T, B>;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const parsed = schema.safeParse(options);
    if (!parsed.success) throw new TypeError(`DataLoader options: ${formatZodError(parsed.error, options, { root: '(options)' }).join('; ')}`);
    const o = parsed.data;
    const known = new Set(['batchSize', 'shuffle', 'seed', 'dropLast', 'sampler', 'collate', 'collateOptions', 'numWorkers', 'prefetch', 'filterEmpty', 'persistentWorkers']);
    const unknown = Object.keys(options).filter((k) => !known.has(k));
    if (unknown.length) throw new TypeError(`DataLoader options: unknown option(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
    if (!dataset || (!isMapDataset(dataset) && !isIterableDataset(dataset))) {
      throw new TypeError('DataLoader: the dataset must be map-style (length + get(i)) or iterable (an async iterator)');
    }
    if (options.collate !== undefined && typeof options.collate !== 'function') throw new TypeError('DataLoader options: collate must be a function (samples, context) => batch');
    this.dataset = dataset;
    this.batchSize = o.batchSize;
    this.dropLast = o.dropLast;
    this.numWorkers = o.numWorkers;
    this.prefetch = o.prefetch ?? 2 * Math.max(1, o.numWorkers);
    this.filterEmpty = o.filterEmpty;
    this.persistentWorkers = o.persistentWorkers;
    this.options = options;
    this.collate = options.collate;
    this.collateOptions = { ...options.collateOptions, filterEmpty: false };
    this.collateRules = resolveCollateOptions(this.collateOptions, 'DataLoader collateOptions');
    if (isMapDataset(dataset)) {
      if (options.sampler && o.shuffle) throw new TypeError('DataLoader: sampler and shuffle are mutually exclusive (PyTorch\'s rule); give the sampler its own shuffling');
      if (options.sampler && (typeof options.sampler.indices !== 'function' || typeof options.sampler.length !== 'number')) {
        throw new TypeError('DataLoader options: sampler must have length and indices(epoch)');
      }
      this.sampler = options.sampler ?? (o.shuffle ? new RandomSampler(dataset.length, { seed: o.seed }) : new SequentialSampler(dataset.length));
    } else {
      if (options.sampler || o.shuffle) throw new TypeError('DataLoader: an iterable dataset is read in order; shuffle and sampler need a map-style dataset (e.g. JsonlDataset.index())');
      this.sampler = undefined;
    }
    if (this.numWorkers > 0 && !hasWorkerSource(dataset)) {
      throw new TypeError('DataLoader: numWorkers > 0 needs a dataset that can be rebuilt in a worker thread: give it workerSource() returning { module: import.meta.url, export, args }, or load it with data.datasetFromModule(module, exportName, args); TensorDataset and other tensor-holding datasets need numWorkers 0');
    }
    // A dataset with a transform says now, not at the first batch, when its function cannot cross.
    if (this.numWorkers > 0 && (dataset instanceof MappedMapDataset || dataset instanceof MappedIterableDataset)) dataset.workerSource();
    if (this.numWorkers > 0) collectedLoaders.register(this, this.workers, this.workers);
  }

  /** Batches per epoch, when the number of samples is known. */
  get length(): number | undefined {
    const n = this.sampler ? this.sampler.length : (this.dataset as { length?: number }).length;
    if (n === undefined) return undefined;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * A new loader over the same dataset with the same options but another sampler (the Trainer
   * shards a loader this way for data-parallel training: a DistributedSampler per rank). Its
   * epoch starts where this one's is; this loader is left as it is.
   */
  withSampler(sampler: Sampler): DataLoader<T, B> {
    const { shuffle: _shuffle, seed: _seed, sampler: _sampler, ...rest } = this.options;
    const twin = new DataLoader<T, B>(this.dataset, { ...rest, sampler });
    twin.nextEpoch = this.nextEpoch;
    return twin;
  }

  /** The epoch the next iteration uses. */
  get epoch(): number {
    return this.nextEpoch;
  }

  /** Sets the epoch of the next iteration (each iteration then advances it by one), as sampler.set_epoch. */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`DataLoader.setEpoch: epoch must be a non-negative integer; got ${epoch}`);
    this.nextEpoch = epoch;
  }

  /**
   * Makes the next iteration start at batch `n` of its epoch, as a resumed run needs: the
   * sampler's order is recomputed from the epoch and cut, so the skipped batches are neither
   * read nor collated (resuming at batch 100,000 costs what resuming at batch 1 does). Returns
   * false for an iterable dataset, whose position only reading can reach.
   */
  skipBatches(n: number): boolean {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`DataLoader.skipBatches: n must be a non-negative integer; got ${n}`);
    if (!this.sampler) return false;
    this.nextSkip = n;
    return true;
  }

  [Symbol.asyncIterator](): AsyncIterator<B> {
    const epoch = this.nextEpoch++;
    const skip = this.nextSkip;
    this.nextSkip = 0;
    return this.run(epoch, skip);
  }

  /**
   * Stops every iteration in progress and the worker threads: a `next()` waiting for a batch
   * (even one whose dataset get() never settles) rejects at once with DataLoaderInterrupted(reason),
   * and so does any later `next()` of those iterations; the workers are terminated (the promise
   * settles when their threads have exited). A later iteration starts afresh. Safe to call at any
   * time, also from a signal handler, and more than once.
   */
  interrupt(reason: unknown = 'interrupted'): Promise<void> {
    const stop = this.interruption;
    this.interruption = new Interruption();
    this.active = 0; // the interrupted iterations no longer count, even if never finished
    stop.fire(reason);
    return closePool(this.workers);
  }

  /** Stops the worker threads (iterations in progress end with DataLoaderInterrupted); the loader can start them again. */
  async close(): Promise<void> {
    await this.interrupt('DataLoader.close()');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async *run(epoch: number, skip = 0): AsyncGenerator<B> {
    const filtered: FilteredSample[] = [];
    const stop = this.interruption;
    this.active++;
    try {
      if (this.numWorkers === 0 && this.sampler) {
        const dataset = this.dataset as { get(i: number): unknown; getBatch?(indices: number[]): unknown };
        // A dataset that reads whole batches (TensorDataset) skips the per-sample path when the
        // default collate would run: same batch, a few tensor ops instead of a few per sample.
        if (!this.collate && typeof dataset.getBatch === 'function') {
          for (const indices of this.batchesOf(epoch, skip)) {
            if (stop.error) throw stop.error;
            yield dataset.getBatch(indices) as B;
          }
          return;
        }
        for (const indices of this.batchesOf(epoch, skip)) {
          // Reading and collating share one scope: samples that are tensors (TensorDataset rows)
          // are freed once stacked, and only the batch moves on, into the consumer's scope.
          const out = await torch.scope(async () => {
            const assembled = assembleBatch(await stop.until(fetchSamples(dataset, indices)), indices, null, this.filterEmpty);
            filtered.push(...assembled.filtered);
            return assembled.indices.length ? { batch: await this.finish(assembled, epoch) } : undefined;
          });
          if (out) yield out.batch;
        }
        return;
      }
      const source = this.numWorkers === 0 ? this.mainThreadStream(stop) : this.sampler ? this.workerBatches(epoch, stop, skip) : this.workerStream(stop);
      for await (const assembled of source) {
        filtered.push(...assembled.filtered);
        if (assembled.indices.length === 0) continue;
        // The short last block of a stream (map-style batches are cut by batchesOf).
        if (this.dropLast && assembled.indices.length + assembled.filtered.length < this.batchSize) continue;
        yield await this.finish(assembled, epoch);
      }
    } finally {
      warnEmptySamples('DataLoader', filtered, { epoch, indexName: this.sampler ? 'dataset index' : 'stream position' });
      // An interrupted iteration's pool is already closed; a later pool belongs to later iterations.
      if (stop === this.interruption && --this.active === 0 && !this.persistentWorkers) await closePool(this.workers);
    }
  }

  /** Collates on the main thread: the user's collate, else the plain batch made into tensors. */
  private async finish(assembled: AssembledBatch, epoch: number): Promise<B> {
    const context: CollateContext = { indices: assembled.indices, epoch };
    if (this.collate) return this.collate(assembled.samples as T[], context);
    if (assembled.plain) return plainToTensors(assembled.plain, { ...this.collateRules, indices: assembled.indices }) as B;
    return collateWithRules(assembled.samples!, { ...this.collateRules, indices: assembled.indices }) as B;
  }

  private batchesOf(epoch: number, skip = 0): number[][] {
    const order = this.sampler!.indices(epoch);
    const batches: number[][] = [];
    for (let i = skip * this.batchSize; i < order.length; i += this.batchSize) {
      const batch = order.slice(i, i + this.batchSize);
      if (batch.length < this.batchSize && this.dropLast) break;
      batches.push(batch);
    }
    return batches;
  }

  /** An iterable dataset read on the main thread, in blocks of batchSize. */
  private async *mainThreadStream(stop: Interruption): AsyncGenerator<AssembledBatch> {
    let block: unknown[] = [];
    let position = 0;
    const iterator = (this.dataset as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        const step = await stop.until(Promise.resolve(iterator.next()));
        if (step.done) {
          finished = true;
          break;
        }
        block.push(step.value);
        if (block.length === this.batchSize) {
          yield assembleBatch(block, block.map((_, i) => position + i), null, this.filterEmpty);
          position += block.length;
          block = [];
        }
      }
    } finally {
      // An early end (break, error, interrupt) ends the dataset's iterator too, without waiting
      // on it when interrupted: its next() may be the very wait that never settles.
      if (!finished) {
        const ended = Promise.resolve(iterator.return?.()).catch(() => {});
        if (!stop.error) await ended;
      }
    }
    if (block.length) yield assembleBatch(block, block.map((_, i) => position + i), null, this.filterEmpty);
  }

  /** The running pool (started if needed), once its workers are ready, unless interrupted first. */
  private startPool(stop: Interruption): Promise<WorkerPool> {
    const holder = this.workers;
    if (!holder.pool) {
      const source = (this.dataset as unknown as { workerSource(): DatasetSource }).workerSource();
      const pool = new WorkerPool(source, this.numWorkers);
      holder.pool = pool;
      // A failed start is not kept: the next iteration tries again (after the dataset is fixed).
      // (This closure holds the holder, not the loader, which stays collectable.)
      pool.ready.catch(() => {
        if (holder.pool === pool) holder.pool = undefined;
      });
    }
    const pool = holder.pool;
    return stop.until(pool.ready.then(() => pool));
  }

  /** What workers run: the plain phase of the default collate, or nothing for a user collate. */
  private get workerCollate(): CollateOptions | null {
    return this.collate ? null : this.collateOptions;
  }

  private async *workerBatches(epoch: number, stop: Interruption, skip = 0): AsyncGenerator<AssembledBatch> {
    const pool = await this.startPool(stop);
    const batches = this.batchesOf(epoch, skip);
    const pending = new Map<number, Promise<AssembledBatch>>();
    let sent = 0;
    // Closures here must not hold `this`: a request left in a worker would keep the loader alive.
    const { prefetch, workerCollate: collate, filterEmpty } = this;
    const refill = () => {
      while (sent < batches.length && pending.size < prefetch) {
        const k = sent++;
        const p = pool.request(k % pool.size, { type: 'batch', indices: batches[k]!, collate, filterEmpty }).then((r) => r.batch!);
        p.catch(() => {}); // awaited below; an abandoned iteration must not raise unhandled rejections
        pending.set(k, p);
      }
    };
    for (let k = 0; k < batches.length; k++) {
      refill();
      const result = await stop.until(pending.get(k)!);
      pending.delete(k);
      refill();
      yield result;
    }
  }

  private async *workerStream(stop: Interruption): AsyncGenerator<AssembledBatch> {
    const pool = await this.startPool(stop);
    const stream = this.streams++;
    const n = pool.size;
    const { prefetch, workerCollate: collate, filterEmpty, batchSize: blockSize, persistentWorkers } = this;
    await stop.until(Promise.all(Array.from({ length: n }, (_, w) => pool.request(w, { type: 'stream', stream, shard: { shard: w, numShards: n, blockSize } }))));
    const pending = new Map<number, Promise<{ batch?: AssembledBatch; done?: boolean }>>();
    let sent = 0;
    let ended = false;
    const refill = () => {
      while (!ended && pending.size < prefetch) {
        const k = sent++;
        const p = pool.request(k % n, { type: 'next', stream, collate, filterEmpty });
        p.catch(() => {});
        pending.set(k, p);
      }
    };
    try {
      for (let k = 0; ; k++) {
        refill();
        const result = await stop.until(pending.get(k)!);
        pending.delete(k);
        if (result.done) {
          ended = true;
          break;
        }
        refill();
        yield result.batch!;
      }
    } finally {
      ended = true;
      // Persistent workers outlive this stream: let each finish what it was sent, then drop the
      // stream's iterator. Otherwise (or when interrupted) the pool is closed instead, which
      // ends the iterators without waiting on a read that may never finish.
      if (persistentWorkers && !stop.error && !pool.isClosed) {
        await stop.until(Promise.allSettled([...pending.values()])).catch(() => {});
        await stop.until(Promise.allSettled(Array.from({ length: n }, (_, w) => pool.request(w, { type: 'endStream', stream })))).catch(() => {});
      }
    }
  }
}
