// bench:train: training throughput of the Trainer against a plain PyTorch Python loop (same
// model, initial weights, batches, optimizer and schedule, same threads), and the Trainer's own
// overhead over a bare torchtrain loop doing the same steps. Real data: MNIST digits for the
// LeNet CNN, Moby-Dick characters for a GPT-mini. Writes bench/results/train.{md,json}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo } from '../../lib/core/addon.js';
import { type Tensor, Trainer, engine, io, models, nn, optim, torch } from '../../lib/index.js';
import { type Batches, mnistBatches, mobyDickBatches } from './data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, '../../.bench/train');
mkdirSync(dir, { recursive: true });
const threads = torch.getNumThreads();
const steps = Number(process.env.BENCH_STEPS ?? 60), warmup = 5;
// Each loop runs this many times from the same initial weights, bare and Trainer alternating
// (ABBA order), and the median run counts: one run's figure moves by +-5% on this machine, as
// much as the overhead being measured.
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

interface Spec {
  name: 'lenet' | 'gpt';
  label: string;
  build: () => nn.Module;
  data: () => Batches & { vocab?: number };
  task: (vocab?: number) => Record<string, unknown>;
  lr: number;
  gpt?: Record<string, number>;
}
const gpt = { vocabSize: 0, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };
const specs: Spec[] = [
  { name: 'lenet', label: 'LeNet on MNIST, batch 64', build: () => new models.LeNet(), data: () => mnistBatches(16, 64),
    task: () => ({ type: 'image_classification', numClasses: 10, fields: { inputs: 'x', labels: 'y' } }), lr: 1e-3 },
  { name: 'gpt', label: 'char GPT-mini on Moby-Dick, 16 x 64 tokens', build: () => new models.GPT(gpt), data: () => mobyDickBatches(16, 16, 64),
    task: (vocab) => ({ type: 'causal_lm', vocabSize: vocab, fields: { inputs: 'x', labels: 'y' } }), lr: 3e-4, gpt },
];

function itemsOf(spec: Spec, y: Tensor): number {
  return spec.name === 'gpt' ? y.shape[0] * (y.shape[1] - 1) : y.shape[0];
}

/** The Trainer, timed from the end of the warm-up steps to the end of the last step. */
async function trainerRun(spec: Spec, model: nn.Module, data: Batches, vocab?: number): Promise<number> {
  const batches = data.x.map((x, i) => ({ x, y: data.y[i] }));
  let started = 0, ended = 0, items = 0;
  const timer = new (class extends engine.DefaultHooks {
    override onTrainBatchEnd(_t: unknown, info: { step: number; items: number }) {
      if (info.step === warmup) started = performance.now();
      else if (info.step > warmup) items += info.items;
      ended = performance.now();
    }
  })();
  const trainer = new Trainer({ model, task: spec.task(vocab) as never, train: batches, callbacks: [timer],
    config: { maxSteps: warmup + steps, evalAtEpochEnd: false, optimizer: { lr: spec.lr, weightDecay: 0.01, noDecayOnBiasAndNorm: false }, schedule: { name: 'onecycle', warmupRatio: 0.1 } } });
  await trainer.fit();
  return items / ((ended - started) / 1000);
}

/** The same steps written by hand: zeroGrad, forward, mean loss, backward, step, schedule. */
function bareRun(spec: Spec, model: nn.Module, data: Batches): number {
  const opt = new optim.AdamW(model.parameters(), { lr: spec.lr });
  const sched = new optim.OneCycleLR(opt, { maxLr: spec.lr, totalSteps: steps + warmup, pctStart: 0.1 });
  let items = 0, started = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) started = performance.now();
    const x = data.x[i % data.x.length], y = data.y[i % data.y.length];
    torch.scope(() => {
      opt.zeroGrad();
      const logits = model.forward(x) as Tensor;
      const loss = spec.name === 'gpt'
        ? nn.functional.crossEntropy(logits.narrow(1, 0, logits.shape[1] - 1).flatten(0, 1), y.narrow(1, 1, y.shape[1] - 1).flatten())
        : nn.functional.crossEntropy(logits, y);
      loss.backward();
      opt.step();
      sched.step();
    });
    if (i >= warmup) items += itemsOf(spec, y);
  }
  return items / ((performance.now() - started) / 1000);
}

const rows: Record<string, { pytorch: number; bare: number; trainer: number; runs: { bare: number[]; trainer: number[] } }> = {};
const runs = [];
for (const spec of specs) {
  torch.manualSeed(0);
  const data = spec.data();
  if (spec.gpt) spec.gpt.vocabSize = data.vocab!;
  const init = spec.build();
  const state = init.stateDict();
  io.saveSafetensors(path.join(dir, `${spec.name}-init.safetensors`), state);
  io.saveSafetensors(path.join(dir, `${spec.name}-batches.safetensors`), Object.fromEntries(data.x.flatMap((x, i) => [[`x${i}`, x], [`y${i}`, data.y[i]]])));
  const fresh = () => { const m = spec.build(); m.loadStateDict(state); return m; };
  const bare: number[] = [], trainer: number[] = [];
  for (let r = 0; r < rounds; r++) {
    console.error(`[bench:train] ${spec.label}: round ${r + 1}/${rounds} (bare torchtrain loop and Trainer)`);
    const runBare = () => { bare.push(bareRun(spec, fresh(), data)); };
    const runTrainer = async () => { trainer.push(await trainerRun(spec, fresh(), data, data.vocab)); };
    if (r % 2 === 0) { runBare(); await runTrainer(); } else { await runTrainer(); runBare(); }
    console.error(`[bench:train]   bare ${bare.at(-1)!.toFixed(0)} items/s, Trainer ${trainer.at(-1)!.toFixed(0)} items/s`);
  }
  rows[spec.name] = { pytorch: 0, bare: median(bare), trainer: median(trainer), runs: { bare, trainer } };
  runs.push({ name: spec.name, batches: data.x.length, steps, warmup, rounds, lr: spec.lr, gpt: spec.gpt });
}

const python = buildInfo?.referencePython;
if (!python) throw new Error('bench:train needs the reference Python recorded in the build info');
console.error('[bench:train] the same loops in PyTorch...');
const theirs = JSON.parse(execFileSync(python, [path.join(here, 'train.py'), JSON.stringify({ runs, dir, threads, models_py: path.join(here, '../models/models.py') })],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!) as Record<string, { itemsPerSecond: number }>;
for (const spec of specs) rows[spec.name].pytorch = theirs[spec.name].itemsPerSecond;

const table = ['| model | PyTorch loop items/s | bare torchtrain loop items/s | Trainer items/s | Trainer / PyTorch | Trainer overhead over the bare loop |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...specs.map((s) => {
    const r = rows[s.name];
    return `| ${s.label} | ${r.pytorch.toFixed(0)} | ${r.bare.toFixed(0)} | ${r.trainer.toFixed(0)} | ${(r.trainer / r.pytorch).toFixed(2)}x | ${((r.bare / r.trainer - 1) * 100).toFixed(1)}% |`;
  })].join('\n');
const md = `# bench:train\n\n${steps} timed steps after ${warmup} warm-up steps, AdamW + OneCycleLR, ${threads} thread(s), the median of ${rounds} runs of each loop; items are images (LeNet) or predicted tokens (GPT).\n\n${table}\n`;
mkdirSync(path.join(here, '../results'), { recursive: true });
writeFileSync(path.join(here, '../results/train.md'), md);
writeFileSync(path.join(here, '../results/train.json'), JSON.stringify({ threads, steps, warmup, rounds, rows }, null, 2));
console.log(md);
