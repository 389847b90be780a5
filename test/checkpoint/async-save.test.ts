// Checkpoints written in the background (issue 11, point 6): the step boundary copies the
// tensors and the run's state, a worker thread writes the files while training goes on. What
// must hold: training runs on while a write is in flight; the files hold the state of the step
// that saved, not of later steps; saves are serialised (the next waits for the previous); the
// files are those a write on the training thread makes; fit() resolves after its last write.
// Ordering is checked by what exists when (events, files), never by durations.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, checkpoint, data, engine, io, nn, optim, torch } from '../../lib/index.js';

const made: string[] = [];
const tmp = () => {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-async-')));
  return made.at(-1)!;
};
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A model of ~0.6M parameters (7 MB per checkpoint with AdamW's moments): a write takes a while. */
function setup(hidden = 512) {
  torch.manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(64, hidden), new nn.Tanh(), new nn.Linear(hidden, hidden), new nn.Tanh(), new nn.Linear(hidden, 1));
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-2 });
  const x = torch.keep(torch.randn([16, 64]));
  const y = torch.keep(torch.randn([16, 1]));
  const step = () => torch.scope(() => {
    opt.zeroGrad();
    nn.functional.mseLoss(model.forward(x) as Tensor, y).backward();
    opt.step();
  });
  return { model, opt, step, parts: { model, optimizer: opt, scheduler: null, scaler: null } };
}
const snapshot = (step: number) => ({ state: { step, epoch: 0 }, callbacks: {}, config: {}, task: {}, logs: { 'train/loss': 0.5 } });
const clones = (sd: Record<string, Tensor>) => Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, torch.keep(t.clone())]));
const temporaries = (dir: string) => fs.readdirSync(dir).filter((n) => n.includes('.torchtrain-tmp-'));

describe('background checkpoint writes', () => {
  it('save() returns at the step boundary; the write finishes while the next step runs', async () => {
    const { step, parts } = setup();
    const dir = tmp();
    const manager = new checkpoint.CheckpointManager({ dir });
    step();
    const events: string[] = [];
    const written = manager.save(parts, snapshot(1)).then(() => events.push('written'));
    // back on the training thread: the folder is not there yet (the worker writes it), a step runs
    events.push(fs.existsSync(path.join(dir, 'checkpoint-1')) ? 'folder already there' : 'save returned');
    step();
    events.push('next step done');
    await written;
    expect(events).toEqual(['save returned', 'next step done', 'written']);
    manager.flush();
    const found = checkpoint.list(dir);
    expect(found.map((c) => [c.step, c.valid])).toEqual([[1, true]]);
    expect(checkpoint.readLatest(dir)).toBe(found[0].path);
    expect(temporaries(dir)).toEqual([]);
  });

  it('the files hold the saving step\'s weights and optimizer state, not those of the steps after it', async () => {
    const { model, opt, step, parts } = setup();
    const dir = tmp();
    const manager = new checkpoint.CheckpointManager({ dir });
    step();
    const weights = clones(model.stateDict());
    const moments = opt.stateDict().state[0] as Record<string, Tensor>;
    const expAvg = torch.keep(moments.exp_avg.clone());
    const written = manager.save(parts, snapshot(1));
    // the next steps change every weight and moment in place while the write may still run
    step();
    step();
    torch.noGrad(() => { for (const p of model.parameters()) p.add_(1); });
    await written;
    const saved = io.loadSafetensors(path.join(dir, 'checkpoint-1', 'model.safetensors'));
    for (const [k, t] of Object.entries(weights)) {
      expect(saved[k].equal(t), `${k}: the saved weights are not the saving step's`).toBe(true);
      expect(saved[k].equal(model.stateDict()[k]), `${k}: the test did not change the weights`).toBe(false);
    }
    const savedOpt = io.loadObject(path.join(dir, 'checkpoint-1', 'optimizer.pt')) as { state: Record<number, Record<string, Tensor>> };
    expect(savedOpt.state[0].exp_avg.equal(expAvg)).toBe(true);
    expect(Number(savedOpt.state[0].step.item())).toBe(1);
    torch.dispose([saved, weights, expAvg]);
  });

  it('back-to-back saves are serialised: each waits for the one before, and all end up complete', async () => {
    const { step, parts } = setup();
    const dir = tmp();
    const manager = new checkpoint.CheckpointManager({ dir, keepLast: 2 });
    const order: number[] = [];
    const saves: Promise<unknown>[] = [];
    for (let s = 1; s <= 4; s++) {
      step();
      saves.push(manager.save(parts, snapshot(s)).then(() => order.push(s)));
      // a save returns only once the previous write is complete (renamed into place)
      if (s > 1) expect(fs.existsSync(path.join(dir, `checkpoint-${s - 1}`, 'manifest.json')), `checkpoint-${s - 1} not complete when save ${s} returned`).toBe(true);
    }
    await Promise.all(saves);
    manager.flush();
    expect(order).toEqual([1, 2, 3, 4]);
    // rotation ran after each write: the last two remain, `latest` names the newest
    expect(checkpoint.list(dir).map((c) => [c.step, c.valid])).toEqual([[3, true], [4, true]]);
    expect(checkpoint.readLatest(dir)).toBe(path.join(dir, 'checkpoint-4'));
    expect(temporaries(dir)).toEqual([]);
  });

  it('writes the same files as a save on the training thread', async () => {
    const { step, parts } = setup(128);
    step();
    const [bg, fg] = [tmp(), tmp()];
    await new checkpoint.CheckpointManager({ dir: bg }).save(parts, snapshot(1));
    await new checkpoint.CheckpointManager({ dir: fg, writeInBackground: false }).save(parts, snapshot(1));
    const manifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint-1', 'manifest.json'), 'utf8'));
    const [a, b] = [manifest(bg), manifest(fg)];
    expect(Object.keys(a.files)).toEqual(Object.keys(b.files));
    expect({ ...a, createdAt: 0 }, 'manifests differ beyond the time and the .pt files\' random serialization ids').toEqual({
      ...b, createdAt: 0,
      files: Object.fromEntries(Object.entries(b.files as Record<string, { size: number; sha256: string }>).map(([k, f]) => [k, k.endsWith('.pt') ? a.files[k] : f])),
    });
    // the .pt files differ only by torch's random serialization id (and its CRC): the same sizes, the same values
    const plain = (v: unknown): unknown => (v instanceof Tensor ? { dtype: v.dtype, shape: v.shape, values: v.flatten().tolist() }
      : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
    for (const name of ['optimizer.pt', 'rng_state.pt']) {
      expect(a.files[name].size).toBe(b.files[name].size);
      const [x, y] = [bg, fg].map((d) => plain(io.loadObject(path.join(d, 'checkpoint-1', name))));
      expect(x, name).toEqual(y);
    }
  });

  it('fit() resolves after its last write', async () => {
    torch.manualSeed(7);
    const x = torch.keep(torch.randn([32, 4]));
    const ds = new data.TensorDataset({ x, y: torch.keep(x.sum(1, true)) });
    const task = { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } };
    const make = (dir: string, onSaveError: 'error' | 'warn' = 'error') => {
      torch.manualSeed(1);
      return new engine.Trainer({ model: new nn.Sequential(new nn.Linear(4, 256), new nn.Tanh(), new nn.Linear(256, 1)), task,
        train: new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3 }), config: { maxSteps: 5, seed: 5, evalAtEpochEnd: false },
        checkpoint: { dir, everyNSteps: 2, onSaveError } });
    };
    const dir = tmp();
    await make(dir).fit();
    // saved at 2 and 4 in the background, and at the end (5): all on disk when fit() resolved
    expect(checkpoint.list(dir).map((c) => [c.step, c.valid])).toEqual([[2, true], [4, true], [5, true]]);
    expect(temporaries(dir)).toEqual([]);
  });

  it('a write that fails on the worker is reported at the next step boundary (error) or warned (warn); nothing is left behind', async () => {
    const { step, parts } = setup();
    for (const onSaveError of ['error', 'warn'] as const) {
      const dir = tmp();
      const manager = new checkpoint.CheckpointManager({ dir, onSaveError });
      step();
      await manager.save(parts, snapshot(1));
      step();
      const written = manager.save(parts, snapshot(2));
      // pull the temporary folder away from the writer: its next open, fsync or rename fails
      for (const t of temporaries(dir)) fs.rmSync(path.join(dir, t), { recursive: true, force: true });
      const err = await written.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(io.FileWriteError);
      expect((err as Error).message).toContain(`checkpoint save: cannot write ${path.join(dir, 'checkpoint-2')}`);
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarning);
      try {
        if (onSaveError === 'error') expect(() => manager.due('step', 3, 0)).toThrow(io.FileWriteError);
        else expect(manager.due('step', 3, 0)).toBe(false);
        manager.flush(); // reported once only
        await new Promise((r) => setImmediate(r));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings.filter((w) => w.includes('the checkpoint at step 2 was not saved'))).toHaveLength(onSaveError === 'warn' ? 1 : 0);
      expect(checkpoint.list(dir).map((c) => [c.step, c.valid])).toEqual([[1, true]]);
      expect(checkpoint.readLatest(dir)).toBe(path.join(dir, 'checkpoint-1'));
      expect(temporaries(dir)).toEqual([]);
    }
  });
});
