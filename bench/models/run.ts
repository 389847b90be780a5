// bench:models: one forward + loss + backward step of the zoo's MLP, LeNet CNN and a GPT-mini
// in torchtrain against the same models in PyTorch Python: same initial weights and inputs
// (handed over as safetensors files), same threads; the first step's losses must agree, then
// median milliseconds per step and the ratio. Writes bench/results/models.{md,json}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo } from '../../lib/core/addon.js';
import { type Tensor, io, models, nn, torch } from '../../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, '../../.bench/models');
mkdirSync(dir, { recursive: true });
const threads = torch.getNumThreads();
const warmup = 5, repeats = Number(process.env.BENCH_REPEATS ?? 20);
const gptConfig = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };

interface Spec { name: string; label: string; build: () => nn.Module; data: () => [Tensor, Tensor] }
const specs: Spec[] = [
  { name: 'mlp', label: 'MLP 784-256-128-10, batch 64', build: () => new models.MLP({ inFeatures: 784, hiddenSizes: [256, 128], outFeatures: 10 }),
    data: () => [torch.randn([64, 784]), torch.randint(0, 10, [64])] },
  { name: 'lenet', label: 'LeNet CNN 28x28, batch 64', build: () => new models.LeNet(), data: () => [torch.randn([64, 1, 28, 28]), torch.randint(0, 10, [64])] },
  { name: 'gpt', label: 'GPT-mini 4x128, 4 heads, batch 16 x 64 tokens', build: () => new models.GPT(gptConfig),
    data: () => [torch.randint(0, 65, [16, 64]), torch.randint(0, 65, [16, 64])] },
];

const results: Record<string, { ms: number; loss: number; params: number }> = {};
for (const spec of specs) {
  torch.manualSeed(0);
  const model = torch.keep(spec.build());
  const [x, y] = torch.keep(spec.data());
  io.saveSafetensors(path.join(dir, `${spec.name}.safetensors`), model.stateDict());
  io.saveSafetensors(path.join(dir, `${spec.name}-data.safetensors`), { x, y });
  const step = () => torch.scope(() => {
    model.zeroGrad();
    const logits = model.forward(x) as Tensor;
    const loss = nn.functional.crossEntropy(logits.flatten(0, -2), y.flatten());
    loss.backward();
    return loss.item();
  });
  const loss = step();
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = process.hrtime.bigint();
    step();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  results[spec.name] = { ms: times[Math.floor(times.length / 2)], loss, params: model.numParameters() };
  console.error(`[bench:models] ${spec.label}: torchtrain ${results[spec.name].ms.toFixed(2)} ms/step`);
}

const python = buildInfo?.referencePython;
if (!python) throw new Error('bench:models needs the reference Python recorded in the build info');
console.error('[bench:models] running the same steps in PyTorch...');
const theirs = JSON.parse(execFileSync(python, [path.join(here, 'models.py'), JSON.stringify({ models: specs.map((s) => s.name), dir, threads, warmup, repeats, gpt: gptConfig })],
  { encoding: 'utf8' }).trim().split('\n').pop()!) as Record<string, { ms: number; loss: number }>;

const rows = specs.map((s) => {
  const ours = results[s.name], py = theirs[s.name];
  if (Math.abs(ours.loss - py.loss) > 1e-5 * Math.abs(py.loss)) throw new Error(`${s.name}: the first losses differ (${ours.loss} vs PyTorch ${py.loss}); the sides do not compute the same model`);
  return `| ${s.label} | ${ours.params.toLocaleString('en-US')} | ${ours.ms.toFixed(2)} | ${py.ms.toFixed(2)} | ${(ours.ms / py.ms).toFixed(2)}x |`;
});
const md = [`# bench:models`, '', `One forward + cross-entropy + backward step, ${threads} thread(s), median of ${repeats} after ${warmup} warm-up steps; same initial weights and inputs on both sides (first losses equal).`, '',
  '| model | parameters | torchtrain ms | PyTorch ms | torchtrain / PyTorch |', '| --- | ---: | ---: | ---: | ---: |', ...rows, ''].join('\n');
mkdirSync(path.join(here, '../results'), { recursive: true });
writeFileSync(path.join(here, '../results/models.md'), md);
writeFileSync(path.join(here, '../results/models.json'), JSON.stringify({ threads, repeats, torchtrain: results, pytorch: theirs }, null, 2));
console.log(md);
