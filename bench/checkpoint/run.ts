// bench:checkpoint: saving and loading a checkpoint of a 12M and a 120M-parameter model (an MLP,
// with AdamW's state after one step) against PyTorch's torch.save/torch.load of the same state
// dict, and what a checkpoint costs a training run: the stall per save with the background
// writer (the default) and with writes on the training thread. Writes bench/results/checkpoint.{md,json}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo } from '../../lib/core/addon.js';
import { type Tensor, checkpoint, nn, optim, torch } from '../../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, '../../.bench/checkpoint');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const threads = torch.getNumThreads();
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const log = (s: string) => console.error(`[bench:checkpoint] ${s}`);
const tick = () => new Promise<void>((r) => setImmediate(r));

const specs = [
  { name: '12M', width: 2000, layers: 3 },
  { name: '120M', width: 4140, layers: 7 },
];

interface Row {
  params: number;
  bytes: number;
  ours: { save: number; load: number; verify: number; stepMs: number; boundaryMs: number; stallBackgroundMs: number; stallForegroundMs: number };
  pytorch: { save: number; saveFsync: number; load: number };
}
const rows: Record<string, Row> = {};

for (const spec of specs) {
  torch.manualSeed(0);
  const layers: nn.Module[] = [];
  for (let i = 0; i < spec.layers; i++) {
    layers.push(new nn.Linear(spec.width, spec.width));
    if (i < spec.layers - 1) layers.push(new nn.Tanh());
  }
  const model = new nn.Sequential(...layers);
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
  const x = torch.keep(torch.randn([8, spec.width]));
  const y = torch.keep(torch.zeros([8, spec.width]));
  const step = () => torch.scope(() => {
    opt.zeroGrad();
    nn.functional.mseLoss(model.forward(x) as Tensor, y).backward();
    opt.step();
  });
  const parts = { model, optimizer: opt, scheduler: null, scaler: null };
  const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
  let saved = 0;
  const state = () => ({ state: { step: ++saved, epoch: 0 }, callbacks: {}, config: {}, task: {}, logs: {} });
  step();
  log(`${spec.name}: ${(params / 1e6).toFixed(1)}M parameters`);

  // Save on the training thread, complete (written, fsynced, hashed, renamed): the full cost.
  const root = path.join(dir, spec.name);
  const foreground = new checkpoint.CheckpointManager({ dir: root, keepLast: 1, writeInBackground: false });
  const save: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    await foreground.save(parts, state());
    save.push((performance.now() - t) / 1000);
  }
  const folder = checkpoint.readLatest(root)!;
  const load: number[] = [];
  const verify: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    const c = checkpoint.loadCheckpoint(folder);
    load.push((performance.now() - t) / 1000);
    torch.dispose([c.model, c.optimizer as unknown as Record<string, unknown>]);
    t = performance.now();
    checkpoint.verifyFolder(folder);
    verify.push((performance.now() - t) / 1000);
  }
  log(`${spec.name}: save ${median(save).toFixed(2)} s, load ${median(load).toFixed(2)} s (+ ${median(verify).toFixed(2)} s to verify the hashes)`);

  // The stall: steps without saves, then a save followed by steps until its write is on disk
  // (yielding between steps, as the training loop does); the extra time over as many plain steps.
  const plain: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    step();
    await tick();
    plain.push(performance.now() - t);
  }
  const stepMs = median(plain);
  const background = new checkpoint.CheckpointManager({ dir: root, keepLast: 1 });
  const boundary: number[] = [];
  const stallBg: number[] = [];
  const stallFg: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    step();
    let s = performance.now();
    let done = false;
    const write = background.save(parts, state()).then(() => { done = true; });
    boundary.push(performance.now() - s);
    let steps = 1;
    await tick();
    while (!done) {
      step();
      steps++;
      await tick();
    }
    await write;
    stallBg.push(performance.now() - t - steps * stepMs);
    t = performance.now();
    step();
    await foreground.save(parts, state());
    await tick();
    stallFg.push(performance.now() - t - stepMs);
  }
  background.flush();
  const row: Row = {
    params, bytes: params * 4 * 3,
    ours: { save: median(save), load: median(load), verify: median(verify), stepMs, boundaryMs: median(boundary), stallBackgroundMs: median(stallBg), stallForegroundMs: median(stallFg) },
    pytorch: { save: 0, saveFsync: 0, load: 0 },
  };
  rows[spec.name] = row;
  log(`${spec.name}: step ${stepMs.toFixed(0)} ms; stall per checkpoint ${row.ours.stallBackgroundMs.toFixed(0)} ms in the background (${row.ours.boundaryMs.toFixed(0)} ms at the step boundary), ${row.ours.stallForegroundMs.toFixed(0)} ms on the training thread`);
  torch.dispose([x, y]);
  rmSync(root, { recursive: true, force: true });
}

const python = buildInfo?.referencePython;
if (!python) throw new Error('bench:checkpoint needs the reference Python recorded in the build info');
log('torch.save / torch.load of the same state in PyTorch...');
const theirs = JSON.parse(execFileSync(python, [path.join(here, 'save_load.py'), JSON.stringify({ models: specs, dir, threads, repeats })],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!) as Record<string, Row['pytorch']>;
for (const spec of specs) rows[spec.name].pytorch = theirs[spec.name];

const s = (v: number) => v.toFixed(2);
const ms = (v: number) => v.toFixed(0);
const saveTable = ['| model | checkpoint MB | torchtrain save s | PyTorch torch.save s | + fsync s | torchtrain load s | + verify SHA-256 s | PyTorch torch.load s |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...specs.map((spec) => {
    const r = rows[spec.name];
    return `| MLP ${spec.name} (${(r.params / 1e6).toFixed(1)}M params) + AdamW | ${(r.bytes / 1e6).toFixed(0)} | ${s(r.ours.save)} | ${s(r.pytorch.save)} | ${s(r.pytorch.saveFsync)} | ${s(r.ours.load)} | ${s(r.ours.verify)} | ${s(r.pytorch.load)} |`;
  })].join('\n');
const stallTable = ['| model | training step ms | stall per checkpoint, background write ms | of which at the step boundary ms | stall, write on the training thread ms |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...specs.map((spec) => {
    const r = rows[spec.name];
    return `| MLP ${spec.name} | ${ms(r.ours.stepMs)} | ${ms(r.ours.stallBackgroundMs)} | ${ms(r.ours.boundaryMs)} | ${ms(r.ours.stallForegroundMs)} |`;
  })].join('\n');
const md = `# bench:checkpoint\n\n${threads} thread(s), median of ${repeats}. torchtrain's save is a complete checkpoint folder (model.safetensors, optimizer.pt, RNG and trainer state, every file fsynced, SHA-256 manifest, atomic rename, \`latest\`); PyTorch's is one torch.save file of {model, optimizer} state dicts (without and with an fsync). Loads read from the page cache on both sides.\n\n${saveTable}\n\nThe stall: the extra time a training run spends per checkpoint (a save, then steps until its write is on disk, against as many plain steps), CPU contention from the writer thread included.\n\n${stallTable}\n`;
mkdirSync(path.join(here, '../results'), { recursive: true });
writeFileSync(path.join(here, '../results/checkpoint.md'), md);
writeFileSync(path.join(here, '../results/checkpoint.json'), JSON.stringify({ threads, repeats, rows }, null, 2));
rmSync(dir, { recursive: true, force: true });
console.log(md);
