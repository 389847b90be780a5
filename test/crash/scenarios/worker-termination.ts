// Crash scenario: worker threads running torchtrain work (scenarios/worker-ops.ts) are terminated
// at seeded random moments (some while still loading the addon), several at a time, while the
// main thread keeps computing. The process must live on; it prints one RESULT line at the end.
//   npx tsx test/crash/scenarios/worker-termination.ts <seed> <rounds>
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { torch } from '../../../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
const entry = pathToFileURL(path.join(here, 'worker-ops.ts')).href;
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => { (await import(workerData.tsx)).register(); await import(workerData.entry); })();
`;
const seed = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 12);
let state = seed >>> 0 || 1;
const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tt-workers-'));
const script = path.join(here, '../fixtures/mlp-script.pt');

const kept = torch.ones([1000]);
const before = torch.memory();
let terminated = 0;
let errors = 0;
async function one(round: number, k: number): Promise<void> {
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { tsx, entry, seed: seed * 1000 + round * 10 + k, dir, script } });
  worker.on('error', () => errors++); // a worker's own failure is not what this tests; its death is
  const early = random() < 0.25;
  if (!early) {
    await new Promise<void>((resolve) => {
      worker.once('message', () => resolve());
      worker.once('exit', () => resolve());
    });
  }
  await new Promise((resolve) => setTimeout(resolve, random() * (early ? 50 : 400)));
  process.stdout.write(`TERMINATE round ${round} worker ${k}${early ? ' (while loading)' : ''}\n`);
  await worker.terminate();
  terminated++;
}
for (let round = 0; round < rounds; round++) {
  const workers = [0, 1].map((k) => one(round, k));
  // The main thread keeps working meanwhile.
  let spin = true;
  const main = (async () => {
    while (spin) {
      torch.scope(() => torch.randn([64, 64]).matmul(torch.randn([64, 64])).sum().item());
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  await Promise.all(workers);
  spin = false;
  await main;
}
const after = torch.memory();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`RESULT ${JSON.stringify({ seed, rounds, terminated, workerErrors: errors, before: before.tensors, after: after.tensors, sum: kept.sum().item() })}\n`);
