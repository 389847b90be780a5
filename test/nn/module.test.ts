// nn.Module's contract: registration and PyTorch-style names, traversal, state dicts with
// clear load errors, modes, devices and dtypes in place, freezing, apply, counts, summary, repr.
import { describe, expect, it } from 'vitest';
import { Tensor, nn, torch } from '../../lib/index.js';

class Block extends nn.Module {
  declare fc: nn.Linear;
  declare norm: nn.LayerNorm;
  declare scale: nn.Parameter;
  declare steps: Tensor;
  constructor() {
    super();
    this.fc = new nn.Linear(4, 4);
    this.norm = new nn.LayerNorm(4);
    this.scale = new nn.Parameter(torch.ones([1]));
    this.registerBuffer('steps', torch.zeros([1]));
    this.registerBuffer('cache', torch.zeros([2]), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return this.norm.forward(this.fc.forward(x)).mul(this.scale);
  }
}

class Net extends nn.Module {
  declare blocks: nn.ModuleList;
  declare head: nn.Linear;
  constructor() {
    super();
    this.blocks = new nn.ModuleList([new Block(), new Block()]);
    this.head = new nn.Linear(4, 2);
  }
  forward(x: Tensor): Tensor {
    for (const b of this.blocks) x = b.forward(x);
    return this.head.forward(x);
  }
}

describe('nn.Module', () => {
  it('names parameters, buffers and modules as PyTorch does, in registration order', () => {
    const net = new Net();
    // (Python's order, checked against torch.nn: a module's own parameters come before its children's)
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'blocks.0.scale', 'blocks.0.fc.weight', 'blocks.0.fc.bias', 'blocks.0.norm.weight', 'blocks.0.norm.bias',
      'blocks.1.scale', 'blocks.1.fc.weight', 'blocks.1.fc.bias', 'blocks.1.norm.weight', 'blocks.1.norm.bias', 'head.weight', 'head.bias']);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['blocks.0.steps', 'blocks.0.cache', 'blocks.1.steps', 'blocks.1.cache']);
    expect(Object.keys(net.stateDict())).toEqual([
      'blocks.0.scale', 'blocks.0.steps', 'blocks.0.fc.weight', 'blocks.0.fc.bias', 'blocks.0.norm.weight', 'blocks.0.norm.bias',
      'blocks.1.scale', 'blocks.1.steps', 'blocks.1.fc.weight', 'blocks.1.fc.bias', 'blocks.1.norm.weight', 'blocks.1.norm.bias', 'head.weight', 'head.bias']);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'blocks', 'blocks.0', 'blocks.0.fc', 'blocks.0.norm', 'blocks.1', 'blocks.1.fc', 'blocks.1.norm', 'head']);
    expect(net.children().length).toBe(2);
  });

  it('lists a shared parameter once, and keeps both keys in the state dict', () => {
    class Tied extends nn.Module {
      declare a: nn.Linear;
      declare b: nn.Linear;
      constructor() {
        super();
        this.a = new nn.Linear(3, 3, { bias: false });
        this.b = new nn.Linear(3, 3, { bias: false });
        this.b.weight = this.a.weight;
      }
      forward(x: Tensor) { return this.b.forward(this.a.forward(x)); }
    }
    const m = new Tied();
    expect(m.parameters().length).toBe(1);
    expect(Object.keys(m.stateDict())).toEqual(['a.weight', 'b.weight']);
    expect(m.numParameters()).toBe(9);
  });

  it('parameters are never freed by a scope', () => {
    const lin = torch.scope(() => new nn.Linear(2, 2));
    expect(lin.weight.isDisposed).toBe(false);
    torch.scope(() => lin.forward(torch.ones([1, 2])).sum().backward());
    expect(lin.weight.grad!.shape).toEqual([2, 2]);
  });

  it('stateDict round-trips through loadStateDict', () => {
    torch.manualSeed(1);
    const a = new Net();
    torch.manualSeed(2);
    const b = new Net();
    const x = torch.randn([3, 4]);
    expect(a.forward(x).equal(b.forward(x))).toBe(false);
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(a.forward(x).equal(b.forward(x))).toBe(true);
  });

  it('loadStateDict names missing and unexpected keys and shape mismatches, and loads nothing then', () => {
    const m = new nn.Linear(3, 2);
    const before = m.weight.clone();
    expect(() => m.loadStateDict({ weight: torch.zeros([2, 3]), extra: torch.zeros([1]) })).toThrow(
      /Error\(s\) in loading state_dict for Linear:\n\tMissing key\(s\) in state_dict: "bias"\n\tUnexpected key\(s\) in state_dict: "extra"/);
    expect(m.weight.equal(before)).toBe(true);
    expect(() => m.loadStateDict({ weight: torch.zeros([3, 3]), bias: torch.zeros([2]) })).toThrow(
      /size mismatch for weight: copying a param with shape \[3,3\] from checkpoint, the shape in current model is \[2,3\]/);
    expect(m.loadStateDict({ weight: torch.zeros([2, 3]), other: torch.zeros([1]) }, { strict: false })).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['other'] });
    expect(m.weight.sum().item()).toBe(0);
  });

  it('train()/eval() reach every module; Dropout obeys them', () => {
    const net = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout(0.9));
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    const x = torch.ones([2, 4]);
    expect(net.forward(x).equal(net.forward(x))).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
  });

  it('to(dtype) casts floating parameters and buffers in place, keeping the Parameter objects', () => {
    const bn = new nn.BatchNorm1d(3);
    const weight = bn.weight;
    bn.to('float64');
    expect(bn.weight).toBe(weight);
    expect(bn.weight!.dtype).toBe('float64');
    expect(bn.runningMean!.dtype).toBe('float64');
    expect(bn.numBatchesTracked!.dtype).toBe('int64');
    expect(bn.forward(torch.randn([4, 3], { dtype: 'float64' })).dtype).toBe('float64');
    expect(() => bn.to('gpu')).toThrow(/not a device/);
    bn.to({ device: 'cpu' });
    if (!torch.cuda.isAvailable()) expect(() => bn.to('cuda')).toThrow();
  });

  it('zeroGrad, requiresGrad_ (freezing), apply, numParameters', () => {
    const net = new Net();
    net.forward(torch.ones([1, 4])).sum().backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad(false);
    expect(net.parameters().every((p) => p.grad!.abs().sum().item() === 0)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    net.blocks.requiresGrad_(false);
    expect(net.numParameters({ trainableOnly: true })).toBe(10);
    expect(net.numParameters()).toBe(2 * (16 + 4 + 4 + 4 + 1) + 10);
    const seen: string[] = [];
    net.apply((m) => seen.push(m.constructor.name));
    expect(seen.at(-1)).toBe('Net');
    expect(seen.indexOf('Linear')).toBeLessThan(seen.indexOf('Block'));
  });

  it('prints like PyTorch and summarises output shapes and counts', () => {
    const net = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8, 3));
    expect(net.toString()).toBe([
      'Sequential(',
      '  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))',
      '  (1): ReLU()',
      '  (2): Flatten(start_dim=1, end_dim=-1)',
      '  (3): Linear(in_features=8, out_features=3, bias=True)',
      ')'].join('\n'));
    const text = net.summary(torch.randn([5, 1, 4, 4]));
    expect(text).toMatch(/0 \(Conv2d\)\s+\[5, 2, 2, 2\]\s+20/);
    expect(text).toMatch(/3 \(Linear\)\s+\[5, 3\]\s+27/);
    expect(text).toMatch(/Total params: 47/);
  });

  it('rejects bad registrations clearly', () => {
    class Bad extends nn.Module {
      constructor() {
        super();
        this.registerParameter('a.b', null);
      }
      forward() { return null; }
    }
    expect(() => new Bad()).toThrow(/name must be a non-empty string without '.'/);
    expect(() => new nn.Parameter(3 as unknown as Tensor)).toThrow(/Parameter: data must be a Tensor/);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
    expect(() => new nn.BatchNorm2d(3).forward(torch.ones([2, 3]))).toThrow(/expected 4D input, got 2D/);
  });
});

describe('layer sizes', () => {
  it('a negative or fractional size names the layer and the argument', () => {
    expect(() => new nn.Linear(-1, 3)).toThrow(/nn.Linear: inFeatures must be a non-negative integer, got -1/);
    expect(() => new nn.Linear(3, 2.5)).toThrow(/nn.Linear: outFeatures must be a non-negative integer, got 2.5/);
    expect(() => new nn.Embedding(-4, 2)).toThrow(/nn.Embedding: numEmbeddings/);
    expect(() => new nn.Conv2d(3, -8, 3)).toThrow(/Conv2d: outChannels/);
  });
});

describe('attention masks of the wrong shape', () => {
  it('say which mask, its shape and the expected one (not baddbmm)', () => {
    torch.manualSeed(0);
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    const x = torch.randn([3, 5, 8]);
    expect(() => mha.forward(x, x, x, { keyPaddingMask: torch.zeros([3, 4], { dtype: 'bool' }) })).toThrow(/keyPaddingMask has shape \[3,4\], expected \[3, 5\]/);
    expect(() => mha.forward(x, x, x, { attnMask: torch.zeros([5, 4]) })).toThrow(/attnMask has shape \[5,4\], expected \[5, 5\]/);
    expect(() => mha.forward(x, x, x, { attnMask: torch.zeros([5, 4]) })).not.toThrow(/baddbmm/);
    expect(mha.forward(x, x, x, { keyPaddingMask: torch.zeros([3, 5], { dtype: 'bool' }) })[0].shape).toEqual([3, 5, 8]);
  });
});
