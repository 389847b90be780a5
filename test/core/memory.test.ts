// The memory model: scopes (nested, across await), dispose, keep, Symbol.dispose, the GC
// backstop, external-memory reporting, and a 10,000-step training loop that holds a flat line.
import { describe, expect, it } from 'vitest';
import { Tensor, torch } from '../../lib/index.js';

const live = () => torch.memory().tensors;
const gc = (globalThis as { gc?: () => void }).gc;

describe('torch.scope', () => {
  it('frees what was made inside, keeps what is returned', () => {
    const before = live();
    const kept = torch.scope(() => {
      const a = torch.ones([3]);
      const b = a.add(1).mul(2);
      return b;
    });
    expect(live()).toBe(before + 1);
    expect(kept.tolist()).toEqual([4, 4, 4]);
    kept.dispose();
    expect(live()).toBe(before);
  });

  it('returned tensors inside arrays, objects and maps survive', () => {
    const before = live();
    const out = torch.scope(() => {
      torch.zeros([5]);
      return { list: [torch.ones([1]), { deep: torch.ones([2]) }], map: new Map([['k', torch.ones([3])]]), n: 3 };
    });
    expect(live()).toBe(before + 3);
    torch.dispose(out);
    expect(live()).toBe(before);
  });

  it('nested scopes hand results to their parent', () => {
    const before = live();
    const outer = torch.scope(() => {
      const inner = torch.scope(() => torch.ones([2]).add(1));
      expect(inner.isDisposed).toBe(false);
      torch.zeros([1]);
      return inner.mul(3);
    });
    expect(live()).toBe(before + 1);
    expect(outer.tolist()).toEqual([6, 6]);
    outer.dispose();
  });

  it('works across await, and concurrent scopes do not mix', async () => {
    const before = live();
    const step = (k: number) =>
      torch.scope(async () => {
        const a = torch.full([2], k);
        await new Promise((r) => setTimeout(r, 5 * k));
        const b = a.mul(2);
        await Promise.resolve();
        torch.ones([10]);
        return b;
      });
    const [x, y] = await Promise.all([step(1), step(2)]);
    expect(x.tolist()).toEqual([2, 2]);
    expect(y.tolist()).toEqual([4, 4]);
    expect(live()).toBe(before + 2);
    torch.dispose([x, y]);
    expect(live()).toBe(before);
  });

  it('frees everything when the function throws', async () => {
    const before = live();
    expect(() => torch.scope(() => {
      torch.ones([3]);
      throw new Error('boom');
    })).toThrow('boom');
    await expect(torch.scope(async () => {
      torch.ones([3]);
      await Promise.resolve();
      throw new Error('async boom');
    })).rejects.toThrow('async boom');
    expect(live()).toBe(before);
  });

  it('keep() takes a tensor out of the scope; dispose() frees now; Symbol.dispose works', () => {
    const before = live();
    let escaped!: Tensor;
    torch.scope(() => {
      escaped = torch.keep(torch.ones([2]));
      const t = torch.ones([4]);
      t.dispose();
      t.dispose();
      expect(t.isDisposed).toBe(true);
      const u = torch.ones([1]);
      u[Symbol.dispose]();
      expect(u.isDisposed).toBe(true);
    });
    expect(escaped.isDisposed).toBe(false);
    expect(live()).toBe(before + 1);
    escaped.dispose();
    expect(live()).toBe(before);
  });

  it('a disposed tensor from a scope says how to keep it', () => {
    let leaked!: Tensor;
    torch.scope(() => {
      leaked = torch.ones([2]);
    });
    expect(() => leaked.sum()).toThrow(/return it from the scope or call torch.keep/);
  });

  it('views outlive the tensor they were made from', () => {
    const v = torch.scope(() => torch.arange(6).reshape(2, 3).index(1));
    expect(v.tolist()).toEqual([3, 4, 5]);
    v.dispose();
  });
});

describe('the GC backstop and external memory', () => {
  it('frees unscoped tensors once they are garbage', async () => {
    expect(gc, 'run with --expose-gc').toBeDefined();
    const before = live();
    (() => {
      for (let i = 0; i < 200; i++) torch.ones([4]);
    })();
    expect(live()).toBeGreaterThanOrEqual(before + 200);
    for (let i = 0; i < 10 && live() > before; i++) {
      gc!();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(live()).toBeLessThanOrEqual(before);
  });

  it('reports native bytes to V8 as external memory', () => {
    // Node 20's memoryUsage() does not show napi_adjust_external_memory; the addon counts what it told V8.
    const before = torch.memory().reportedToV8;
    const big = torch.zeros([4_000_000]);
    const during = torch.memory().reportedToV8;
    big.dispose();
    const after = torch.memory().reportedToV8;
    expect(during - before).toBeGreaterThan(15_000_000);
    expect(during - after).toBeGreaterThan(15_000_000);
  });

  it('debug mode records where unscoped tensors were made', () => {
    torch.setDebugScopes(true);
    const t = torch.ones([1]);
    const found = torch.leaks().find((l) => l.stack.includes('memory.test'));
    torch.setDebugScopes(false);
    t.dispose();
    expect(found).toBeDefined();
  });
});

describe('a long training loop holds a flat line', () => {
  it('10,000 scoped forward/backward steps end where they started', () => {
    torch.manualSeed(0);
    const w1 = torch.randn([16, 32], { requiresGrad: true });
    const w2 = torch.randn([32, 1], { requiresGrad: true });
    const x = torch.randn([8, 16]);
    const y = torch.randn([8, 1]);
    const step = () =>
      torch.scope(() => {
        const loss = x.matmul(w1).relu().matmul(w2).sub(y).square().mean();
        loss.backward();
        torch.noGrad(() => {
          for (const w of [w1, w2]) {
            w.sub_(w.grad!.mul(1e-3));
            w.grad = null;
          }
        });
        return loss.item();
      });
    for (let i = 0; i < 500; i++) step();
    gc?.();
    const tensorsAtStart = live();
    const rssAtStart = process.memoryUsage().rss;
    let first = 0, last = 0;
    for (let i = 0; i < 10_000; i++) {
      const loss = step();
      if (i === 0) first = loss;
      last = loss;
    }
    gc?.();
    const growth = process.memoryUsage().rss - rssAtStart;
    expect(live()).toBe(tensorsAtStart);
    expect(last).toBeLessThan(first);
    expect(growth, `RSS grew by ${(growth / 1e6).toFixed(1)} MB`).toBeLessThan(30e6);
  });
});
