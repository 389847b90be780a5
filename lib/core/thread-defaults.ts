// Default CPU threading, decided before libtorch starts its OpenMP pool.
//
// Why: on a shared machine, OpenMP threads that spin-wait between parallel regions and more
// threads than the CPUs this process may use turn other processes' load into 10-30x slower
// steps (bench/contention). So: intra-op threads = the CPUs actually available (affinity and
// cgroup quota), and OpenMP's wait policy passive (threads sleep at once after a region instead
// of spinning). Whatever the user sets (OMP_NUM_THREADS, OMP_WAIT_POLICY, GOMP_SPINCOUNT,
// torch.setNumThreads) wins; TORCHTRAIN_THREAD_DEFAULTS=0 turns all of this off.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** CPUs allowed by the cgroup v2 quota (cpu.max "quota period"), or null when unlimited/unknown. */
export function cgroupCpuLimit(readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | null {
  for (const file of ['/sys/fs/cgroup/cpu.max']) {
    try {
      const [quota, period] = readFile(file).trim().split(/\s+/);
      if (quota === 'max' || !period) return null;
      const cpus = Number(quota) / Number(period);
      return Number.isFinite(cpus) && cpus > 0 ? Math.max(1, Math.ceil(cpus)) : null;
    } catch { /* no cgroup v2 file here */ }
  }
  return null;
}

/** The CPUs this process may run on: affinity (os.availableParallelism) capped by the cgroup quota. */
export function availableCpus(): number {
  const affinity = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const quota = cgroupCpuLimit();
  return Math.max(1, quota === null ? affinity : Math.min(affinity, quota));
}

const disabled = (env: NodeJS.ProcessEnv) => env.TORCHTRAIN_THREAD_DEFAULTS === '0';

/**
 * Sets OMP_WAIT_POLICY=PASSIVE unless the user chose a policy or a spin count. Must run before
 * the addon (and so libgomp, which reads its environment once when it loads) is loaded.
 */
export function applyOpenMpEnvDefaults(env: NodeJS.ProcessEnv = process.env): void {
  if (disabled(env)) return;
  if (env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined) env.OMP_WAIT_POLICY = 'PASSIVE';
}

/** The intra-op thread count to set after loading, or null to leave libtorch's own choice. */
export function defaultThreadCount(current: number, env: NodeJS.ProcessEnv = process.env): number | null {
  if (disabled(env) || env.OMP_NUM_THREADS !== undefined || env.MKL_NUM_THREADS !== undefined) return null;
  const cpus = availableCpus();
  return cpus < current ? cpus : null;
}

/**
 * The OpenMP wait policy this process runs with, for a peer process that should run under the
 * same settings (a benchmark's PyTorch side): the default is applied only while the addon loads,
 * so children would otherwise spin where we sleep. Empty when the user set their own (children
 * inherit it) or the defaults are off.
 */
export function openMpPolicyForPeers(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (disabled(env) || env.OMP_WAIT_POLICY !== undefined || env.GOMP_SPINCOUNT !== undefined) return {};
  return { OMP_WAIT_POLICY: 'PASSIVE' };
}
