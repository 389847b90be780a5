// models.LeNet: shapes at several image sizes, names and counts, errors, and training on
// synthetic images whose class is the quadrant holding a bright square.
import { describe, expect, it } from 'vitest';
import { models, nn, torch } from '../../lib/index.js';
import { squareImages } from '../helpers/synthetic-data.js';
import { meanOf, train } from '../helpers/tiny-optim.js';

// One intra-op thread: these small models gain nothing from a second one, and vitest's two
// workers on two cores would oversubscribe the CPU (steps measured up to ~100x slower).
torch.setNumThreads(1);

describe('models.LeNet', () => {
  it('gives [batch, numClasses] logits and has LeNet-5\'s 61,706 parameters at its defaults', () => {
    torch.manualSeed(0);
    const net = new models.LeNet();
    expect(net.config).toEqual({ inChannels: 1, numClasses: 10, imageSize: 28 });
    expect(net.numParameters()).toBe(61706);
    expect(net.namedParameters().map(([n]) => n)).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias',
      'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']);
    torch.scope(() => expect(net.forward(torch.randn([3, 1, 28, 28])).shape).toEqual([3, 10]));
    const colour = new models.LeNet({ inChannels: 3, numClasses: 4, imageSize: 32 });
    expect(colour.fc1.inFeatures).toBe(16 * 6 * 6);
    torch.scope(() => expect(colour.forward(torch.randn([2, 3, 32, 32])).shape).toEqual([2, 4]));
    const smallest = new models.LeNet({ imageSize: 12 });
    torch.scope(() => expect(smallest.forward(torch.randn([1, 1, 12, 12])).shape).toEqual([1, 10]));
  });

  it('refuses images of the wrong size, channels, rank or dtype, and too-small image sizes', () => {
    const net = new models.LeNet();
    expect(() => net.forward(torch.randn([2, 1, 32, 32]))).toThrow(/expected 28x28 images \(config imageSize\), got shape \[2,1,32,32\]/);
    expect(() => net.forward(torch.randn([2, 3, 28, 28]))).toThrow(/expected 1 input channel\(s\) \(config inChannels\)/);
    expect(() => net.forward(torch.randn([1, 28, 28]))).toThrow(/\[batch, channels, height, width\].*unsqueeze\(0\)/);
    expect(() => net.forward(torch.zeros([1, 1, 28, 28], { dtype: 'uint8' }))).toThrow(/floating point, got uint8/);
    expect(() => new models.LeNet({ imageSize: 11 })).toThrow(/imageSize: must be at least 12/);
  });

  it('learns which quadrant holds the square: loss below a quarter of its start, accuracy above 90% on new images', () => {
    torch.manualSeed(2);
    const net = new models.LeNet({ numClasses: 4 });
    // a fresh batch every step: the net must learn the rule, not memorise positions
    const losses = train(net, 60, (step) => {
      const batch = squareImages(32, { channels: 1, size: 28, seed: 1000 + step });
      return nn.functional.crossEntropy(net.forward(batch.images), torch.tensor(batch.quadrants, { dtype: 'int64' }));
    }, { lr: 2e-3 });
    expect(meanOf(losses, 4, 'end')).toBeLessThan(meanOf(losses, 4, 'start') / 4);
    const test = squareImages(64, { channels: 1, size: 28, seed: 12 });
    net.eval();
    const accuracy = torch.noGrad(() => torch.scope(() =>
      net.forward(test.images).argmax(1).eq(torch.tensor(test.quadrants, { dtype: 'int64' })).float().mean().item()));
    expect(accuracy).toBeGreaterThan(0.9);
  });
});
