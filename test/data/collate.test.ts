import { afterEach, describe, expect, it, vi } from 'vitest';
import { data, torch, Tensor, TaskSpecs } from '../../lib/index.js';

const { defaultCollate, DataError } = data;

type B = Record<string, Tensor & Record<string, unknown>>;
const collate = (samples: unknown[], options: data.CollateOptions = {}) => defaultCollate(samples, options) as unknown as B;

afterEach(() => vi.restoreAllMocks());

describe('defaultCollate: dtype rules', () => {
  it('stacks scalars: id fields int64, other numbers float32, booleans bool, bigints int64, strings listed', () => {
    const b = collate([
      { labels: 1, score: 0.5, flag: true, big: 5n, name: 'a' },
      { labels: 2, score: 1.5, flag: false, big: 6n, name: 'b' },
    ]);
    expect(b.labels!.dtype).toBe('int64');
    expect(b.labels!.tolist()).toEqual([1, 2]);
    expect(b.score!.dtype).toBe('float32');
    expect(b.score!.tolist()).toEqual([0.5, 1.5]);
    expect(b.flag!.dtype).toBe('bool');
    expect(b.big!.dtype).toBe('int64');
    expect(b.big!.tolist()).toEqual([5, 6]);
    expect(b.name).toEqual(['a', 'b']);
  });

  it('typed arrays keep their kind: Float32 float32, Float64 float64, Uint8 uint8, other integers int64', () => {
    const b = collate([
      { f: new Float32Array([1, 2]), d: new Float64Array([1, 2]), u: new Uint8Array([1, 255]), i: new Int32Array([3, 4]), l: new BigInt64Array([1n, 2n]) },
      { f: new Float32Array([3, 4]), d: new Float64Array([3, 4]), u: new Uint8Array([0, 7]), i: new Int32Array([5, 6]), l: new BigInt64Array([3n, 4n]) },
    ]);
    expect([b.f!.dtype, b.d!.dtype, b.u!.dtype, b.i!.dtype, b.l!.dtype]).toEqual(['float32', 'float64', 'uint8', 'int64', 'int64']);
    expect(b.u!.tolist()).toEqual([[1, 255], [0, 7]]);
    expect(b.l!.shape).toEqual([2, 2]);
  });

  it('labels are float32 for a regression task, int64 for classification; dtypes override everything', () => {
    const samples = [{ features: [1, 2], labels: 0.5 }, { features: [3, 4], labels: 2 }];
    expect(collate(samples, { task: TaskSpecs.regression() }).labels!.dtype).toBe('float32');
    expect(collate([{ labels: 1 }, { labels: 0 }], { task: TaskSpecs.sequenceClassification({ numClasses: 2 }) }).labels!.dtype).toBe('int64');
    const b = collate(samples, { task: TaskSpecs.regression(), dtypes: { labels: 'float64', features: 'float16' } });
    expect(b.labels!.dtype).toBe('float64');
    expect(b.features!.dtype).toBe('float16');
  });

  it('nested dicts and nested arrays become nested batches and higher-rank tensors', () => {
    const b = collate([
      { image: { pixels: [[1, 2], [3, 4]], size: 2 } },
      { image: { pixels: [[5, 6], [7, 8]], size: 2 } },
    ]) as unknown as { image: { pixels: Tensor; size: Tensor } };
    expect(b.image.pixels.shape).toEqual([2, 2, 2]);
    expect(b.image.pixels.dtype).toBe('float32');
    expect(b.image.size.tolist()).toEqual([2, 2]);
  });

  it('tensor samples are stacked; tuple samples (TensorDataset rows) are collated per position', () => {
    torch.scope(() => {
      const x = torch.arange(12).reshape(4, 3).float();
      const y = torch.tensor([0, 1, 0, 1], { dtype: 'int64' });
      const ds = new data.TensorDataset(x, y);
      const [bx, by] = defaultCollate([ds.get(0), ds.get(2)]) as Tensor[];
      expect(bx!.tolist()).toEqual([[0, 1, 2], [6, 7, 8]]);
      expect(by!.tolist()).toEqual([0, 0]);
      const stacked = defaultCollate([x.index(0), x.index(1)]) as Tensor;
      expect(stacked.shape).toEqual([2, 3]);
      expect(() => defaultCollate([x.index(0), torch.zeros([4])])).toThrow(/sample 1 is a float32 tensor of shape \[4\] but the first is float32 \[3\]/);
    });
  });
});

describe('defaultCollate: padding and attention masks', () => {
  const samples = [
    { input_ids: [5, 6, 7], labels: [1, 2, 3] },
    { input_ids: [8], labels: [4] },
    { input_ids: [9, 10], labels: [5, 6] },
  ];

  it('pads inputs with padTokenId, labels with ignoreIndex, and builds the mask', () => {
    const b = collate(samples, { padTokenId: 0 });
    expect(b.input_ids!.tolist()).toEqual([[5, 6, 7], [8, 0, 0], [9, 10, 0]]);
    expect(b.labels!.tolist()).toEqual([[1, 2, 3], [4, -100, -100], [5, 6, -100]]);
    expect(b.attention_mask!.tolist()).toEqual([[1, 1, 1], [1, 0, 0], [1, 1, 0]]);
    expect(b.attention_mask!.dtype).toBe('int64');
    expect(Object.keys(b)).toEqual(['input_ids', 'attention_mask', 'labels']);
  });

  it('padToMultipleOf, left padding, and a TaskSpec supplying pad ids and field names', () => {
    const b = collate(samples, { padTokenId: 0, padToMultipleOf: 4, paddingSide: 'left', ignoreIndex: -1 });
    expect(b.input_ids!.tolist()).toEqual([[0, 5, 6, 7], [0, 0, 0, 8], [0, 0, 9, 10]]);
    expect(b.labels!.tolist()).toEqual([[-1, 1, 2, 3], [-1, -1, -1, 4], [-1, -1, 5, 6]]);
    expect(b.attention_mask!.tolist()).toEqual([[0, 1, 1, 1], [0, 0, 0, 1], [0, 0, 1, 1]]);
    const task = TaskSpecs.tokenClassification({ numClasses: 7, padTokenId: 3, fields: { inputs: 'tokens', labels: 'tags', attentionMask: 'mask' } });
    const t = collate([{ tokens: [1, 2], tags: [0, 1] }, { tokens: [4], tags: [2] }], { task });
    expect(t.tokens!.tolist()).toEqual([[1, 2], [4, 3]]);
    expect(t.tags!.tolist()).toEqual([[0, 1], [2, -100]]);
    expect(t.mask!.tolist()).toEqual([[1, 1], [1, 0]]);
  });

  it('keeps a mask the samples bring (padding it with 0) and pads other fields given padValues', () => {
    const b = collate([
      { input_ids: [1, 2], attention_mask: [1, 1], pos: [0.5, 0.25] },
      { input_ids: [3], attention_mask: [1], pos: [0.75] },
    ], { padTokenId: 0, padValues: { pos: -1 } });
    expect(b.attention_mask!.tolist()).toEqual([[1, 1], [1, 0]]);
    expect(b.pos!.tolist()).toEqual([[0.5, 0.25], [0.75, -1]]);
  });

  it('pads 2-D sequences along their first dimension', () => {
    const b = collate([{ frames: [[1, 2], [3, 4], [5, 6]] }, { frames: [[7, 8]] }], { padValues: { frames: 0 } });
    expect(b.frames!.shape).toEqual([2, 3, 2]);
    expect(b.frames!.tolist()).toEqual([[[1, 2], [3, 4], [5, 6]], [[7, 8], [0, 0], [0, 0]]]);
  });

  it('unequal lengths that cannot be padded are an error naming field, samples and lengths (never a stack crash)', () => {
    expect(() => collate(samples)).toThrow(DataError);
    expect(() => collate(samples)).toThrow(/field 'input_ids': sample 1 has length 1 but sample 0 has length 3.*no padTokenId is set; fix: pass padTokenId/);
    expect(() => collate([{ x: [1, 2] }, { x: [1] }], { indices: [40, 41] })).toThrow(/field 'x': sample 1 \(dataset index 41\) has length 1 but sample 0 \(dataset index 40\) has length 2.*padValues: \{ 'x': <value> \}/);
    expect(() => collate([{ x: [[1, 2]] }, { x: [[1, 2, 3]] }])).toThrow(/sample 1 has shape \[1, 3\] but sample 0 has \[1, 2\]; only the first dimension can be padded/);
    expect(() => collate([{ x: [[1, 2], [3]] }])).toThrow(/sample 0 is ragged/);
    try {
      collate(samples);
    } catch (e) {
      expect((e as InstanceType<typeof DataError>).field).toBe('input_ids');
      expect((e as InstanceType<typeof DataError>).sampleIndex).toBe(1);
    }
  });
});

describe('defaultCollate: bad and empty samples', () => {
  it('a missing field, an extra field, a wrong type or NaN is an error naming the sample and the field', () => {
    expect(() => collate([{ a: 1, b: 2 }, { a: 1 }])).toThrow(/field 'b': sample 1 has no value \(sample 0 has one\)/);
    expect(() => collate([{ a: 1 }, { a: 1, c: 3 }])).toThrow(/field 'c': sample 1 has this field but sample 0 does not/);
    expect(() => collate([{ a: 1 }, { a: 'x' }])).toThrow(/field 'a': sample 1 is a string but sample 0 is a number/);
    expect(() => collate([{ a: 1 }, { a: Number.NaN }], { indices: [3, 9] })).toThrow(/field 'a': sample 1 \(dataset index 9\) has NaN/);
    expect(() => collate([{ a: [1, 2] }, { a: [3, Number.NaN] }])).toThrow(/field 'a': sample 1 has NaN at \[1\]/);
    expect(() => collate([{ a: new Float32Array([1, Number.NaN]) }])).toThrow(/has NaN at \[1\]/);
    expect(() => collate([{ input_ids: [1, 2.5] }])).toThrow(/field 'input_ids': sample 0 has 2.5 at \[1\], not an integer, but the field is int64 \(an id field\)/);
    expect(() => collate([{ a: () => 1 }])).toThrow(/field 'a': sample 0 is a function, which cannot be collated/);
    expect(() => collate([{ a: [1, 'x'] }])).toThrow(/field 'a': sample 0 holds a string at \[1\]/);
    expect(() => collate([{ m: { k: 1 } }, { m: { k: null } }])).toThrow(/field 'm.k': sample 1 has no value \(null\)/);
  });

  it('drops empty samples with a counted warning; all-empty is an error', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const b = collate([{ input_ids: [1, 2] }, { input_ids: [] }, { input_ids: [3] }, { input_ids: new Int32Array(0) }], { padTokenId: 0 });
    expect(b.input_ids!.tolist()).toEqual([[1, 2], [3, 0]]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/collate dropped 2 empty sample\(s\) of 4 \(zero-length input_ids; e.g. batch position 1\)/);
    expect(() => collate([{ input_ids: [] }])).toThrow(/all 1 samples are empty/);
    const kept = collate([{ input_ids: [1, 2] }, { input_ids: [] }], { padTokenId: 0, filterEmpty: false });
    expect(kept.attention_mask!.tolist()).toEqual([[1, 1], [0, 0]]);
  });

  it('checks its options', () => {
    expect(() => collate([{ a: 1 }], { padToMultipleOf: 0 } as data.CollateOptions)).toThrow(/padToMultipleOf/);
    expect(() => collate([{ a: 1 }], { dtypes: { a: 'float8' } } as unknown as data.CollateOptions)).toThrow(/dtypes.a/);
  });
});

describe('collate refuses values its dtype cannot hold', () => {
  it('a label of 300 in an int8 field is an error naming the field, not 44', () => {
    expect(() => collate([{ labels: 300 }], { dtypes: { labels: 'int8' } })).toThrow(/labels.*has 300.*does not fit int8/);
    expect(() => collate([{ ids: 2n ** 40n }], { dtypes: { ids: 'int32' } })).toThrow(/ids.*does not fit int32/);
    expect(collate([{ labels: 127 }], { dtypes: { labels: 'int8' } }).labels.tolist()).toEqual([127]);
  });
});
