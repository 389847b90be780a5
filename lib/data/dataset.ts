// The two dataset shapes PyTorch has: map-style (a length and random access by index, which is
// what shuffling and distributed sharding need) and iterable (a stream, for data read in order).
// This module must not import the tensor core: worker threads load it, and they never touch
// libtorch (tensors cannot cross threads).
import { pathToFileURL } from 'node:url';

/** A map-style dataset: `length` samples, any of them by index, synchronously or not. */
export interface MapDataset<T = unknown> {
  readonly length: number;
  get(index: number): T | Promise<T>;
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
  const url = /^[a-z][a-z0-9+.-]*:/i.test(source.module) && !/^[a-z]:[\\/]/i.test(source.module) ? source.module : pathToFileURL(source.module).href;
  const mod = (await import(url)) as Record<string, unknown>;
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
