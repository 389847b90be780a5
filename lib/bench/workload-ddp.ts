// DDP's collective: a float32 all-reduce of 10 MB over 2 local processes (Gloo on loopback),
// torchtrain's distributed.allReduce against torch.distributed.all_reduce, one thread per rank.
// It reuses bench/distributed/allreduce.ts (each round one torchtrain job and one PyTorch job),
// so it runs from a clone of the repository with the TypeScript sources (tsx), not the package.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Workload } from './types.js';

const SIZE_MB = 10, ITERS = 10, RANKS = 2;

const script = (root: string) => path.join(root, 'bench/distributed/allreduce.ts');

export const DDP_WORKLOAD: Workload = {
  name: 'ddp', description: `all-reduce of ${SIZE_MB} MB float32 over ${RANKS} local processes (Gloo, loopback), 1 thread per rank`,
  unit: 'ms', measure: 'ms per all-reduce', byDefault: false,
  unavailable(ctx) {
    if (!ctx.python) return 'no Python with torch (set TORCHTRAIN_PYTHON)';
    if (!existsSync(script(ctx.packageRoot)) || !import.meta.url.endsWith('.ts')) {
      return 'runs from a clone of the repository (bench/distributed with tsx): npm run cli -- bench ddp';
    }
    return null;
  },
  async sides(ctx) {
    const { measureAllReduce } = await import(pathToFileURL(script(ctx.packageRoot)).href) as {
      measureAllReduce(mbs: number[], iters: number, world: number): Promise<{ ours: number[]; theirs: number[] }>;
    };
    // One round runs both jobs; the PyTorch side hands back the figure its job measured.
    let theirs = NaN;
    return [
      { name: 'torchtrain', label: 'torchtrain distributed.allReduce', async round() {
        const m = await measureAllReduce([SIZE_MB], ITERS, RANKS);
        theirs = m.theirs[0]!;
        return { value: m.ours[0]! };
      } },
      { name: 'pytorch', label: 'torch.distributed.all_reduce', round: async () => ({ value: theirs }) },
    ];
  },
};
