// models.CLIP: shapes, names, the learnable temperature (initial value, cap), unit-norm
// embeddings, where texts are pooled (EOT, last real token, last position) and the errors
// around it, and contrastive training until retrieval is far above chance.
import { describe, expect, it } from 'vitest';
import { type Tensor, models, nn, torch } from '../../lib/index.js';
import { ids, seededRandom, squareImages } from '../helpers/synthetic-data.js';
import { meanOf, train } from '../helpers/tiny-optim.js';

// One intra-op thread: these small models gain nothing from a second one, and vitest's two
// workers on two cores would oversubscribe the CPU (steps measured up to ~100x slower).
torch.setNumThreads(1);

const image = { imageSize: 16, dim: 32, depth: 2, heads: 2, mlpDim: 64 };
const text = { vocabSize: 10, contextLength: 6, width: 32, layers: 2, heads: 2 };

// Twelve concepts: a square of one colour (red, green, blue = channel) in one quadrant. Texts
// are token sequences: an optional filler word, the colour (0-2), the quadrant (3-6), EOT,
// then padding: "[a] blue bottom-left <eot> <pad> <pad>".
const FILLER = 7, EOT = 8, PAD = 9;
const concepts = Array.from({ length: 12 }, (_, i) => ({ colour: i % 3, quadrant: Math.floor(i / 3) }));

function pairs(order: number[], seed: number) {
  const rand = seededRandom(seed);
  const { images } = squareImages(order.length, { channels: 3, size: 16, seed,
    quadrants: order.map((i) => concepts[i].quadrant), colours: order.map((i) => concepts[i].colour) });
  const rows = order.map((i) => {
    const row = [...(rand() < 0.5 ? [FILLER] : []), concepts[i].colour, 3 + concepts[i].quadrant, EOT];
    const real = row.length;
    while (row.length < 6) row.push(PAD);
    return { row, mask: row.map((_, p) => (p < real ? 1 : 0)) };
  });
  return { images, tokens: ids(rows.map((r) => r.row)), attentionMask: ids(rows.map((r) => r.mask)) };
}

describe('models.CLIP', () => {
  it('gives logitsPerImage [Bi, Bt] and its transpose, from unit-norm embeddings', () => {
    torch.manualSeed(0);
    const clip = new models.CLIP({ embedDim: 16, image, text });
    expect(clip.config.image).toEqual({ ...image, patchSize: 4, inChannels: 3, dropout: 0 });
    torch.scope(() => {
      const { images, tokens } = pairs([0, 1, 2], 1);
      const img = clip.encodeImage(images), txt = clip.encodeText(tokens.narrow(0, 0, 2));
      expect(img.shape).toEqual([3, 16]);
      expect(txt.shape).toEqual([2, 16]);
      expect(img.norm(2, -1).allclose(torch.ones([3]), { atol: 1e-5 })).toBe(true);
      expect(txt.norm(2, -1).allclose(torch.ones([2]), { atol: 1e-5 })).toBe(true);
      const { logitsPerImage, logitsPerText } = clip.forward(images, tokens.narrow(0, 0, 2));
      expect(logitsPerImage.shape).toEqual([3, 2]);
      expect(logitsPerText.equal(logitsPerImage.t())).toBe(true);
      expect(logitsPerImage.allclose(img.matmul(txt.t()).mul(1 / 0.07), { atol: 1e-4 })).toBe(true);
    });
    const names = clip.namedParameters().map(([n]) => n);
    expect(names[0]).toBe('logit_scale');
    expect(names).toContain('visual.pos_embed');
    expect(names).toContain('text.token_embedding.weight');
    expect(names).toContain('text.positional_embedding');
    expect(names).toContain('text.resblocks.1.mlp_proj.weight');
    expect(names.slice(-3)).toEqual(['text.ln_final.bias', 'visual_projection.weight', 'text_projection.weight']);
    expect(clip.visual.head).toBeNull();
    expect(clip.visualProjection.bias).toBeNull();
    expect(clip.textProjection.bias).toBeNull();
  });

  it('learns its temperature as a Parameter starting at log(1/0.07), and caps the scale at 100', () => {
    const clip = new models.CLIP({ embedDim: 16, image, text });
    expect(clip.logitScale).toBeInstanceOf(nn.Parameter);
    expect(clip.parameters()).toContain(clip.logitScale);
    expect(clip.logitScale.shape).toEqual([]);
    expect(clip.logitScale.item()).toBeCloseTo(Math.log(1 / 0.07), 5);
    torch.noGrad(() => clip.logitScale.fill_(10)); // exp(10) ~ 22026
    torch.scope(() => {
      const { images, tokens } = pairs([0, 1], 2);
      const { logitsPerImage } = clip.forward(images, tokens);
      const cosine = clip.encodeImage(images).matmul(clip.encodeText(tokens).t());
      expect(logitsPerImage.allclose(cosine.mul(100), { atol: 1e-4 })).toBe(true);
    });
  });

  it('pools each text at its EOT, its last real token (attentionMask), or the last position', () => {
    torch.manualSeed(1);
    const withEot = new models.CLIP({ embedDim: 16, image, text: { ...text, eotTokenId: EOT } }).eval();
    torch.noGrad(() => torch.scope(() => {
      const { tokens, attentionMask } = pairs([0, 5, 7], 3);
      const atEot = withEot.encodeText(tokens);
      expect(withEot.encodeText(tokens, { attentionMask }).allclose(atEot, { atol: 1e-6 })).toBe(true);
      // padding after the EOT changes nothing (causal attention: nothing before it sees it)
      const repadded = tokens.maskedFill(attentionMask.eq(0), 3);
      expect(withEot.encodeText(repadded).allclose(atEot, { atol: 1e-6 })).toBe(true);
      // without eotTokenId or a mask, texts are pooled at the last position: here, padding
      const noEot = new models.CLIP({ embedDim: 16, image, text });
      noEot.loadStateDict(withEot.stateDict());
      noEot.eval();
      const full = ids([[1, 4, EOT, 2, 2, 2]]);
      expect(noEot.encodeText(full).allclose(withEot.encodeText(full), { atol: 1e-6 })).toBe(false); // position 5 vs 2
      expect(noEot.encodeText(full.narrow(1, 0, 3)).allclose(withEot.encodeText(full), { atol: 1e-6 })).toBe(true);
    }));
  });

  it('refuses left padding, texts without EOT, over-long texts and bad configs', () => {
    const clip = new models.CLIP({ embedDim: 16, image, text: { ...text, eotTokenId: EOT } });
    expect(() => clip.encodeText(ids([[1, 4, EOT], [PAD, 2, EOT]]), { attentionMask: ids([[1, 1, 1], [0, 1, 1]]) })).toThrow(/right padding/);
    expect(() => clip.encodeText(ids([[1, 4, EOT], [2, 5, 6]]))).toThrow(/text 1 has no end-of-text token \(text.eotTokenId = 8\)/);
    expect(() => clip.encodeText(torch.zeros([1, 7], { dtype: 'int64' }))).toThrow(/text length 7 exceeds contextLength 6/);
    expect(() => clip.encodeText(ids([[1, 10, EOT]]))).toThrow(/tokens holds 10, outside \[0, 10\) \(config text.vocabSize = 10\)/);
    expect(() => clip.encodeImage(torch.randn([1, 3, 32, 32]))).toThrow(/CLIP.encodeImage: expected 16x16 images/);
    expect(() => new models.CLIP({ embedDim: 16, image: { ...image, numClasses: 3 } as never, text })).toThrow(/image: Unrecognized key: "numClasses"/);
    expect(() => new models.CLIP({ embedDim: 16, image, text: { ...text, eotTokenId: 10 } })).toThrow(/text.eotTokenId: must be below vocabSize \(10\)/);
  });

  it('learns to match images and texts: loss below half its start, recall@1 far above chance (1/12) both ways', () => {
    torch.manualSeed(5);
    const clip = new models.CLIP({ embedDim: 32, image, text: { ...text, eotTokenId: EOT } });
    const rand = seededRandom(77);
    // Each batch holds every concept 4 times; pairs of the same concept are all positives
    // (soft targets), so that duplicates are not pushed apart as false negatives.
    const softCrossEntropy = (logits: Tensor, targets: Tensor) => logits.logSoftmax(1).mul(targets).sum(1).mean().neg();
    const losses = train(clip, 300, (step) => {
      const order = Array.from({ length: 48 }, (_, i) => i % 12).sort(() => rand() - 0.5);
      const batch = pairs(order, 5000 + step);
      const concept = torch.tensor(order);
      const same = concept.view(-1, 1).eq(concept.view(1, -1)).float();
      const targets = same.div(same.sum(1, true));
      const { logitsPerImage, logitsPerText } = clip.forward(batch.images, batch.tokens);
      return softCrossEntropy(logitsPerImage, targets).add(softCrossEntropy(logitsPerText, targets)).div(2);
    }, { lr: 1e-3 });
    // (the floor is ln 4 = 1.39: four equally right texts per image)
    expect(meanOf(losses, 10, 'end')).toBeLessThan(meanOf(losses, 10, 'start') / 2);
    clip.eval();
    const test = pairs(concepts.map((_, i) => i), 42); // one new image and text per concept
    const [imageToText, textToImage] = torch.noGrad(() => torch.scope(() => {
      const { logitsPerImage, logitsPerText } = clip.forward(test.images, test.tokens, { attentionMask: test.attentionMask });
      const truth = torch.arange(12);
      return [logitsPerImage.argmax(1).eq(truth).float().mean().item(), logitsPerText.argmax(1).eq(truth).float().mean().item()];
    }));
    expect(imageToText).toBeGreaterThanOrEqual(0.75);
    expect(textToImage).toBeGreaterThanOrEqual(0.75);
  });
});
