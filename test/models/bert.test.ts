// models.Bert: shapes of every head, Hugging Face-style names, the tied MLM decoder, padding
// masks that really hide padding, errors, and training: masked-LM (copying by position) and
// classification (a majority count) on synthetic sequences with padding.
import { describe, expect, it } from 'vitest';
import { type Tensor, models, nn, torch } from '../../lib/index.js';
import { ids, randomInt, seededRandom } from '../helpers/synthetic-data.js';
import { meanOf, train } from '../helpers/tiny-optim.js';

// One intra-op thread: these small models gain nothing from a second one, and vitest's two
// workers on two cores would oversubscribe the CPU (steps measured up to ~100x slower).
torch.setNumThreads(1);

const small = { vocabSize: 23, maxLength: 12, hidden: 32, layers: 2, heads: 2, intermediate: 64 };

// Synthetic sequences: [CLS], then 5, 7 or 9 tokens from 0..19, padded on the right.
// - masked LM: each sequence alternates two random tokens (a b a b a), so a masked token is
//   the one two places away (a copy by relative position, which needs attention);
// - classification: random tokens, labelled 1 when most of them are below 10 (a count over
//   the whole sequence, read from the first token, so padding must not be counted).
const NUMBERS = 20, CLS = 20, MASK = 21, PAD = 22, WIDTH = 10;

function syntheticBatch(n: number, rand: () => number, task: 'mlm' | 'majority', maskCount = 2) {
  const rows: number[][] = [], masks: number[][] = [], targets: number[][] = [], labels: number[] = [];
  for (let k = 0; k < n; k++) {
    const length = 5 + 2 * randomInt(rand, 3);
    const [a, b] = [randomInt(rand, NUMBERS), randomInt(rand, NUMBERS)];
    const row = [CLS, ...Array.from({ length }, (_, i) => (task === 'mlm' ? (i % 2 ? b : a) : randomInt(rand, NUMBERS)))];
    labels.push(row.slice(1).filter((t) => t < NUMBERS / 2).length * 2 > length ? 1 : 0);
    const target = row.map(() => -100);
    for (let m = 0; task === 'mlm' && m < maskCount; m++) {
      const p = 1 + randomInt(rand, length);
      if (target[p] === -100) target[p] = row[p];
      row[p] = MASK;
    }
    while (row.length < WIDTH) (row.push(PAD), target.push(-100));
    rows.push(row);
    targets.push(target);
    masks.push(row.map((_, i) => (i <= length ? 1 : 0)));
  }
  return { ids: ids(rows), attentionMask: ids(masks), targets: ids(targets), labels: ids([labels]).view(-1) };
}

const mlmLoss = (logits: Tensor, targets: Tensor) => nn.functional.crossEntropy(logits.view(-1, logits.shape[2]), targets.view(-1), { ignoreIndex: -100 });

describe('models.Bert', () => {
  it('encodes [B, T] to [B, T, hidden], with masked-LM [B, T, vocab] and classification [B, numClasses] heads', () => {
    torch.manualSeed(0);
    const bert = new models.Bert({ ...small, numClasses: 3 });
    expect(bert.config).toEqual({ ...small, numClasses: 3, typeVocabSize: 2, dropout: 0.1, layerNormEps: 1e-12 });
    const x = ids([[20, 1, 2, 3], [20, 5, 4, 22]]);
    const inputs = { attentionMask: ids([[1, 1, 1, 1], [1, 1, 1, 0]]), tokenTypeIds: ids([[0, 0, 1, 1], [0, 1, 1, 1]]) };
    torch.scope(() => {
      expect(bert.encode(x, inputs).shape).toEqual([2, 4, 32]);
      expect(bert.forward(x).shape).toEqual([2, 4, 32]);
      expect(bert.pool(bert.encode(x)).shape).toEqual([2, 32]);
      expect(bert.maskedLmLogits(x, inputs).shape).toEqual([2, 4, 23]);
      expect(bert.classify(x, inputs).shape).toEqual([2, 3]);
    });
    const names = bert.namedParameters().map(([n]) => n);
    expect(names.slice(0, 5)).toEqual(['embeddings.word_embeddings.weight', 'embeddings.position_embeddings.weight',
      'embeddings.token_type_embeddings.weight', 'embeddings.LayerNorm.weight', 'embeddings.LayerNorm.bias']);
    expect(names).toContain('encoder.1.self_attn.in_proj_weight');
    expect(names).toContain('pooler.dense.weight');
    // (as in PyTorch, a module's own parameters come before its children's)
    expect(names.slice(-7)).toEqual(['mlm_head.bias', 'mlm_head.dense.weight', 'mlm_head.dense.bias', 'mlm_head.LayerNorm.weight',
      'mlm_head.LayerNorm.bias', 'classifier.weight', 'classifier.bias']);
  });

  it('ties the MLM decoder to the word embeddings (listed once, both state-dict keys) and has its own bias', () => {
    const bert = new models.Bert(small);
    expect(bert.mlmHead.decoder.weight).toBe(bert.embeddings.wordEmbeddings.weight);
    expect(bert.namedParameters().map(([n]) => n)).not.toContain('mlm_head.decoder.weight');
    const sd = bert.stateDict();
    expect(Object.keys(sd)).toContain('mlm_head.decoder.weight');
    expect(Object.keys(sd)).toContain('mlm_head.bias');
    expect(sd['mlm_head.decoder.weight'].equal(sd['embeddings.word_embeddings.weight'])).toBe(true);
    expect(bert.classifier).toBeNull();
    expect(() => bert.classify(ids([[1, 2]]))).toThrow(/no classification head; build it with numClasses/);
    // embeddings 23*32 + 12*32 + 2*32 + 64; per layer 4*32*32+4*32 (attention) + 2*32*64+64+32 (MLP) + 4*32 (norms);
    // pooler 32*32+32; MLM head 32*32+32 + 64 + 23 (decoder tied)
    const layer = 4 * 32 * 32 + 4 * 32 + 2 * 32 * 64 + 64 + 32 + 4 * 32;
    expect(bert.numParameters()).toBe(23 * 32 + 12 * 32 + 2 * 32 + 64 + 2 * layer + 32 * 32 + 32 + 32 * 32 + 32 + 64 + 23);
  });

  it('hides padding: real tokens encode the same whatever the padding holds, and as the unpadded sequence', () => {
    torch.manualSeed(1);
    const bert = new models.Bert(small).eval();
    torch.noGrad(() => torch.scope(() => {
      const mask = ids([[1, 1, 1, 1, 0, 0]]);
      const a = bert.encode(ids([[20, 3, 4, 5, 22, 22]]), { attentionMask: mask }).narrow(1, 0, 4);
      const b = bert.encode(ids([[20, 3, 4, 5, 9, 1]]), { attentionMask: mask }).narrow(1, 0, 4);
      const alone = bert.encode(ids([[20, 3, 4, 5]]));
      expect(a.allclose(b, { atol: 1e-5 })).toBe(true);
      expect(a.allclose(alone, { atol: 1e-5 })).toBe(true);
      const boolMask = bert.encode(ids([[20, 3, 4, 5, 9, 1]]), { attentionMask: mask.ne(0) }).narrow(1, 0, 4);
      expect(boolMask.allclose(a, { atol: 1e-5 })).toBe(true);
      // a row of nothing but padding stays finite (uniform attention, not NaN)
      expect(bert.classifier).toBeNull();
      expect(bert.encode(ids([[22, 22]]), { attentionMask: ids([[0, 0]]) }).isfinite().all().item()).toBe(true);
    }));
  });

  it('refuses over-long inputs, mismatched masks and out-of-range token types', () => {
    const bert = new models.Bert({ ...small, numClasses: 2 });
    expect(() => bert.encode(torch.zeros([1, 13], { dtype: 'int64' }))).toThrow(/sequence length 13 exceeds maxLength 12/);
    expect(() => bert.encode(ids([[1, 2, 3]]), { attentionMask: ids([[1, 1]]) })).toThrow(/attentionMask must have the ids' shape \[1,3\], got \[1,2\]/);
    expect(() => bert.encode(ids([[1, 2]]), { tokenTypeIds: ids([[0, 2]]) })).toThrow(/tokenTypeIds holds 2, outside \[0, 2\) \(config typeVocabSize = 2\)/);
    expect(() => bert.classify(ids([[1, 23]]))).toThrow(/ids holds 23, outside \[0, 23\)/);
    expect(() => new models.Bert({ ...small, heads: 5 })).toThrow(/heads: must divide hidden \(32\), got 5/);
    expect(() => new models.Bert({ ...small, numClasses: 0 })).toThrow(/numClasses/);
  });

  it('learns masked-LM on alternating sequences: loss below a quarter of its start, masked tokens above 90% right', () => {
    torch.manualSeed(2);
    const bert = new models.Bert({ ...small, dropout: 0 });
    const rand = seededRandom(44);
    const losses = train(bert, 150, () => {
      const b = syntheticBatch(32, rand, 'mlm');
      return mlmLoss(bert.maskedLmLogits(b.ids, { attentionMask: b.attentionMask }), b.targets);
    }, { lr: 5e-3 });
    expect(losses[0]).toBeGreaterThan(2.5); // ~ln 23 = 3.1
    expect(meanOf(losses, 5, 'end')).toBeLessThan(losses[0] / 4);
    bert.eval();
    const test = syntheticBatch(128, seededRandom(45), 'mlm', 1);
    const accuracy = torch.noGrad(() => torch.scope(() => {
      const predicted = bert.maskedLmLogits(test.ids, { attentionMask: test.attentionMask }).argmax(-1);
      const masked = test.targets.ne(-100);
      return predicted.maskedSelect(masked).eq(test.targets.maskedSelect(masked)).float().mean().item();
    }));
    expect(accuracy).toBeGreaterThan(0.9);
  });

  it('learns to classify (majority below 10) from the pooled first token: loss below a quarter, accuracy above 95%', () => {
    torch.manualSeed(3);
    const bert = new models.Bert({ ...small, numClasses: 2 }); // default dropout 0.1 here
    const rand = seededRandom(46);
    const losses = train(bert, 100, () => {
      const b = syntheticBatch(32, rand, 'majority');
      return nn.functional.crossEntropy(bert.classify(b.ids, { attentionMask: b.attentionMask }), b.labels);
    }, { lr: 3e-3 });
    expect(meanOf(losses, 5, 'end')).toBeLessThan(meanOf(losses, 5, 'start') / 4);
    bert.eval();
    const test = syntheticBatch(128, seededRandom(47), 'majority');
    const accuracy = torch.noGrad(() => torch.scope(() =>
      bert.classify(test.ids, { attentionMask: test.attentionMask }).argmax(-1).eq(test.labels).float().mean().item()));
    expect(accuracy).toBeGreaterThan(0.95);
  });
});
