// Generator states by device: the CPU's by default, a CUDA device's by name (checkpoints save each).
import { describe, expect, it } from 'vitest';
import { torch } from '../../lib/index.js';

describe('getRngState / setRngState with a device', () => {
  it("'cpu' is the default generator, and a restored state repeats the draws", () => {
    torch.manualSeed(3);
    expect(torch.getRngState('cpu')).toEqual(torch.getRngState());
    const state = torch.getRngState('cpu');
    const a = torch.randn([4]).tolist();
    torch.setRngState(state, 'cpu');
    expect(torch.randn([4]).tolist()).toEqual(a);
  });

  it('a CUDA device that is not there, or a bad name, is a RangeError', () => {
    const n = torch.cuda.deviceCount();
    expect(() => torch.getRngState(`cuda:${n}`)).toThrow(/names a CUDA device that is not there \(\d+ visible\)/);
    expect(() => torch.getRngState('gpu')).toThrow(/must be 'cpu', 'cuda' or 'cuda:N', got 'gpu'/);
    expect(() => torch.getRngState('cuda:x')).toThrow(RangeError);
    if (n > 0) expect(torch.getRngState('cuda:0').length).toBeGreaterThan(0);
  });
});
