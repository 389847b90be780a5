// The metrics inside the Trainer: validation reads its device counters once at the end (host
// reads O(1) in the number of batches, not O(N)); validate() gives the TaskSpec's metrics and
// never throughput; the confusion matrix is there for loggers; the training logs carry samples/s,
// the data-wait share and memory.
import { afterEach, describe, expect, it } from 'vitest';
import { type Tensor, engine, nn, torch } from '../../lib/index.js';
import { TaskSpecs } from '../../lib/task/index.js';

const made: unknown[] = [];
afterEach(() => torch.dispose(made.splice(0)));

function batches(n: number, seed = 0): { x: Tensor; labels: Tensor }[] {
  torch.manualSeed(seed);
  const data = torch.scope(() => Array.from({ length: n }, () => ({ x: torch.randn([8, 4]), labels: torch.randint(0, 3, [8]) })));
  made.push(torch.keep(data));
  return data;
}

const task = TaskSpecs.sequenceClassification({ numClasses: 3, fields: { inputs: 'x' }, metrics: ['loss', 'accuracy', 'top2_accuracy', 'f1', 'f1_micro'] });
const model = () => {
  torch.manualSeed(1);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 3));
};

describe('metrics in the Trainer', () => {
  it('validation of N batches reads O(1) values from the device, not O(N)', async () => {
    const trainer = new engine.Trainer({ model: model(), task, train: batches(2), config: { maxSteps: 1 } });
    const readsFor = async (n: number) => {
      const data = batches(n, n);
      const before = torch.hostReads();
      await trainer.validate(data);
      return torch.hostReads() - before;
    };
    await readsFor(1); // warm-up (lazy one-time work)
    const few = await readsFor(2), many = await readsFor(20);
    expect(many).toBe(few);
    expect(few).toBeLessThanOrEqual(2);
  });

  it('validate() gives the TaskSpec\'s metrics (no throughput) and keeps the confusion matrix', async () => {
    const val = batches(5, 3);
    const trainer = new engine.Trainer({ model: model(), task, train: batches(2), val, config: { maxSteps: 1 } });
    expect(trainer.confusionMatrix()).toBeNull();
    const m = await trainer.validate();
    expect(Object.keys(m).sort()).toEqual(['accuracy', 'f1', 'f1_micro', 'loss', 'top2_accuracy']);
    expect(m.f1_micro).toBeCloseTo(m.accuracy, 12); // single-label: micro F1 is accuracy
    const cm = trainer.confusionMatrix()!;
    expect(cm.length).toBe(3);
    expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(40);
    expect(cm.reduce((s, row, i) => s + row[i], 0) / 40).toBeCloseTo(m.accuracy, 12);
    expect(trainer.logs['val/accuracy']).toBe(m.accuracy);
  });

  it('training logs: lr per group, samples/s, data-wait share, memory', async () => {
    // noDecayOnBiasAndNorm makes two parameter groups (with and without weight decay).
    const trainer = new engine.Trainer({ model: model(), task, train: batches(6), config: { maxSteps: 6, logEveryNSteps: 3, schedule: { name: 'constant' }, optimizer: { lr: 0.01, noDecayOnBiasAndNorm: true } } });
    await trainer.fit();
    const logs = trainer.logs;
    expect(logs['train/lr']).toBeCloseTo(0.01, 12);
    expect([logs['train/lr/group_0'], logs['train/lr/group_1']]).toEqual([logs['train/lr'], logs['train/lr']]);
    expect(logs['train/samples_per_sec']).toBeGreaterThan(0);
    expect(logs['train/throughput']).toBeGreaterThan(0);
    expect(logs['train/data_wait_fraction']).toBeGreaterThanOrEqual(0);
    expect(logs['train/data_wait_fraction']).toBeLessThanOrEqual(1);
    expect(logs['train/memory/rss_bytes']).toBeGreaterThan(1e6);
    expect(logs['train/memory/tensor_bytes']).toBeGreaterThan(0);
    // seq_classification is a text task: its inputs [8, 4] are 4 tokens per sample.
    expect(logs['train/tokens_per_sec']).toBeCloseTo(4 * logs['train/samples_per_sec'], 6);
  });
});
