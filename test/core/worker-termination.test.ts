// worker.terminate() on a worker thread in the middle of torchtrain ops (thread pools, timeouts
// and test runners do it routinely) ends that worker only: the process lives on, and the worker's
// native state, its tensors included, is freed by its environment's cleanup. Run in a child process
// so that an abort cannot take the test runner down; the crash-only suite runs it too.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'worker-terminate-child.ts');

function runWorkerTermination(rounds: number, seed: number) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', CHILD, String(rounds), String(seed)], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return run;
}

describe('Worker.terminate() during torchtrain ops', () => {
  it('ends the worker only, and frees its tensors', () => {
    const run = runWorkerTermination(50, 7);
    expect(run.signal, run.stderr).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!);
    // Only the main thread's environment is left: each worker's was cleaned up with its tensors.
    expect(report.before.environments).toBe(1);
    expect(report.after.environments).toBe(1);
    expect(report.after.tensors).toBe(report.before.tensors);
    expect(report.after.bytes).toBe(report.before.bytes);
    expect(report.sum).toBe(1000);
    // Each worker held heldMiB in one tensor: 49 leaked ones would be ~2 GB.
    expect(report.rssGrowthMiB).toBeLessThan(report.heldMiB * 8);
  }, 300_000);
});
