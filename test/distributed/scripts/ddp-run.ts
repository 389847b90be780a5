// Shared by test/distributed/ddp-*.test.ts: runs scripts/ddp-train.ts as a job of k processes on
// loopback (1: a plain process without a process group) and reads back each rank's result.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { describeFailures, runJob, script, tsxCommand } from '../launch.js';

export interface Result {
  rank: number; world: number; step: number; weights: Record<string, number[]>; logs: Record<string, number>;
  ddp: boolean; sampler?: string; trainBatches: number; stderr: string;
  /** process warnings (TrainerWarning ...) the rank emitted. */
  warnings: string[];
  /** Buckets all-reduced with the overlapped reducer, and how many of them started during backward. */
  overlapStats?: { buckets: number; startedDuringBackward: number };
}

let runs = 0;
/** Runs ddp-train.ts with `options` under a fresh folder of `root` (or options.out); returns each rank's result. */
export async function train(root: string, world: number, options: Record<string, unknown>): Promise<Result[]> {
  const out = (options.out as string | undefined) ?? path.join(root, `run-${runs++}`);
  fs.mkdirSync(out, { recursive: true });
  const results = await runJob({ worldSize: world, command: () => tsxCommand(script('ddp-train.ts'), JSON.stringify({ ...options, out })) });
  expect(describeFailures(results)).toBe('');
  return results.map((r) => ({ ...JSON.parse(fs.readFileSync(path.join(out, `result-${r.rank}.json`), 'utf8')) as Result, stderr: r.stderr }));
}

/** The largest absolute difference between two results' weights. */
export function maxDifference(a: Result, b: Result): number {
  expect(Object.keys(a.weights).sort()).toEqual(Object.keys(b.weights).sort());
  let worst = 0;
  for (const [name, values] of Object.entries(a.weights)) values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.weights[name][i]))));
  return worst;
}
