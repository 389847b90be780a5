// The zoo's models as workloads: one training step (zero the gradients, forward, cross-entropy,
// backward, AdamW) of the MLP, the LeNet CNN and a GPT-mini, in torchtrain and in PyTorch with
// the same initial weights and inputs (handed over as safetensors); the losses before the first
// update must agree, or the sides do not compute the same model and the run stops.
import path from 'node:path';
import { autocast } from '../amp/index.js';
import { type Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import { saveSafetensors } from '../io/index.js';
import { GPT, LeNet, MLP } from '../models/index.js';
import { type Module } from '../nn/index.js';
import { crossEntropy } from '../nn/functional.js';
import { AdamW } from '../optim/index.js';
import { transformerTrainingFlops } from './flops.js';
import { median } from './stats.js';
import type { BenchContext, Side, Workload } from './types.js';

export const GPT_MINI = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };
const GPT_BATCH = 16;

interface ModelSpec {
  name: string;
  /** The PyTorch worker's name for the same architecture. */
  pyName: 'mlp' | 'lenet' | 'gpt';
  description: string;
  steps: number;
  build(): Module;
  inputs(): [Tensor, Tensor];
}

const SPECS: ModelSpec[] = [
  { name: 'mlp', pyName: 'mlp', description: 'MLP 784-256-128-10, batch 64: one training step (AdamW)', steps: 20,
    build: () => new MLP({ inFeatures: 784, hiddenSizes: [256, 128], outFeatures: 10 }),
    inputs: () => [torch.randn([64, 784]), torch.randint(0, 10, [64])] },
  { name: 'lenet', pyName: 'lenet', description: 'LeNet CNN 28x28, batch 64: one training step (AdamW)', steps: 10,
    build: () => new LeNet(), inputs: () => [torch.randn([64, 1, 28, 28]), torch.randint(0, 10, [64])] },
  { name: 'gpt-mini', pyName: 'gpt', description: `GPT-mini ${GPT_MINI.nLayer}x${GPT_MINI.nEmbd}, ${GPT_MINI.nHead} heads, batch ${GPT_BATCH} x ${GPT_MINI.blockSize} tokens: one training step (AdamW)`, steps: 5,
    build: () => new GPT(GPT_MINI), inputs: () => [torch.randint(0, 65, [GPT_BATCH, 64]), torch.randint(0, 65, [GPT_BATCH, 64])] },
];

/** Times `steps` calls of `step` (after one warm-up call), synchronising CUDA after each; the median ms. */
export function timeSteps(step: () => void, steps: number, device: string): number {
  step();
  if (device !== 'cpu') torch.cuda.synchronize();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = process.hrtime.bigint();
    step();
    if (device !== 'cpu') torch.cuda.synchronize();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

/** The PyTorch side of a workload already set up in the worker under `id`. */
export function pythonSide(ctx: BenchContext, id: string, steps: number, label = 'PyTorch (Python, same libtorch)'): Side {
  return {
    name: 'pytorch', label,
    async round() {
      const r = await ctx.python!.request<{ times: number[] }>({ op: 'round', id, steps, warmup: 1 });
      return { value: median(r.times) };
    },
    async close() { await ctx.python?.request({ op: 'close', id }); },
  };
}

function modelWorkload(spec: ModelSpec): Workload {
  // nanoGPT's count (get_num_params): every parameter but the position embedding; the head is tied.
  const d = GPT_MINI.nEmbd;
  const nonEmbedding = GPT_MINI.nLayer * (12 * d * d + 13 * d) + 2 * d + GPT_MINI.vocabSize * d;
  return {
    name: spec.name, description: spec.description, unit: 'ms', measure: 'ms per training step', byDefault: true,
    unavailable: (ctx) => (ctx.python ? null : 'no PyTorch side (set TORCHTRAIN_PYTHON to a Python with torch)'),
    ...(spec.pyName === 'gpt' ? { perStep: { tokens: GPT_BATCH * GPT_MINI.blockSize, flops: transformerTrainingFlops({ parameters: nonEmbedding, ...GPT_MINI }, GPT_BATCH) } } : {}),
    async sides(ctx) {
      const steps = ctx.steps || spec.steps;
      torch.manualSeed(0);
      const model = torch.keep(spec.build());
      const [x0, y0] = torch.keep(spec.inputs());
      const weights = path.join(ctx.workDir, `${spec.name}-weights.safetensors`);
      const data = path.join(ctx.workDir, `${spec.name}-inputs.safetensors`);
      saveSafetensors(weights, model.stateDict());
      saveSafetensors(data, { x: x0, y: y0 });
      if (ctx.device !== 'cpu') model.to(ctx.device);
      const x = ctx.device === 'cpu' ? x0 : torch.keep(x0.to(ctx.device));
      const y = ctx.device === 'cpu' ? y0 : torch.keep(y0.to(ctx.device));
      const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
      const forward = () => (ctx.precision === 'bf16-mixed'
        ? autocast({ deviceType: 'cuda', dtype: 'bfloat16' }, () => model.forward(x) as Tensor)
        : model.forward(x) as Tensor);
      const lossOf = (logits: Tensor) => crossEntropy(logits.flatten(0, -2).float(), y.flatten());
      const first = torch.scope(() => torch.noGrad(() => lossOf(forward()).item()));
      const step = () => torch.scope(() => {
        opt.zeroGrad();
        lossOf(forward()).backward();
        opt.step();
      });
      const id = spec.name;
      const py = await ctx.python!.request<{ loss: number }>({ op: 'setup', kind: 'model-step', id, model: spec.pyName, gpt: GPT_MINI,
        weights, data, device: ctx.device, precision: ctx.precision });
      const tolerance = ctx.precision === 'fp32' ? 1e-4 : 2e-2;
      if (Math.abs(first - py.loss) > tolerance * Math.abs(py.loss)) {
        throw new Error(`${spec.name}: the losses before the first step differ (torchtrain ${first}, PyTorch ${py.loss}): the sides do not compute the same model`);
      }
      ctx.log(`${spec.name}: first loss ${first.toFixed(5)} on both sides`);
      return [
        { name: 'torchtrain', label: 'torchtrain', round: async () => ({ value: timeSteps(step, steps, ctx.device) }) },
        pythonSide(ctx, id, steps),
      ];
    },
  };
}

export const MODEL_WORKLOADS: Workload[] = SPECS.map(modelWorkload);
