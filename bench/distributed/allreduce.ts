// All-reduce time and bandwidth of torchtrain against torch.distributed on the same tensors, same
// machine, same run: 2 ranks over Gloo on loopback each (one job after the other).
//   npx tsx bench/distributed/allreduce.ts [--mb 10] [--iters 20] [--ranks 2]
// Without RANK in the environment this file is the launcher; with it, one rank.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo } from '../../lib/core/addon.js';
import { distributed, torch } from '../../lib/index.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const mb = arg('mb', 10), iters = arg('iters', 20), ranks = arg('ranks', 2);
const HERE = path.dirname(fileURLToPath(import.meta.url));

function rankMain(): void {
  distributed.initProcessGroup({ timeout: 120_000 });
  const t = torch.ones([Math.round((mb * 1e6) / 4)]);
  for (let i = 0; i < 3; i++) distributed.allReduce(t, 'sum');
  distributed.barrier();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) distributed.allReduce(t, 'sum');
  const ms = Number(process.hrtime.bigint() - started) / 1e6 / iters;
  if (distributed.getRank() === 0) console.log(JSON.stringify({ ms }));
  distributed.destroyProcessGroup();
}

async function job(command: string[]): Promise<number> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  const outputs = await Promise.all(Array.from({ length: ranks }, (_, rank) => new Promise<string>((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { env: { ...process.env, MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port),
      RANK: String(rank), WORLD_SIZE: String(ranks), LOCAL_RANK: String(rank) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command.join(' ')}: rank ${rank} exited ${code}`))));
  })));
  return (JSON.parse(outputs[0].trim().split('\n').pop()!) as { ms: number }).ms;
}

async function launcherMain(): Promise<void> {
  const self = [process.execPath, '--no-warnings', '--import', 'tsx', fileURLToPath(import.meta.url), '--mb', String(mb), '--iters', String(iters)];
  const ours = await job(self);
  const python = buildInfo?.referencePython;
  const theirs = python ? await job([python, path.join(HERE, 'allreduce.py'), String(mb), String(iters)]) : NaN;
  // Ring all-reduce moves 2 (n-1)/n of the tensor through each rank: the "bus bandwidth" of nccl-tests.
  const bus = (ms: number) => ((2 * (ranks - 1)) / ranks) * (mb / 1e3) / (ms / 1e3);
  console.log(`all-reduce of ${mb} MB float32, ${ranks} ranks, Gloo on loopback, mean of ${iters}:`);
  console.log(`  torchtrain         ${ours.toFixed(2)} ms  (${bus(ours).toFixed(2)} GB/s bus bandwidth)`);
  console.log(`  torch.distributed  ${theirs.toFixed(2)} ms  (${bus(theirs).toFixed(2)} GB/s)`);
}

if (process.env.RANK !== undefined) rankMain();
else await launcherMain();
