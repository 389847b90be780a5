// Activation checkpointing (nn.checkpoint, and the zoo's gradientCheckpointing flag): the same
// gradients as without it (bit for bit on CPU: the recomputation replays the forward's RNG and
// autocast state), errors from the recomputation reach backward's caller, no handles leak.
import { describe, expect, it } from 'vitest';
import { type Tensor, amp, models, nn, torch } from '../../lib/index.js';

torch.setNumThreads(1);

function grads(model: nn.Module): Map<string, Tensor> {
  return new Map(model.namedParameters().map(([n, p]) => [n, p.grad ? p.grad.clone() : torch.zeros([0])]));
}

function expectSameGrads(a: Map<string, Tensor>, b: Map<string, Tensor>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, g] of a) expect(g.equal(b.get(name)!), name).toBe(true);
}

describe('nn.checkpoint', () => {
  const l1 = new nn.Linear(6, 12), l2 = new nn.Linear(12, 6), drop = new nn.Dropout(0.3);
  const block = (x: Tensor) => l2.forward(drop.forward(l1.forward(x).relu()));

  it('gives the gradients of the plain call, dropout included, and leaves the RNG stream where the plain call does', () => {
    const x = torch.randn([4, 6], { requiresGrad: true });
    const run = (useCheckpoint: boolean) => {
      x.grad = null;
      l1.zeroGrad();
      l2.zeroGrad();
      torch.manualSeed(5);
      const y = useCheckpoint ? nn.checkpoint(block, [x]) : block(x);
      const next = torch.rand([3]);
      y.pow(2).sum().backward();
      return { y: y.detach(), next, gx: x.grad!, g1: l1.weight.grad!, g2: l2.bias!.grad!, after: torch.rand([3]) };
    };
    const plain = run(false), ckpt = run(true);
    for (const k of ['y', 'next', 'gx', 'g1', 'g2', 'after'] as const) expect(ckpt[k].equal(plain[k]), k).toBe(true);
  });

  it('records only its own node: the output\'s grad_fn is CheckpointBackward', () => {
    const x = torch.randn([2, 6], { requiresGrad: true });
    const y = nn.checkpoint(block, [x]);
    expect(y.gradFn).toBe('CheckpointBackward');
    expect(y.requiresGrad).toBe(true);
  });

  it('trains parameters even when no input requires grad (frozen embeddings below, LoRA above)', () => {
    l1.zeroGrad();
    nn.checkpoint(block, [torch.randn([2, 6])]).sum().backward();
    expect(l1.weight.grad).not.toBeNull();
  });

  it('is a plain call with grad off', () => {
    const y = torch.noGrad(() => nn.checkpoint(block, [torch.randn([2, 6], { requiresGrad: true })]));
    expect(y.gradFn).toBeNull();
  });

  it('recomputes under the forward\'s autocast state', () => {
    const x = torch.randn([4, 6], { requiresGrad: true });
    const run = (useCheckpoint: boolean) => {
      x.grad = null;
      l1.zeroGrad();
      torch.manualSeed(1);
      const y = amp.autocast({ deviceType: 'cpu', dtype: 'bfloat16' }, () => (useCheckpoint ? nn.checkpoint(block, [x]) : block(x)));
      expect(y.dtype).toBe('bfloat16');
      y.float().sum().backward();
      return [x.grad!, l1.weight.grad!];
    };
    const [a, b] = [run(false), run(true)];
    expect(b[0].equal(a[0])).toBe(true);
    expect(b[1].equal(a[1])).toBe(true);
  });

  it('an error in the recomputation reaches the backward() call as itself; the next backward works', () => {
    const x = torch.randn([2, 6], { requiresGrad: true });
    let calls = 0;
    const y = nn.checkpoint((t) => {
      if (calls++ > 0) throw new SyntaxError('bad block');
      return t.mul(2);
    }, [x]);
    expect(() => y.sum().backward()).toThrow(SyntaxError);
    nn.checkpoint((t) => t.mul(3), [x]).sum().backward();
    expect(x.grad!.equal(torch.fullLike(x, 3))).toBe(true);
  });

  it('rejects what it cannot checkpoint', () => {
    expect(() => nn.checkpoint('f' as never, [])).toThrow(/expected the block as a function, got/);
    expect(() => nn.checkpoint(block, [1] as never)).toThrow(/inputs\[0\] must be a Tensor/);
    expect(() => nn.checkpoint(() => 3 as never, [torch.randn([1], { requiresGrad: true })])).toThrow(/the block must return one Tensor/);
  });

  it('frees what it holds: no tensor handles are left after backward', () => {
    const x = torch.randn([4, 6], { requiresGrad: true });
    torch.scope(() => nn.checkpoint(block, [x]).sum().backward()); // warm-up (first-call allocations)
    const before = torch.memory().tensors;
    for (let i = 0; i < 5; i++) torch.scope(() => nn.checkpoint(block, [x]).sum().backward());
    expect(torch.memory().tensors).toBe(before);
  });
});

describe('gradientCheckpointing on the zoo\'s transformers', () => {
  it('GPT: the same loss and gradients with and without (dropout on)', () => {
    const config = { vocabSize: 23, blockSize: 12, nLayer: 3, nHead: 2, nEmbd: 16, dropout: 0.1 };
    torch.manualSeed(0);
    const plain = new models.GPT(config);
    torch.manualSeed(0);
    const ckpt = new models.GPT({ ...config, gradientCheckpointing: true });
    const idx = torch.randint(0, 23, [3, 12], { dtype: 'int64' });
    const step = (m: models.GPT) => {
      torch.manualSeed(9);
      const loss = nn.functional.crossEntropy(m.forward(idx).flatten(0, 1), idx.flatten());
      loss.backward();
      return loss.item();
    };
    expect(step(ckpt)).toBe(step(plain));
    expectSameGrads(grads(ckpt), grads(plain));
    // eval: no checkpointing, so no recompute node
    ckpt.eval();
    expect(ckpt.transformer.forward(idx).gradFn).not.toMatch(/Checkpoint/);
  });

  it('Bert with a padding mask: the same gradients with and without', () => {
    const config = { vocabSize: 30, maxLength: 10, hidden: 16, layers: 2, heads: 2, intermediate: 32, numClasses: 3, dropout: 0.1 };
    torch.manualSeed(0);
    const plain = new models.Bert(config);
    torch.manualSeed(0);
    const ckpt = new models.Bert({ ...config, gradientCheckpointing: true });
    const ids = torch.randint(0, 30, [2, 10], { dtype: 'int64' });
    const attentionMask = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]], { dtype: 'int64' });
    const step = (m: models.Bert) => {
      torch.manualSeed(4);
      const loss = m.classify(ids, { attentionMask }).logSoftmax(-1).select(1, 0).sum();
      loss.backward();
      return loss.item();
    };
    expect(step(ckpt)).toBe(step(plain));
    expectSameGrads(grads(ckpt), grads(plain));
  });
});
