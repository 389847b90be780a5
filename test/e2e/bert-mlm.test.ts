// End to end: a BERT-style masked language model (models.Bert's MLM head) trained by the Trainer
// on the characters of Moby-Dick, with BERT's masking (data.maskedLmCollate: 15% of the
// characters selected; of those 80% [MASK], 10% a random character, 10% kept), validated on the
// held-out last 10% of the book with a fixed masking seed, so before and after see the same masks.
//
// The bounds, on the held-out masked characters: the loss falls from about ln 84 = 4.43 (before
// training) to below 2.5 nats, and at least 35% of them are predicted exactly. Without context
// the best one can do is the unigram entropy of the text, 3.10 nats, and 16% right (always a
// space). It reaches about 2.0 nats and 42% in 1,000 steps (~25 s).
import { describe, expect, it } from 'vitest';
import { TaskSpecs, Trainer, data, models, torch } from '../../lib/index.js';
import { mobyDick } from '../../examples/datasets.js';

torch.setNumThreads(1);

const LOSS_BOUND = 2.5;
const ACCURACY_BOUND = 0.35;

describe('e2e: BERT masked LM on Moby-Dick characters', () => {
  it(`masked-token loss falls below ${LOSS_BOUND} nats with at least ${ACCURACY_BOUND * 100}% of masked characters right`, async () => {
    const text = mobyDick();
    const tokenizer = data.CharTokenizer.fromText(text);
    const ids = Int32Array.from(tokenizer.encode(text));
    const maskTokenId = tokenizer.vocabSize; // one id past the characters
    const vocabSize = tokenizer.vocabSize + 1;
    const cut = Math.floor(ids.length * 0.9);
    const blockSize = 16;
    const trainCorpus = new data.TextCorpus({ tokens: ids.subarray(0, cut), vocabSize }, { blockSize });
    const valCorpus = new data.TextCorpus({ tokens: ids.subarray(cut), vocabSize }, { blockSize });
    const task = TaskSpecs.maskedLm({ vocabSize, maskTokenId, metrics: ['loss', 'accuracy'] });
    const heldOut = () => new data.DataLoader(valCorpus, { batchSize: 256, collate: data.maskedLmCollate({ task, seed: 1 }) });
    torch.manualSeed(0);
    const model = new models.Bert({ vocabSize, maxLength: blockSize, hidden: 64, layers: 2, heads: 4, intermediate: 128, dropout: 0 });
    const trainer = new Trainer({
      model, task,
      train: new data.DataLoader(trainCorpus, { batchSize: 128, shuffle: true, dropLast: true, collate: data.maskedLmCollate({ task }) }),
      config: { maxSteps: 1000, device: 'cpu', optimizer: { lr: 3e-3, betas: [0.9, 0.99] }, schedule: { name: 'warmup_cosine', warmupSteps: 30 } },
    });

    const before = await trainer.validate(heldOut());
    const started = performance.now();
    const result = await trainer.fit();
    const seconds = (performance.now() - started) / 1000;
    const after = await trainer.validate(heldOut());
    console.log(`BERT MLM on Moby-Dick: held-out masked loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)} nats, accuracy ${before.accuracy.toFixed(3)} -> ${after.accuracy.toFixed(3)} (${result.steps} steps, ${seconds.toFixed(1)} s)`);
    expect(before.loss).toBeGreaterThan(4);
    expect(after.loss).toBeLessThan(LOSS_BOUND);
    expect(after.accuracy).toBeGreaterThanOrEqual(ACCURACY_BOUND);
  });
});
