// The gradient all-reduce overlapped with backward (issue 15; native/gradient_reducer.h): buckets
// start their all-reduce from hooks on the gradient accumulators while backward goes on, and the
// weights are exactly those of the after-backward path (config.distributed { overlap: false }):
// the same buckets, the same sums. A parameter without a gradient on some rank (a layer used on
// rank 0 only) does not hang the job: its bucket is completed with zeros at the end of backward.
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maxDifference, train } from './scripts/ddp-run.js';

const root = fs.mkdtempSync(path.join(tmpdir(), 'tt-ddp-overlap-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const base = { task: 'lm', dtype: 'float32', world: 2, batch: 4, steps: 6, samples: 64, mode: 'ddp' };

describe('gradient all-reduce overlapped with backward', () => {
  it('gives the same weights as the all-reduce after backward (gradient accumulation 2, float32, bit for bit)', async () => {
    const overlapped = await train(root, 2, { ...base, accumulation: 2, overlap: true });
    const after = await train(root, 2, { ...base, accumulation: 2, overlap: false });
    for (const r of [...overlapped, ...after]) expect(r.step).toBe(6);
    expect(maxDifference(overlapped[0], overlapped[1])).toBe(0);
    expect(maxDifference(overlapped[0], after[0])).toBe(0);
    expect(overlapped[0].logs['train/loss']).toBe(after[0].logs['train/loss']);
    // The hooks did start the all-reduces during backward: 6 windows' buckets, all of them before
    // backward ended (every parameter gets its gradient in every window here). None after it.
    const stats = overlapped[0].overlapStats!;
    expect(stats.buckets).toBeGreaterThanOrEqual(6);
    expect(stats.startedDuringBackward).toBe(stats.buckets);
    expect(after[0].overlapStats).toEqual({ buckets: 0, startedDuringBackward: 0 });
  }, 120_000);

  it('a parameter used on rank 0 only: no hang, the ranks stay identical', async () => {
    const ranks = await train(root, 2, { ...base, task: 'regression', dtype: 'float64', accumulation: 1, spare: 'rank0', overlap: true });
    expect(ranks.map((r) => r.step)).toEqual([6, 6]);
    expect(maxDifference(ranks[0], ranks[1])).toBe(0);
    // On rank 1 the spare layer's bucket (the first: the last-registered parameters) waits for
    // finalize, and every later bucket with it; on rank 0 all start during backward.
    expect(ranks[0].overlapStats!.startedDuringBackward).toBe(ranks[0].overlapStats!.buckets);
    expect(ranks[1].overlapStats!.startedDuringBackward).toBe(0);
  }, 120_000);
});
