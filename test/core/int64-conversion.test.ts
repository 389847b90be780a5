// One rule for JS integers entering libtorch, whichever way they come (torch.ops through the
// dispatcher, the typed bindings, TorchScript calls: test/jit/int64-conversion.test.ts): a
// bigint outside int64, or a fractional, NaN or infinite number where an int is expected, is
// refused. The dispatcher used to wrap such a bigint silently (zeros([2n**64n + 2n]) made shape
// [2], a dim of 2n**64n was dim 0) while the typed bindings refused it.
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/core/addon.js';
import { torch } from '../../lib/index.js';

// Calls with values the typed interface rightly refuses.
const raw = native as unknown as Record<string, (...args: unknown[]) => unknown>;
const OVERFLOW = /value cannot be converted to type int64 without overflow/;

describe('int64 arguments', () => {
  const x = torch.keep(torch.arange(6).reshape([2, 3]));

  it('torch.ops refuses a bigint beyond int64 instead of wrapping it', () => {
    expect(() => torch.ops.aten.zeros([2n ** 64n + 2n])).toThrow(RangeError);
    expect(() => torch.ops.aten.zeros([2n ** 64n + 2n])).toThrow(
      /argument 'size'\[0\] \(SymInt\): value cannot be converted to type int64 without overflow \(got 18446744073709551618\)/);
    expect(() => torch.ops.aten.select(x, 2n ** 64n, 0)).toThrow(RangeError);
    expect(() => torch.ops.aten.select(x, 2n ** 64n, 0)).toThrow(/argument 'dim' \(int\): value cannot be converted/);
    expect(() => torch.ops.aten.sum(x, [2n ** 64n])).toThrow(OVERFLOW);
    expect(() => torch.ops.aten.sum(x, [-(2n ** 63n) - 1n])).toThrow(OVERFLOW);
    // In range, bigints are ints as before.
    expect(torch.ops.aten.zeros([2n, 3n]).shape).toEqual([2, 3]);
    expect(torch.ops.aten.select(x, 1n, 0).tolist()).toEqual([0, 3]);
    expect(torch.ops.aten.sum(x, [-1n]).tolist()).toEqual([3, 12]);
  });

  it('the dispatcher refuses numbers that are no int64 where an int is expected', () => {
    const select = native.opSchema('select', 'int');
    const call = (dim: unknown) => native.opCall(select.id, [x._h, dim, 0]);
    for (const bad of [1.5, NaN, Infinity, -Infinity]) {
      expect(() => call(bad)).toThrow(RangeError);
      expect(() => call(bad)).toThrow(/argument 'dim' \(int\) must be an integer, got the number/);
    }
    expect(() => call(NaN)).toThrow(/got the number NaN/);
    expect(() => call(2 ** 64)).toThrow(OVERFLOW);
    expect(() => call(2 ** 60)).toThrow(/beyond 2\^53/);
    expect(() => call('1')).toThrow(TypeError);
    const zeros = native.opSchema('zeros', '');
    expect(() => native.opCall(zeros.id, [[2, 2.5]])).toThrow(/argument 'size'\[1\] \(SymInt\) must be an integer, got the number 2.5/);
  });

  it('typed bindings use the same rule and words', () => {
    expect(() => raw.select(x._h, 2n ** 64n, 0)).toThrow(RangeError);
    expect(() => raw.select(x._h, 2n ** 64n, 0)).toThrow(/select: argument 2: value cannot be converted to type int64 without overflow/);
    expect(() => raw.zeros([2n ** 64n + 2n])).toThrow(/zeros: argument 1\[0\]: value cannot be converted/);
    expect(() => raw.select(x._h, 0.5, 0)).toThrow(/select: argument 2 must be an integer, got the number 0.5/);
    expect(() => raw.select(x._h, Infinity, 0)).toThrow(RangeError);
  });
});
