// A rank that dies makes the others fail within the group's timeout with an error naming the
// collective and the rank, instead of hanging (issue 15, point 4).
import { describe, expect, it } from 'vitest';
import { runJob, script, tsxCommand } from './launch.js';

describe('a dead rank', () => {
  for (const collective of ['allReduce', 'barrier']) {
    it(`fails ${collective} on the live ranks with a clear error, not a hang`, async () => {
      const results = await runJob({ worldSize: 3, command: () => tsxCommand(script('dead-rank.ts'), collective),
        env: { TT_TEST_TIMEOUT_MS: '10000' }, timeoutMs: 240_000 });
      expect(results[1].code).toBe(3);
      for (const r of [results[0], results[2]]) {
        expect(r.killed, `rank ${r.rank} hung:\n${r.stderr}`).toBe(false);
        expect(r.code, r.stderr).toBe(0);
        const line = JSON.parse(r.stdout.trim().split('\n').pop()!) as { error?: string; name?: string };
        expect(line.error).toMatch(new RegExp(`^distributed\\.${collective} failed`));
        expect(line.error).toContain(`distributed.${collective} failed on rank ${r.rank} of 3, gloo`);
        expect(line.error).toMatch(/peer process may have died/);
        expect(line.name).toBe('TorchError');
      }
    }, 300_000);
  }
});

describe('a stalled rank', () => {
  it('fails the collective on the others after the timeout, naming the timeout', async () => {
    const results = await runJob({ worldSize: 2, command: () => tsxCommand(script('dead-rank.ts'), 'allReduce', 'stall'),
      env: { TT_TEST_TIMEOUT_MS: '3000' }, timeoutMs: 240_000 });
    const r = results[0];
    expect(r.killed, r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim().split('\n').pop()!) as { error?: string };
    expect(line.error).toMatch(/^distributed\.allReduce failed on rank 0 of 2, gloo \(timeout 3000 ms\): .*[Tt]imed out/);
  }, 300_000);
});
