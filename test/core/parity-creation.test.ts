// Parity with Python PyTorch: factories, seeded random draws, generator state, and autograd
// (backward with retainGraph, torch.autograd.grad with createGraph for gradient penalties).
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, torch } from '../../lib/index.js';
import { type PyTensor, TorchPython, compareTensors } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

async function same(ours: Tensor[], code: string, inputs: Record<string, unknown> = {}) {
  const theirs = await py!.run<PyTensor[]>(code, inputs);
  expect(theirs.length).toBe(ours.length);
  ours.forEach((t, i) => expect(compareTensors(t, theirs[i]), `output ${i}`).toBeNull());
}

describe.skipIf(!py)('factories match PyTorch', () => {
  it('constant factories and dtype defaults', async () => {
    await same(
      [torch.zeros([2, 3]), torch.ones(4, { dtype: 'int32' }), torch.full([2, 2], 2.5), torch.full([3], true), torch.eye(3), torch.eye(2, 4, { dtype: 'float64' }),
        torch.arange(5), torch.arange(1, 4), torch.arange(0, 1, 0.1), torch.arange(10, 0, -3), torch.linspace(-1, 1, 7), torch.scalarTensor(3.5)],
      `out = [torch.zeros(2, 3), torch.ones(4, dtype=torch.int32), torch.full((2, 2), 2.5), torch.full((3,), True), torch.eye(3), torch.eye(2, 4, dtype=torch.float64),
        torch.arange(5), torch.arange(1, 4), torch.arange(0, 1, 0.1), torch.arange(10, 0, -3), torch.linspace(-1, 1, 7), torch.tensor(3.5)]`);
  });

  it('torch.tensor from nested arrays and typed arrays', async () => {
    await same(
      [torch.tensor([[1.5, 2], [3, 4]]), torch.tensor([1n, -2n, 3n]), torch.tensor([true, false]), torch.tensor(7), torch.tensor([[1, 2]], { dtype: 'int64' }),
        torch.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] }), torch.tensor(new Float64Array([0.1, 0.2])), torch.tensor([0.1, 1e-8], { dtype: 'float16' }),
        torch.tensor([[1.7, -1.7]], { dtype: 'int32' })],
      `out = [torch.tensor([[1.5, 2], [3, 4]]), torch.tensor([1, -2, 3]), torch.tensor([True, False]), torch.tensor(7.), torch.tensor([[1, 2]]),
        torch.tensor([1, 2, 3, 4, 5, 6], dtype=torch.int32).reshape(2, 3), torch.tensor([0.1, 0.2], dtype=torch.float64), torch.tensor([0.1, 1e-8], dtype=torch.float16),
        torch.tensor([[1.7, -1.7]]).to(torch.int32)]`);
  });

  it('*Like factories keep dtype and shape', async () => {
    const base = torch.ones([2, 3], { dtype: 'float64' });
    await same([torch.zerosLike(base), torch.onesLike(base, { dtype: 'int64' }), torch.fullLike(base, 4)],
      'out = [torch.zeros_like(b), torch.ones_like(b, dtype=torch.int64), torch.full_like(b, 4)]', { b: base });
  });
});

describe.skipIf(!py)('random draws match torch.manual_seed', () => {
  it('randn, rand, randint, randperm-free draws and in-place fills', async () => {
    const draw = () => {
      torch.manualSeed(42);
      return [torch.randn([3, 4]), torch.rand([5]), torch.randint(0, 10, [6]), torch.randint(5, [2, 2]), torch.randn([2], { dtype: 'float64' }),
        torch.empty([4]).uniform_(-2, 3), torch.empty([4]).normal_(1, 0.5), torch.empty([6]).bernoulli_(0.3), torch.randLike(torch.ones([3])),
        torch.randn([1000])];
    };
    await same(draw(), `torch.manual_seed(42)
out = [torch.randn(3, 4), torch.rand(5), torch.randint(0, 10, (6,)), torch.randint(5, (2, 2)), torch.randn(2, dtype=torch.float64),
  torch.empty(4).uniform_(-2, 3), torch.empty(4).normal_(1, 0.5), torch.empty(6).bernoulli_(0.3), torch.rand_like(torch.ones(3)), torch.randn(1000)]`);
  });

  it('generator state round-trips, also through Python', async () => {
    torch.manualSeed(7);
    torch.randn([10]);
    const state = torch.getRngState();
    const a = torch.randn([5]);
    torch.setRngState(state);
    const b = torch.randn([5]);
    expect(a.equal(b)).toBe(true);
    const stateTensor = torch.tensor(state, { dtype: 'uint8' });
    await same([a], 'torch.set_rng_state(s)\nout = [torch.randn(5)]', { s: stateTensor });
    expect(() => torch.setRngState(new Uint8Array(3))).toThrow(/setRngState/);
  });

  it('seed() and initialSeed()', () => {
    torch.manualSeed(123);
    expect(torch.initialSeed()).toBe(123n);
    const s = torch.seed();
    expect(torch.initialSeed()).toBe(s);
  });
});

describe.skipIf(!py)('autograd matches PyTorch', () => {
  it('backward with an explicit gradient and retainGraph, grads accumulate', async () => {
    torch.manualSeed(1);
    const w = torch.randn([3, 3], { requiresGrad: true });
    const x = torch.randn([3]);
    const y = w.matmul(x).tanh();
    const g = torch.tensor([1, -2, 0.5]);
    y.backward(g, { retainGraph: true });
    y.backward(g);
    expect(() => y.backward(g)).toThrow(/backward through the graph a second time|retain_graph/);
    await same([w.grad!], `w.requires_grad_(True)
y = (w @ x).tanh()
y.backward(g, retain_graph=True)
y.backward(g)
out = [w.grad]`, { w: w.detach(), x, g });
  });

  it('retainGrad keeps non-leaf gradients; grad can be cleared', () => {
    const a = torch.ones([2], { requiresGrad: true });
    const b = a.mul(3);
    b.retainGrad();
    expect(b.retainsGrad).toBe(true);
    expect(a.isLeaf).toBe(true);
    expect(b.isLeaf).toBe(false);
    expect(b.gradFn).toBe('MulBackward0');
    b.sum().backward();
    expect(b.grad!.tolist()).toEqual([1, 1]);
    expect(a.grad!.tolist()).toEqual([3, 3]);
    a.grad = null;
    expect(a.grad).toBeNull();
    a.grad = torch.zeros([2]);
    expect(a.grad!.tolist()).toEqual([0, 0]);
  });

  it('autograd.grad with createGraph gives second derivatives (gradient penalty)', async () => {
    torch.manualSeed(3);
    const w = torch.randn([4, 3], { requiresGrad: true });
    const x = torch.randn([5, 4], { requiresGrad: true });
    const out = x.matmul(w).sigmoid().sum();
    const [gx] = torch.autograd.grad(out, x, { createGraph: true });
    const penalty = gx!.norm(2, 1).sub(1).square().mean();
    const [gw, gx2] = torch.autograd.grad(penalty, [w, x]);
    await same([gx!.detach(), penalty.detach(), gw!, gx2!], `w.requires_grad_(True); x.requires_grad_(True)
out = (x @ w).sigmoid().sum()
gx, = torch.autograd.grad(out, x, create_graph=True)
penalty = (torch.linalg.vector_norm(gx, 2, 1) - 1).square().mean()
gw, gx2 = torch.autograd.grad(penalty, [w, x])
out = [gx.detach(), penalty.detach(), gw, gx2]`, { w: w.detach(), x: x.detach() });
  });

  it('allowUnused returns null for unused inputs', () => {
    const a = torch.ones([2], { requiresGrad: true });
    const b = torch.ones([2], { requiresGrad: true });
    expect(() => torch.autograd.grad(a.sum(), [a, b])).toThrow(/allow_unused|not have been used/);
    const [ga, gb] = torch.autograd.grad(a.sum(), [a, b], { allowUnused: true });
    expect(ga!.tolist()).toEqual([1, 1]);
    expect(gb).toBeNull();
  });

  it('noGrad and enableGrad nest and restore, also on throw and across await', async () => {
    const w = torch.ones([2], { requiresGrad: true });
    torch.noGrad(() => {
      expect(w.mul(2).requiresGrad).toBe(false);
      torch.enableGrad(() => expect(w.mul(2).requiresGrad).toBe(true));
      expect(torch.isGradEnabled()).toBe(false);
    });
    expect(() => torch.noGrad(() => { throw new Error('x'); })).toThrow('x');
    expect(torch.isGradEnabled()).toBe(true);
    await torch.noGrad(async () => {
      await Promise.resolve();
      expect(torch.isGradEnabled()).toBe(false);
    });
    expect(torch.isGradEnabled()).toBe(true);
  });
});

describe('threads and devices', () => {
  it('setNumThreads / getNumThreads', () => {
    const n = torch.getNumThreads();
    torch.setNumThreads(1);
    expect(torch.getNumThreads()).toBe(1);
    torch.setNumThreads(n);
    expect(torch.getNumThreads()).toBe(n);
  });

  it('cuda.isAvailable and deviceCount agree', () => {
    expect(typeof torch.cuda.isAvailable()).toBe('boolean');
    expect(torch.cuda.deviceCount() > 0).toBe(torch.cuda.isAvailable());
    expect(torch.defaultDevice()).toBe(torch.cuda.isAvailable() ? 'cuda' : 'cpu');
  });

  it('info() names the libtorch and how it was found', () => {
    const info = torch.info();
    expect(info.libtorchVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(['python', 'system', 'LIBTORCH']).toContain(info.libtorchSource);
    expect(info.numThreads).toBe(torch.getNumThreads());
  });
});
