// What `torchtrain predict` writes per sample, by task type.
import { describe, expect, it } from 'vitest';
import { predictionRows } from '../../lib/cli/predict.js';
import { torch } from '../../lib/index.js';

describe('predictionRows', () => {
  it('classification: the class and its softmax probabilities', () => {
    const logits = torch.tensor([[0, 2, 0], [1, 0, 0]]);
    const rows = predictionRows({ logits }, { type: 'seq_classification' }, 2);
    expect(rows.map((r) => r.prediction)).toEqual([1, 0]);
    const p = rows[0]!.probabilities as number[];
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p[1]).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 2), 6);
    logits.dispose();
  });

  it('multilabel: sigmoid per label; regression: the value', () => {
    const logits = torch.tensor([[0, 100]]);
    expect(predictionRows({ logits }, { type: 'multilabel_classification' }, 1)[0]!.probabilities).toEqual([0.5, 1]);
    const y = torch.tensor([[1.5], [-2]]);
    expect(predictionRows({ logits: y }, { type: 'regression' }, 2).map((r) => r.prediction)).toEqual([1.5, -2]);
    torch.dispose([logits, y]);
  });

  it('language models: the predicted id at every position, not the vocabulary-sized logits', () => {
    const logits = torch.zeros([1, 3, 5]);
    logits.index(0).index(1).index(4).fill_(1);
    const rows = predictionRows({ logits }, { type: 'causal_lm' }, 1);
    expect(rows).toEqual([{ prediction: [0, 4, 0] }]);
    logits.dispose();
  });

  it('contrastive: each batched tensor output, row by row', () => {
    const imageEmbeds = torch.tensor([[1, 0], [0, 1]]);
    const textEmbeds = torch.tensor([[0.5, 0.5], [1, 1]]);
    const logitScale = torch.tensor(2);
    const rows = predictionRows({ imageEmbeds, textEmbeds, logitScale }, { type: 'contrastive' }, 2);
    expect(rows).toEqual([{ imageEmbeds: [1, 0], textEmbeds: [0.5, 0.5] }, { imageEmbeds: [0, 1], textEmbeds: [1, 1] }]);
    torch.dispose([imageEmbeds, textEmbeds, logitScale]);
  });
});
