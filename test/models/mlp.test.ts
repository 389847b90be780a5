// models.MLP: shapes, names, config and input errors, and training on a 2-class spiral.
import { describe, expect, it } from 'vitest';
import { models, nn, torch } from '../../lib/index.js';
import { spiral } from '../helpers/synthetic-data.js';
import { meanOf, train } from '../helpers/tiny-optim.js';

// One intra-op thread: these small models gain nothing from a second one, and vitest's two
// workers on two cores would oversubscribe the CPU (steps measured up to ~100x slower).
torch.setNumThreads(1);

describe('models.MLP', () => {
  it('maps [..., inFeatures] to [..., outFeatures] with Sequential-style names', () => {
    torch.manualSeed(0);
    const mlp = new models.MLP({ inFeatures: 4, hiddenSizes: [8, 6], outFeatures: 3, dropout: 0.1, activation: 'gelu' });
    expect(mlp.config).toEqual({ inFeatures: 4, hiddenSizes: [8, 6], outFeatures: 3, activation: 'gelu', dropout: 0.1, bias: true });
    torch.scope(() => {
      expect(mlp.forward(torch.randn([5, 4])).shape).toEqual([5, 3]);
      expect(mlp.forward(torch.randn([2, 5, 4])).shape).toEqual([2, 5, 3]);
    });
    // Linear, GELU, Dropout per hidden layer, then the output Linear
    expect(Object.keys(mlp.stateDict())).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.3.weight', 'layers.3.bias', 'layers.6.weight', 'layers.6.bias']);
    expect(mlp.layers.at(1)).toBeInstanceOf(nn.GELU);
    expect(mlp.layers.at(2)).toBeInstanceOf(nn.Dropout);
    expect(mlp.numParameters()).toBe(4 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3);
    expect(new models.MLP({ inFeatures: 3, outFeatures: 1, bias: false }).numParameters()).toBe(3);
  });

  it('refuses bad configs and inputs, naming the field or the shape', () => {
    expect(() => new models.MLP({ inFeatures: 0, outFeatures: 2 })).toThrow(models.ModelConfigError);
    expect(() => new models.MLP({ inFeatures: 0, outFeatures: 2 })).toThrow(/MLP config is invalid:\n {2}inFeatures: Too small.*; given 0; fix: use a value > 0/);
    expect(() => new models.MLP({ inFeatures: 2, outFeatures: 2, activation: 'swish' as 'relu' })).toThrow(/activation: .*"swish"/);
    expect(() => new models.MLP({ inFeatures: 2, outFeatures: 2, hiddenSize: [3] } as never)).toThrow(/Unrecognized key: "hiddenSize"/);
    expect(() => new models.MLP({ inFeatures: 2, outFeatures: 2, dropout: 1 })).toThrow(/dropout/);
    expect(() => new models.MLP({ inFeatures: 2.5, outFeatures: 2 })).toThrow(/inFeatures/);
    const mlp = new models.MLP({ inFeatures: 2, hiddenSizes: [4], outFeatures: 2 });
    expect(() => mlp.forward(torch.randn([3, 5]))).toThrow(/expected input of shape \[\.\.\., 2\] \(config inFeatures\), got \[3,5\]/);
    expect(() => mlp.forward([1, 2] as never)).toThrow(TypeError);
  });

  it('learns a 2-class spiral: loss falls below a quarter of its start, accuracy above 95%', () => {
    torch.manualSeed(1);
    const { x, y } = spiral(100, 7);
    const mlp = new models.MLP({ inFeatures: 2, hiddenSizes: [64, 64], outFeatures: 2, activation: 'relu' });
    const losses = train(mlp, 300, () => nn.functional.crossEntropy(mlp.forward(x), y), { lr: 1e-2 });
    expect(losses[0]).toBeGreaterThan(0.6); // ~ln 2 at the start
    expect(meanOf(losses, 10, 'end')).toBeLessThan(losses[0] / 4);
    mlp.eval();
    const accuracy = torch.noGrad(() => torch.scope(() => mlp.forward(x).argmax(1).eq(y).float().mean().item()));
    expect(accuracy).toBeGreaterThan(0.95);
  });
});
