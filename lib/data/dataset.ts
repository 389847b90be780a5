// The two dataset shapes PyTorch has: map-style (a length and random access by index, which is
// what shuffling and distributed sharding need) and iterable (a stream, for data read in order).
// This module must not import the tensor core: worker threads load it, and they never touch
// libtorch (tensors cannot cross threads).
import { pathToFileURL } from 'node:url';

/** A map-style dataset: `length` samples, any of them by index, synchronously or not. */
export interface MapDataset<T = unknown> {
  readonly length: number;
  get(index: number): T | Promise<T>;
  /**
   * Optional, as PyTorch's `__getitems__`: the samples at `indices` already made into the batch
   * the default collate would make of them (same fields, shapes, dtypes and values), read at
   * once. The DataLoader uses it when no collate function is given; TensorDataset has it (one
   * indexSelect per tensor instead of a row view per sample and a stack per field).
   */
  getBatch?(indices: readonly number[]): unknown;
}

/** Which items of a stream belong to one worker: blocks of `blockSize` items, dealt round-robin. */
export interface StreamShard {
  /** This worker's number, 0-based. */
  shard: number;
  /** How many workers share the stream. */
  numShards: number;
  /** Items per block (the loader's batch size), so each block is one whole batch. */
  blockSize: number;
}

/** An iterable dataset: a stream of samples (in order; the loader cannot shuffle it). */
export interface IterableDataset<T = unknown> {
  [Symbol.asyncIterator](): AsyncIterator<T>;
  /** Samples per pass when known (the loader's `length` uses it). */
  readonly length?: number;
  /**
   * Only the items of one worker's blocks (block k goes to worker k % numShards). Optional: without
   * it every worker reads the whole stream and drops the others' items; a dataset that can skip
   * cheaply (JsonlDataset does not parse the lines it skips) implements it.
   */
  shard?(spec: StreamShard): AsyncIterable<T>;
}

export type Dataset<T = unknown> = MapDataset<T> | IterableDataset<T>;

/**
 * How a worker thread rebuilds a dataset: a module to import, an export of it, and the arguments
 * (structured-cloneable: plain data, typed arrays; no functions or tensors). A class export is
 * constructed with `new`, any other function is called as a factory (it may return a Promise).
 */
export interface DatasetSource {
  /** A module URL (file:...) or an absolute path; `import.meta.url` of the dataset's own module. */
  module: string;
  /** The export to use; 'default' if omitted. */
  export?: string;
  args?: unknown[];
  /** Other modules the worker will import (a transform's), so TypeScript ones get a loader. */
  imports?: string[];
}

/** A dataset that can say how to rebuild itself inside a worker thread (see DataLoader numWorkers). */
export interface WorkerConstructible {
  workerSource(): DatasetSource;
}

export function isMapDataset<T>(dataset: Dataset<T>): dataset is MapDataset<T> {
  return typeof (dataset as MapDataset<T>).get === 'function' && typeof (dataset as MapDataset<T>).length === 'number';
}

export function isIterableDataset<T>(dataset: Dataset<T>): dataset is IterableDataset<T> {
  return typeof (dataset as IterableDataset<T>)[Symbol.asyncIterator] === 'function';
}

export function hasWorkerSource(dataset: unknown): dataset is WorkerConstructible {
  return dataset !== null && typeof dataset === 'object' && typeof (dataset as WorkerConstructible).workerSource === 'function';
}

/** Builds the dataset a source describes (in a worker, or on the main thread). */
export async function datasetFromSource<T = unknown>(source: DatasetSource): Promise<Dataset<T>> {
  const mod = (await import(moduleUrl(source.module))) as Record<string, unknown>;
  const name = source.export ?? 'default';
  const target = mod[name];
  if (typeof target !== 'function') {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new TypeError(`dataset source: module ${source.module} has no function or class export "${name}" (it exports: ${names.join(', ') || 'none'})`);
  }
  const args = source.args ?? [];
  const isClass = /^class[\s{]/.test(Function.prototype.toString.call(target));
  const made = isClass ? new (target as new (...a: unknown[]) => unknown)(...args) : await (target as (...a: unknown[]) => unknown)(...args);
  const dataset = made as Dataset<T>;
  if (!dataset || (!isMapDataset(dataset) && !isIterableDataset(dataset))) {
    throw new TypeError(`dataset source: ${source.module}#${name} did not make a dataset (need length + get(i), or an async iterator)`);
  }
  return dataset;
}

/**
 * Imports a dataset module on the main thread and remembers where it came from, so a DataLoader
 * with numWorkers > 0 can rebuild it in each worker.
 */
export async function datasetFromModule<T = unknown>(module: string | URL, exportName = 'default', args: unknown[] = []): Promise<Dataset<T> & WorkerConstructible> {
  const source: DatasetSource = { module: String(module), export: exportName, args };
  const dataset = await datasetFromSource<T>(source);
  if (!hasWorkerSource(dataset)) Object.defineProperty(dataset, 'workerSource', { value: () => source, enumerable: false });
  return dataset as Dataset<T> & WorkerConstructible;
}

/** A per-sample transform: the sample and its index (the dataset index, or the position in a stream). */
export type Transform<T, U> = (sample: T, index: number) => U | Promise<U>;

/**
 * Where a worker thread finds a transform (functions cannot be sent to threads): a module that
 * exports it. It must be a module without top-level side effects (not the training script: a
 * worker would run it again) and must not import torchtrain's tensor API (workers never load
 * libtorch): transforms in workers return plain data, such as typed arrays.
 */
export interface TransformOptions {
  /** The module exporting the transform; `import.meta.url` inside that module. */
  module?: string | URL;
  /** The export's name; the function's own name by default. */
  export?: string;
  /** Arguments for a factory export: the worker calls `export(...args)` to get the transform. */
  args?: unknown[];
}

interface TransformSource { module: string; export: string; args?: unknown[] }

/** What both mapped dataset kinds share: the transform, and how a worker rebuilds the pair. */
abstract class Mapped<T, U> implements WorkerConstructible {
  protected readonly source: TransformSource | undefined;

  constructor(readonly base: Dataset<T>, readonly transform: Transform<T, U>, options: TransformOptions = {}) {
    if (typeof transform !== 'function') throw new TypeError(`Dataset.map: expected a function (sample, index) => sample; got ${typeof transform}`);
    const name = options.export ?? transform.name;
    if (options.module !== undefined && !name) throw new TypeError('Dataset.map: the transform has no name; pass { module, export: \'<its export name>\' }');
    this.source = options.module === undefined ? undefined : { module: String(options.module), export: name, args: options.args };
  }

  /** For DataLoader workers; a TypeError saying what to change when this dataset cannot cross. */
  workerSource(): DatasetSource {
    if (!this.source) {
      throw new TypeError(`DataLoader numWorkers > 0: this dataset's transform (map(${this.transform.name || 'fn'})) is a function, and functions cannot be sent to worker threads. `
        + 'Export it from a module without top-level side effects that does not import torchtrain\'s tensor API, and name that module: '
        + `dataset.map(${this.transform.name || 'fn'}, { module: import.meta.url }) (written in that module; the export is the function's name unless { export } says otherwise); or use numWorkers: 0`);
    }
    if (!hasWorkerSource(this.base)) {
      throw new TypeError('DataLoader numWorkers > 0: the dataset under map() cannot be rebuilt in a worker thread (it has no workerSource(); TensorDataset never can); use numWorkers: 0');
    }
    const base = this.base.workerSource();
    return { module: import.meta.url, export: 'mappedDatasetFromSources', args: [base, this.source], imports: [...(base.imports ?? []), base.module, this.source.module] };
  }
}

/** A map-style dataset with a transform applied to each sample as it is read. */
export class MappedMapDataset<T, U> extends Mapped<T, U> implements MapDataset<U> {
  declare readonly base: MapDataset<T>;

  get length(): number {
    return this.base.length;
  }

  get(index: number): U | Promise<U> {
    const sample = this.base.get(index);
    return sample instanceof Promise ? sample.then((s) => this.transform(s, index)) : this.transform(sample, index);
  }

  map<V>(transform: Transform<U, V>, options?: TransformOptions): MappedMapDataset<U, V> {
    return new MappedMapDataset(this, transform, options);
  }
}

/** An iterable dataset with a transform applied to each item; the index is its position in the stream. */
export class MappedIterableDataset<T, U> extends Mapped<T, U> implements IterableDataset<U> {
  declare readonly base: IterableDataset<T>;

  get length(): number | undefined {
    return this.base.length;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<U> {
    let position = 0;
    for await (const item of { [Symbol.asyncIterator]: () => this.base[Symbol.asyncIterator]() }) yield await this.transform(item, position++);
  }

  async *shard(spec: StreamShard): AsyncGenerator<U> {
    const items = typeof this.base.shard === 'function' ? this.base.shard(spec) : everyNthBlock(this.base, spec);
    let j = 0;
    for await (const item of items) {
      // Item j of this shard is in block floor(j / blockSize) of it: block (that x numShards + shard) of the stream.
      const position = (Math.floor(j / spec.blockSize) * spec.numShards + spec.shard) * spec.blockSize + (j % spec.blockSize);
      j++;
      yield await this.transform(item, position);
    }
  }

  map<V>(transform: Transform<U, V>, options?: TransformOptions): MappedIterableDataset<U, V> {
    return new MappedIterableDataset(this, transform, options);
  }
}

async function* everyNthBlock<T>(source: AsyncIterable<T>, { shard, numShards, blockSize }: StreamShard): AsyncGenerator<T> {
  let i = 0;
  for await (const item of source) {
    if (Math.floor(i / blockSize) % numShards === shard) yield item;
    i++;
  }
}

/**
 * A dataset whose samples pass through `transform` (decode, reshape, normalise, augment) when
 * read: map-style stays map-style, a stream stays a stream. With `options.module` it can be
 * rebuilt in DataLoader worker threads (see TransformOptions).
 */
export function mapDataset<T, U>(dataset: MapDataset<T>, transform: Transform<T, U>, options?: TransformOptions): MappedMapDataset<T, U>;
export function mapDataset<T, U>(dataset: IterableDataset<T>, transform: Transform<T, U>, options?: TransformOptions): MappedIterableDataset<T, U>;
export function mapDataset<T, U>(dataset: Dataset<T>, transform: Transform<T, U>, options?: TransformOptions): MappedMapDataset<T, U> | MappedIterableDataset<T, U>;
export function mapDataset<T, U>(dataset: Dataset<T>, transform: Transform<T, U>, options?: TransformOptions): MappedMapDataset<T, U> | MappedIterableDataset<T, U> {
  if (isMapDataset(dataset)) return new MappedMapDataset(dataset, transform, options);
  if (isIterableDataset(dataset)) return new MappedIterableDataset(dataset, transform, options);
  throw new TypeError('Dataset.map: the dataset must be map-style (length + get(i)) or iterable (an async iterator)');
}

/** What a worker runs to rebuild a mapped dataset: the dataset from its source, the transform from its module. */
export async function mappedDatasetFromSources(base: DatasetSource, transform: TransformSource): Promise<Dataset> {
  const dataset = await datasetFromSource(base);
  const mod = (await import(moduleUrl(transform.module))) as Record<string, unknown>;
  const target = mod[transform.export];
  if (typeof target !== 'function') {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new TypeError(`transform source: module ${transform.module} has no function export "${transform.export}" (it exports: ${names.join(', ') || 'none'}); export the transform under that name, or pass { export }`);
  }
  const fn = transform.args ? await (target as (...a: unknown[]) => unknown)(...transform.args) : target;
  if (typeof fn !== 'function') throw new TypeError(`transform source: ${transform.module}#${transform.export}(...args) did not return a function`);
  return mapDataset(dataset, fn as Transform<unknown, unknown>, transform);
}

function moduleUrl(module: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module) ? module : pathToFileURL(module).href;
}

/** A map-style dataset over an array already in memory. */
export class InMemoryDataset<T> implements MapDataset<T>, WorkerConstructible {
  constructor(readonly items: readonly T[]) {
    if (!Array.isArray(items)) throw new TypeError(`InMemoryDataset: expected an array of samples, got ${typeof items}`);
  }

  get length(): number {
    return this.items.length;
  }

  get(index: number): T {
    checkIndex(index, this.items.length, 'InMemoryDataset');
    return this.items[index]!;
  }

  /** This dataset with `transform` applied to each sample as it is read. */
  map<U>(transform: Transform<T, U>, options?: TransformOptions): MappedMapDataset<T, U> {
    return new MappedMapDataset(this, transform, options);
  }

  /** Workers get a structured clone of the array (one copy per worker). */
  workerSource(): DatasetSource {
    return { module: import.meta.url, export: 'InMemoryDataset', args: [this.items] };
  }
}

/** Throws a RangeError naming the dataset when an index is not an integer in [0, length). */
export function checkIndex(index: number, length: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${what}: index ${index} is out of range for ${length} samples`);
  }
}
