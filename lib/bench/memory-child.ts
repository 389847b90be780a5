// The torchtrain side of the memory workload, run in a fresh process: trains the GPT-mini of
// workloads-models.ts (same initial weights and inputs as the PyTorch side, from safetensors)
// for a number of steps and prints the process's peak resident memory as JSON.
//   node memory-child.js '{"weights": ..., "data": ..., "steps": 20, "threads": 2, "device": "cpu"}'
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import { loadSafetensors } from '../io/index.js';
import { GPT } from '../models/index.js';
import { crossEntropy } from '../nn/functional.js';
import { AdamW } from '../optim/index.js';

const args = z.object({ weights: z.string(), data: z.string(), steps: z.number().int().positive(), threads: z.number().int().positive(), device: z.string(),
  gpt: z.object({ vocabSize: z.number(), blockSize: z.number(), nLayer: z.number(), nHead: z.number(), nEmbd: z.number() }) }).parse(JSON.parse(process.argv[2] ?? '{}'));

/** VmHWM (the peak resident set) and VmRSS from /proc/self/status, in MB; getrusage's maxrss elsewhere. */
export function residentMB(): { peak: number; now: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
  } catch {
    const mb = process.resourceUsage().maxRSS / 1024;
    return { peak: mb, now: process.memoryUsage().rss / 1024 / 1024 };
  }
}

torch.setNumThreads(args.threads);
const start = residentMB().now;
const model = new GPT(args.gpt);
model.loadStateDict(loadSafetensors(args.weights));
if (args.device !== 'cpu') model.to(args.device);
const inputs = loadSafetensors(args.data) as Record<string, Tensor>;
const x = args.device === 'cpu' ? inputs.x! : inputs.x!.to(args.device), y = args.device === 'cpu' ? inputs.y! : inputs.y!.to(args.device);
const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
for (let i = 0; i < args.steps; i++) {
  torch.scope(() => {
    opt.zeroGrad();
    crossEntropy((model.forward(x) as Tensor).flatten(0, -2), y.flatten()).backward();
    opt.step();
  });
}
if (args.device !== 'cpu') torch.cuda.synchronize();
process.stdout.write(`${JSON.stringify({ peakRssMB: residentMB().peak, startRssMB: start })}\n`);
