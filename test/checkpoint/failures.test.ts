// Checkpoints when things go wrong (issue 11, points 2 and 5). Failed writes: a file where the
// checkpoint folder should be, a read-only folder (a read-only bind mount: root ignores chmod) and
// a full disk (a 256 KiB tmpfs): onSaveError 'error' (the default) stops fit() with a
// FileWriteError that names the checkpoint and the cause; 'warn' warns and trains on; either way
// the older checkpoints stay valid and unchanged and no temporary folder is left. Mismatches:
// a checkpoint of another model, optimizer, parameter-group layout or TaskSpec is refused with
// what differs; a changed config field that shapes the run is named in a warning; weightsOnly
// takes the weights and nothing else.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, checkpoint, data, engine, io, nn, torch } from '../../lib/index.js';

const { Trainer } = engine;
const made: string[] = [];
const tmp = () => {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-ckfail-')));
  return made.at(-1)!;
};
const task = { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } };
torch.manualSeed(7);
const x = torch.keep(torch.randn([32, 4]));
const ds = new data.TensorDataset({ x, y: torch.keep(x.matmul(torch.randn([4, 1]))) });
const loader = () => new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3 });
function model(hidden = 16) {
  torch.manualSeed(1);
  return new nn.Sequential(new nn.Linear(4, hidden), new nn.Tanh(), new nn.Linear(hidden, 1));
}
const config = { maxSteps: 6, seed: 5, evalAtEpochEnd: false, schedule: { name: 'onecycle' as const } };

/** Runs `body` and returns the TrainerWarnings it emitted. */
async function warningsOf(body: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    await body();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

/** Each checkpoint's manifest.json, to check later that none changed. */
const manifests = (dir: string) => Object.fromEntries(checkpoint.list(dir).map((c) => [c.step, fs.readFileSync(path.join(c.path, 'manifest.json'), 'utf8')]));
const leftovers = (dir: string) => fs.readdirSync(dir).filter((n) => n.includes('.torchtrain-tmp-'));

function expectIntact(dir: string, before: Record<string, string>) {
  const found = checkpoint.list(dir);
  for (const c of found) expect(c.valid, `${c.path}: ${c.problem}`).toBe(true);
  expect(manifests(dir), 'an older checkpoint changed').toEqual(before);
  expect(leftovers(dir), 'a temporary file or folder was left').toEqual([]);
}

/** Mounts on `target` (a tmpfs, a read-only bind mount); false, with a loud note, where mounting is not possible (not root, no mount(8)). */
const mounts: string[] = [];
function mount(args: string[], target: string, what: string): boolean {
  try {
    execFileSync('mount', [...args, target], { stdio: 'pipe' });
    if (!args.includes('remount,ro,bind')) mounts.push(target);
    return true;
  } catch (err) {
    console.warn(`SKIPPED ${what}: mount ${args.join(' ')} ${target} failed (${(err as Error).message.split('\n')[0]}); this test needs root and mount(8)`);
    return false;
  }
}
afterAll(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m], { stdio: 'pipe' });
      fs.rmSync(m, { recursive: true, force: true });
    } catch (err) {
      console.warn(`umount ${m} failed: ${(err as Error).message}`);
    }
  }
  for (const dir of made) if (!mounts.includes(dir)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('failed checkpoint writes', () => {
  it('a file where the checkpoint folder should be: error names the checkpoint and the cause; warn trains on', async () => {
    const file = path.join(tmp(), 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const dir = path.join(file, 'ckpt');
    const t = new Trainer({ model: model(), task, train: loader(), config, checkpoint: { dir, everyNSteps: 2 } });
    const err = await t.fit().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(io.FileWriteError);
    expect((err as io.FileWriteError).code).toBe('ENOTDIR');
    expect((err as Error).message).toContain(path.join(dir, 'checkpoint-2'));
    expect((err as Error).message).toMatch(/checkpoint save: cannot write .*: a part of .* is a file, not a folder \(ENOTDIR\)/);
    expect(t.step, 'the run stops at the failed save').toBe(2);

    const w = new Trainer({ model: model(), task, train: loader(), config, checkpoint: { dir, everyNSteps: 2, onSaveError: 'warn' } });
    const warnings = await warningsOf(() => w.fit());
    expect(w.step).toBe(6);
    const failed = warnings.filter((m) => /the checkpoint at step \d+ was not saved: .*ENOTDIR.*training goes on/.test(m));
    expect(failed.map((m) => /step (\d+)/.exec(m)![1])).toEqual(['2', '4', '6']);
    expect(failed[0]).toContain(path.join(dir, 'checkpoint-2'));
  });

  it('a read-only checkpoint folder (EROFS): older checkpoints stay valid and unchanged, nothing left behind', async (ctx) => {
    const dir = tmp();
    await new Trainer({ model: model(), task, train: loader(), config: { ...config, maxSteps: 4 }, checkpoint: { dir, everyNSteps: 2 } }).fit();
    const before = manifests(dir);
    expect(Object.keys(before)).toEqual(['2', '4']);
    if (!mount(['--bind', dir], dir, 'read-only folder') || !mount(['-o', 'remount,ro,bind'], dir, 'read-only folder')) return ctx.skip();

    const t = new Trainer({ model: model(), task, train: loader(), config, checkpoint: { dir, everyNSteps: 1 } });
    const err = await t.fit({ resumeFrom: 'latest' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(io.FileWriteError);
    expect((err as io.FileWriteError).code).toBe('EROFS');
    expect((err as Error).message).toContain(`cannot write ${path.join(dir, 'checkpoint-5')}: the folder ${dir} is on a read-only file system (EROFS)`);
    expect(t.step).toBe(5);
    expectIntact(dir, before);

    const w = new Trainer({ model: model(), task, train: loader(), config, checkpoint: { dir, everyNSteps: 1, onSaveError: 'warn' } });
    const warnings = await warningsOf(() => w.fit({ resumeFrom: 'latest' }));
    expect(w.step).toBe(6);
    expect(warnings.filter((m) => /the checkpoint at step (5|6) was not saved: .*EROFS/.test(m))).toHaveLength(2);
    expectIntact(dir, before);
  });

  it('a full disk (a 256 KiB tmpfs): ENOSPC stops the run, or warns; the checkpoints that fitted stay valid', async (ctx) => {
    const dir = tmp();
    if (!mount(['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs'], dir, 'disk full')) return ctx.skip();
    // ~60 KiB per checkpoint (weights and AdamW's two moments of 5k parameters): a few fit, then the disk is full
    const t = new Trainer({ model: model(1000), task, train: loader(), config: { ...config, maxSteps: 20 }, checkpoint: { dir, everyNSteps: 1 } });
    const err = await t.fit().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(io.FileWriteError);
    expect((err as io.FileWriteError).code).toBe('ENOSPC');
    const savedSteps = checkpoint.list(dir).map((c) => c.step);
    expect(savedSteps.length, 'at least one checkpoint fitted').toBeGreaterThanOrEqual(1);
    expect(savedSteps).toEqual(savedSteps.map((_, i) => i + 1));
    const failedStep = savedSteps.length + 1;
    expect(t.step).toBe(failedStep);
    expect((err as Error).message).toContain(`cannot write ${path.join(dir, `checkpoint-${failedStep}`)}: the disk holding ${dir} is full (ENOSPC)`);
    const before = manifests(dir);
    expectIntact(dir, before);
    expect(checkpoint.readLatest(dir)).toBe(path.join(dir, `checkpoint-${failedStep - 1}`));

    const w = new Trainer({ model: model(1000), task, train: loader(), config: { ...config, maxSteps: failedStep + 2 }, checkpoint: { dir, everyNSteps: 1, onSaveError: 'warn' } });
    const warnings = await warningsOf(() => w.fit({ resumeFrom: 'latest' }));
    expect(w.step).toBe(failedStep + 2);
    expect(warnings.filter((m) => /was not saved: .*ENOSPC.*training goes on/.test(m)), warnings.join('\n')).toHaveLength(3);
    expectIntact(dir, before);
  });
});

describe('mismatched checkpoints', () => {
  // checkpoint-3 and checkpoint-6 of model(16), AdamW in two groups, OneCycle, the regression task
  const dir = tmp();
  const saved = new Trainer({ model: model(), task, train: loader(), config, checkpoint: { dir, everyNSteps: 3 } }).fit();
  const at3 = path.join(dir, 'checkpoint-3');
  const resumeWith = async (options: Partial<engine.TrainerOptions>, weightsOnly = false) => {
    await saved;
    const t = new Trainer({ model: model(), task, train: loader(), config, ...options });
    return { t, run: t.fit({ resumeFrom: at3, weightsOnly }) };
  };

  it('another model: its missing, unexpected and mis-shaped keys are listed', async () => {
    torch.manualSeed(2);
    // the checkpoint's keys: 0.weight [16,4], 0.bias, 2.weight [1,16], 2.bias; this model's: 0.* [8,...] and 3.*
    const other = new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Tanh(), new nn.Linear(8, 1));
    const { run } = await resumeWith({ model: other });
    const err = await run.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(checkpoint.CheckpointError);
    const message = (err as Error).message;
    expect(message).toContain(`checkpoint ${at3} does not fit this model`);
    expect(message).toMatch(/Missing key\(s\) in state_dict: "3\.weight", "3\.bias"/);
    expect(message).toMatch(/Unexpected key\(s\) in state_dict: "2\.weight", "2\.bias"/);
    expect(message).toMatch(/size mismatch for 0\.weight: copying a param with shape \[16,4\] from checkpoint, the shape in current model is \[8,4\]/);
  });

  it('another optimizer (SGD for AdamW) or another parameter-group layout is refused', async () => {
    const sgd = await resumeWith({ config: { ...config, optimizer: { name: 'sgd', momentum: 0.9 } } });
    const e1 = await sgd.run.then(() => null, (e: unknown) => e);
    expect(e1, 'an AdamW state loaded into SGD without a word').toBeInstanceOf(checkpoint.CheckpointError);
    expect((e1 as Error).message).toContain(`checkpoint ${at3} holds the state of the 'adamw' optimizer; this run's is 'sgd'`);
    expect((e1 as Error).message).toContain('weightsOnly: true');

    const oneGroup = await resumeWith({ config: { ...config, optimizer: { noDecayOnBiasAndNorm: false } } });
    const e2 = await oneGroup.run.then(() => null, (e: unknown) => e);
    expect(e2).toBeInstanceOf(checkpoint.CheckpointError);
    expect((e2 as Error).message).toMatch(/optimizer state does not fit this optimizer \(loaded state dict has 2 parameter groups; this optimizer has 1\)/);
  });

  it('another TaskSpec is refused, showing both', async () => {
    const target = new data.TensorDataset({ x, target: torch.keep(x.sum(1, true)) });
    const { run } = await resumeWith({ task: { type: 'regression', fields: { inputs: 'x', labels: 'target' } }, train: new data.DataLoader(target, { batchSize: 4 }) });
    await expect(run).rejects.toThrow(/checkpoint .*checkpoint-3 was trained on another TaskSpec:\n {2}saved: .*"labels":"y".*\n {2}now: {3}.*"labels":"target"/);
  });

  it('a changed gradientAccumulationSteps or maxSteps is named in a warning; the run resumes', async () => {
    let t: engine.Trainer | undefined;
    const warnings = await warningsOf(async () => {
      const r = await resumeWith({ config: { ...config, maxSteps: 8, gradientAccumulationSteps: 2 } });
      t = r.t;
      await r.run;
    });
    const changed = warnings.filter((w) => w.includes(`resuming ${at3} with a changed config`));
    expect(changed, warnings.join('\n')).toHaveLength(1);
    expect(changed[0]).toContain('gradientAccumulationSteps (1 -> 2)');
    expect(changed[0]).toContain('maxSteps (6 -> 8)');
    expect(changed[0]).not.toMatch(/seed|optimizer|schedule|precision/);
    expect(t!.step).toBe(8);
  });

  it('weightsOnly: the weights, with a fresh optimizer, schedule and position (any optimizer, any TaskSpec, no config warning)', async () => {
    await saved;
    const weights = io.loadSafetensors(path.join(at3, 'model.safetensors'));
    const lrs = new engine.LearningRateMonitor();
    const seen: boolean[] = [];
    const check = new (class extends engine.DefaultHooks {
      override onFitStart(v: engine.TrainerView) {
        seen.push(v.step === 0, (v.model as nn.Module).stateDict()['0.weight'].equal(weights['0.weight']), (v.model as nn.Module).stateDict()['2.bias'].equal(weights['2.bias']));
      }
    })();
    const fresh = { ...config, maxSteps: 2, gradientAccumulationSteps: 2 };
    let t: engine.Trainer | undefined;
    const warnings = await warningsOf(async () => {
      const r = await resumeWith({ callbacks: [check, lrs], config: fresh }, true);
      t = r.t;
      await r.run;
    });
    expect(seen, 'at the start: step 0 and the checkpoint\'s weights').toEqual([true, true, true]);
    expect(t!.step).toBe(2);
    // the optimizer counted only this run's 2 updates (a restored AdamW would be at 5)
    expect(Number((t!.optimizer.stateDict().state[0].step as Tensor).item())).toBe(2);
    // the schedule starts over: the learning rates of a run that starts from scratch
    const scratch = new engine.LearningRateMonitor();
    await new Trainer({ model: model(), task, train: loader(), config: fresh, callbacks: [scratch] }).fit();
    expect(lrs.history).toEqual(scratch.history);
    expect(warnings.filter((w) => /changed config/.test(w))).toEqual([]);

    // fine-tuning: another optimizer and another TaskSpec take the weights too
    const target = new data.TensorDataset({ x, target: torch.keep(x.sum(1, true)) });
    const ft = await resumeWith({ task: { type: 'regression', fields: { inputs: 'x', labels: 'target' } }, train: new data.DataLoader(target, { batchSize: 4 }),
      config: { ...fresh, optimizer: { name: 'sgd', momentum: 0.9 } } }, true);
    await ft.run;
    expect(ft.t.step).toBe(2);
    torch.dispose(weights);
  });
});
