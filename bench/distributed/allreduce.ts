// All-reduce time and bandwidth of torchtrain against torch.distributed on the same tensors, same
// machine, same run: 2 ranks over Gloo on loopback each (one job after the other).
//   npx tsx bench/distributed/allreduce.ts [--mb 10 | --mb 1,10,100] [--iters 20] [--ranks 2]
// Without RANK in the environment this file is the launcher; with it, one rank. The full
// benchmark (several sizes, repeated, and a training loop) is `npm run bench:ddp` (run.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo } from '../../lib/core/addon.js';
import { distributed, torch } from '../../lib/index.js';
import { runJob, tsxCommand } from './jobs.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('mb', '10').split(',').map(Number), iters = Number(arg('iters', '20')), ranks = Number(arg('ranks', '2'));
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Per size: iterations scaled so a size takes about as long as 20 of 10 MB (at least 3). */
export const itersFor = (mb: number, base: number) => Math.max(3, Math.round((base * 10) / Math.max(mb, 1)));

export interface AllReduceTimes { results: { mb: number; ms: number }[] }

function rankMain(): void {
  torch.setNumThreads(1);
  distributed.initProcessGroup({ timeout: 300_000 });
  const results: AllReduceTimes['results'] = [];
  for (const mb of sizes) {
    const t = torch.ones([Math.round((mb * 1e6) / 4)]);
    const n = itersFor(mb, iters);
    for (let i = 0; i < 3; i++) distributed.allReduce(t, 'sum');
    distributed.barrier();
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) distributed.allReduce(t, 'sum');
    results.push({ mb, ms: Number(process.hrtime.bigint() - started) / 1e6 / n });
    t.dispose();
  }
  if (distributed.getRank() === 0) console.log(JSON.stringify({ results }));
  distributed.destroyProcessGroup();
}

/** One torchtrain job and one torch.distributed job over the same sizes; ms per all-reduce. */
export async function measureAllReduce(mbs: number[], baseIters: number, world: number): Promise<{ ours: number[]; theirs: number[] }> {
  const env = { OMP_NUM_THREADS: '1' };
  const list = mbs.join(',');
  const ours = await runJob<AllReduceTimes>(tsxCommand(fileURLToPath(import.meta.url), '--mb', list, '--iters', String(baseIters)), world, env);
  const python = buildInfo?.referencePython;
  const theirs = python ? await runJob<AllReduceTimes>([python, path.join(HERE, 'allreduce.py'), list, String(baseIters)], world, env) : null;
  return { ours: ours.results.map((r) => r.ms), theirs: mbs.map((_, i) => theirs?.results[i].ms ?? NaN) };
}

/** Ring all-reduce moves 2 (n-1)/n of the tensor through each rank: the "bus bandwidth" of nccl-tests. */
export const busBandwidth = (mb: number, ms: number, world: number) => ((2 * (world - 1)) / world) * (mb / 1e3) / (ms / 1e3);

async function launcherMain(): Promise<void> {
  const { ours, theirs } = await measureAllReduce(sizes, iters, ranks);
  console.log(`all-reduce, float32, ${ranks} ranks, Gloo on loopback:`);
  sizes.forEach((mb, i) => {
    console.log(`  ${mb} MB  torchtrain ${ours[i].toFixed(2)} ms (${busBandwidth(mb, ours[i], ranks).toFixed(2)} GB/s bus)`
      + `  torch.distributed ${theirs[i].toFixed(2)} ms (${busBandwidth(mb, theirs[i], ranks).toFixed(2)} GB/s)`);
  });
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.env.RANK !== undefined) rankMain();
  else await launcherMain();
}
