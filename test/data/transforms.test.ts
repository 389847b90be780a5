// Named TensorDataset rows, per-sample transforms (main thread and worker threads) and
// seedEverything.
import { afterAll, describe, expect, it } from 'vitest';
import { data, nn, seedEverything, type Tensor, TaskSpecs, torch } from '../../lib/index.js';
import { normalizeDigit, type RawDigit } from './fixtures/transforms.js';

const { DataLoader } = data;
const TRANSFORMS = new URL('./fixtures/transforms.ts', import.meta.url).href;
const loaders: data.DataLoader<unknown, unknown>[] = [];
afterAll(async () => {
  await Promise.all(loaders.map((l) => l.close()));
});

async function collect<B>(loader: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

function rawDigits(n: number): RawDigit[] {
  const rng = new data.SeededRandom(11);
  return Array.from({ length: n }, (_, i) => ({ pixels: Uint8Array.from({ length: 784 }, () => rng.nextInt(256)), label: i % 10 }));
}

describe('TensorDataset field names', () => {
  it('a record of tensors, or a task, names the rows; the positional form still gives tuples', async () => {
    await torch.scope(async () => {
      const x = torch.rand([6, 1, 4, 4]);
      const y = torch.tensor([0, 1, 2, 0, 1, 2], { dtype: 'int64' });
      const task = TaskSpecs.imageClassification({ numClasses: 3 });
      const [byTask] = await collect(new DataLoader(new data.TensorDataset(x, y, { task }), { batchSize: 6 })) as unknown as Record<string, Tensor>[];
      expect(Object.keys(byTask!)).toEqual([task.fields.inputs, task.fields.labels]); // pixel_values, labels
      expect(byTask!.pixel_values!.shape).toEqual([6, 1, 4, 4]);
      expect(byTask!.labels!.tolist()).toEqual([0, 1, 2, 0, 1, 2]);
      const named = new data.TensorDataset({ features: x.flatten(1), labels: y });
      expect(Object.keys(named.get(0))).toEqual(['features', 'labels']);
      expect(named.get(3).labels.item()).toBe(0);
      expect(new data.TensorDataset(x, y, { names: ['a', 'b'] }).names).toEqual(['a', 'b']);
      const [bx, by] = new data.TensorDataset(x, y).get(1);
      expect(bx!.shape).toEqual([1, 4, 4]);
      expect(by!.item()).toBe(1);
      expect(() => new data.TensorDataset(x, y, { names: ['a'] })).toThrow(/names must hold one non-empty string per tensor \(2\)/);
      expect(() => new data.TensorDataset({ features: x, labels: y.narrow(0, 0, 2) })).toThrow(/tensor 0 \('features'\) has 6 rows, tensor 1 \('labels'\) has 2/);
    });
  });
});

describe('Dataset.map transforms', () => {
  const raw = rawDigits(20);
  const expected = torch.scope(() => {
    const pixels = torch.tensor(Uint8Array.from(raw.flatMap((d) => [...d.pixels])), { dtype: 'uint8', shape: [20, 1, 28, 28] });
    return torch.keep(pixels.float().div(255).sub(0.1307).div(0.3081));
  });

  it('raw Uint8Array pixels become float32 [1, 28, 28], normalised, on the main thread', async () => {
    const ds = new data.InMemoryDataset(raw).map(normalizeDigit);
    expect(ds.length).toBe(20);
    const batches = await collect(new DataLoader(ds, { batchSize: 8 })) as unknown as Record<string, Tensor>[];
    expect(batches.map((b) => b.pixel_values!.shape)).toEqual([[8, 1, 28, 28], [8, 1, 28, 28], [4, 1, 28, 28]]);
    expect(batches[0]!.pixel_values!.dtype).toBe('float32');
    expect(batches[0]!.labels!.dtype).toBe('int64');
    const all = torch.cat(batches.map((b) => b.pixel_values!));
    expect(all.allclose(expected, { rtol: 0, atol: 1e-5 })).toBe(true);
    // A transform may also make tensors on the main thread, and transforms chain.
    const chained = new data.InMemoryDataset(raw).map(normalizeDigit).map((d, i) => ({ ...d, index: i }));
    expect((await chained.get(5)).index).toBe(5);
  });

  it('the same transform runs in worker threads when its module is named, giving the same batches', async () => {
    const options = { batchSize: 6, shuffle: true, seed: 2 };
    const main = await collect(new DataLoader(new data.InMemoryDataset(raw).map(normalizeDigit), options)) as unknown as Record<string, Tensor>[];
    const inWorkers = new DataLoader(new data.InMemoryDataset(raw).map(normalizeDigit, { module: TRANSFORMS }), { ...options, numWorkers: 2 });
    loaders.push(inWorkers as data.DataLoader<unknown, unknown>);
    const viaFactory = new DataLoader(new data.InMemoryDataset(raw).map(normalizeDigit, { module: TRANSFORMS, export: 'normalizer', args: [0.1307, 0.3081] }), { ...options, numWorkers: 1 });
    loaders.push(viaFactory as data.DataLoader<unknown, unknown>);
    for (const loader of [inWorkers, viaFactory]) {
      const got = await collect(loader) as unknown as Record<string, Tensor>[];
      expect(got.length).toBe(main.length);
      got.forEach((b, k) => {
        expect(b.pixel_values!.shape).toEqual(main[k]!.pixel_values!.shape);
        expect(b.pixel_values!.equal(main[k]!.pixel_values!)).toBe(true);
        expect(b.labels!.tolist()).toEqual(main[k]!.labels!.tolist());
      });
    }
  });

  it('a transform that cannot cross to a worker is refused at once, saying what to change', () => {
    const ds = new data.InMemoryDataset(raw).map((d) => normalizeDigit(d));
    expect(() => new DataLoader(ds, { numWorkers: 1 })).toThrow(/transform \(map\(fn\)\) is a function, and functions cannot be sent to worker threads.*map\(fn, \{ module: import.meta.url \}\).*or use numWorkers: 0/);
    torch.scope(() => {
      const tensors = new data.TensorDataset(torch.zeros([2, 3])).map((r) => r);
      expect(() => new DataLoader(tensors, { numWorkers: 1 })).toThrow(/numWorkers > 0/);
    });
  });

  it('streams are mapped too, with stream positions as indices', async () => {
    const stream = { async *[Symbol.asyncIterator]() { yield* [{ a: 1 }, { a: 2 }, { a: 3 }]; } };
    const mapped = data.mapDataset(stream, (s, i) => ({ a: s.a * 10, i }));
    const out: unknown[] = [];
    for await (const s of mapped) out.push(s);
    expect(out).toEqual([{ a: 10, i: 0 }, { a: 20, i: 1 }, { a: 30, i: 2 }]);
  });
});

describe('seedEverything', () => {
  it('seeds libtorch and the default seed of samplers and shuffling loaders', async () => {
    const draw = async () => {
      const weights = new nn.Linear(4, 2).weight.tolist();
      const order = new data.RandomSampler(10).indices(0);
      const loader = new DataLoader(new data.InMemoryDataset(Array.from({ length: 8 }, (_, i) => ({ x: i }))), { batchSize: 8, shuffle: true });
      const [batch] = await collect(loader) as unknown as Record<string, Tensor>[];
      return { weights, order, loaderOrder: batch!.x!.tolist(), rand: torch.rand([3]).tolist() };
    };
    expect(seedEverything(1234)).toBe(1234);
    const first = await draw();
    seedEverything(1234);
    expect(await draw()).toEqual(first);
    expect(data.defaultSeed()).toBe(1234);
    expect(new data.RandomSampler(10, { seed: 1234 }).indices(0)).toEqual(first.order); // an explicit seed is the same seed
    seedEverything(99);
    const other = await draw();
    expect(other.order).not.toEqual(first.order);
    expect(other.weights).not.toEqual(first.weights);
    expect(() => seedEverything(-1)).toThrow(/non-negative integer/);
    seedEverything(0);
    delete process.env.TORCHTRAIN_SEED;
  });
});
