// Worker mode must give exactly the batches of numWorkers 0 (same order, values, dtypes).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { data, Tensor } from '../../lib/index.js';
import { ToyDataset } from './fixtures/toy-datasets.js';

const { DataLoader } = data;
const FIXTURES = new URL('./fixtures/toy-datasets.ts', import.meta.url).href;
const loaders: data.DataLoader<unknown, unknown>[] = [];

afterAll(async () => {
  await Promise.all(loaders.map((l) => l.close()));
});

function track<T, B>(loader: data.DataLoader<T, B>): data.DataLoader<T, B> {
  loaders.push(loader as unknown as data.DataLoader<unknown, unknown>);
  return loader;
}

/** A batch as comparable plain data (tensors as dtype, shape and values). */
function plain(value: unknown): unknown {
  if (value instanceof Tensor) return { dtype: value.dtype, shape: value.shape, values: value.tolist() };
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

async function epoch(loader: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of loader) out.push(plain(b));
  return out;
}

describe('DataLoader worker threads', () => {
  it('give the same batches as the main thread: shuffled map-style dataset, default collate, two epochs', async () => {
    const options = { batchSize: 5, shuffle: true, seed: 4, collateOptions: { padTokenId: 0, padToMultipleOf: 4 } };
    const main = new DataLoader(new ToyDataset(23), options);
    const workers = track(new DataLoader(new ToyDataset(23), { ...options, numWorkers: 2, prefetch: 3 }));
    const expected = [await epoch(main), await epoch(main)];
    expect(expected[0]).toHaveLength(5);
    expect(expected[0]).not.toEqual(expected[1]);
    expect(await epoch(workers)).toEqual(expected[0]);
    expect(await epoch(workers)).toEqual(expected[1]);
    const first = expected[0]![0] as Record<string, { dtype: string; shape: number[] }>;
    expect(first.input_ids!.dtype).toBe('int64');
    expect(first.input_ids!.shape[1]! % 4).toBe(0);
    expect((first.name as unknown as string[])[0]).toMatch(/^sample-\d+$/);
  });

  it('send raw samples to the main thread for a user collate', async () => {
    const collate = (samples: { labels: number; name: string }[], ctx: data.CollateContext) => ({ labels: samples.map((s) => s.labels), names: samples.map((s) => s.name), indices: ctx.indices });
    const options = { batchSize: 4, shuffle: true, seed: 1, collate };
    const expected = await epoch(new DataLoader(new ToyDataset(10), options));
    expect(await epoch(track(new DataLoader(new ToyDataset(10), { ...options, numWorkers: 2 })))).toEqual(expected);
  });

  it('stream an iterable JSONL file in blocks dealt round-robin, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tt-jsonl-'));
    const path = join(dir, 'rows.jsonl');
    writeFileSync(path, Array.from({ length: 23 }, (_, i) => JSON.stringify({ input_ids: Array.from({ length: 1 + (i % 5) }, (_, j) => i + j), labels: i % 2 })).join('\n') + '\n');
    for (const dropLast of [false, true]) {
      const options = { batchSize: 4, dropLast, collateOptions: { padTokenId: 0 } };
      const expected = await epoch(new DataLoader(new data.JsonlDataset(path), options));
      expect(expected).toHaveLength(dropLast ? 5 : 6);
      expect(await epoch(track(new DataLoader(new data.JsonlDataset(path), { ...options, numWorkers: 2 })))).toEqual(expected);
    }
    const indexed = await new data.JsonlDataset(path).index();
    const options = { batchSize: 6, shuffle: true, seed: 2, collateOptions: { padTokenId: 0 } };
    const expected = await epoch(new DataLoader(indexed, options));
    expect(await epoch(track(new DataLoader(indexed, { ...options, numWorkers: 2 })))).toEqual(expected);
    indexed.close();
  });

  it('work with datasets from datasetFromModule (a factory export) and with TextCorpus', async () => {
    const numbers = await data.datasetFromModule<{ x: number[] }>(FIXTURES, 'makeNumbers', [9]);
    const expected = await epoch(new DataLoader(numbers, { batchSize: 4 }));
    expect(await epoch(track(new DataLoader(numbers, { batchSize: 4, numWorkers: 1 })))).toEqual(expected);
    const corpus = new data.TextCorpus('the quick brown fox jumps over the lazy dog '.repeat(20), { blockSize: 16, stride: 8, labels: 'next-token' });
    const options = { batchSize: 8, shuffle: true, seed: 7 };
    const main = await epoch(new DataLoader(corpus, options));
    expect(await epoch(track(new DataLoader(corpus, { ...options, numWorkers: 2 })))).toEqual(main);
  });

  it('report errors from the worker: a bad sample names its dataset index, a broken dataset its module', async () => {
    const numbers = await data.datasetFromModule(FIXTURES, 'makeNumbers', [9, 6]);
    const loader = track(new DataLoader(numbers, { batchSize: 4, numWorkers: 2 }));
    const error = await epoch(loader).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(data.DataError);
    expect(String(error)).toMatch(/field 'x': sample 2 \(dataset index 6\) has NaN at \[1\]/);
    expect((error as InstanceType<typeof data.DataError>).datasetIndex).toBe(6);
    const broken = { length: 1, get: () => ({}), workerSource: () => ({ module: FIXTURES, export: 'BrokenDataset' }) };
    await expect(epoch(track(new DataLoader(broken, { numWorkers: 1 })))).rejects.toThrow(/worker 0 could not build the dataset from .*toy-datasets.ts#BrokenDataset: cannot open the toy database/);
  });

  it('survive an early break and start the next epoch cleanly', async () => {
    const loader = track(new DataLoader(new ToyDataset(40), { batchSize: 2, numWorkers: 2, prefetch: 6, collateOptions: { padTokenId: 0 } }));
    for await (const _ of loader) break;
    const main = new DataLoader(new ToyDataset(40), { batchSize: 2, collateOptions: { padTokenId: 0 } });
    main.setEpoch(1);
    expect(await epoch(loader)).toEqual(await epoch(main));
  });
});
