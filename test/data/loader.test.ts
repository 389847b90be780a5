import { afterEach, describe, expect, it, vi } from 'vitest';
import { data, torch, Tensor } from '../../lib/index.js';
import { ToyDataset } from './fixtures/toy-datasets.js';

const { DataLoader, InMemoryDataset, DistributedSampler } = data;

afterEach(() => vi.restoreAllMocks());

type B = Record<string, Tensor>;

async function collect<T>(loader: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

const numbered = (n: number) => new InMemoryDataset(Array.from({ length: n }, (_, i) => ({ x: i })));
const xs = async (loader: AsyncIterable<unknown>) => (await collect(loader)).map((b) => (b as B).x!.tolist() as number[]);

describe('DataLoader', () => {
  it('batches in order, with length and a short last batch unless dropLast', async () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(await xs(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const dropping = new DataLoader(numbered(10), { batchSize: 4, dropLast: true });
    expect(dropping.length).toBe(2);
    expect(await xs(dropping)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it('shuffles by seed and epoch: the same seed and epoch give the same order, the next epoch another', async () => {
    const make = () => new DataLoader(numbered(20), { batchSize: 5, shuffle: true, seed: 11 });
    const a = make();
    const epoch0 = (await xs(a)).flat();
    const epoch1 = (await xs(a)).flat(); // each iteration advances the epoch
    expect(a.epoch).toBe(2);
    expect(epoch0).not.toEqual(epoch1);
    expect([...epoch0].sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const b = make();
    expect((await xs(b)).flat()).toEqual(epoch0);
    b.setEpoch(1);
    expect((await xs(b)).flat()).toEqual(epoch1);
    const otherSeed = new DataLoader(numbered(20), { batchSize: 5, shuffle: true, seed: 12 });
    expect((await xs(otherSeed)).flat()).not.toEqual(epoch0);
  });

  it('takes a sampler (distributed shards through the loader) and refuses sampler + shuffle', async () => {
    const ranks = await Promise.all([0, 1].map((rank) => xs(new DataLoader(numbered(10), { batchSize: 2, sampler: new DistributedSampler(10, { rank, worldSize: 2, seed: 5 }) }))));
    const seen = ranks.flat(2);
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
    expect(() => new DataLoader(numbered(3), { shuffle: true, sampler: new data.SequentialSampler(3) })).toThrow(/mutually exclusive/);
    expect(() => new DataLoader(numbered(3), { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new DataLoader(numbered(3), { bachSize: 2 } as never)).toThrow(/unknown option\(s\) bachSize/);
  });

  it('a user collate always wins over the default one and gets indices and the epoch', async () => {
    const seen: data.CollateContext[] = [];
    const loader = new DataLoader(numbered(5), {
      batchSize: 2,
      collateOptions: { padTokenId: 0 },
      collate: (samples: { x: number }[], ctx) => {
        seen.push(ctx);
        return { sum: samples.reduce((s, v) => s + v.x, 0) };
      },
    });
    expect(await collect(loader)).toEqual([{ sum: 1 }, { sum: 5 }, { sum: 4 }]);
    expect(seen.map((c) => c.indices)).toEqual([[0, 1], [2, 3], [4]]);
    expect(seen.every((c) => c.epoch === 0)).toBe(true);
  });

  it('reads async gets, pads with the collate options, and reads iterable datasets in blocks', async () => {
    const loader = new DataLoader(new ToyDataset(6, 3), { batchSize: 3, collateOptions: { padTokenId: 0 } });
    const [first] = await collect(loader) as unknown as Record<string, Tensor & { tolist(): unknown }>[];
    expect(first!.input_ids!.tolist()).toEqual([[1, 0, 0], [8, 9, 0], [15, 16, 17]]);
    expect(first!.attention_mask!.tolist()).toEqual([[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
    expect((first!.meta as unknown as { id: Tensor }).id.tolist()).toEqual([0, 1000, 2000]);
    async function* stream() {
      for (let i = 0; i < 7; i++) yield { x: i };
    }
    const iterable = { [Symbol.asyncIterator]: stream };
    expect(await xs(new DataLoader(iterable, { batchSize: 3 }))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(await xs(new DataLoader(iterable, { batchSize: 3, dropLast: true }))).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(new DataLoader(iterable, { batchSize: 3 }).length).toBeUndefined();
    expect(() => new DataLoader(iterable, { shuffle: true })).toThrow(/iterable dataset is read in order/);
  });

  it('filters empty samples with one warning per epoch carrying the count', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const loader = new DataLoader(new ToyDataset(12, 4, 5), { batchSize: 4, collateOptions: { padTokenId: 0 } });
    const batches = await collect(loader) as unknown as B[];
    expect(batches.map((b) => b.input_ids!.shape[0])).toEqual([3, 3, 3]); // samples 0, 5, 10 dropped
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/DataLoader dropped 3 empty sample\(s\) in epoch 0 \(zero-length input_ids; e.g. dataset index 0\)/);
    await collect(loader);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[1]![0])).toMatch(/in epoch 1/);
    const keeping = new DataLoader(new ToyDataset(4, 4, 5), { batchSize: 4, filterEmpty: false, collateOptions: { padTokenId: 0 } });
    const [kept] = await collect(keeping) as unknown as B[];
    expect((kept!.attention_mask!.tolist() as number[][])[0]).toEqual([0, 0, 0, 0]);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('bad samples are errors naming the dataset index', async () => {
    const ds = new InMemoryDataset([{ x: 1 }, { x: 2 }, { x: Number.NaN }]);
    await expect(collect(new DataLoader(ds, { batchSize: 3 }))).rejects.toThrow(/field 'x': sample 2 \(dataset index 2\) has NaN/);
  });

  it('makes batch tensors in the consumer\'s scope; TensorDataset rows are freed once stacked', async () => {
    const x = torch.keep(torch.arange(40).reshape(20, 2).float());
    const y = torch.keep(torch.arange(20));
    const loader = new DataLoader(new data.TensorDataset(x, y), { batchSize: 5, shuffle: true, seed: 3 });
    expect(loader.yieldsFreshBatches).toBe(true);
    const before = torch.memory().tensors;
    const it = loader[Symbol.asyncIterator]();
    const rows: number[][] = [];
    await torch.scope(async () => {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        const [bx, by] = r.value as unknown as Tensor[];
        expect(bx!.shape).toEqual([5, 2]);
        rows.push(by!.tolist() as number[]);
      }
    });
    expect(torch.memory().tensors).toBe(before);
    expect(rows.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(() => new DataLoader(new data.TensorDataset(x, y), { numWorkers: 1 })).toThrow(/numWorkers > 0 needs a dataset that can be rebuilt in a worker/);
    x.dispose();
    y.dispose();
  });
});
