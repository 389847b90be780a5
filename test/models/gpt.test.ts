// models.GPT: shapes, nanoGPT's names, weight tying (one Parameter, listed once, two state-dict
// keys), its initialisation, errors, generate() (cropping, determinism, top-k), and training
// on a repeating string until greedy generation continues the pattern.
import { describe, expect, it } from 'vitest';
import { models, nn, torch } from '../../lib/index.js';
import { charVocab, ids, seededRandom, randomInt } from '../helpers/synthetic-data.js';
import { meanOf, train } from '../helpers/tiny-optim.js';

// One intra-op thread: these small models gain nothing from a second one, and vitest's two
// workers on two cores would oversubscribe the CPU (steps measured up to ~100x slower).
torch.setNumThreads(1);

const small = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };

/** GPT's parameter count by hand: embeddings, per block (2 LayerNorms, q/k/v, out, MLP), ln_f; lm_head is tied. */
const expectedCount = (v: number, t: number, l: number, d: number) => v * d + t * d + l * (2 * 2 * d + 3 * d * d + 3 * d + d * d + d + 4 * d * d + 4 * d + 4 * d * d + d) + 2 * d;

describe('models.GPT', () => {
  it('maps idx [B, T] to logits [B, T, vocabSize], with nanoGPT\'s layout', () => {
    torch.manualSeed(0);
    const gpt = new models.GPT(small);
    expect(gpt.config).toEqual({ ...small, dropout: 0, bias: true });
    torch.scope(() => {
      expect(gpt.forward(ids([[1, 2, 3], [4, 5, 6]])).shape).toEqual([2, 3, 11]);
      expect(gpt.forward(torch.randint(0, 11, [1, 8], { dtype: 'int32' })).shape).toEqual([1, 8, 11]);
    });
    const names = gpt.namedParameters().map(([n]) => n);
    expect(names.slice(0, 4)).toEqual(['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias']);
    expect(names).toContain('transformer.h.1.attn.in_proj_weight');
    expect(names).toContain('transformer.h.1.mlp_proj.bias');
    expect(names.slice(-2)).toEqual(['transformer.ln_f.weight', 'transformer.ln_f.bias']);
    expect(gpt.numParameters()).toBe(expectedCount(11, 8, 2, 16));
    const noBias = new models.GPT({ ...small, bias: false });
    expect(noBias.namedParameters().some(([n]) => n.endsWith('bias'))).toBe(false);
  });

  it('ties lm_head to the token embedding: one Parameter, listed once, both keys in the state dict', () => {
    const gpt = new models.GPT(small);
    expect(gpt.lmHead.weight).toBe(gpt.transformer.wte.weight);
    expect(gpt.parameters().filter((p) => p === gpt.lmHead.weight)).toHaveLength(1);
    expect(gpt.namedParameters().map(([n]) => n)).not.toContain('lm_head.weight');
    const sd = gpt.stateDict();
    expect(Object.keys(sd).slice(-1)).toEqual(['lm_head.weight']);
    expect(sd['lm_head.weight'].equal(sd['transformer.wte.weight'])).toBe(true);
    // a gradient through the head and one through the embedding land on the same tensor
    torch.scope(() => {
      gpt.forward(ids([[1, 2]])).sum().backward();
      expect(gpt.transformer.wte.weight.grad!.index(1).abs().sum().item()).toBeGreaterThan(0);
      expect(gpt.transformer.wte.weight.grad!.index(10).abs().sum().item()).toBeGreaterThan(0); // only reached via lm_head
    });
    gpt.zeroGrad();
    // loading a state dict keeps them tied
    const copy = new models.GPT(small);
    copy.loadStateDict(gpt.stateDict());
    expect(copy.lmHead.weight).toBe(copy.transformer.wte.weight);
    expect(copy.lmHead.weight.equal(gpt.lmHead.weight)).toBe(true);
  });

  it('initialises as nanoGPT: N(0, 0.02) weights, zero biases, residual projections at 0.02/sqrt(2 nLayer)', () => {
    torch.manualSeed(1);
    const gpt = new models.GPT({ vocabSize: 256, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
    const std = (t: nn.Parameter) => torch.scope(() => t.std().item());
    const block = gpt.blocks[0];
    for (const p of [gpt.transformer.wte.weight, gpt.transformer.wpe.weight, block.attn.inProjWeight, block.mlpFc.weight]) expect(std(p)).toBeCloseTo(0.02, 3);
    for (const p of [block.attn.outProj.weight, block.mlpProj.weight]) expect(std(p)).toBeCloseTo(0.02 / Math.sqrt(8), 3);
    for (const p of [block.attn.inProjBias!, block.attn.outProj.bias!, block.mlpFc.bias!, block.mlpProj.bias!]) expect(torch.scope(() => p.abs().max().item())).toBe(0);
    expect(torch.scope(() => block.ln1.weight!.min().item())).toBe(1);
  });

  it('refuses over-long, non-integer, 1-D and out-of-range ids, and bad configs', () => {
    const gpt = new models.GPT(small);
    expect(() => gpt.forward(torch.zeros([1, 9], { dtype: 'int64' }))).toThrow(/sequence length 9 exceeds blockSize 8; crop the context/);
    expect(() => gpt.forward(torch.zeros([1, 4]))).toThrow(/integer token ids \(int64 or int32\), got float32/);
    expect(() => gpt.forward(ids([[1, 2]]).view(-1))).toThrow(/\[batch, seq\], got shape \[2\]; add a batch dim/);
    expect(() => gpt.forward(ids([[1, 11]]))).toThrow(/idx holds 11, outside \[0, 11\) \(config vocabSize = 11\)/);
    expect(() => gpt.forward(ids([[-1, 2]]))).toThrow(/idx holds -1/);
    expect(() => new models.GPT({ ...small, nHead: 3 })).toThrow(/nHead: must divide nEmbd \(16\), got 3/);
    expect(() => new models.GPT({ ...small, blockSize: undefined } as never)).toThrow(/blockSize: .*expected number/);
    expect(() => gpt.generate(ids([[1]]), 2, { temperature: 0 })).toThrow(/temperature must be a positive finite number.*topK: 1/);
    expect(() => gpt.generate(ids([[1]]), 2, { topK: 0 })).toThrow(/topK must be a positive integer/);
    expect(() => gpt.generate(ids([[1]]), -1)).toThrow(/maxNewTokens/);
  });

  it('generates: crops the context past blockSize, is repeatable under manualSeed, leaves idx alone', () => {
    torch.manualSeed(2);
    const gpt = new models.GPT(small);
    const prompt = ids([[1, 2, 3], [4, 5, 6]]);
    const sample = (seed: number) => {
      torch.manualSeed(seed);
      return gpt.generate(prompt, 12, { temperature: 0.8 }); // 15 > blockSize 8: needs cropping
    };
    const [a, b, c] = [sample(5), sample(5), sample(6)];
    expect(a.shape).toEqual([2, 15]);
    expect(a.dtype).toBe('int64');
    expect(a.equal(b)).toBe(true);
    expect(a.equal(c)).toBe(false);
    expect(a.narrow(1, 0, 3).equal(prompt)).toBe(true);
    expect(prompt.shape).toEqual([2, 3]);
    // topK: 1 is greedy: each new token is the argmax of the logits for the cropped context
    const greedy = gpt.generate(prompt, 6, { topK: 1 });
    torch.noGrad(() => {
      for (let t = 3; t < 9; t++) {
        const context = greedy.narrow(1, Math.max(0, t - 8), Math.min(t, 8));
        expect(gpt.forward(context).select(1, -1).argmax(-1).equal(greedy.select(1, t))).toBe(true);
      }
    });
    expect(gpt.generate(prompt, 0).equal(prompt)).toBe(true);
  });

  it('leaves no tensors behind: generate() inside a scope, and training steps', () => {
    torch.manualSeed(7);
    const gpt = new models.GPT(small);
    const prompt = ids([[1, 2, 3]]);
    const before = torch.memory().tensors;
    torch.scope(() => void gpt.generate(prompt, 12, { topK: 3 }));
    train(gpt, 3, () => nn.functional.crossEntropy(gpt.forward(prompt).view(-1, 11), prompt.view(-1)));
    expect(torch.memory().tensors).toBe(before);
  });

  it('learns a repeating string, then greedy generation continues the pattern', () => {
    torch.manualSeed(3);
    const pattern = 'hello world! ';
    const text = pattern.repeat(40);
    const vocab = charVocab(text);
    const data = vocab.encode(text);
    const blockSize = 16;
    const gpt = new models.GPT({ vocabSize: vocab.chars.length, blockSize, nLayer: 2, nHead: 2, nEmbd: 32 });
    const rand = seededRandom(33);
    const losses = train(gpt, 200, () => {
      const starts = Array.from({ length: 16 }, () => randomInt(rand, data.length - blockSize - 1));
      const x = ids(starts.map((s) => data.slice(s, s + blockSize)));
      const y = ids(starts.map((s) => data.slice(s + 1, s + blockSize + 1)));
      return nn.functional.crossEntropy(gpt.forward(x).view(-1, vocab.chars.length), y.view(-1));
    }, { lr: 3e-3 });
    expect(losses[0]).toBeGreaterThan(Math.log(vocab.chars.length) * 0.9); // ~uniform at the start
    expect(meanOf(losses, 5, 'end')).toBeLessThan(losses[0] / 10);
    gpt.eval();
    const out = gpt.generate(ids([vocab.encode('hello')]), 30, { topK: 1 });
    expect(vocab.decode(Array.from(out.data() as BigInt64Array, Number))).toBe(text.slice(0, 35));
    // sampling (temperature 0.5, so the rare slips of a small model are rarer still) reproduces it too
    torch.manualSeed(4);
    const sampled = gpt.generate(ids([vocab.encode('world')]), 20, { temperature: 0.5 });
    expect(vocab.decode(Array.from(sampled.data() as BigInt64Array, Number))).toBe(text.slice(6, 31));
  });
});
