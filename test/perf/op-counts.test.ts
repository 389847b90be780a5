// torch.profiler and the op lists it makes deterministic: the batch-first attention path must
// not copy q/k/v or build a causal mask (nanoGPT's layout: one copy, the output's transpose).
import { describe, expect, it } from 'vitest';
import { nn, torch } from '../../lib/index.js';

describe('torch.profiler.record', () => {
  it('records the ops a function runs, with their nesting, and returns its result', () => {
    const a = torch.keep(torch.ones([2, 2]));
    const { result, profile } = torch.profiler.record(() => torch.scope(() => a.add(a).mul(2).sum().item()));
    expect(result).toBe(16);
    const names = profile.events.filter((e) => e.depth === 0).map((e) => e.name);
    expect(names.slice(0, 3)).toEqual(['aten::add', 'aten::mul', 'aten::sum']);
    expect(profile.counts().get('aten::add')).toBe(1);
    expect(profile.summary().find((s) => s.name === 'aten::mul')?.count).toBe(1);
    expect(() => torch.profiler.record(() => torch.profiler.record(() => 1))).toThrow(/cannot nest/);
    expect(torch.profiler.record(() => 2).result).toBe(2); // usable again after the error
  });

  it('one GPT block: no copy of q/k/v and no causal mask in the forward, fewer copies in backward', () => {
    torch.manualSeed(0);
    const block = new nn.TransformerDecoderBlock(32, 4);
    const x = torch.keep(torch.randn([2, 8, 32], { requiresGrad: true }));
    const forward = torch.profiler.record(() => torch.scope(() => { block.forward(x); })).profile.counts();
    // the only copies are addmm's bias broadcasts (one per Linear, as in PyTorch); no layout copy
    expect(forward.get('aten::clone') ?? 0).toBe(0);
    expect(forward.get('aten::contiguous') ?? 0).toBe(0);
    expect(forward.get('aten::copy_') ?? 0).toBe(forward.get('aten::addmm'));
    expect(forward.get('aten::full') ?? 0).toBe(0);
    expect(forward.get('aten::triu') ?? 0).toBe(0);
    const step = torch.profiler.record(() => torch.scope(() => { block.forward(x).sum().backward(); })).profile.counts();
    // nanoGPT's block (torch.profiler, PyTorch 2.15): 7 copy_ and 2 clone per forward + backward;
    // PyTorch's nn.MultiheadAttention block: 21 and 14 (and ours was, before this layout)
    expect(step.get('aten::copy_') ?? 0).toBeLessThanOrEqual(7);
    expect(step.get('aten::clone') ?? 0).toBeLessThanOrEqual(2);
  });
});
