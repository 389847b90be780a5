// Workloads for the parts of a training run other than the model: the per-op overhead, the
// optimizer step, the DataLoader and a checkpoint's save and load, each against its PyTorch counterpart.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CheckpointManager, loadCheckpoint, readLatest } from '../checkpoint/index.js';
import { type Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import { DataLoader, TensorDataset } from '../data/index.js';
import { Linear, Parameter, Sequential } from '../nn/index.js';
import { mseLoss } from '../nn/functional.js';
import { AdamW } from '../optim/index.js';
import { median } from './stats.js';
import type { BenchContext, Side, Workload } from './types.js';
import { pythonSide, timeSteps } from './workloads-models.js';

const needsPython = (ctx: BenchContext) => (ctx.python ? null : 'no PyTorch side (set TORCHTRAIN_PYTHON to a Python with torch)');

const OPS = 1000;

const tinyOps: Workload = {
  name: 'tiny-ops', description: `${OPS} alternating add and mul of 1-element float32 tensors (per-op overhead; torchtrain inside one torch.scope, as a hot loop)`,
  unit: 'ms', measure: `ms per ${OPS} ops (= us per op)`, byDefault: true, unavailable: needsPython,
  async sides(ctx) {
    const steps = ctx.steps || 20;
    const a = torch.keep(torch.rand([1])), b = torch.keep(torch.rand([1]));
    const chain = () => torch.scope(() => {
      for (let i = 0; i < OPS / 2; i++) {
        a.add(b);
        a.mul(b);
      }
    });
    await ctx.python!.request({ op: 'setup', kind: 'tiny-ops', id: 'tiny-ops', ops: OPS });
    return [
      { name: 'torchtrain', label: 'torchtrain', round: async () => ({ value: timeSteps(chain, steps, 'cpu') }) },
      pythonSide(ctx, 'tiny-ops', steps),
    ];
  },
};

/** A GPT of 4 blocks x 256 wide: 76 tensors of the shapes an optimizer meets in a transformer (3.2M parameters). */
function transformerShapes(): number[][] {
  const d = 256, shapes: number[][] = [[65, d], [64, d]];
  for (let b = 0; b < 4; b++) shapes.push([d], [d], [3 * d, d], [3 * d], [d, d], [d], [d], [d], [4 * d, d], [4 * d], [d, 4 * d], [d]);
  shapes.push([d], [d]);
  return shapes;
}

const adamw: Workload = {
  name: 'adamw', description: 'AdamW update of 3.2M parameters in 52 transformer-shaped tensors (the optimizer step alone)',
  unit: 'ms', measure: 'ms per optimizer step', byDefault: true, unavailable: needsPython,
  async sides(ctx) {
    const steps = ctx.steps || 20;
    const shapes = transformerShapes();
    torch.manualSeed(0);
    const params = shapes.map((s) => new Parameter(torch.randn(s)));
    // Gradients through backward (the public way to give a parameter one): d(sum(p * g))/dp = g.
    torch.scope(() => { for (const p of params) p.mul(torch.randn(p.shape)).sum().backward(); });
    const opt = new AdamW(params, { lr: 1e-3, weightDecay: 0.01 });
    await ctx.python!.request({ op: 'setup', kind: 'adamw', id: 'adamw', shapes });
    return [
      { name: 'torchtrain', label: 'torchtrain', round: async () => ({ value: timeSteps(() => opt.step(), steps, 'cpu') }) },
      pythonSide(ctx, 'adamw', steps),
    ];
  },
};

const LOADER = { samples: 4096, features: 784, batchSize: 64 };

const dataloader: Workload = {
  name: 'dataloader', description: `DataLoader over a TensorDataset of ${LOADER.samples} x ${LOADER.features} float32 rows, batch ${LOADER.batchSize}, shuffled (in-process, no workers)`,
  unit: 'ms', measure: 'ms per batch', byDefault: true, unavailable: needsPython,
  async sides(ctx) {
    const epochs = ctx.steps || 3;
    torch.manualSeed(0);
    const x = torch.keep(torch.randn([LOADER.samples, LOADER.features]));
    const y = torch.keep(torch.randint(0, 10, [LOADER.samples]));
    const loader = new DataLoader(new TensorDataset(x, y), { batchSize: LOADER.batchSize, shuffle: true, dropLast: true });
    const batches = Math.floor(LOADER.samples / LOADER.batchSize);
    const epoch = async () => {
      for await (const batch of loader) torch.dispose(batch);
    };
    await ctx.python!.request({ op: 'setup', kind: 'dataloader', id: 'dataloader', ...LOADER });
    const py = pythonSide(ctx, 'dataloader', epochs);
    const ours: Side = {
      name: 'torchtrain', label: 'torchtrain',
      async round() {
        await epoch();
        const times: number[] = [];
        for (let i = 0; i < epochs; i++) {
          const t = process.hrtime.bigint();
          await epoch();
          times.push(Number(process.hrtime.bigint() - t) / 1e6 / batches);
        }
        return { value: median(times) };
      },
    };
    return [ours, { ...py, round: async () => ({ value: (await py.round()).value / batches }) }];
  },
};

const CKPT = { width: 1024, layers: 3 };

const checkpoint: Workload = {
  name: 'checkpoint', description: `save + load of a checkpoint: MLP ${CKPT.layers} x ${CKPT.width}^2 with AdamW state (38 MB); torchtrain's folder (fsync, SHA-256 manifest, rename) vs torch.save to a temporary file + fsync + os.replace, and plain torch.save; each then loaded`,
  unit: 'ms', measure: 'ms per save + load', byDefault: true, unavailable: needsPython,
  async sides(ctx) {
    const steps = ctx.steps || 2;
    torch.manualSeed(0);
    const model = new Sequential(...Array.from({ length: CKPT.layers }, () => new Linear(CKPT.width, CKPT.width)));
    const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
    torch.scope(() => {
      mseLoss(model.forward(torch.randn([4, CKPT.width])) as Tensor, torch.zeros([4, CKPT.width])).backward();
      optimizer.step();
    });
    const root = path.join(ctx.workDir, 'checkpoints');
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    const manager = new CheckpointManager({ dir: root, keepLast: 1, writeInBackground: false });
    const parts = { model, optimizer, scheduler: null, scaler: null };
    let saved = 0;
    const roundtrip = async () => {
      await manager.save(parts, { state: { step: ++saved, epoch: 0 }, callbacks: {}, config: {}, task: {}, logs: {} } as never);
      torch.dispose(loadCheckpoint(readLatest(root)!) as unknown as Record<string, unknown>);
    };
    await ctx.python!.request({ op: 'setup', kind: 'checkpoint', id: 'checkpoint', ...CKPT, dir: ctx.workDir });
    await ctx.python!.request({ op: 'setup', kind: 'checkpoint', id: 'checkpoint-plain', ...CKPT, dir: ctx.workDir, plain: true });
    return [
      {
        name: 'torchtrain', label: 'torchtrain (CheckpointManager + loadCheckpoint)',
        async round() {
          await roundtrip();
          const times: number[] = [];
          for (let i = 0; i < steps; i++) {
            const t = process.hrtime.bigint();
            await roundtrip();
            times.push(Number(process.hrtime.bigint() - t) / 1e6);
          }
          return { value: median(times) };
        },
      },
      pythonSide(ctx, 'checkpoint', steps, 'PyTorch (torch.save to a temporary file + fsync + os.replace + folder fsync, then torch.load)'),
      // The same without crash safety, for scale: what most training scripts do.
      { ...pythonSide(ctx, 'checkpoint-plain', steps, 'PyTorch (plain torch.save + torch.load, no fsync)'), name: 'pytorch-plain' },
    ];
  },
};

export const PART_WORKLOADS: Workload[] = [tinyOps, adamw, dataloader, checkpoint];
