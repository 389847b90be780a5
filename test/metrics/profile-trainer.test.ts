// The Trainer's data profiles: made at fit start from a DataLoader's dataset or an array of
// batches, on trainer.dataProfiles and on the TrainerView hooks see (already in onFitStart), a
// console warning per drifted feature, off with config.profileData: false, a sample size from
// { maxSamples }, and libtorch's RNG left as it was (a dataset's random augmentation included).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Tensor, data, engine, metrics, nn, torch } from '../../lib/index.js';
import { type TrainerView } from '../../lib/engine/hooks.js';
import { parseTaskSpec } from '../../lib/task/spec.js';

afterEach(() => vi.restoreAllMocks());

/** Batches of 16 rows of 2 features around `centre`, labels 0..2. */
function batches(n: number, centre: number, seed: number): { x: Tensor; labels: Tensor }[] {
  const rng = new data.SeededRandom(seed);
  return torch.keep(Array.from({ length: n }, () => {
    const labels = Array.from({ length: 16 }, () => rng.nextInt(3));
    return { x: torch.tensor(labels.map((c) => [centre + c + rng.nextFloat(), centre - c + rng.nextFloat()])), labels: torch.tensor(labels, { dtype: 'int64' }) };
  }));
}

const task = { type: 'seq_classification' as const, numClasses: 3, fields: { inputs: 'x', labels: 'labels' } };
const model = () => new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 3));

describe('Trainer data profiles', () => {
  it('profiles train and val at fit start, shows them to hooks, and warns once per drifted feature', async () => {
    const train = batches(20, 0, 1), val = batches(20, 3, 2);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    let seen: TrainerView['dataProfiles'];
    const probe = new (class extends engine.DefaultHooks {
      override onFitStart(t: TrainerView): void { seen = t.dataProfiles; }
    })();
    const trainer = new engine.Trainer({ model: model(), task, config: { maxEpochs: 1, device: 'cpu' }, train, val, callbacks: [probe] });
    expect(trainer.dataProfiles).toBeUndefined();
    await trainer.fit();
    const p = trainer.dataProfiles!;
    expect(seen).toBe(p);
    expect(p.train).toMatchObject({ items: 320, profiled: 320, sampled: false });
    expect(p.train!.features.map((f) => f.name)).toEqual(['x[0]', 'x[1]', 'labels']);
    expect(p.val!.features.map((f) => f.name)).toEqual(['x[0]', 'x[1]', 'labels']);
    expect(p.drift!.flagged).toEqual(['x[0]', 'x[1]']);
    const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('data drift'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/data drift: value of 'x' in val vs train: PSI [\d.]+ \(a significant shift\), JS [\d.]+.*validation metrics may not reflect/);
    torch.dispose([train, val]);
  });

  it('is off with profileData: false, and samples { maxSamples } items of a DataLoader\'s dataset', async () => {
    const x = torch.keep(torch.randn([400, 2])), y = torch.keep(torch.randint(0, 3, [400]));
    const loader = () => new data.DataLoader(new data.TensorDataset({ x, labels: y }), { batchSize: 50 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const off = new engine.Trainer({ model: model(), task, config: { maxSteps: 2, device: 'cpu', profileData: false }, train: loader(), val: loader() });
    await off.fit();
    expect(off.dataProfiles).toBeUndefined();
    const on = new engine.Trainer({ model: model(), task, config: { maxSteps: 2, device: 'cpu', profileData: { maxSamples: 100 } }, train: loader(), val: loader() });
    await on.fit();
    expect(on.dataProfiles!.train).toMatchObject({ items: 400, profiled: 100, sampled: true, sampling: 'random' });
    expect(on.dataProfiles!.drift!.flagged).toEqual([]);   // the same data
    expect(warn.mock.calls.filter((c) => String(c[0]).includes('data drift'))).toEqual([]);
    expect(() => new engine.Trainer({ model: model(), task, config: { maxSteps: 1, profileData: { maxSamples: 0 } }, train: loader() })).toThrow(/profileData\.maxSamples/);
    // profiles made before (the CLI's check phase) are taken as they are, not made again
    const given = on.dataProfiles!;
    const reused = new engine.Trainer({ model: model(), task, config: { maxSteps: 2, device: 'cpu' }, train: loader(), val: loader() });
    await reused.fit({ dataProfiles: given });
    expect(reused.dataProfiles).toBe(given);
    torch.dispose([x, y]);
  });

  it('leaves libtorch\'s random generator as it found it, even when the dataset draws random numbers', async () => {
    const augmenting = { length: 50, get: (i: number) => ({ x: torch.rand([2]).add(i), labels: i % 3 }) };
    torch.manualSeed(5);
    const expected = torch.rand([3]).tolist();
    torch.manualSeed(5);
    const p = await metrics.profileTrainingData({ dataset: augmenting }, undefined, parseTaskSpec(task), true, 0);
    expect(torch.rand([3]).tolist()).toEqual(expected);
    expect(p!.train!.profiled).toBe(50);
    expect(p!.val).toBeUndefined();
  });

  it('notes a source it cannot read twice (a generator) instead of consuming it', async () => {
    const spec = parseTaskSpec(task);
    function* gen() { yield { x: torch.zeros([1, 2]), labels: torch.zeros([1], { dtype: 'int64' }) }; }
    const p = await metrics.profileTrainingData(gen(), undefined, spec, true, 0);
    expect(p!.train).toMatchObject({ profiled: 0, sampling: 'none' });
    expect(p!.train!.notes[0]).toMatch(/generator can be read only once/);
  });
});
