// npm run bench:ddp: data parallelism on this machine, in one run.
//  (a) all-reduce time and bus bandwidth, torchtrain against torch.distributed on the same tensors
//      (1, 10, 100 MB float32; 2 ranks; Gloo on loopback), as ratios;
//  (b) steps/s of a data-parallel training loop (GPT-mini, manual step with
//      distributed.allReduceGradients) at 1 and 2 processes, and the scaling efficiency;
//  (c) the same 2-process loop with the all-reduce overlapped with backward (the Trainer's default).
// One thread per process in every run, so 1 and 2 processes compare fairly on 2 cores. Each
// measurement is repeated (BENCH_ROUNDS, default 3, alternating) and the median counts.
// Writes bench/results/ddp.{md,json}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busBandwidth, measureAllReduce } from './allreduce.js';
import { runJob, tsxCommand } from './jobs.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const sizes = [1, 10, 100];
const world = 2;
const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

interface TrainResult { stepsPerSecond: number; msPerStep: number; allReduceMsPerStep: number; tokensPerStep: number; parameters: number }

console.log(`bench:ddp on ${cpus().length} cores, ${rounds} round(s); 1 thread per process`);
const ours: number[][] = sizes.map(() => []), theirs: number[][] = sizes.map(() => []);
for (let r = 0; r < rounds; r++) {
  const m = await measureAllReduce(sizes, 10, world);
  sizes.forEach((_, i) => { ours[i].push(m.ours[i]); theirs[i].push(m.theirs[i]); });
  console.log(`  all-reduce round ${r + 1}: ${sizes.map((mb, i) => `${mb} MB ${m.ours[i].toFixed(1)}/${m.theirs[i].toFixed(1)} ms`).join(', ')}`);
}
const allReduce = sizes.map((mb, i) => {
  const a = median(ours[i]), b = median(theirs[i]);
  return { mb, torchtrainMs: a, torchMs: b, torchtrainGBs: busBandwidth(mb, a, world), torchGBs: busBandwidth(mb, b, world), timeRatio: a / b,
    torchtrainRange: range(ours[i], 2), torchRange: range(theirs[i], 2) };
});

const trainer = tsxCommand(path.join(HERE, 'train-step.ts'));
const env = { OMP_NUM_THREADS: '1' };
const one: TrainResult[] = [], two: TrainResult[] = [], overlapped: TrainResult[] = [];
for (let r = 0; r < rounds; r++) {
  one.push(await runJob<TrainResult>(trainer, 1, env));
  two.push(await runJob<TrainResult>(trainer, 2, env));
  overlapped.push(await runJob<TrainResult>(trainer, 2, { ...env, BENCH_DDP_OVERLAP: '1' }));
  console.log(`  training round ${r + 1}: 1 process ${one.at(-1)!.stepsPerSecond.toFixed(2)} steps/s, 2 processes ${two.at(-1)!.stepsPerSecond.toFixed(2)} steps/s, ` +
    `overlapped ${overlapped.at(-1)!.stepsPerSecond.toFixed(2)} steps/s`);
}
const s1 = median(one.map((t) => t.stepsPerSecond)), s2 = median(two.map((t) => t.stepsPerSecond));
const training = {
  model: `char GPT-mini, ${one[0].parameters} parameters, 16 x 64 tokens per process per step`,
  oneProcess: { stepsPerSecond: s1, tokensPerSecond: s1 * one[0].tokensPerStep, range: range(one.map((t) => t.stepsPerSecond), 2) },
  twoProcesses: { stepsPerSecond: s2, tokensPerSecond: s2 * two[0].tokensPerStep, range: range(two.map((t) => t.stepsPerSecond), 2),
    allReduceMsPerStep: median(two.map((t) => t.allReduceMsPerStep)), msPerStep: median(two.map((t) => t.msPerStep)) },
  // Weak scaling: 2 processes do twice the work per step, so perfect scaling keeps steps/s.
  scalingEfficiency: (s2 * two[0].tokensPerStep) / (2 * s1 * one[0].tokensPerStep),
  overlapped: { msPerStep: median(overlapped.map((t) => t.msPerStep)), range: range(overlapped.map((t) => t.msPerStep), 0),
    waitMsPerStep: median(overlapped.map((t) => t.allReduceMsPerStep)), afterBackwardRange: range(two.map((t) => t.msPerStep), 0) },
};

const md = `# bench:ddp

${cpus().length} cores, 1 thread per process, median of ${rounds} round(s); Gloo on loopback.

## all-reduce, float32, ${world} ranks (bus bandwidth = 2 (n-1)/n x size / time)

| size | torchtrain ms (range) | torch.distributed ms (range) | torchtrain GB/s | torch.distributed GB/s | time torchtrain / torch |
| ---: | ---: | ---: | ---: | ---: | ---: |
${allReduce.map((a) => `| ${a.mb} MB | ${a.torchtrainMs.toFixed(2)} (${a.torchtrainRange}) | ${a.torchMs.toFixed(2)} (${a.torchRange}) | ${a.torchtrainGBs.toFixed(2)} | ${a.torchGBs.toFixed(2)} | ${a.timeRatio.toFixed(2)}x |`).join('\n')}

## data-parallel training: ${training.model}

| processes | steps/s (range) | tokens/s |
| ---: | ---: | ---: |
| 1 | ${s1.toFixed(2)} (${training.oneProcess.range}) | ${training.oneProcess.tokensPerSecond.toFixed(0)} |
| 2 | ${s2.toFixed(2)} (${training.twoProcesses.range}) | ${training.twoProcesses.tokensPerSecond.toFixed(0)} |

Scaling efficiency (2-process tokens/s over twice the 1-process figure): ${(training.scalingEfficiency * 100).toFixed(0)}%.
Of the 2-process step's ${training.twoProcesses.msPerStep.toFixed(0)} ms, ${training.twoProcesses.allReduceMsPerStep.toFixed(0)} ms are spent in distributed.allReduceGradients (rank 0:
the ${(two[0].parameters * 4 / 1e6).toFixed(1)} MB gradient transfer plus waiting for the slower rank).

Overlapped with backward (buckets all-reduced from autograd hooks as their gradients are ready, the
Trainer's default): ${training.overlapped.msPerStep.toFixed(0)} ms per 2-process step (range ${training.overlapped.range}) against
${training.twoProcesses.msPerStep.toFixed(0)} ms (range ${training.overlapped.afterBackwardRange}) after backward; ${training.overlapped.waitMsPerStep.toFixed(0)} ms per step are left to wait for after backward.
`;
console.log(`\n${md}`);
mkdirSync(path.join(HERE, '../results'), { recursive: true });
writeFileSync(path.join(HERE, '../results/ddp.md'), md);
writeFileSync(path.join(HERE, '../results/ddp.json'), JSON.stringify({ cores: cpus().length, rounds, allReduce, training }, null, 2));
