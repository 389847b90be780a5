// Peak resident memory (VmHWM) of a training run of the same model and batch, torchtrain against
// PyTorch, each in a fresh child process per round: the GPT-mini step of workloads-models.ts,
// 20 steps. torchtrain's figure includes Node.js and V8 (about 40-50 MB of a fresh Node), as a
// user's process does; the target is at most 1.1x PyTorch's. Each side also reports its
// resident memory right after start-up (libtorch loaded: `import torch`, or the addon), as
// extra.startRssMB, so that what the training itself costs can be told apart.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { torch } from '../core/torch.js';
import { saveSafetensors } from '../io/index.js';
import { GPT } from '../models/index.js';
import type { BenchContext, Side, Workload } from './types.js';
import { GPT_MINI } from './workloads-models.js';
import { openMpPolicyForPeers } from '../core/thread-defaults.js';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const STEPS = 20, BATCH = 16;

/** How to start a file of this package in a fresh Node: with tsx when running from the TypeScript sources. */
export function nodeCommand(file: string): string[] {
  const fromSources = import.meta.url.endsWith('.ts');
  const resolved = path.join(HERE, `${file}${fromSources ? '.ts' : '.js'}`);
  return fromSources ? ['--no-warnings', '--import', 'tsx', resolved] : [resolved];
}

function lastJson(stdout: string): { peakRssMB: number; startRssMB?: number } {
  return JSON.parse(stdout.trim().split('\n').pop()!) as { peakRssMB: number; startRssMB?: number };
}

export const MEMORY_WORKLOAD: Workload = {
  name: 'memory', description: `peak resident memory of a fresh process training GPT-mini (batch ${BATCH} x ${GPT_MINI.blockSize}) for ${STEPS} AdamW steps`,
  unit: 'MB', measure: 'MB peak RSS (VmHWM)', byDefault: true,
  unavailable: (ctx) => (ctx.python ? null : 'no PyTorch side (set TORCHTRAIN_PYTHON to a Python with torch)'),
  async sides(ctx: BenchContext) {
    torch.manualSeed(0);
    const weights = path.join(ctx.workDir, 'memory-weights.safetensors'), data = path.join(ctx.workDir, 'memory-inputs.safetensors');
    torch.scope(() => {
      saveSafetensors(weights, new GPT(GPT_MINI).stateDict());
      saveSafetensors(data, { x: torch.randint(0, GPT_MINI.vocabSize, [BATCH, GPT_MINI.blockSize]), y: torch.randint(0, GPT_MINI.vocabSize, [BATCH, GPT_MINI.blockSize]) });
    });
    const args = { weights, data, steps: STEPS, threads: ctx.threads, device: ctx.device, gpt: GPT_MINI, model: 'gpt', precision: 'fp32' };
    const env = { ...process.env, ...openMpPolicyForPeers(), NODE_OPTIONS: '' };
    const ours: Side = {
      name: 'torchtrain', label: 'torchtrain (fresh Node process)',
      async round() {
        const r = lastJson((await run(process.execPath, [...nodeCommand('memory-child'), JSON.stringify(args)], { env, maxBuffer: 1 << 20 })).stdout);
        return { value: r.peakRssMB, extra: { startRssMB: r.startRssMB ?? NaN } };
      },
    };
    const theirs: Side = {
      name: 'pytorch', label: 'PyTorch (fresh Python process)',
      async round() {
        const r = lastJson((await run(ctx.python!.python, [ctx.python!.script, 'memory', JSON.stringify(args)], { env, maxBuffer: 1 << 20 })).stdout);
        return { value: r.peakRssMB, extra: { startRssMB: r.startRssMB ?? NaN } };
      },
    };
    return [ours, theirs];
  },
};
