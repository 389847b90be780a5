import { describe, expect, it } from 'vitest';
import { data, torch, Tensor, TaskSpecs } from '../../lib/index.js';

const VOCAB = 1000;
const PAD = 0;
const CLS = 1;
const SEP = 2;
const MASK = 3;

/** Sentences of ids in [10, VOCAB), framed by [CLS] ... [SEP], of varied lengths (so the batch pads). */
function sentences(count: number, seed: number): { input_ids: number[] }[] {
  const rng = new data.SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const len = 20 + rng.nextInt(60);
    return { input_ids: [CLS, ...Array.from({ length: len }, () => 10 + rng.nextInt(VOCAB - 10)), SEP] };
  });
}

type MlmBatch = { input_ids: Tensor; labels: Tensor; attention_mask: Tensor };

function flat(t: Tensor): number[] {
  return (t.tolist() as number[][]).flat();
}

describe('maskedLmCollate', () => {
  const options = { maskTokenId: MASK, vocabSize: VOCAB, padTokenId: PAD, specialTokenIds: [CLS, SEP], seed: 1234 };

  it('selects ~15% of real tokens and splits them ~80/10/10; labels hold the originals, -100 elsewhere', async () => {
    const samples = sentences(400, 7);
    const batch = (await data.maskedLmCollate(options)(samples, { epoch: 0 })) as unknown as MlmBatch;
    const ids = flat(batch.input_ids);
    const labels = flat(batch.labels);
    const mask = flat(batch.attention_mask);
    const width = batch.input_ids.shape[1]!;
    const original = samples.flatMap((s) => [...s.input_ids, ...Array(width - s.input_ids.length).fill(PAD)]);
    const candidates = original.filter((id, i) => mask[i] === 1 && id !== CLS && id !== SEP).length;
    let selected = 0;
    let masked = 0;
    let random = 0;
    let kept = 0;
    labels.forEach((label, i) => {
      if (label === -100) {
        expect(ids[i]).toBe(original[i]); // unselected positions are untouched
        return;
      }
      selected++;
      expect(label).toBe(original[i]);
      if (ids[i] === MASK) masked++;
      else if (ids[i] === original[i]) kept++;
      else random++;
    });
    expect(candidates).toBeGreaterThan(15_000);
    const share = selected / candidates;
    expect(share).toBeGreaterThan(0.14);
    expect(share).toBeLessThan(0.16);
    expect(masked / selected).toBeGreaterThan(0.77);
    expect(masked / selected).toBeLessThan(0.83);
    // A random replacement equal to the original (1 in 990) counts as kept: the shares stay ~10%.
    expect(random / selected).toBeGreaterThan(0.08);
    expect(random / selected).toBeLessThan(0.12);
    expect(kept / selected).toBeGreaterThan(0.08);
    expect(kept / selected).toBeLessThan(0.12);
  });

  it('never selects padding, special tokens or tokens already [MASK]', async () => {
    const samples = [
      { input_ids: [CLS, MASK, MASK, SEP] },
      { input_ids: [CLS, SEP] },
      ...Array.from({ length: 50 }, (_, i) => ({ input_ids: [CLS, 10 + i, 11 + i, 12 + i, SEP] })),
    ];
    const collate = data.maskedLmCollate({ ...options, maskProbability: 0.9 });
    for (let round = 0; round < 5; round++) {
      const batch = (await collate(samples, { epoch: round })) as unknown as MlmBatch;
      const labels = batch.labels.tolist() as number[][];
      const mask = batch.attention_mask.tolist() as number[][];
      samples.forEach((s, b) => {
        labels[b]!.forEach((label, t) => {
          const id = s.input_ids[t];
          if (mask[b]![t] === 0 || id === CLS || id === SEP || id === MASK) expect(label).toBe(-100);
        });
      });
      expect(labels.slice(0, 2).flat().every((l) => l === -100)).toBe(true);
      expect(labels.flat().filter((l) => l !== -100).length).toBeGreaterThan(100); // at 0.9, most real tokens
    }
  });

  it('is deterministic: by its own seed, or by torch.manualSeed without one', async () => {
    const samples = sentences(20, 3);
    const run = async (collate: data.CollateFn<{ input_ids: number[] }>) => flat(((await collate(samples, { epoch: 0 })) as unknown as MlmBatch).input_ids);
    expect(await run(data.maskedLmCollate(options))).toEqual(await run(data.maskedLmCollate(options)));
    const seeded = data.maskedLmCollate(options);
    expect(await run(seeded)).not.toEqual(await run(seeded)); // the generator advances batch by batch
    const unseeded = { ...options, seed: undefined };
    torch.manualSeed(5);
    const a = await run(data.maskedLmCollate(unseeded));
    torch.manualSeed(5);
    expect(await run(data.maskedLmCollate(unseeded))).toEqual(a);
  });

  it('takes a TaskSpec, works in a DataLoader, and checks its inputs', async () => {
    const task = TaskSpecs.maskedLm({ vocabSize: VOCAB, maskTokenId: MASK, padTokenId: PAD });
    const loader = new data.DataLoader(new data.InMemoryDataset(sentences(10, 1)), { batchSize: 4, collate: data.maskedLmCollate({ task, specialTokenIds: [CLS, SEP], seed: 0 }) });
    const batches: MlmBatch[] = [];
    for await (const b of loader) batches.push(b as unknown as MlmBatch);
    expect(batches.map((b) => b.input_ids.shape[0])).toEqual([4, 4, 2]);
    expect(batches[0]!.labels.dtype).toBe('int64');
    expect(() => data.maskedLmCollate({ maskTokenId: 5, vocabSize: 5 })).toThrow(/maskTokenId must be below vocabSize/);
    expect(() => data.maskedLmCollate({ vocabSize: 5 })).toThrow(/maskTokenId/);
    await expect(async () => data.maskedLmCollate(options)([{ input_ids: [5], labels: [5] }], { epoch: 0 })).rejects.toThrow(/already has a 'labels' field/);
  });
});
