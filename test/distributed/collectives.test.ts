// Collectives parity: the same cases (scripts/cases.json) run by N torchtrain ranks and by N
// Python torch.distributed ranks (gloo over loopback, separate jobs); every rank's results must
// match Python's exactly (same libtorch kernels and Gloo reductions), failures included.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parityRequired, referencePython } from '../helpers/python.js';
import { describeFailures, runJob, script, tsxCommand } from './launch.js';

type Results = Record<string, { ok: boolean; dtype?: string; values?: unknown; error?: string }>;

const python = referencePython();
if (!python) {
  if (parityRequired) throw new Error('distributed parity needs the reference Python (TORCHTRAIN_PYTHON or the build-info record)');
  console.warn('\nDISTRIBUTED PARITY TESTS NOT RUN: no reference Python recorded for this build\n');
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function job(worldSize: number, command: (out: string) => string[]): Promise<Results[]> {
  const out = mkdtempSync(path.join(tmpdir(), 'tt-dist-'));
  dirs.push(out);
  const results = await runJob({ worldSize, command: () => command(out) });
  expect(describeFailures(results)).toBe('');
  return results.map((r) => JSON.parse(readFileSync(path.join(out, `rank-${r.rank}.json`), 'utf8')) as Results);
}

describe.skipIf(!python).each([2, 3])('collectives with %i ranks against torch.distributed', (worldSize) => {
  it('gives Python\'s results on every rank for every case and dtype', async () => {
    const [ours, theirs] = await Promise.all([
      job(worldSize, (out) => tsxCommand(script('collectives.ts'), out)),
      job(worldSize, (out) => [python!, script('collectives.py'), out]),
    ]);
    for (let rank = 0; rank < worldSize; rank++) {
      const names = Object.keys(theirs[rank]);
      expect(Object.keys(ours[rank]).sort()).toEqual(names.sort());
      for (const name of names) {
        const a = ours[rank][name], b = theirs[rank][name];
        if (!b.ok) {
          // What Python's Gloo cannot do, torchtrain refuses too (with its own message).
          expect(a.ok, `${name} on rank ${rank}: Python failed (${b.error}), torchtrain did not`).toBe(false);
          // A dtype Gloo refuses (bfloat16 in torch 1.13): a clear error, and the group stays usable (the next cases pass).
          if (b.error?.includes('Invalid scalar type')) expect(a.error).toMatch(/^distributed\.\w+ (was refused|failed) on rank \d+ of \d+, gloo.*: Invalid scalar type/);
          continue;
        }
        expect(a.error, `${name} on rank ${rank}`).toBeUndefined();
        expect(a.dtype, `${name} on rank ${rank}`).toBe(b.dtype);
        // The transposed case: torchtrain reduces the transposed view itself, Python a contiguous copy.
        expect(a.values, `${name} on rank ${rank}`).toEqual(b.values);
      }
      // Integer means are refused rather than truncated.
      expect(ours[rank]['allReduce/mean/int64'].error).toMatch(/'mean' needs a floating tensor/);
    }
  }, 600_000);
});
