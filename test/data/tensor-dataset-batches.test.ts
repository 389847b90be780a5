// TensorDataset.getBatch (PyTorch's __getitems__): the DataLoader reads a whole batch with one
// indexSelect per tensor. These pin that it gives exactly the batch the per-sample path (get()
// rows through the default collate) gives, for tuple and dict rows of several dtypes and ranks.
import { describe, expect, it } from 'vitest';
import { data, torch, type Tensor } from '../../lib/index.js';

const { DataLoader, TensorDataset, defaultCollate } = data;

async function collect(loader: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

const describeTensor = (t: Tensor) => ({ dtype: t.dtype, shape: t.shape, values: t.tolist() });
const describeBatch = (b: unknown): unknown => (Array.isArray(b)
  ? b.map((t) => describeTensor(t as Tensor))
  : Object.fromEntries(Object.entries(b as Record<string, Tensor>).map(([k, t]) => [k, describeTensor(t)])));

describe('TensorDataset batches', () => {
  torch.manualSeed(0);
  const x = torch.keep(torch.randn([23, 3, 2]));
  const y = torch.keep(torch.randint(0, 5, [23]));
  const m = torch.keep(torch.rand([23, 4]).gt(0.5));

  it('getBatch equals the default collate of get() rows (tuples and dicts)', () => {
    const indices = [4, 0, 22, 4, 9];
    for (const ds of [new TensorDataset(x, y, m), new TensorDataset({ pixel_values: x, labels: y, mask: m })]) {
      torch.scope(() => {
        const byRows = defaultCollate(indices.map((i) => ds.get(i)));
        expect(describeBatch(ds.getBatch(indices))).toEqual(describeBatch(byRows));
      });
    }
  });

  it('the loader gives the same batches as the per-sample path (a mapped dataset), and frees everything', async () => {
    const ds = new TensorDataset(x, y);
    const options = { batchSize: 5, shuffle: true, seed: 4 };
    const before = torch.memory().tensors;
    await torch.scope(async () => {
      const fast = await collect(new DataLoader(ds, options));
      const perSample = await collect(new DataLoader(ds.map((row) => row), options));
      expect(fast.map(describeBatch)).toEqual(perSample.map(describeBatch));
      expect(fast).toHaveLength(5);
    });
    expect(torch.memory().tensors).toBe(before);
  });

  it('names an index out of range, and a user collate still receives rows', async () => {
    expect(() => new TensorDataset(x, y).getBatch([1, 23])).toThrow(/TensorDataset: index 23 is out of range for 23 samples/);
    const seen: number[] = [];
    const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 4, collate: (rows) => { seen.push(rows.length); return rows.length as never; } });
    expect(await collect(loader)).toEqual([4, 4, 4, 4, 4, 3]);
    expect(seen).toEqual([4, 4, 4, 4, 4, 3]);
  });
});
