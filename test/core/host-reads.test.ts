// torch.hostReads(): every copy of tensor values into JavaScript counts once, and nothing else
// does (ops, metadata, device-side reductions), so a training step can be checked for host syncs.
import { describe, expect, it } from 'vitest';
import { tensorBytes } from '../../lib/core/bytes.js';
import { torch } from '../../lib/index.js';

/** How many host reads fn made. */
function readsOf(fn: () => unknown): number {
  const before = torch.hostReads();
  torch.scope(fn);
  return torch.hostReads() - before;
}

describe('torch.hostReads', () => {
  it('counts each read of values into JavaScript once', () => {
    const x = torch.tensor([[1, 2], [3, 4]]);
    expect(readsOf(() => x.sum().item())).toBe(1);
    expect(readsOf(() => torch.tensor([5], { dtype: 'int64' }).itemBigInt())).toBe(1);
    expect(readsOf(() => x.data())).toBe(1);
    expect(readsOf(() => x.tolist())).toBe(1);
    expect(readsOf(() => x.toString())).toBe(1);
    expect(readsOf(() => String(torch.zeros([3000])))).toBe(1); // summarised before the copy
    expect(readsOf(() => tensorBytes(x))).toBe(1);
    expect(readsOf(() => x.equal(x))).toBe(1);
    expect(readsOf(() => x.allclose(x))).toBe(1);
    expect(readsOf(() => torch.ops.aten.item(x.sum()))).toBe(1);
    x.dispose();
  });

  it('does not count ops, metadata or results left on the device', () => {
    const x = torch.randn([4, 3], { requiresGrad: true });
    const reads = readsOf(() => {
      const loss = x.mul(2).relu().sum();
      loss.backward();
      void [x.shape, x.dtype, x.device, x.numel(), x.isContiguous(), x.requiresGrad, x.grad?.shape];
      return torch.ops.aten.add(x, x).mean();
    });
    expect(reads).toBe(0);
    expect(readsOf(() => torch.tensor([1, 2]).toString.length)).toBe(0);
    x.dispose();
  });

  it('is monotonic', () => {
    const a = torch.hostReads();
    torch.scope(() => torch.ones([2]).sum().item());
    const b = torch.hostReads();
    expect(b).toBeGreaterThan(a);
    expect(torch.hostReads()).toBe(b);
  });
});
