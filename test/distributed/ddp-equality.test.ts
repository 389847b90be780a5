// Data-parallel training with the Trainer (issue 15, points 2 and 5): the weights after N steps of
// a k-rank job (each rank batch B, its shard of the data, sharded by the Trainer itself) equal a
// one-process run on the same data order with batch kB, and with gradient accumulation too; for
// a causal LM whose ranks hold very different token counts, the update is token-weighted.
//
// Tolerances, measured here (2-core x86-64, PyPI torch 2.15, Gloo on loopback):
// - against one process accumulating the ranks' micro-batches in turn ('accum', accumulation 1):
//   EXACT (0): the same per-rank gradients, and a sum of two is the same in any order;
// - against one process with the k-times-larger batch ('big'): the batch's reduction inside the
//   matmuls runs in another order: float64 differs by ~1e-16 (bound 1e-12), float32 by ~1e-8
//   (bound 1e-5) after 6 AdamW steps;
// - with accumulation 2 (or 3 ranks) the window's sums associate differently: ~1e-16 in float64.
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maxDifference, train } from './scripts/ddp-run.js';

const root = fs.mkdtempSync(path.join(tmpdir(), 'tt-ddp-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const cases = [
  { name: 'regression, float64', task: 'regression', dtype: 'float64', world: 2, accumulation: 1, exact: true, big: 1e-12 },
  { name: 'regression, float32', task: 'regression', dtype: 'float32', world: 2, accumulation: 1, exact: true, big: 1e-5 },
  { name: 'regression, float64, gradient accumulation 2', task: 'regression', dtype: 'float64', world: 2, accumulation: 2, exact: false, big: 1e-12 },
  { name: 'regression, float64, 3 ranks', task: 'regression', dtype: 'float64', world: 3, accumulation: 1, exact: false, big: 1e-12, samples: 48 },
  { name: 'causal LM with uneven tokens per rank, float64', task: 'lm', dtype: 'float64', world: 2, accumulation: 1, exact: true, big: 1e-12 },
  { name: 'causal LM, float64, gradient accumulation 2', task: 'lm', dtype: 'float64', world: 2, accumulation: 2, exact: false, big: 1e-12 },
] as const;

describe('data-parallel Trainer equals one process with the k-times-larger batch', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const base = { task: c.task, dtype: c.dtype, world: c.world, batch: 4, accumulation: c.accumulation, steps: 6, samples: 'samples' in c ? c.samples : 64 };
      const ranks = await train(root, c.world, { ...base, mode: 'ddp' });
      const [[big], [accum]] = [await train(root, 1, { ...base, mode: 'big' }), await train(root, 1, { ...base, mode: 'accum' })];
      for (const r of ranks) {
        expect(r.ddp).toBe(true);
        expect(r.sampler).toBe('DistributedSampler');
        expect(r.step).toBe(6);
        expect(maxDifference(r, ranks[0])).toBe(0); // every rank holds the same weights, bit for bit
      }
      expect(big.ddp).toBe(false);
      const vsBig = maxDifference(ranks[0], big);
      const vsAccum = maxDifference(ranks[0], accum);
      console.log(`${c.name}: max |w_ddp - w_big| = ${vsBig.toExponential(2)}, max |w_ddp - w_accum| = ${vsAccum.toExponential(2)}`);
      expect(vsBig).toBeLessThan(c.big);
      if (c.exact) expect(vsAccum).toBe(0);
      else expect(vsAccum).toBeLessThan(c.big);
      // The logged loss is the mean over every rank's items (tokens for the LM), as the big batch's.
      expect(ranks[0].logs['train/loss']).toBeCloseTo(big.logs['train/loss'], c.dtype === 'float64' ? 10 : 5);
      expect(ranks[1].logs['train/loss']).toBe(ranks[0].logs['train/loss']);
    }, 300_000);
  }
});
