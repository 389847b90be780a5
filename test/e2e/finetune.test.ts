// End to end: fine-tuning with the FinetuneStrategy. A BERT-style classifier (models.Bert with a
// classification head) learns whether a 32-character window of Moby-Dick mentions a whale
// (balanced classes; the last 20% of the book held out), with its embeddings and MLM head frozen
// and layer-wise learning-rate decay: encoder layer k of L trains at lr * decay^(L - k), the
// pooler and classifier (the head) at their own headLr.
//
// The bounds: at every optimizer step each group's learning rate is exactly the configured one
// (a constant schedule, so nothing else scales it); frozen parameters are bit-for-bit unchanged
// after training and every other parameter has moved; the held-out loss falls and the accuracy
// on held-out windows is at least 75% (chance 50%; it reaches about 87% in 300 steps, ~7 s).
import { describe, expect, it } from 'vitest';
import { TaskSpecs, type Tensor, Trainer, data, engine, models, torch } from '../../lib/index.js';
import { mobyDick } from '../../examples/datasets.js';

torch.setNumThreads(1);

const ACCURACY_BOUND = 0.75;
const LR = 2e-3, DECAY = 0.5, HEAD_LR = 4e-3;

/**
 * Balanced 32-character windows of the book's text between offsets lo and hi: half of them
 * mention a whale (hold "whal": whale, whales, whaling, whaleman...), half do not.
 */
function whaleWindows(text: string, tokenizer: data.CharTokenizer, count: number, lo: number, hi: number, seed: number): { input_ids: number[]; labels: number }[] {
  const rng = new data.SeededRandom(seed);
  const mentions = [...text.slice(lo, hi).matchAll(/whal/gi)].map((m) => lo + m.index!).filter((i) => i >= lo + 28);
  return Array.from({ length: count }, (_, i) => {
    let start: number;
    if (i % 2 === 0) start = mentions[rng.nextInt(mentions.length)]! - rng.nextInt(28);
    else do start = lo + rng.nextInt(hi - lo - 32); while (/whal/i.test(text.slice(start, start + 32)));
    const window = text.slice(start, start + 32);
    return { input_ids: tokenizer.encode(window), labels: /whal/i.test(window) ? 1 : 0 };
  });
}

describe('e2e: fine-tuning with freezing and layer-wise LR decay', () => {
  it('gives every group its configured LR, leaves frozen parameters unchanged and learns the task', async () => {
    const text = mobyDick();
    const tokenizer = data.CharTokenizer.fromText(text);
    const cut = Math.floor(text.length * 0.8);
    const train = new data.InMemoryDataset(whaleWindows(text, tokenizer, 6000, 0, cut, 1));
    const heldOut = new data.InMemoryDataset(whaleWindows(text, tokenizer, 1000, cut, text.length, 2));
    const task = TaskSpecs.sequenceClassification({ numClasses: 2 });
    torch.manualSeed(0);
    const model = new models.Bert({ vocabSize: tokenizer.vocabSize, maxLength: 32, hidden: 64, layers: 2, heads: 4, intermediate: 128, numClasses: 2, dropout: 0 });
    const strategy = new engine.FinetuneStrategy({
      freeze: ['embeddings.*', 'mlm_head.*'], layerDecay: DECAY, headLr: HEAD_LR, headPatterns: ['pooler.*', 'classifier.*'],
    });
    const before = new Map(model.namedParameters().map(([n, p]) => [n, torch.keep(p.detach().clone())] as [string, Tensor]));
    const lrs = new engine.LearningRateMonitor();
    const trainer = new Trainer({
      model, task, strategy, callbacks: [lrs],
      train: new data.DataLoader(train, { batchSize: 64, shuffle: true, collateOptions: { task } }),
      val: new data.DataLoader(heldOut, { batchSize: 250, collateOptions: { task } }),
      config: { maxSteps: 300, device: 'cpu', optimizer: { lr: LR, weightDecay: 0.01 }, schedule: { name: 'constant' } },
    });

    // The configured rate of each parameter: encoder.k at LR * DECAY^(2 - k), the head at HEAD_LR,
    // the embeddings (and the MLM head, below the first layer by name) at LR * DECAY^3.
    const expected = (name: string) => {
      if (/^(pooler|classifier)\./.test(name)) return HEAD_LR;
      const layer = /^encoder\.(\d+)\./.exec(name);
      return layer ? LR * DECAY ** (2 - Number(layer[1])) : LR * DECAY ** 3;
    };
    const groupOf = new Map<unknown, number>();
    trainer.optimizer.paramGroups.forEach((g, i) => g.params.forEach((p) => groupOf.set(p, i)));
    const named = model.namedParameters();
    const isFrozen = (name: string) => name.startsWith('embeddings.') || name.startsWith('mlm_head.');
    // Frozen parameters never reach the optimizer (as with PyTorch's filter on requires_grad).
    for (const [name, p] of named) {
      if (isFrozen(name)) expect(groupOf.has(p), `${name} is frozen but in the optimizer`).toBe(false);
      else expect(trainer.optimizer.paramGroups[groupOf.get(p)!]!.lr, name).toBe(expected(name));
    }
    expect(new Set(named.filter(([n]) => !isFrozen(n)).map(([n]) => expected(n))).size).toBe(3);

    const initial = await trainer.validate();
    const result = await trainer.fit();
    const final = result.epochs.at(-1)!.validation!;
    console.log(`finetune: held-out loss ${initial.loss.toFixed(3)} -> ${final.loss.toFixed(3)}, accuracy ${initial.accuracy.toFixed(3)} -> ${final.accuracy.toFixed(3)}`);

    expect(lrs.history.length).toBe(300);
    const configured = trainer.optimizer.paramGroups.map((g) => expected(named.find(([, p]) => p === g.params[0])![0]));
    for (const h of lrs.history) expect(h.lrs).toEqual(configured);

    for (const [name, p] of named) {
      const frozen = isFrozen(name);
      expect(p.requiresGrad, name).toBe(!frozen);
      expect(p.equal(before.get(name)!), `${name} ${frozen ? 'changed though frozen' : 'did not train'}`).toBe(frozen);
    }
    expect(final.loss).toBeLessThan(initial.loss);
    expect(final.accuracy).toBeGreaterThanOrEqual(ACCURACY_BOUND);
  });
});
