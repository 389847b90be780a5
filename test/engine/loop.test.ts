// The training loop's contract: every optimizer update through one path (an epoch's short last
// window included, with or without a known length), maxSteps inside an epoch, TrainerState and
// callback state that round-trip through JSON, and no host read per micro-batch.
import { describe, expect, it } from 'vitest';
import { type Tensor, engine, nn, torch } from '../../lib/index.js';

const { Trainer, DefaultHooks, EarlyStopping, LearningRateMonitor, parseTrainerState } = engine;

function regression(batches: number, batchSize = 4, seed = 0): { x: Tensor; y: Tensor }[] {
  torch.manualSeed(seed);
  const w = torch.randn([4, 1]);
  return torch.keep(Array.from({ length: batches }, () => {
    const x = torch.randn([batchSize, 4]);
    return { x, y: x.matmul(w) };
  }));
}
const task = { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } };
const model = () => {
  torch.manualSeed(1);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 1));
};
/** The same batches without a length: the loop cannot know where an epoch ends until it does. */
function* unsized(data: { x: Tensor; y: Tensor }[]) {
  yield* data;
}
/** Counts optimizer updates as onTrainBatchEnd reports them. */
class UpdateCounter extends DefaultHooks {
  updates: { step: number; batchIndex: number; epoch: number }[] = [];
  override onTrainBatchEnd(_t: unknown, info: engine.StepInfo) {
    if (info.optimizerStep) this.updates.push({ step: info.step, batchIndex: info.batchIndex, epoch: info.epoch });
  }
}

describe('one optimizer-step path', () => {
  it('10 micro-batches per epoch, accumulation 4: windows of 4, 4 and a short 2, each reported with its rate', async () => {
    const data = regression(10);
    const lrs = new LearningRateMonitor(), counter = new UpdateCounter();
    const trainer = new Trainer({ model: model(), task, train: data, callbacks: [lrs, counter],
      config: { maxEpochs: 2, gradientAccumulationSteps: 4, evalAtEpochEnd: false, schedule: { name: 'warmup_linear', warmupSteps: 2 } } });
    const result = await trainer.fit();
    expect(result.steps).toBe(6);
    expect(lrs.history.length).toBe(6);
    expect(lrs.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(counter.updates.map((u) => [u.epoch, u.batchIndex])).toEqual([[0, 3], [0, 7], [0, 9], [1, 3], [1, 7], [1, 9]]);
    // the schedule stepped once per update: its position is the step count
    expect(trainer.scheduler!.lastEpoch).toBe(6);
    expect(result.epochs.map((e) => e.optimizerSteps)).toEqual([3, 3]);
    expect(trainer.state).toMatchObject({ step: 6, epoch: 2, batchInEpoch: 0, windowMicroBatches: 0, microBatches: 20, samplesSeen: 80 });
  });

  it('a source without a length ends its last window the same way', async () => {
    const data = regression(10);
    const counter = new UpdateCounter(), lrs = new LearningRateMonitor();
    let epoch = 0;
    const source = { [Symbol.iterator]: () => unsized(data), setEpoch: (e: number) => { epoch = e; } };
    const trainer = new Trainer({ model: model(), task, train: source, callbacks: [lrs, counter],
      config: { maxEpochs: 2, maxSteps: 100, gradientAccumulationSteps: 4, evalAtEpochEnd: false, schedule: { name: 'constant' } } });
    const result = await trainer.fit();
    expect(result.steps).toBe(6);
    expect(lrs.history.length).toBe(6);
    expect(counter.updates.map((u) => u.batchIndex)).toEqual([3, 7, 9, 3, 7, 9]);
    expect(epoch).toBe(1);
  });

  it('the same updates as a sized source, bit for bit', async () => {
    const run = async (sized: boolean) => {
      const data = regression(10);
      const m = model();
      const train = sized ? data : { [Symbol.iterator]: () => unsized(data) };
      await new Trainer({ model: m, task, train, config: { maxEpochs: 1, maxSteps: 3, gradientAccumulationSteps: 4, evalAtEpochEnd: false, schedule: { name: 'constant' } } }).fit();
      return m.parameters();
    };
    const [a, b] = [await run(true), await run(false)];
    a.forEach((p, i) => expect(p.equal(b[i])).toBe(true));
  });

  it('maxSteps stops inside an epoch, and at the end of an epoch\'s short last window', async () => {
    const lrs = new LearningRateMonitor();
    const t1 = new Trainer({ model: model(), task, train: regression(10), callbacks: [lrs],
      config: { maxEpochs: 3, maxSteps: 5, gradientAccumulationSteps: 4, evalAtEpochEnd: false } });
    const r1 = await t1.fit();
    expect(r1.steps).toBe(5);
    expect(lrs.history.length).toBe(5);
    expect(r1.reason).toMatch(/maxSteps \(5\)/);
    // stopped after micro-batch 7 of the second epoch, which is not finished
    expect(r1.epochs.map((e) => e.completed)).toEqual([true, false]);
    expect(t1.state).toMatchObject({ step: 5, epoch: 1, batchInEpoch: 8, windowMicroBatches: 0 });

    const counter = new UpdateCounter();
    const t2 = new Trainer({ model: model(), task, train: regression(10), callbacks: [counter],
      config: { maxEpochs: 3, maxSteps: 3, gradientAccumulationSteps: 4, evalAtEpochEnd: false } });
    const r2 = await t2.fit();
    expect(r2.steps).toBe(3);
    expect(r2.epochs.length).toBe(1);
    expect(counter.updates.map((u) => u.batchIndex)).toEqual([3, 7, 9]);
    expect(t2.state).toMatchObject({ step: 3, epoch: 1, batchInEpoch: 0 });
  });

  it('a stop inside a window takes effect at the end of that optimizer step', async () => {
    const stopper = new (class extends DefaultHooks {
      override onTrainBatchEnd(t: engine.TrainerView, info: engine.StepInfo) { if (info.batchIndex === 5) t.requestStop('test'); }
    })();
    const trainer = new Trainer({ model: model(), task, train: regression(10), callbacks: [stopper],
      config: { maxEpochs: 1, gradientAccumulationSteps: 4, evalAtEpochEnd: false } });
    await trainer.fit();
    expect(trainer.state).toMatchObject({ step: 2, epoch: 0, batchInEpoch: 8, windowMicroBatches: 0, microBatches: 8 });
    expect(trainer.model.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('run state', () => {
  it('TrainerState and callback states survive JSON and restore into a new Trainer', async () => {
    const data = regression(4);
    const early = new EarlyStopping({ patience: 5 }), lrs = new LearningRateMonitor();
    const trainer = new Trainer({ model: model(), task, train: data, val: regression(2, 4, 9), callbacks: [early, lrs], config: { maxEpochs: 2 } });
    await trainer.fit();
    const saved = JSON.parse(JSON.stringify(trainer.stateDict()));
    expect(Object.keys(saved.callbacks)).toEqual(['EarlyStopping', 'LearningRateMonitor']);
    expect(saved.state).toMatchObject({ version: 1, step: 8, epoch: 2, samplesSeen: 32, itemsSeen: 32 });
    expect(saved.state.best.metric).toBe('val/loss');

    const early2 = new EarlyStopping({ patience: 5 }), lrs2 = new LearningRateMonitor();
    const restored = new Trainer({ model: model(), task, train: data, callbacks: [early2, lrs2], config: { maxEpochs: 2 } });
    restored.loadStateDict(saved);
    expect(restored.state).toEqual(trainer.state);
    expect(early2.stateDict()).toEqual(early.stateDict());
    expect(lrs2.history).toEqual(lrs.history);
    expect(restored.stateDict()).toEqual(saved);
  });

  it('refuses a damaged state and callbacks it cannot place', () => {
    const trainer = new Trainer({ model: model(), task, train: regression(1), config: { maxEpochs: 1 } });
    const good = trainer.stateDict();
    expect(() => trainer.loadStateDict({ ...good, state: { ...good.state, step: -1 } })).toThrow(/step: .*>=\s?0/);
    expect(() => parseTrainerState({ ...good.state, extra: 1 })).toThrow(/extra/);
    expect(() => trainer.loadStateDict({ ...good, callbacks: { EarlyStopping: { best: 1, bad: 0 } } })).toThrow(/same callbacks/);
  });
});

describe('no host read per micro-batch', () => {
  it('100 steps with logEveryNSteps 50 read a handful of values per interval, not one per step', async () => {
    const V = 11;
    torch.manualSeed(2);
    const batches = torch.keep(Array.from({ length: 20 }, () => ({ input_ids: torch.randint(0, V, [4, 9]) })));
    torch.manualSeed(3);
    const lm = new nn.Sequential(new nn.Embedding(V, 8), new nn.Linear(8, V));
    const trainer = new Trainer({ model: lm, task: { type: 'causal_lm', vocabSize: V }, train: batches,
      // profileData off: the data profile at fit start reads each batch once, which is not what this counts
      config: { maxSteps: 100, logEveryNSteps: 50, maxGradNorm: 1, evalAtEpochEnd: false, profileData: false } });
    const before = torch.hostReads();
    const result = await trainer.fit();
    const reads = torch.hostReads() - before;
    expect(result.steps).toBe(100);
    // 5 epochs of 20 steps: reads at 2 logging intervals and 5 epoch ends, a few values each
    expect(reads).toBeGreaterThan(0);
    expect(reads, `${reads} host reads in 100 steps`).toBeLessThanOrEqual(7 * 4);
    expect(trainer.logs['train/loss']).toBeGreaterThan(0);
    expect(trainer.logs['train/grad_norm']).toBeGreaterThan(0);
    expect(trainer.logs['train/lr']).toBeGreaterThan(0);
    // the counters were read back at the end: every non-ignored next token, 8 per row
    expect(trainer.state.itemsSeen).toBe(100 * 4 * 8);
    expect(trainer.state.tokensSeen).toBe(100 * 4 * 9);
  });

  it('hooks that read the step\'s loss get it (read on demand), the same as the epoch mean', async () => {
    const losses: number[] = [];
    const reader = new (class extends DefaultHooks {
      override onTrainBatchEnd(_t: unknown, info: engine.StepInfo) { losses.push(info.loss * info.items); }
    })();
    const data = regression(5);
    const result = await new Trainer({ model: model(), task, train: data, callbacks: [reader], config: { maxEpochs: 1, evalAtEpochEnd: false } }).fit();
    const mean = losses.reduce((a, b) => a + b, 0) / result.epochs[0].items;
    expect(mean).toBeCloseTo(result.epochs[0].loss, 5);
  });

  it('warns when updates without a GradScaler had non-finite gradients', async () => {
    const poison = new (class extends DefaultHooks {
      override onAfterBackward(t: engine.TrainerView) {
        if (t.step === 1) (t.model as nn.Sequential).parameters()[0].grad!.fill_(NaN);
      }
    })();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      await new Trainer({ model: model(), task, train: regression(4), callbacks: [poison], config: { maxEpochs: 1, logEveryNSteps: 2, maxConsecutiveNonFinite: 0, evalAtEpochEnd: false, schedule: { name: 'constant' } } }).fit();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => /step 2: the gradients were inf or NaN \(1 update so far, checked at step 2\); without a GradScaler/.test(w)).length).toBe(1);
  });

  it('stops with a NonFiniteError naming the steps after maxConsecutiveNonFinite bad updates in a row', async () => {
    const poison = new (class extends DefaultHooks {
      override onAfterBackward(t: engine.TrainerView) {
        if (t.step >= 4) (t.model as nn.Sequential).parameters()[0].grad!.fill_(NaN);
      }
    })();
    const seen: unknown[] = [];
    const onException = new (class extends DefaultHooks { override onException(_t: unknown, e: unknown) { seen.push(e); } })();
    const trainer = new Trainer({ model: model(), task, train: regression(20), callbacks: [poison, onException],
      config: { maxEpochs: 1, logEveryNSteps: 1, evalAtEpochEnd: false, schedule: { name: 'constant' } } });
    process.on('warning', () => {});
    await expect(trainer.fit()).rejects.toThrow(/training stopped: (the loss and )?the gradients were inf or NaN in 3 consecutive optimizer updates \(the first at step 5; 3 in all by step 7\), at least maxConsecutiveNonFinite \(3\); fix:/);
    expect(trainer.step).toBe(7);
    expect(seen[0]).toBeInstanceOf(engine.NonFiniteError);
    // 0 turns the stop off: the run goes on (and warns)
    const off = new Trainer({ model: model(), task, train: regression(20), callbacks: [poison],
      config: { maxEpochs: 1, maxConsecutiveNonFinite: 0, logEveryNSteps: 1, evalAtEpochEnd: false, schedule: { name: 'constant' } } });
    expect((await off.fit()).steps).toBe(20);
  });
});

describe('short runs with the default schedule', () => {
  it.each([1, 2, 3, 10])('%d steps with OneCycle and warmupRatio 0.1 train with finite weights', async (steps) => {
    const m = model();
    await new Trainer({ model: m, task, train: regression(4), config: { maxSteps: steps, evalAtEpochEnd: false } }).fit();
    expect(m.parameters().every((p) => p.isfinite().all().item())).toBe(true);
  });
});

describe('stopping and starting again', () => {
  it('a fit() after an abort trains again, continuing the interrupted epoch: the same weights as one uninterrupted run', async () => {
    const data = regression(10);
    const straight = model();
    await new Trainer({ model: straight, task, train: data, config: { maxEpochs: 2, evalAtEpochEnd: false, schedule: { name: 'constant' } } }).fit();

    const controller = new AbortController();
    const aborter = new (class extends DefaultHooks {
      override onTrainBatchEnd(_t: unknown, info: engine.StepInfo) { if (info.step === 13) controller.abort(); }
    })();
    const m = model();
    const trainer = new Trainer({ model: m, task, train: data, callbacks: [aborter], config: { maxEpochs: 2, evalAtEpochEnd: false, schedule: { name: 'constant' } } });
    const first = await trainer.fit({ signal: controller.signal });
    expect(first.reason).toBe('aborted');
    expect(first.epochs.map((e) => e.completed)).toEqual([true, false]);
    expect(trainer.state).toMatchObject({ step: 13, epoch: 1, batchInEpoch: 3 });
    const second = await trainer.fit();
    expect(second.reason).toMatch(/maxEpochs \(2\) reached/);
    expect(second.epochs.map((e) => [e.epoch, e.microBatches, e.completed])).toEqual([[1, 7, true]]);
    expect(trainer.state).toMatchObject({ step: 20, epoch: 2, batchInEpoch: 0, microBatches: 20 });
    m.parameters().forEach((p, i) => expect(p.equal(straight.parameters()[i])).toBe(true));
  });

  it('empty training data is a clear error, with or without a length', async () => {
    expect(() => new Trainer({ model: model(), task, train: [], config: { maxEpochs: 1 } })).toThrow(/the training data yields no batch \(its length is 0\).*dropLast/);
    const none = { *[Symbol.iterator]() { /* nothing */ } };
    await expect(new Trainer({ model: model(), task, train: none, config: { maxEpochs: 1, maxSteps: 5 } }).fit()).rejects.toThrow(/epoch 1 had no batches: the training data yields no batch .*dropLast/);
  });

  it('a batch of one through BatchNorm in training is an error naming the layer, the batch size and the fix', async () => {
    torch.manualSeed(1);
    const net = new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.Linear(8, 1));
    const data = [...regression(2, 4), ...regression(1, 1)];
    const trainer = new Trainer({ model: net, task, train: data, config: { maxEpochs: 1, evalAtEpochEnd: false } });
    await expect(trainer.fit()).rejects.toThrow(/layer '1' at step 3, epoch 1: BatchNorm1d\(8\): expected more than 1 value per channel when training, got input size \[1, 8\] \(a batch of 1\); fix: .*dropLast: true/);
    // the running statistics were not touched by the bad batch
    expect(((net.at(1) as nn.BatchNorm1d).runningVar!).isfinite().all().item()).toBe(true);
  });
});

describe('bad labels', () => {
  it('a class id out of range names the field, the class count and the batch', async () => {
    torch.manualSeed(0);
    const cls = { type: 'seq_classification' as const, numClasses: 3, fields: { inputs: 'x', labels: 'labels' } };
    const batches = torch.keep([0, 1].map((i) => ({ x: torch.randn([2, 4]), labels: torch.tensor(i === 1 ? [0, 7] : [1, 2], { dtype: 'int64' }) })));
    const net = new nn.Linear(4, 3);
    await expect(new Trainer({ model: net, task: cls, train: batches, config: { maxEpochs: 1 } }).fit())
      .rejects.toThrow(/batch field 'labels' holds the class id 7, outside \[0, 3\).*\(TaskSpec numClasses 3\).*\(in batch 1 of epoch 1, at step 2\)/);
  });
});
