// bench:contention: a GPT-mini training step (nanoGPT's CPU config) measured alone and while
// CPU-bound processes compete for the cores, for torchtrain and PyTorch Python with 1 and 2
// intra-op threads and two OpenMP wait policies (libgomp's default spin-then-sleep, and PASSIVE).
// Every measurement is a fresh process (OpenMP reads its settings once, at load), and the
// configurations are interleaved round by round so that the machine's own load lands on all.
// Writes bench/results/contention.{md,json}.
//   BENCH_ROUNDS (default 2), BENCH_STEPS (default 20), BENCH_LOAD_PROCS (default: the CPUs)
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo } from '../../lib/core/addon.js';
import { availableCpus } from '../../lib/core/thread-defaults.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../..');
const python = buildInfo?.referencePython;
if (!python) throw new Error('bench:contention needs the reference Python recorded in the build info (npm run build:native)');
const rounds = Number(process.env.BENCH_ROUNDS ?? 2), steps = Number(process.env.BENCH_STEPS ?? 20), warmup = 5;
const loadProcs = Number(process.env.BENCH_LOAD_PROCS ?? availableCpus());

type Side = 'torchtrain' | 'pytorch';
type Policy = 'default' | 'passive';
interface Config { side: Side; threads: number; policy: Policy; busy: boolean }
const configs: Config[] = [];
for (const busy of [false, true]) for (const side of ['torchtrain', 'pytorch'] as Side[]) for (const threads of [1, 2]) for (const policy of ['default', 'passive'] as Policy[]) configs.push({ side, threads, policy, busy });
const key = (c: Config) => `${c.side}|${c.threads}|${c.policy}|${c.busy}`;

function runStep(c: Config): number[] {
  const env: NodeJS.ProcessEnv = { ...process.env, TORCHTRAIN_THREAD_DEFAULTS: '0' };
  delete env.OMP_WAIT_POLICY; delete env.GOMP_SPINCOUNT; delete env.OMP_NUM_THREADS;
  if (c.policy === 'passive') env.OMP_WAIT_POLICY = 'PASSIVE';
  const arg = JSON.stringify({ threads: c.threads, steps, warmup });
  const out = c.side === 'torchtrain'
    ? execFileSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(here, 'step.ts'), arg], { env, encoding: 'utf8', cwd: root })
    : execFileSync(python!, [path.join(here, 'step.py'), arg], { env, encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').pop()!) as { ms: number[] }).ms;
}

/** CPU-bound competitors: busy loops, one per CPU by default (a machine fully used by others). */
function startLoad(): ChildProcess[] {
  return Array.from({ length: loadProcs }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}
function stopLoad(children: ChildProcess[]): void {
  for (const child of children) child.kill('SIGKILL');
}

const quantile = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const samples = new Map<string, number[]>();
const loads: number[] = [];
let live: ChildProcess[] = [];
process.on('exit', () => stopLoad(live));
for (let r = 0; r < rounds; r++) {
  for (const c of configs) {
    if (c.busy) live = startLoad();
    try {
      loads.push(os.loadavg()[0]);
      const ms = runStep(c);
      samples.set(key(c), [...(samples.get(key(c)) ?? []), ...ms]);
      console.error(`[bench:contention] round ${r + 1}/${rounds} ${c.side} threads=${c.threads} wait=${c.policy} ${c.busy ? `+${loadProcs} busy` : 'alone'}: median ${quantile(ms, 0.5).toFixed(1)} ms`);
    } finally {
      stopLoad(live);
      live = [];
    }
  }
}

const rows: string[] = [];
const json: Record<string, unknown>[] = [];
for (const c of configs.filter((x) => !x.busy)) {
  const alone = samples.get(key(c))!, busy = samples.get(key({ ...c, busy: true }))!;
  const [a50, b50, b90] = [quantile(alone, 0.5), quantile(busy, 0.5), quantile(busy, 0.9)];
  rows.push(`| ${c.side} | ${c.threads} | ${c.policy === 'passive' ? 'PASSIVE' : 'libgomp default'} | ${a50.toFixed(1)} | ${b50.toFixed(1)} | ${b90.toFixed(1)} | ${(b50 / a50).toFixed(2)}x |`);
  json.push({ ...c, aloneMedianMs: a50, busyMedianMs: b50, busyP90Ms: b90 });
}
const load = `load average (1 min) during the run: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (including the busy loops), ${os.cpus().length} CPUs, ${availableCpus()} available to the process`;
const md = ['# bench:contention', '', `GPT-mini training step (4 x 128, batch 12 x 64 tokens, AdamW), ms per step: ${rounds} rounds x ${steps} steps per configuration, ` +
  `alone and with ${loadProcs} busy-looping processes. ${load}.`, '',
  '| side | threads | OpenMP wait policy | alone median | busy median | busy p90 | busy / alone |', '| --- | ---: | --- | ---: | ---: | ---: | ---: |', ...rows, ''].join('\n');
mkdirSync(path.join(here, '../results'), { recursive: true });
writeFileSync(path.join(here, '../results/contention.md'), md);
writeFileSync(path.join(here, '../results/contention.json'), JSON.stringify({ rounds, steps, loadProcs, loads, results: json }, null, 2));
console.log(md);
