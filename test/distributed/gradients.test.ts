// allReduceGradients: DDP's bucketed gradient all-reduce (issue 15, point 2's primitive).
import { describe, expect, it } from 'vitest';
import { distributed, torch } from '../../lib/index.js';
import { describeFailures, runJob, script, tsxCommand } from './launch.js';

describe('gradientBuckets', () => {
  it('fills buckets in reverse parameter order, per dtype, the first one small', () => {
    const grads = [torch.zeros([4]), torch.zeros([4]), torch.zeros([2], { dtype: 'float64' }), torch.zeros([8]), torch.zeros([1])];
    const buckets = distributed.gradientBuckets(grads, 32, 8);
    // float32 bytes in reverse: 4 (g4), 32 (g3), 16 (g1), 16 (g0); float64: 16 (g2).
    expect(buckets.map((b) => b.params.map((g) => grads.indexOf(g)))).toEqual([[4], [3], [1, 0], [2]]);
    expect(buckets.map((b) => b.bytes)).toEqual([4, 32, 32, 16]);
  });
});

describe('allReduceGradients', () => {
  for (const worldSize of [2, 3]) {
    it(`averages every gradient over ${worldSize} ranks through small buckets`, async () => {
      const results = await runJob({ worldSize, command: () => tsxCommand(script('gradients.ts')) });
      expect(describeFailures(results)).toBe('');
      for (const r of results) {
        const line = JSON.parse(r.stdout.trim().split('\n').pop()!) as { worst: number; buckets: number[]; noGrad: boolean };
        // float32 sums of a few values: the reduction order differs from our float64 reference.
        expect(line.worst).toBeLessThan(1e-5);
        expect(line.buckets.length).toBeGreaterThan(2);
        expect(line.noGrad).toBe(true);
      }
    }, 300_000);
  }

  it('checks its options', () => {
    expect(() => distributed.allReduceGradients([], { bucketBytes: 0 })).toThrow(/bucketBytes/);
    expect(() => distributed.allReduceGradients([], { bucketMb: 25 } as object)).toThrow(/bucketMb: not an option of allReduceGradients/);
  });
});
