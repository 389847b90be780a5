// The native optimizerStep and summedCrossEntropy contracts (native/bind_optimizer_step.cpp,
// native/bind_nn.cpp): results come back as device tensors, and nothing is read to the host
// unless a GradScaler has to decide whether to skip.
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/core/addon.js';
import { type OptimizerHandle, type TensorHandle } from '../../lib/core/native.js';
import { type Tensor, wrap } from '../../lib/core/tensor.js';
import { torch } from '../../lib/index.js';

const raw = native as unknown as Record<string, (...args: unknown[]) => any>;

/** p = [1, -2, 3] with grad 2p (from sum(p^2)) and one SGD optimizer over it. */
function setup(lr = 0.1): { p: Tensor; opt: OptimizerHandle } {
  const p = torch.tensor([1, -2, 3], { requiresGrad: true });
  p.mul(p).sum().backward();
  const opt = native.optimCreate('sgd');
  native.optimAddGroup(opt, [p._h], { lr });
  return { p, opt };
}

const step = (opt: OptimizerHandle, options: Record<string, unknown>) =>
  raw.optimizerStep(opt, options) as { gradNorm: TensorHandle | null; foundInf: TensorHandle; skipped: boolean | null };

describe('optimizerStep', () => {
  it('without a scaler: always steps, skipped null, foundInf a 0-d float32 tensor, gradNorm a tensor', () => torch.scope(() => {
    const { p, opt } = setup();
    const r = step(opt, { gradDivisor: 2, maxNorm: 100 });
    expect(r.skipped).toBeNull();
    const foundInf = wrap(r.foundInf), norm = wrap(r.gradNorm!);
    expect([foundInf.dtype, foundInf.shape, foundInf.item()]).toEqual(['float32', [], 0]);
    expect(norm.shape).toEqual([]);
    expect(norm.item()).toBeCloseTo(Math.sqrt(14), 5);  // |2p / 2|
    expect(Array.from(p.data() as Float32Array)).toEqual(Array.from(new Float32Array([1 - 0.1, -2 + 0.2, 3 - 0.3])));
    expect(p.grad).toBeNull();
    native.optimFree(opt);
  }));

  it('takes the divisor as a 0-d tensor of any numeric dtype, with the same numerics as the number', () => torch.scope(() => {
    const results = [3, { tensor: torch.tensor(3n)._h }, { tensor: torch.tensor(3, { dtype: 'float64' })._h }].map((gradDivisor) => {
      const { p, opt } = setup();
      const r = step(opt, { gradDivisor, setToNone: false });
      expect(wrap(r.foundInf).item()).toBe(0);
      expect(r.gradNorm).toBeNull();
      expect(p.grad!.tolist()).toEqual([0, 0, 0]);
      native.optimFree(opt);
      return Array.from(p.data() as Float32Array);
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  }));

  it('without a scaler, a non-finite gradient is flagged but not read: the step happens', () => torch.scope(() => {
    const { p, opt } = setup();
    p.grad!.indexPut_([0], Infinity);
    const r = step(opt, {});
    expect(r.skipped).toBeNull();
    expect(wrap(r.foundInf).item()).toBe(1);
    expect(p.data()[0]).toBe(-Infinity);
    native.optimFree(opt);
  }));

  it('with a scaler: skips on inf/NaN and backs off, steps and counts otherwise', () => torch.scope(() => {
    const scale = torch.full([], 4), growthTracker = torch.zeros([], { dtype: 'int32' });
    const scaler = { scale: scale._h, growthTracker: growthTracker._h, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2000 };
    const { p, opt } = setup();
    p.grad!.indexPut_([1], NaN);
    const skipped = step(opt, { ...scaler, maxNorm: 1 });
    expect(skipped.skipped).toBe(true);
    expect(wrap(skipped.foundInf).item()).toBe(1);
    expect(Number.isNaN(wrap(skipped.gradNorm!).item())).toBe(true);
    expect(p.tolist()).toEqual([1, -2, 3]);
    expect([scale.item(), growthTracker.item()]).toEqual([2, 0]);
    p.mul(p).sum().backward();
    const taken = step(opt, { ...scaler, gradDivisor: { tensor: torch.tensor(2n)._h } });
    expect(taken.skipped).toBe(false);
    // grads 2p / (scale 2 * divisor 2) = p / 2
    expect(p.tolist()).toEqual([1 - 0.05, -2 + 0.1, 3 - 0.15].map((v) => Math.fround(v)));
    expect([scale.item(), growthTracker.item()]).toEqual([2, 1]);
    native.optimFree(opt);
  }));

  it('refuses a partial scaler state, a bad divisor and dropped options', () => torch.scope(() => {
    const { opt } = setup();
    const scale = torch.full([], 4);
    expect(() => step(opt, { scale: scale._h })).toThrow(TypeError);
    expect(() => step(opt, { scale: scale._h })).toThrow(/field growthTracker must be given with the rest of a GradScaler's state/);
    expect(() => step(opt, { gradDivisor: 0 })).toThrow(/gradDivisor must be positive/);
    expect(() => step(opt, { gradDivisor: { tensor: torch.ones([2])._h } })).toThrow(/must be a 0-d tensor/);
    expect(() => step(opt, { gradDivisor: { tensor: torch.tensor(true)._h } })).toThrow(TypeError);
    expect(() => step(opt, { gradDivisor: 'two' })).toThrow(TypeError);
    expect(() => step(opt, { maxNorm: 'big' })).toThrow(/field maxNorm must be a number/);
    expect(raw.optimTrainStep).toBeUndefined();
    native.optimFree(opt);
    expect(() => step(opt, {})).toThrow(/is not a live optimizer/);
  }));
});

describe('summedCrossEntropy', () => {
  it('returns the sum, the counted divisor (0-d float64) and the target count (0-d int64) as tensors', () => torch.scope(() => {
    const logits = torch.tensor([[1, 2, 3], [0, 0, 1], [2, 1, 0], [1, 1, 1]]);
    const targets = torch.tensor([2n, -100n, 0n, 1n]);
    const [sum, counted, count] = native.summedCrossEntropy(logits._h, targets._h, undefined, -100, 0).map((h) => wrap(h));
    const ref = wrap(native.crossEntropy(logits._h, targets._h, undefined, 'sum', -100, 0));
    expect(sum.item()).toBe(ref.item());
    expect([counted.dtype, counted.shape, counted.item()]).toEqual(['float64', [], 3]);
    expect([count.dtype, count.shape, count.item()]).toEqual(['int64', [], 3]);
    const weight = torch.tensor([0.5, 2, 0.25]);
    const [, weighted, n] = native.summedCrossEntropy(logits._h, targets._h, weight._h, -100, 0.1).map((h) => wrap(h));
    expect([weighted.dtype, weighted.item()]).toEqual(['float64', 0.25 + 0.5 + 2]);
    expect(n.item()).toBe(3);
  }));
});
