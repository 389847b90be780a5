// models.ResNetMini: shapes (any image size, thanks to adaptive pooling), torchvision-style
// names, projection shortcuts, BatchNorm state, errors, and training on the quadrant task.
import { describe, expect, it } from 'vitest';
import { models, nn, torch } from '../../lib/index.js';
import { squareImages } from '../helpers/synthetic-data.js';
import { meanOf, train } from '../helpers/tiny-optim.js';

// One intra-op thread: these small models gain nothing from a second one, and vitest's two
// workers on two cores would oversubscribe the CPU (steps measured up to ~100x slower).
torch.setNumThreads(1);

describe('models.ResNetMini', () => {
  it('gives [batch, numClasses] logits for any image size, with torchvision-style names', () => {
    torch.manualSeed(0);
    const net = new models.ResNetMini();
    expect(net.config).toEqual({ inChannels: 3, numClasses: 10, widths: [16, 32, 64], blocksPerStage: 1 });
    expect(net.numParameters()).toBe(78042);
    torch.scope(() => {
      expect(net.forward(torch.randn([2, 3, 32, 32])).shape).toEqual([2, 10]);
      expect(net.forward(torch.randn([2, 3, 20, 13])).shape).toEqual([2, 10]);
    });
    const keys = Object.keys(net.stateDict());
    expect(keys.slice(0, 7)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked', 'layer1.0.conv1.weight']);
    expect(keys).toContain('layer2.0.downsample.0.weight'); // the 1x1 projection (16 -> 32, stride 2)
    expect(keys).toContain('layer2.0.downsample.1.running_var');
    expect(keys.some((k) => k.startsWith('layer1.0.downsample'))).toBe(false); // identity: shapes agree
    expect(keys.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    const deeper = new models.ResNetMini({ widths: [8, 16], blocksPerStage: 2, numClasses: 3, inChannels: 1 });
    expect(deeper.namedModules().map(([n]) => n).filter((n) => /^layer\d\.\d$/.test(n))).toEqual(['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1']);
    torch.scope(() => expect(deeper.forward(torch.randn([2, 1, 16, 16])).shape).toEqual([2, 3]));
  });

  it('refuses bad configs and inputs', () => {
    expect(() => new models.ResNetMini({ widths: [] })).toThrow(/widths: /);
    expect(() => new models.ResNetMini({ widths: [16, -2] })).toThrow(/widths\.1: /);
    const net = new models.ResNetMini({ widths: [4] });
    expect(() => net.forward(torch.randn([2, 1, 32, 32]))).toThrow(/expected 3 input channel\(s\)/);
  });

  it('learns which quadrant holds the square (BatchNorm in train, then eval mode): loss below half, accuracy above 90%', () => {
    torch.manualSeed(3);
    const net = new models.ResNetMini({ numClasses: 4, widths: [8, 16, 32] });
    // a fresh batch every step: the net must learn the rule, not memorise positions
    const losses = train(net, 60, (step) => {
      const batch = squareImages(32, { channels: 3, size: 32, seed: 2000 + step });
      return nn.functional.crossEntropy(net.forward(batch.images), torch.tensor(batch.quadrants, { dtype: 'int64' }));
    }, { lr: 5e-3 });
    expect(meanOf(losses, 4, 'end')).toBeLessThan(meanOf(losses, 4, 'start') / 2);
    expect(net.bn1.numBatchesTracked!.item()).toBe(60);
    const test = squareImages(64, { channels: 3, size: 32, seed: 22 });
    net.eval(); // running statistics from here on
    const accuracy = torch.noGrad(() => torch.scope(() =>
      net.forward(test.images).argmax(1).eq(torch.tensor(test.quadrants, { dtype: 'int64' })).float().mean().item()));
    expect(accuracy).toBeGreaterThan(0.9);
  });
});
