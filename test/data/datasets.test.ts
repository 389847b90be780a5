import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { data, torch } from '../../lib/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tt-data-'));

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

describe('map-style datasets', () => {
  it('InMemoryDataset indexes its array and refuses out-of-range indices', () => {
    const ds = new data.InMemoryDataset(['a', 'b']);
    expect(ds.length).toBe(2);
    expect(ds.get(1)).toBe('b');
    expect(() => ds.get(2)).toThrow(/index 2 is out of range for 2 samples/);
    expect(() => ds.get(0.5)).toThrow(RangeError);
    expect(data.isMapDataset(ds)).toBe(true);
    expect(data.isIterableDataset(ds)).toBe(false);
  });

  it('TensorDataset gives row i of each tensor and checks the first dimensions agree', () => {
    torch.scope(() => {
      const ds = new data.TensorDataset(torch.arange(6).reshape(3, 2), torch.tensor([7, 8, 9]));
      expect(ds.length).toBe(3);
      const [x, y] = ds.get(2);
      expect(x!.tolist()).toEqual([4, 5]);
      expect(y!.item()).toBe(9);
      expect(() => new data.TensorDataset(torch.zeros([3]), torch.zeros([4]))).toThrow(/tensor 0 has 3 rows, tensor 1 has 4/);
    });
  });
});

describe('JsonlDataset', () => {
  const path = join(dir, 'records.jsonl');
  // Blank lines, a CRLF ending, unicode, a record spanning read chunks and no final newline.
  const records = [{ a: 1 }, { text: 'héllo wörld ✓' }, { big: 'x'.repeat(3_000_000) }, [1, 2, 3], 'just a string', { last: true }];
  writeFileSync(path, `${JSON.stringify(records[0])}\n\n${JSON.stringify(records[1])}\r\n${JSON.stringify(records[2])}\n   \n${JSON.stringify(records[3])}\n${JSON.stringify(records[4])}\n${JSON.stringify(records[5])}`);

  it('streams the records in order, skipping blank lines', async () => {
    const ds = new data.JsonlDataset(path);
    expect(data.isIterableDataset(ds)).toBe(true);
    expect(await all(ds)).toEqual(records);
  });

  it('indexes byte ranges for map-style (shuffled) access', async () => {
    const indexed = await new data.JsonlDataset(path).index();
    expect(indexed.length).toBe(records.length);
    expect(indexed.get(4)).toEqual(records[4]);
    expect(indexed.get(1)).toEqual(records[1]);
    expect(indexed.get(2)).toEqual(records[2]);
    indexed.close();
    const shards = await Promise.all([0, 1].map((shard) => all(new data.JsonlDataset(path).shard({ shard, numShards: 2, blockSize: 2 }))));
    expect(shards).toEqual([[records[0], records[1], records[4], records[5]], [records[2], records[3]]]);
  });

  it('streams a large generated file with constant memory per record', async () => {
    const big = join(dir, 'big.jsonl');
    const n = 20_000;
    writeFileSync(big, Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, tokens: [i % 7, i % 11, i % 13] })).join('\n'));
    let count = 0;
    let sum = 0;
    for await (const r of new data.JsonlDataset<{ id: number }>(big)) {
      count++;
      sum += r.id;
    }
    expect(count).toBe(n);
    expect(sum).toBe((n * (n - 1)) / 2);
    const indexed = await new data.JsonlDataset<{ id: number }>(big).index();
    expect(indexed.get(12_345).id).toBe(12_345);
    indexed.close();
  });

  it('names the file, line and byte offset of invalid JSON; notices a changed file', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"ok": 1}\n{"broken": \n');
    await expect(all(new data.JsonlDataset(bad))).rejects.toThrow(/bad\.jsonl: line 2 \(byte 10\): invalid JSON/);
    expect(() => new data.JsonlDataset(join(dir, 'missing.jsonl'))).toThrow(/ENOENT/);
    const changing = join(dir, 'changing.jsonl');
    writeFileSync(changing, '{"a": 1}\n');
    const indexed = await new data.JsonlDataset(changing).index();
    writeFileSync(changing, '{"a": 1}\n{"b": 2}\n');
    expect(() => indexed.get(0)).toThrow(/was 9 when indexed; index it again/);
  });
});
