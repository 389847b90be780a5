// The Trainer's contract: hook order, accumulation equal to a large batch, schedules and
// clipping through the one-call step, stopping (maxSteps, AbortSignal, requestStop, SIGTERM),
// validation and prediction, a flat memory line over 6,000 steps, config errors.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type Tensor, engine, nn, optim, torch } from '../../lib/index.js';

const { Trainer, DefaultHooks, EarlyStopping, LearningRateMonitor, GradientMonitorCallback } = engine;

/**
 * A small regression problem as a reusable array of batches (not disposed by the Trainer). Each
 * test's data is freed after it, so that no garbage collection of an earlier test's tensors
 * changes the live-tensor counts a later test samples.
 */
const made: unknown[] = [];
afterEach(() => torch.dispose(made.splice(0)));
function regression(batches: number, batchSize = 8, seed = 0): { x: Tensor; y: Tensor }[] {
  torch.manualSeed(seed);
  const data = torch.scope(() => {
    const w = torch.randn([4, 1]);
    return Array.from({ length: batches }, () => {
      const x = torch.randn([batchSize, 4]);
      return { x, y: x.matmul(w).add(0.5) };
    });
  });
  made.push(torch.keep(data));
  return data;
}

const task = { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } };
const model = (seed = 1) => {
  torch.manualSeed(seed);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 1));
};

describe('Trainer', () => {
  // First in the file: models of earlier tests, garbage-collected mid-run, would move the count.
  // The first ~2,000 steps are warm-up: V8 grows its heap and malloc its arenas (RSS rises ~15 MB,
  // more on a loaded machine), then the line is flat (measured to 10,000 steps: +1 MB). So the
  // bound applies to steps 2,000-6,000, where a leak of 3 KB a step would show.
  it('holds a flat line over 6,000 steps', async () => {
    const data = regression(50);
    // Built inside a scope: temporaries of the layers' initialisation are freed now, not by a
    // garbage collection in the middle of the run (parameters are never owned by a scope).
    const trainer = torch.scope(() => new Trainer({ model: model(), task, train: data, config: { maxSteps: 6000, evalAtEpochEnd: false, schedule: { name: 'constant' } } }));
    const samples: { tensors: number; rss: number }[] = [];
    const probe = new (class extends DefaultHooks {
      override onTrainBatchEnd(_t: unknown, info: { step: number }) {
        if (info.step % 500 === 0) samples.push({ tensors: torch.memory().tensors, rss: process.memoryUsage().rss });
      }
    })();
    trainer.core.callbacks.push(probe);
    await trainer.fit();
    expect(trainer.step).toBe(6000);
    expect(new Set(samples.map((s) => s.tensors)).size).toBe(1);
    const growth = samples.at(-1)!.rss - samples[3].rss;
    expect(growth, `RSS grew by ${(growth / 1e6).toFixed(1)} MB from step 2,000 to 6,000`).toBeLessThan(12e6);
  });

  it('calls the hooks in the documented order', async () => {
    const calls: string[] = [];
    const recorder = new Proxy(new DefaultHooks(), {
      get: (target, name) => (typeof name === 'string' && name.startsWith('on') ? () => void calls.push(name) : Reflect.get(target, name)),
    });
    const trainer = new Trainer({ model: model(), task, config: { maxEpochs: 1, gradientAccumulationSteps: 2, schedule: { name: 'constant' } },
      train: regression(4), val: regression(1, 8, 9), callbacks: [recorder] });
    await trainer.fit();
    const step = ['onTrainBatchStart', 'onBeforeBackward', 'onAfterBackward'];
    expect(calls).toEqual([
      'onFitStart', 'onTrainEpochStart',
      ...step, 'onTrainBatchEnd', ...step, 'onBeforeOptimizerStep', 'onTrainBatchEnd',
      ...step, 'onTrainBatchEnd', ...step, 'onBeforeOptimizerStep', 'onTrainBatchEnd',
      'onLog', 'onValidationStart', 'onValidationBatchEnd', 'onValidationEnd', 'onLog', 'onTrainEpochEnd', 'onFitEnd']);
  });

  it('awaits async hooks in the same order, with their tensors scoped to the step', async () => {
    const calls: string[] = [];
    const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));
    const hooks = new (class extends DefaultHooks {
      override async onTrainBatchStart() { await tick(); torch.ones([3]); calls.push('start'); }
      override async onBeforeBackward(_t: unknown, loss: Tensor) { await tick(); loss.mul(2); calls.push('before'); }
      override onAfterBackward() { calls.push('after'); }
      override async onBeforeOptimizerStep() { await tick(); calls.push('step'); }
    })();
    const leftAfter = async (callbacks: engine.TrainingHooks[]) => {
      const before = torch.memory().tensors;
      const trainer = new Trainer({ model: model(), task, train: regression(2), callbacks, config: { maxEpochs: 1, evalAtEpochEnd: false, schedule: { name: 'constant' } } });
      await trainer.fit();
      expect(trainer.step).toBe(2);
      return torch.memory().tensors - before;
    };
    const withoutHooks = await leftAfter([]);
    const withHooks = await leftAfter([hooks]);
    expect(calls).toEqual(['start', 'before', 'after', 'step', 'start', 'before', 'after', 'step']);
    // what the hooks made inside the steps went with the steps' scopes
    expect(withHooks).toBe(withoutHooks);
  });

  it('rejects with the error of an async hook and calls onException', async () => {
    const seen: string[] = [];
    const failing = new (class extends DefaultHooks {
      override async onBeforeBackward() { await Promise.resolve(); throw new Error('hook failed on purpose'); }
      override onException(_t: unknown, err: unknown) { seen.push((err as Error).message); }
    })();
    const trainer = new Trainer({ model: model(), task, train: regression(3), callbacks: [failing], config: { maxEpochs: 1 } });
    await expect(trainer.fit()).rejects.toThrow('hook failed on purpose');
    expect(seen).toEqual(['hook failed on purpose']);
  });

  it('trains from an async generator and closes it when stopping early', async () => {
    const data = regression(10);
    let closed = false;
    async function* stream() {
      try {
        for (const b of data) yield b;
      } finally {
        closed = true;
      }
    }
    const trainer = new Trainer({ model: model(), task, train: stream(), config: { maxSteps: 3, schedule: { name: 'constant' } } });
    await trainer.fit();
    expect(trainer.step).toBe(3);
    expect(closed).toBe(true);
  });

  it('k accumulated micro-batches give the update of one k-times-larger batch', async () => {
    const data = regression(4, 8, 3);
    const big = [{ x: torch.keep(torch.cat(data.map((b) => b.x))), y: torch.keep(torch.cat(data.map((b) => b.y))) }];
    const run = async (train: typeof data, accumulation: number) => {
      const m = model(5);
      await new Trainer({ model: m, task, config: { maxSteps: 1, gradientAccumulationSteps: accumulation, optimizer: { name: 'sgd', lr: 0.1, weightDecay: 0 }, schedule: { name: 'constant' } }, train }).fit();
      return m.parameters();
    };
    const [a, b] = [await run(data, 4), await run(big, 1)];
    a.forEach((p, i) => expect(p.allclose(b[i], { rtol: 0, atol: 1e-6 })).toBe(true));
  });

  it('steps the schedule once per optimizer update and reports lr, grad norm and throughput', async () => {
    const lrs = new LearningRateMonitor();
    const trainer = new Trainer({ model: model(), task, train: regression(10), callbacks: [lrs],
      config: { maxEpochs: 2, maxGradNorm: 1.0, optimizer: { lr: 0.01 }, schedule: { name: 'onecycle', warmupRatio: 0.3 } } });
    const result = await trainer.fit();
    expect(result.steps).toBe(20);
    expect(lrs.history.length).toBe(20);
    const reference = new optim.OneCycleLR(new optim.AdamW(model().parameters(), { lr: 0.01 }), { maxLr: 0.01, totalSteps: 20, pctStart: 0.3 });
    const expected = [reference.getLastLr()[0]];
    for (let i = 1; i < 20; i++) {
      reference.step();
      expected.push(reference.getLastLr()[0]);
    }
    expect(lrs.history.map((h) => h.lrs[0])).toEqual(expected);
    expect(result.epochs[1].loss).toBeLessThan(result.epochs[0].loss);
    expect(result.epochs[0].throughput).toBeGreaterThan(0);
  });

  it('stops at maxSteps, on an AbortSignal, and when a hook asks', async () => {
    const r1 = await new Trainer({ model: model(), task, train: regression(10), config: { maxEpochs: 5, maxSteps: 7 } }).fit();
    expect(r1.steps).toBe(7);
    expect(r1.reason).toMatch(/maxSteps/);
    const controller = new AbortController();
    const stopper = new (class extends DefaultHooks {
      override onTrainBatchEnd(_t: unknown, info: { step: number }) { if (info.step === 3) controller.abort(); }
    })();
    const r2 = await new Trainer({ model: model(), task, train: regression(10), callbacks: [stopper], config: { maxEpochs: 5, schedule: { name: 'constant' } } }).fit({ signal: controller.signal });
    expect(r2.steps).toBe(3);
    expect(r2.reason).toBe('aborted');
    const early = new EarlyStopping({ patience: 1, minDelta: 100 });
    const r3 = await new Trainer({ model: model(), task, train: regression(2), val: regression(1), callbacks: [early], config: { maxEpochs: 10, schedule: { name: 'constant' } } }).fit();
    expect(r3.stoppedEarly).toBe(true);
    expect(r3.epochs.length).toBe(2);
    expect(r3.reason).toMatch(/EarlyStopping: loss did not improve/);
  });

  it('validates and predicts', async () => {
    const trainer = new Trainer({ model: model(), task, train: regression(5), val: regression(2), config: { maxEpochs: 3, optimizer: { lr: 0.05 } } });
    const before = await trainer.validate();
    await trainer.fit();
    const after = await trainer.validate();
    expect(after.loss).toBeLessThan(before.loss);
    // predict() joins the batches' outputs; predictions() gives them one by one with their index
    const joined = await trainer.predict(regression(2));
    expect(joined.logits!.shape).toEqual([16, 1]);
    const each = [];
    for await (const p of trainer.predictions(regression(2))) each.push(p);
    expect(each.map((p) => [p.index, p.output.logits!.shape])).toEqual([[0, [8, 1]], [1, [8, 1]]]);
    expect(joined.logits!.index('8:').equal(each[1].output.logits!)).toBe(true);
    torch.dispose([joined, each]);
  });

  it('monitors gradient health', async () => {
    const monitor = new GradientMonitorCallback({ everyNSteps: 2 });
    await new Trainer({ model: model(), task, train: regression(6), callbacks: [monitor], config: { maxEpochs: 1 } }).fit();
    expect(monitor.history.map((h) => h.step)).toEqual([2, 4, 6]);
    const h = monitor.history[0].health;
    expect(h.globalNorm).toBeGreaterThan(0);
    expect(Object.keys(h.perLayer)).toEqual(['0', '2']);
    expect(h.nonFinite).toEqual([]);
  });

  it('SIGTERM stops after the current step with the hooks called', () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/sigterm-fit.ts');
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.stdout).toMatch(/fit ended: received SIGTERM after \d+ steps/);
    expect(child.status).toBe(143);
  });

  it('rejects bad configs and inputs clearly', () => {
    expect(() => new Trainer({ model: model(), task, train: regression(1), config: {} })).toThrow(/set maxEpochs or maxSteps/);
    expect(() => new Trainer({ model: model(), task, train: regression(1), config: { maxEpochs: 1, precision: 'fp8' as never } })).toThrow(/precision/);
    expect(() => new Trainer({ model: model(), task, train: regression(1), config: { maxEpochs: 1, precision: 'fp16-mixed', device: 'cpu' } })).toThrow(/fp16-mixed' needs a CUDA device/);
    expect(() => new Trainer({ model: {} as never, task, train: regression(1), config: { maxEpochs: 1 } })).toThrow(/model must be an nn.Module/);
    // a misspelt or unsupported option is refused with the nearest name, never ignored
    expect(() => new Trainer({ model: model(), task, train: regression(1), config: { maxEpochs: 1 }, callback: [] } as never)).toThrow(/unknown option 'callback'; did you mean 'callbacks'\?/);
    expect(() => new Trainer({ model: model(), task, train: regression(1), config: { maxEpochs: 1 }, maxEpochs: 3 } as never)).toThrow(/unknown option 'maxEpochs'.*go inside config/);
    expect(() => new Trainer({ model: model(), task: { type: 'causal_lm' }, train: regression(1), config: { maxEpochs: 1 } })).toThrow(/vocabSize: required for a causal_lm task/);
  });

  it('a batch of positional fields (an unnamed TensorDataset) gets an error that says how to name them', async () => {
    const [{ x, y }] = regression(1);
    const positional = [{ 0: x, 1: y }];
    const trainer = new Trainer({ model: model(), task, train: positional, config: { maxEpochs: 1 } });
    await expect(trainer.fit()).rejects.toThrow(/no Tensor field 'x' \(it has: 0, 1\); the batch's fields are positions .*TensorDataset\(\{ x: x, labels: y \}\)/);
  });
});
