// Activation checkpointing: what it saves and what it costs. One forward + backward step of a
// GPT (8 blocks of 256, batch 8 x 256 tokens) with and without gradientCheckpointing, each in a
// fresh process: peak memory of a step after a warm-up one (CPU: the process's peak resident set,
// VmHWM, reset before the step, minus the resident set before it; CUDA: torch.cuda.maxMemoryAllocated after resetting the peak)
// and median milliseconds per step. The loss and gradients are the same either way
// (test/nn/activation-checkpoint.test.ts). Writes bench/results/checkpointing.{md,json}.
//
//   npx tsx bench/checkpointing/run.ts [--device cuda] [--layers 8]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, models, nn, torch } from '../../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const device = opt('device', 'cpu');
const layers = Number(opt('layers', '8'));
const config = { vocabSize: 256, blockSize: 256, nLayer: layers, nHead: 8, nEmbd: 256 };
const batch = 8, steps = Number(process.env.BENCH_REPEATS ?? 3);

interface Measured { peakBytes: number; ms: number; loss: number }

function residentKiB(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** One variant, in this (fresh) process. */
function child(gradientCheckpointing: boolean): Measured {
  torch.manualSeed(0);
  const model = torch.keep(new models.GPT({ ...config, gradientCheckpointing }));
  if (device !== 'cpu') model.to(device);
  const idx = torch.keep(torch.randint(0, config.vocabSize, [batch, config.blockSize], { dtype: 'int64', device }));
  const step = () => torch.scope(() => {
    model.zeroGrad();
    const loss = nn.functional.crossEntropy((model.forward(idx) as Tensor).flatten(0, 1), idx.flatten());
    loss.backward();
    return loss.item() as number;
  });
  let peakBytes: number;
  let loss: number;
  if (device.startsWith('cuda')) {
    step();
    torch.cuda.synchronize();
    torch.cuda.resetPeakMemoryStats(device);
    const base = torch.cuda.memoryAllocated(device)!;
    loss = step();
    peakBytes = torch.cuda.maxMemoryAllocated(device)! - base;
  } else {
    step(); // warm-up: libtorch's one-time allocations (thread pools, kernels' buffers)
    // Writing 5 to clear_refs resets the peak resident set (VmHWM) to the current one (Linux >= 4.0).
    writeFileSync('/proc/self/clear_refs', '5');
    const base = residentKiB('VmRSS');
    loss = step();
    peakBytes = (residentKiB('VmHWM') - base) * 1024;
  }
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { peakBytes, ms: times[Math.floor(times.length / 2)], loss };
}

if (args.includes('--child')) {
  process.stdout.write(JSON.stringify(child(args[args.indexOf('--child') + 1] === 'on')) + '\n');
} else {
  const run = (mode: 'on' | 'off'): Measured => {
    // On CPU, every buffer of 128 KiB or more gets its own mapping, returned to the OS when freed,
    // so the resident set follows the live tensors (torchtrain's malloc tuning, off here, keeps
    // freed memory in the heap, where the resident set would hide the difference).
    const env = { ...process.env, TORCHTRAIN_MALLOC_TUNING: '0', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' };
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, ...args], { encoding: 'utf8', env });
    return JSON.parse(out.trim().split('\n').pop()!) as Measured;
  };
  const off = run('off'), on = run('on');
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const label = `GPT ${layers} x ${config.nEmbd} (${config.nHead} heads), batch ${batch} x ${config.blockSize} tokens, ${device}, ${torch.getNumThreads()} threads`;
  const lines = [
    `# Activation checkpointing (${label})`, '',
    '| | peak memory of a step | ms per step (median) | loss |', '| --- | --- | --- | --- |',
    `| without | ${mib(off.peakBytes)} MiB | ${off.ms.toFixed(0)} | ${off.loss.toFixed(6)} |`,
    `| gradientCheckpointing | ${mib(on.peakBytes)} MiB | ${on.ms.toFixed(0)} | ${on.loss.toFixed(6)} |`, '',
    `Memory saved: ${(100 * (1 - on.peakBytes / off.peakBytes)).toFixed(0)}%; time: ${(on.ms / off.ms).toFixed(2)}x. ` +
      (device === 'cpu' ? 'CPU peak: the process\'s peak resident set during the second step (VmHWM, reset before it) minus the resident set before it.' : 'CUDA peak: maxMemoryAllocated minus the memory allocated before the step.'),
  ];
  console.log(lines.join('\n'));
  const results = path.join(here, '../results');
  mkdirSync(results, { recursive: true });
  const name = device === 'cpu' ? 'checkpointing' : 'checkpointing-cuda';
  writeFileSync(path.join(results, `${name}.md`), lines.join('\n') + '\n');
  writeFileSync(path.join(results, `${name}.json`), JSON.stringify({ label, without: off, gradientCheckpointing: on }, null, 2) + '\n');
}
