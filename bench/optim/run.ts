// bench:optim: one AdamW update of a ~10M-parameter model (GPT-like shapes) in torchtrain's
// native optimizer against PyTorch's (foreach and single-tensor), same shapes, same threads,
// in one run; median milliseconds per step and the ratio. Writes bench/results/optim.{md,json}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo } from '../../lib/core/addon.js';
import { nn, optim, torch } from '../../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const threads = torch.getNumThreads();
// 6 transformer blocks of width 384 plus embeddings: ~10.7M parameters in 76 tensors.
const d = 384, blocks = 6, vocab = 4096;
const shapes: number[][] = [[vocab, d], [256, d]];
for (let b = 0; b < blocks; b++) shapes.push([d], [d], [3 * d, d], [3 * d], [d, d], [d], [d], [d], [4 * d, d], [4 * d], [d, 4 * d], [d]);
shapes.push([d], [d]);
const count = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
const warmup = 5, repeats = 30;

console.error(`[bench:optim] ${(count / 1e6).toFixed(2)}M parameters in ${shapes.length} tensors, ${threads} thread(s)`);
torch.manualSeed(0);
const params = shapes.map((s) => new nn.Parameter(torch.randn(s)));
for (const p of params) p.grad = torch.randn(p.shape);
const opt = new optim.AdamW(params, { lr: 1e-3 });
for (let i = 0; i < warmup; i++) opt.step();
const times: number[] = [];
for (let i = 0; i < repeats; i++) {
  const t = process.hrtime.bigint();
  opt.step();
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
const ours = times[Math.floor(times.length / 2)];
console.error(`[bench:optim] torchtrain: ${ours.toFixed(2)} ms/step; running PyTorch...`);
const python = buildInfo?.referencePython;
if (!python) throw new Error('bench:optim needs the reference Python recorded in the build info');
const theirs = JSON.parse(execFileSync(python, [path.join(here, 'optim.py'), JSON.stringify({ shapes, threads, warmup, repeats })], { encoding: 'utf8' }).trim().split('\n').pop()!);
const rows = [
  ['torchtrain AdamW (native)', ours, 1],
  ['PyTorch AdamW foreach', theirs.foreach, ours / theirs.foreach],
  ['PyTorch AdamW single-tensor (CPU default)', theirs.single, ours / theirs.single],
] as const;
const table = ['| implementation | ms per step | torchtrain / this |', '| --- | ---: | ---: |',
  ...rows.map(([n, t, r]) => `| ${n} | ${t.toFixed(2)} | ${r === 1 ? '-' : `${r.toFixed(2)}x`} |`)].join('\n');
const md = `# bench:optim\n\nAdamW step, ${(count / 1e6).toFixed(2)}M float32 parameters in ${shapes.length} tensors, ${threads} thread(s), median of ${repeats} (after ${warmup} warm-up steps).\n\n${table}\n`;
mkdirSync(path.join(here, '../results'), { recursive: true });
writeFileSync(path.join(here, '../results/optim.md'), md);
writeFileSync(path.join(here, '../results/optim.json'), JSON.stringify({ parameters: count, tensors: shapes.length, threads, torchtrainMs: ours, pytorchForeachMs: theirs.foreach, pytorchSingleMs: theirs.single }, null, 2));
console.log(md);
