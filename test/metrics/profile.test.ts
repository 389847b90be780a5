// computeDatasetProfile on real data (MNIST digits, Moby-Dick, SpamAssassin from the examples'
// datasets; the data tests' ToyDataset) and on small made-up sets for each field kind: what it
// counts, that sampling is seeded and without replacement, and that two samples of one real
// dataset show no drift while a changed copy does. Token counts are checked against Python's
// collections.Counter over the same items.
import { afterAll, describe, expect, it } from 'vitest';
import { data, metrics, torch } from '../../lib/index.js';
import { type CategoricalFeatureProfile, type DatasetProfile, type NumericFeatureProfile } from '../../lib/metrics/profile-types.js';
import { imageDataset, mnistSplit, mobyDick, spamAssassin } from '../../examples/datasets.js';
import { ToyDataset } from '../data/fixtures/toy-datasets.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());
const quiet = { progress: false } as const;
const feature = <T extends 'numeric' | 'categorical'>(p: DatasetProfile, name: string, _kind: T) =>
  p.features.find((f) => f.name === name) as T extends 'numeric' ? NumericFeatureProfile : CategoricalFeatureProfile;

describe('computeDatasetProfile on real data', () => {
  it('MNIST digits: sampled, pixel statistics, the label distribution; no drift between train and held-out, drift for inverted images', async () => {
    const { train, test } = mnistSplit({ heldOutPerClass: 100 });
    try {
      const task = { type: 'image_classification' as const, numClasses: 10 };
      const a = await metrics.computeDatasetProfile(imageDataset(train), task, { ...quiet, maxSamples: 2000, seed: 7 });
      expect(a).toMatchObject({ items: 9000, profiled: 2000, sampled: true, sampling: 'random', seed: 7 });
      expect(a.notes.join()).toMatch(/seeded random sample \(seed 7\) of 2000 of the 9000 items/);
      expect(a.fields.map((f) => [f.name, f.kind, f.present, f.missing, f.dtype, f.shape])).toEqual([
        ['pixel_values', 'image', 2000, 0, 'float32', [1, 28, 28]], ['labels', 'label', 2000, 0, 'number', []]]);
      const labels = feature(a, 'labels', 'categorical');
      expect(labels.categories).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(labels.counts.reduce((x, y) => x + y, 0)).toBe(2000);
      // every held-out digit is read: its pixel statistics are the tensor's own
      const b = await metrics.computeDatasetProfile(imageDataset(test), task, { ...quiet, reference: a });
      expect(b).toMatchObject({ items: 1000, profiled: 1000, sampled: false, sampling: 'all' });
      const pixels = feature(b, 'pixel_values.mean', 'numeric').pixels!;
      expect(pixels.mean).toBeCloseTo(test.images.mean().item(), 5);
      expect(pixels.std).toBeCloseTo(test.images.std(undefined, { correction: 0 }).item(), 4);
      expect(feature(b, 'labels', 'categorical').counts).toEqual(Array(10).fill(100));
      expect(metrics.compareProfiles(a, b).flagged).toEqual([]);
      const inverted = { length: 1000, get: (i: number) => ({ pixel_values: test.images.index(i).neg().add(1), labels: test.labels[i]! }) };
      const c = await metrics.computeDatasetProfile(inverted, task, { ...quiet, reference: a });
      expect(metrics.compareProfiles(a, c).flagged).toEqual(['pixel_values.mean']);
    } finally {
      torch.dispose([train.images, test.images]);
    }
  });

  it('Moby-Dick: sequence lengths and the top token ids (as Python counts them); two halves of the book do not drift apart', async () => {
    const text = mobyDick();
    const tokenizer = new data.CharTokenizer(text);
    const half = Math.floor(text.length / 2);
    const corpus = (t: string) => new data.TextCorpus(t, { blockSize: 64, tokenizer, labels: 'next-token' });
    const task = { type: 'causal_lm' as const, vocabSize: tokenizer.vocabSize };
    const first = corpus(text.slice(0, half)), second = corpus(text.slice(half));
    const a = await metrics.computeDatasetProfile(first, task, { ...quiet, maxSamples: 1500, topTokens: 20 });
    const b = await metrics.computeDatasetProfile(second, task, { ...quiet, maxSamples: 1500, topTokens: 20, reference: a });
    expect(a.sampled).toBe(true);
    const lengths = feature(a, 'input_ids.length', 'numeric');
    expect([lengths.mean, lengths.std, lengths.min, lengths.max]).toEqual([64, 0, 64, 64]);
    expect(a.fields.find((f) => f.name === 'labels')?.note).toMatch(/language-model labels/);
    const tokens = feature(a, 'input_ids.tokens', 'categorical');
    expect(tokens.total).toBe(1500 * 64);
    expect(tokens.categories).toHaveLength(20);
    if (py) {
      const ids = metrics.sampleIndices(first.length, 1500, 0).flatMap((i) => [...first.get(i).input_ids]);
      const theirs = await py.run<[number, number][]>('import collections\nout = [[k, v] for k, v in collections.Counter(ids).most_common()]', { ids });
      const counts = new Map(theirs);
      tokens.categories.forEach((id, i) => expect(tokens.counts[i], `token ${id}`).toBe(counts.get(Number(id))));
      expect(tokens.counts[0]).toBe(theirs[0]![1]);
      expect(tokens.distinct).toBe(theirs.length);
    }
    expect(metrics.compareProfiles(a, b).flagged).toEqual([]);
  });

  it('SpamAssassin: text lengths and the spam share; a random split does not drift, ham against spam does', async () => {
    const emails = spamAssassin();
    const task = { type: 'seq_classification' as const, numClasses: 2, fields: { inputs: 'text', labels: 'spam' } };
    const order = new data.SeededRandom(3).permutation(emails.length).map((i) => emails[i]!);
    const a = await metrics.computeDatasetProfile(order.slice(0, 3000), task, quiet);
    const b = await metrics.computeDatasetProfile(order.slice(3000), task, { ...quiet, reference: a });
    expect(a.fields.map((f) => [f.name, f.kind])).toEqual([['text', 'text'], ['spam', 'label']]);
    const spam = feature(a, 'spam', 'categorical');
    expect(spam.counts[1]).toBe(order.slice(0, 3000).filter((e) => e.spam === 1).length);
    expect(feature(a, 'text.length', 'numeric').max).toBe(Math.max(...order.slice(0, 3000).map((e) => e.text.length)));
    expect(metrics.compareProfiles(a, b).flagged).toEqual([]);
    const hamOnly = await metrics.computeDatasetProfile(emails.filter((e) => e.spam === 0), task, { ...quiet, reference: a });
    expect(metrics.compareProfiles(a, hamOnly).flagged).toContain('spam');
  });

  it('the data tests\' ToyDataset: async get, nested fields, bigints, booleans, strings, empty sequences', async () => {
    const ds = new ToyDataset(60, 7, 5);
    const p = await metrics.computeDatasetProfile(ds, { type: 'seq_classification', numClasses: 3 }, quiet);
    expect(p.fields.map((f) => [f.name, f.kind, f.empty])).toEqual([
      ['input_ids', 'tokens', 12], ['labels', 'label', 0], ['weight', 'numeric', 0], ['meta.id', 'auxiliary', 0], ['meta.even', 'numeric', 0], ['name', 'text', 0]]);
    expect(p.fields.find((f) => f.name === 'meta.id')?.note).toMatch(/not profiled/);   // ids say nothing about the data
    expect(feature(p, 'weight', 'numeric').max).toBe(5.9);
    expect(feature(p, 'meta.even', 'numeric').mean).toBe(0.5);
    expect(feature(p, 'labels', 'categorical').counts).toEqual([20, 20, 20]);
    expect(feature(p, 'input_ids.length', 'numeric').min).toBe(0);
  });
});

describe('computeDatasetProfile: fields, sampling, streams', () => {
  it('samples without replacement, seeded, and reads everything when the dataset is small', () => {
    const s = metrics.sampleIndices(10_000, 500, 1);
    expect(new Set(s).size).toBe(500);
    expect([...s].sort((x, y) => x - y)).toEqual(s);
    expect(s.every((i) => i >= 0 && i < 10_000)).toBe(true);
    expect(metrics.sampleIndices(10_000, 500, 1)).toEqual(s);
    expect(metrics.sampleIndices(10_000, 500, 2)).not.toEqual(s);
    expect(metrics.sampleIndices(5, 500, 1)).toEqual([0, 1, 2, 3, 4]);
  });

  it('counts missing, null and all-padding fields; lengths leave padding out', async () => {
    const items = [
      { input_ids: [5, 6, 0, 0], labels: 1, extra: 2.5 },
      { input_ids: [0, 0, 0, 0], labels: 0, extra: null },
      { input_ids: [7, 0, 0, 0], labels: 1 },
      { input_ids: [], labels: -100, extra: 1 },
    ];
    const p = await metrics.computeDatasetProfile(items, { type: 'seq_classification', numClasses: 2, padTokenId: 0 }, quiet);
    expect(p.fields.map((f) => [f.name, f.present, f.missing, f.empty])).toEqual([['input_ids', 4, 0, 2], ['labels', 4, 0, 0], ['extra', 2, 2, 0]]);
    expect(feature(p, 'input_ids.length', 'numeric')).toMatchObject({ count: 4, min: 0, max: 2, mean: 0.75 });
    expect(feature(p, 'input_ids.tokens', 'categorical')).toMatchObject({ total: 3, categories: ['5', '6', '7'], counts: [1, 1, 1] });
    expect(feature(p, 'labels', 'categorical')).toMatchObject({ counts: [1, 2], ignored: 1, total: 3 });
  });

  it('per task: multi-label positives, regression targets, token labels without the ignore index, tabular columns', async () => {
    const multi = await metrics.computeDatasetProfile([{ features: [1, 2], labels: [1, 0, 1] }, { features: [3, 4], labels: [0, 0, 1] }],
      { type: 'multilabel_classification', numClasses: 3 }, quiet);
    expect(feature(multi, 'labels', 'categorical')).toMatchObject({ measure: 'multilabel', counts: [1, 0, 2] });
    expect(multi.features.map((f) => f.name)).toEqual(['features[0]', 'features[1]', 'labels']);
    const reg = await metrics.computeDatasetProfile([{ features: Float32Array.of(1), labels: 2 }, { features: Float32Array.of(3), labels: 4 }], { type: 'regression' }, quiet);
    expect(feature(reg, 'labels', 'numeric')).toMatchObject({ measure: 'target', mean: 3 });
    const tok = await metrics.computeDatasetProfile([{ input_ids: [1, 2, 3], labels: [-100, 4, 1] }], { type: 'token_classification', numClasses: 5 }, quiet);
    expect(feature(tok, 'labels', 'categorical')).toMatchObject({ measure: 'token_label', counts: [0, 1, 0, 0, 1], ignored: 1 });
  });

  it('a stream is profiled by its first items and says so', async () => {
    const stream = { async *[Symbol.asyncIterator]() { for (let i = 0; i < 100; i++) yield { x: i }; } };
    const p = await metrics.computeDatasetProfile(stream, { type: 'regression', fields: { inputs: 'x' } }, { ...quiet, maxSamples: 30 });
    expect(p).toMatchObject({ items: null, profiled: 30, sampled: true, sampling: 'head' });
    expect(p.notes.join()).toMatch(/first 30 items \(not a random sample/);
    const all = await metrics.computeDatasetProfile(stream, { type: 'regression', fields: { inputs: 'x' } }, quiet);
    expect(all).toMatchObject({ items: 100, profiled: 100, sampled: false, sampling: 'all' });
  });

  it('a TensorDataset: tuple rows named by the TaskSpec, its row views freed with each chunk', async () => {
    torch.manualSeed(0);
    const x = torch.keep(torch.randn([300, 3])), y = torch.keep(torch.randint(0, 2, [300]));
    const before = torch.memory().tensors;
    const p = await metrics.computeDatasetProfile(new data.TensorDataset(x, y), { type: 'seq_classification', numClasses: 2, fields: { inputs: 'x' } }, quiet);
    expect(torch.memory().tensors).toBe(before);
    expect(p.fields.map((f) => [f.name, f.kind, f.dtype])).toEqual([['x', 'columns', 'float32'], ['labels', 'label', 'int64']]);
    expect(feature(p, 'x[1]', 'numeric').mean).toBeCloseTo(x.select(1, 1).mean().item(), 5);
    torch.dispose([x, y]);
  });

  it('refuses bad options and non-datasets with what to fix', async () => {
    await expect(metrics.computeDatasetProfile([], { type: 'regression' }, { maxSample: 10 } as never)).rejects.toThrow(/maxSample/);
    await expect(metrics.computeDatasetProfile([], { type: 'regression' }, { bins: 1 })).rejects.toThrow(/bins/);
    await expect(metrics.computeDatasetProfile(42 as never, { type: 'regression' })).rejects.toThrow(/expected a dataset/);
  });
});
