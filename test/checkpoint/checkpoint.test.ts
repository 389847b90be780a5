// Checkpoints: the folder layout read by Python's clients, verification, rotation, and exact
// resume — a run stopped at a step and resumed from its checkpoint ends with the weights of the
// uninterrupted run, bit for bit, with shuffling, dropout, OneCycle, accumulation and
// EarlyStopping in play.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, checkpoint, data, engine, nn, torch } from '../../lib/index.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());
const { Trainer, DefaultHooks, EarlyStopping, LearningRateMonitor } = engine;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tt-ckpt-'));

const task = { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } };
function dataset(n = 40) {
  torch.manualSeed(7);
  const x = torch.keep(torch.randn([n, 4]));
  const y = torch.keep(x.matmul(torch.randn([4, 1])).add(0.1));
  return new data.TensorDataset({ x, y });
}
const ds = dataset();
const loader = () => new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3 });
const val = () => new data.DataLoader(dataset(12), { batchSize: 6 });
function model() {
  torch.manualSeed(1);
  return new nn.Sequential(new nn.Linear(4, 16), new nn.Tanh(), new nn.Dropout(0.2), new nn.Linear(16, 1));
}
const config = { maxEpochs: 3, gradientAccumulationSteps: 2, maxGradNorm: 1, seed: 5, schedule: { name: 'onecycle' as const, warmupRatio: 0.3 } };

/** Stops the run after a given optimizer step (as a preemption would, between steps). */
class StopAt extends DefaultHooks {
  constructor(readonly step: number) { super(); }
  override onTrainBatchEnd(t: engine.TrainerView, info: engine.StepInfo) { if (info.step === this.step) t.requestStop('preempted'); }
}

describe('checkpoint folders', () => {
  it('hold model.safetensors, optimizer.pt, scheduler, RNG, trainer_state.json and a manifest, read by Python', async () => {
    const dir = tmp();
    const trainer = new Trainer({ model: model(), task, train: loader(), val: val(), config: { ...config, maxEpochs: 1 }, checkpoint: { dir, everyNSteps: 2 } });
    await trainer.fit();
    const found = checkpoint.list(dir);
    expect(found.map((c) => [c.step, c.valid])).toEqual([[2, true], [4, true], [5, true]]);
    const last = found.at(-1)!.path;
    expect(fs.readFileSync(path.join(dir, 'latest'), 'utf8').trim()).toBe('checkpoint-5');
    expect(fs.readdirSync(last).sort()).toEqual(['manifest.json', 'model.safetensors', 'optimizer.pt', 'rng_state.pt', 'scheduler.json', 'trainer_state.json']);
    const state = JSON.parse(fs.readFileSync(path.join(last, 'trainer_state.json'), 'utf8'));
    expect(state.state).toMatchObject({ step: 5, epoch: 1, batchInEpoch: 0 });
    expect(state.versions.libtorch).toBe(torch.info().libtorchVersion);
    expect(found.at(-1)!.metrics['val/loss']).toBeGreaterThan(0);
    if (!py) return;
    const theirs = await py.run<{ betasTuple: boolean; keys: string[]; groups: number; stateKeys: number[]; rng: number; lr: number }>(`
import torch, safetensors.torch
sd = safetensors.torch.load_file(${JSON.stringify(path.join(last, 'model.safetensors'))})
m = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 1))
m.load_state_dict(sd)
opt_sd = torch.load(${JSON.stringify(path.join(last, 'optimizer.pt'))})
opt = torch.optim.AdamW([{"params": [m[0].weight, m[3].weight]}, {"params": [m[0].bias, m[3].bias]}])
opt.load_state_dict(opt_sd)
rng = torch.load(${JSON.stringify(path.join(last, 'rng_state.pt'))})
out = {"betasTuple": isinstance(opt_sd["param_groups"][0]["betas"], tuple), "keys": sorted(sd.keys()), "groups": len(opt_sd["param_groups"]), "stateKeys": sorted(opt_sd["state"].keys()), "rng": int(rng["cpu"].numel()), "lr": opt.param_groups[0]["lr"]}
`);
    expect(theirs.keys).toEqual(['0.bias', '0.weight', '3.bias', '3.weight']);
    expect(theirs.betasTuple).toBe(true);
    expect(theirs.groups).toBe(2);
    expect(theirs.stateKeys).toEqual([0, 1, 2, 3]);
    expect(theirs.rng).toBe(torch.getRngState().length);
    expect(theirs.lr).toBe(trainer.optimizer.paramGroups[0].lr);
  });

  it('every N epochs and every T minutes', async () => {
    const byEpoch = tmp();
    await new Trainer({ model: model(), task, train: loader(), config, checkpoint: { dir: byEpoch, everyNEpochs: 2, saveAtEnd: false } }).fit();
    expect(checkpoint.list(byEpoch).map((c) => [c.step, c.epoch])).toEqual([[10, 2]]);
    const byTime = tmp();
    // a period shorter than any step: a save after every optimizer step
    await new Trainer({ model: model(), task, train: loader(), config: { ...config, maxEpochs: 1 }, checkpoint: { dir: byTime, everyNMinutes: 1e-9, saveAtEnd: false } }).fit();
    expect(checkpoint.list(byTime).map((c) => c.step)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keep the last k and the best k, never the one latest points to', async () => {
    const dir = tmp();
    await new Trainer({ model: model(), task, train: loader(), val: val(), config: { ...config, evalEveryNSteps: 1 },
      checkpoint: { dir, everyNSteps: 1, keepLast: 2, keepBest: 1, monitor: 'val/loss', mode: 'min' } }).fit();
    const kept = checkpoint.list(dir);
    expect(kept.every((c) => c.valid)).toBe(true);
    const steps = kept.map((c) => c.step);
    expect(steps.slice(-2)).toEqual([14, 15]);
    expect(kept.length).toBeLessThanOrEqual(3);
    const best = Math.min(...kept.map((c) => c.metrics['val/loss']));
    expect(kept.find((c) => c.metrics['val/loss'] === best)).toBeDefined();
  });

  it('a damaged or unfinished folder is never loaded: latest falls back to the newest valid one and says why', async () => {
    const dir = tmp();
    await new Trainer({ model: model(), task, train: loader(), config: { ...config, maxEpochs: 1 }, checkpoint: { dir, everyNSteps: 2, saveAtEnd: false } }).fit();
    const [, newest] = checkpoint.list(dir).map((c) => c.path);
    fs.truncateSync(path.join(newest, 'model.safetensors'), 100);
    fs.mkdirSync(path.join(dir, 'checkpoint-99'));
    const found = checkpoint.list(dir);
    expect(found.map((c) => [c.step, c.valid])).toEqual([[2, true], [4, false], [99, false]]);
    expect(found[1].problem).toMatch(/model.safetensors has 100 bytes, the manifest says \d+/);
    expect(found[2].problem).toMatch(/no manifest.json/);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const t = new Trainer({ model: model(), task, train: loader(), config: { ...config, maxEpochs: 1 }, checkpoint: { dir, saveAtEnd: false } });
    try {
      await t.fit({ resumeFrom: 'latest' });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.some((w) => /skipped .*checkpoint-99: no manifest/.test(w))).toBe(true);
    expect(t.step).toBe(5);
  });
});

describe('exact resume', () => {
  async function uninterrupted(): Promise<Tensor[]> {
    const m = model();
    await new Trainer({ model: m, task, train: loader(), val: val(), callbacks: [new EarlyStopping({ patience: 5 })], config }).fit();
    return m.parameters();
  }

  it.each([[3, 'mid-epoch'], [5, 'at an epoch boundary'], [7, 'mid-epoch, second epoch']])('stopped after step %d (%s) and resumed: the same weights bit for bit', async (stopAt) => {
    const reference = await uninterrupted();
    const dir = tmp();
    const first = new Trainer({ model: model(), task, train: loader(), val: val(), callbacks: [new EarlyStopping({ patience: 5 }), new StopAt(stopAt)], config,
      checkpoint: { dir, everyNSteps: 100 } });
    const r1 = await first.fit();
    expect(r1.steps).toBe(stopAt);
    // a new process would build everything again: a fresh model, loader and Trainer
    const lrs = new LearningRateMonitor();
    const m = model();
    const second = new Trainer({ model: m, task, train: loader(), val: val(), callbacks: [new EarlyStopping({ patience: 5 }), new StopAt(-1), lrs], config, checkpoint: { dir } });
    const r2 = await second.fit({ resumeFrom: 'latest' });
    expect(r2.steps).toBe(15);
    expect(lrs.history[0].step).toBe(stopAt + 1);
    m.parameters().forEach((p, i) => expect(p.equal(reference[i]), `parameter ${i}`).toBe(true));
  });

  it('with DataLoader worker threads too (stopped mid-epoch after step 7)', async () => {
    // plain samples a worker can rebuild (a TensorDataset cannot cross threads)
    const xs = Array.from({ length: 40 }, (_, i) => ds.get(i) as { x: Tensor; y: Tensor });
    const plain = new data.InMemoryDataset(xs.map((r) => ({ x: r.x.tolist() as number[], y: r.y.tolist() as number[] })));
    const workers = () => new data.DataLoader(plain, { batchSize: 4, shuffle: true, seed: 3, numWorkers: 1, persistentWorkers: true });
    const runs: Tensor[][] = [];
    for (const stopAt of [-1, 7]) {
      const dir = tmp();
      const m = model();
      const first = workers();
      await new Trainer({ model: m, task, train: first, config, callbacks: [new StopAt(stopAt)], checkpoint: { dir } }).fit();
      await first.close();
      if (stopAt === -1) {
        runs.push(m.parameters());
        continue;
      }
      const resumed = model();
      const second = workers();
      const r = await new Trainer({ model: resumed, task, train: second, config, checkpoint: { dir } }).fit({ resumeFrom: 'latest' });
      await second.close();
      expect(r.steps).toBe(15);
      runs.push(resumed.parameters());
    }
    runs[1].forEach((p, i) => expect(p.equal(runs[0][i]), `parameter ${i}`).toBe(true));
  });

  it("'latest' with no checkpoint starts fresh and says so; another model is refused with its keys", async () => {
    const dir = tmp();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      await new Trainer({ model: model(), task, train: loader(), config: { ...config, maxEpochs: 1 }, checkpoint: { dir } }).fit({ resumeFrom: 'latest' });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.some((w) => /no valid checkpoint under .*starting a fresh run/.test(w))).toBe(true);
    torch.manualSeed(2);
    const other = new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 1));
    await expect(new Trainer({ model: other, task, train: loader(), config, checkpoint: { dir } }).fit({ resumeFrom: 'latest' }))
      .rejects.toThrow(/does not fit this model: .*size mismatch for 0.weight.*Unexpected key\(s\) in state_dict: "3.weight", "3.bias"/s);
    // weights only: a fresh optimizer and position
    const m = model();
    const t = new Trainer({ model: m, task, train: loader(), config: { ...config, maxEpochs: 1 } });
    await t.fit({ resumeFrom: checkpoint.list(dir).at(-1)!.path, weightsOnly: true });
    expect(t.step).toBe(5);
  });
});

describe('the data position', () => {
  it('resuming 100,000 batches into an epoch reads only the batches it trains on', async () => {
    let reads = 0;
    const big = {
      length: 1_000_000,
      get(i: number) {
        reads++;
        return { x: [i % 7, 1, 2, 3].map(Number), y: [i % 3] };
      },
    };
    const source = new data.DataLoader(big, { batchSize: 4, shuffle: true, seed: 1 });
    const trainer = new Trainer({ model: model(), task, train: source, config: { maxSteps: 100_002, evalAtEpochEnd: false, schedule: { name: 'constant' }, profileData: false } });
    // (profileData off: the fit-start profile samples 5,000 items; this test counts the loop's reads)
    const saved = trainer.stateDict();
    trainer.loadStateDict({ ...saved, state: { ...saved.state, step: 100_000, batchInEpoch: 100_000, microBatches: 100_000 } });
    const counter = new (class extends DefaultHooks {
      first: number[] = [];
      override onTrainBatchStart(_t: unknown, batch: Record<string, unknown>) { this.first.push(...((batch.y as Tensor).flatten().tolist() as number[])); }
    })();
    trainer.core.callbacks.push(counter);
    await trainer.fit();
    expect(trainer.step).toBe(100_002);
    // two batches trained on, and the one the loop reads ahead: 3 x 4 samples of a million
    expect(reads).toBe(12);
    // the batches are the epoch's batches 100,000 and 100,001 in the shuffled order
    const order = new data.RandomSampler(1_000_000, { seed: 1 }).indices(0).slice(400_000, 400_008);
    expect(counter.first).toEqual(order.map((i) => i % 3));
  });
});

describe('the data order', () => {
  it('a resume with another shuffle seed or data length says the order differs', async () => {
    const dir = tmp();
    await new Trainer({ model: model(), task, train: loader(), config, callbacks: [new StopAt(3)], checkpoint: { dir } }).fit();
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint-3', 'trainer_state.json'), 'utf8'));
    expect(saved.data).toEqual({ sampler: 'RandomSampler', seed: 3, batches: 10 });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const other = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 4 });
      await new Trainer({ model: model(), task, train: other, config, checkpoint: { dir } }).fit({ resumeFrom: 'latest' });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.some((w) => /the training data's seed \(3 -> 4: the resumed epoch will not continue the saved order\)/.test(w))).toBe(true);
  });
});
