// Validation under data parallelism (issue 15): each rank validates its shard of the val
// DataLoader (no padding: rank r takes items r, r + k, ...), and the counts behind the metrics are
// summed across ranks, so every rank reports the metrics of one process validating the whole
// set: counts exactly (accuracy, F1, precision), the loss as the global sum over the global count
// (float64: equal to ~1e-15, the per-rank partial sums associate differently).
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFailures, runJob, script, tsxCommand } from './launch.js';

const root = fs.mkdtempSync(path.join(tmpdir(), 'tt-ddp-val-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface ValResult { rank: number; metrics: Record<string, number>; batches: number; ddp: boolean }

async function validate(name: string, world: number, options: Record<string, unknown>): Promise<ValResult[]> {
  const out = path.join(root, name);
  fs.mkdirSync(out, { recursive: true });
  const results = await runJob({ worldSize: world, command: () => tsxCommand(script('ddp-validate.ts'), JSON.stringify({ ...options, out })) });
  expect(describeFailures(results)).toBe('');
  return results.map((r) => JSON.parse(fs.readFileSync(path.join(out, `val-${r.rank}.json`), 'utf8')) as ValResult);
}

describe('data-parallel validation', () => {
  it('2 ranks on an uneven val set (37 items, batches of 5) report the metrics of 1 process on all of it', async () => {
    const options = { samples: 37, batch: 5, shuffle: true };
    const [[single], ranks] = [await validate('single', 1, options), await validate('ddp', 2, options)];
    expect(single.ddp).toBe(false);
    expect(single.batches).toBe(8);
    // Rank 0 validates items 0, 2, ..., 36 (19: 4 batches), rank 1 items 1, 3, ..., 35 (18: 4 batches).
    expect(ranks.map((r) => [r.ddp, r.batches])).toEqual([[true, 4], [true, 4]]);
    for (const r of ranks) {
      expect(r.metrics.accuracy).toBe(single.metrics.accuracy);
      expect(r.metrics.f1_macro).toBe(single.metrics.f1_macro);
      expect(r.metrics.precision_micro).toBe(single.metrics.precision_micro);
      expect(Math.abs(r.metrics.loss - single.metrics.loss)).toBeLessThan(1e-12);
    }
    expect(ranks[1].metrics).toEqual(ranks[0].metrics); // every rank decides alike (EarlyStopping, best-k)
    console.log(`validation: 1 process ${JSON.stringify(single.metrics)}, |loss diff| = ${Math.abs(ranks[0].metrics.loss - single.metrics.loss).toExponential(2)}`);
  }, 120_000);
});
