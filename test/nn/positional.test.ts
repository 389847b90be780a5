// Positional embeddings: the sinusoidal table equals the PyTorch tutorial's PositionalEncoding
// formula computed in Python; the learned one adds a trained row per position.
import { afterAll, describe, expect, it } from 'vitest';
import { nn, torch } from '../../lib/index.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

describe('positional embeddings', () => {
  it.skipIf(!py)('sinusoidal positions equal the reference formula', async () => {
    const pe = new nn.SinusoidalPositionalEmbedding(16, 50);
    const x = torch.zeros([2, 10, 16]);
    const theirs = await py!.run<PyTensor>(`import math
pe = torch.zeros(50, 16)
position = torch.arange(0, 50, dtype=torch.float).unsqueeze(1)
div_term = torch.exp(torch.arange(0, 16, 2).float() * (-math.log(10000.0) / 16))
pe[:, 0::2] = torch.sin(position * div_term)
pe[:, 1::2] = torch.cos(position * div_term)
out = pe[:10]`);
    const ours = pe.forward(x);
    expect(compareTensors(ours.index(0), theirs, { atol: 1e-6 })).toBeNull();
    expect(ours.index(1).equal(ours.index(0))).toBe(true);
    expect(Object.keys(pe.stateDict())).toEqual([]);
    expect(() => pe.forward(torch.zeros([1, 60, 16]))).toThrow(/exceeds maxLength 50/);
  });

  it('learned positions add one trained row per position', () => {
    const lpe = new nn.LearnedPositionalEmbedding(8, 4);
    const x = torch.zeros([3, 5, 4]);
    const out = lpe.forward(x);
    expect(out.shape).toEqual([3, 5, 4]);
    expect(out.index(0).equal(lpe.embedding.weight.narrow(0, 0, 5))).toBe(true);
    out.sum().backward();
    expect(lpe.embedding.weight.grad!.narrow(0, 5, 3).abs().sum().item()).toBe(0);
    expect(Object.keys(lpe.stateDict())).toEqual(['embedding.weight']);
  });
});
