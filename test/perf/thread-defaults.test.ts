// Default threading (lib/core/thread-defaults.ts): the CPUs available to the process, a passive
// OpenMP wait policy, and the user's own settings always winning. Fresh child processes, because
// OpenMP reads its settings once, when the addon loads.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyOpenMpEnvDefaults, availableCpus, cgroupCpuLimit, defaultThreadCount } from '../../lib/core/thread-defaults.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/print-threads.ts');
function child(env: Record<string, string | undefined>): { threads: number; waitPolicy: string | null } {
  const full = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete full[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', env: full, timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('thread defaults', () => {
  it('reads the cgroup v2 quota', () => {
    expect(cgroupCpuLimit(() => 'max 100000\n')).toBeNull();
    expect(cgroupCpuLimit(() => '150000 100000\n')).toBe(2);
    expect(cgroupCpuLimit(() => '50000 100000')).toBe(1);
    expect(cgroupCpuLimit(() => { throw new Error('ENOENT'); })).toBeNull();
  });

  it('leaves explicit settings alone', () => {
    expect(defaultThreadCount(64, { OMP_NUM_THREADS: '8' })).toBeNull();
    expect(defaultThreadCount(64, { TORCHTRAIN_THREAD_DEFAULTS: '0' })).toBeNull();
    expect(defaultThreadCount(64, {})).toBe(availableCpus() < 64 ? availableCpus() : null);
    const env: NodeJS.ProcessEnv = { GOMP_SPINCOUNT: '1000' };
    applyOpenMpEnvDefaults(env);
    expect(env.OMP_WAIT_POLICY).toBeUndefined();
    const mine: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'ACTIVE' };
    applyOpenMpEnvDefaults(mine);
    expect(mine.OMP_WAIT_POLICY).toBe('ACTIVE');
    const plain: NodeJS.ProcessEnv = {};
    applyOpenMpEnvDefaults(plain);
    expect(plain.OMP_WAIT_POLICY).toBe('PASSIVE');
  });

  it('a process gets the available CPUs by default, OMP_NUM_THREADS=1 gets 1, and the wait policy does not leak to children', () => {
    const plain = child({ OMP_NUM_THREADS: undefined, OMP_WAIT_POLICY: undefined, TORCHTRAIN_THREAD_DEFAULTS: undefined });
    expect(plain.threads).toBeLessThanOrEqual(availableCpus());
    expect(plain.waitPolicy).toBeNull();
    expect(child({ OMP_NUM_THREADS: '1', TORCHTRAIN_THREAD_DEFAULTS: undefined }).threads).toBe(1);
  });
});
