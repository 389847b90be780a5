// Values an integer dtype cannot hold are refused where tensors are made from JS values, as
// PyTorch refuses them ("value cannot be converted to type int8 without overflow"), instead of
// wrapping silently (torch.tensor([300], { dtype: 'int8' }) used to give 44, [2n**64n] gave 0,
// [NaN] as int64 gave -2**63). Arithmetic with a scalar wraps in the dtype, as in PyTorch.
import { describe, expect, it } from 'vitest';
import { fitsDType } from '../../lib/core/dtype.js';
import { torch } from '../../lib/index.js';

const OVERFLOW = (dtype: string) => new RegExp(`value cannot be converted to type ${dtype} without overflow`);

function rangeError(f: () => unknown): RangeError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RangeError);
    return err as RangeError;
  }
  throw new Error('did not throw');
}

describe('torch.tensor refuses values the dtype cannot hold', () => {
  it('names the element and the dtype', () => {
    expect(rangeError(() => torch.tensor([300], { dtype: 'int8' })).message).toBe('tensor: data[0] is 300: value cannot be converted to type int8 without overflow');
    expect(rangeError(() => torch.tensor([[1, 2], [3, 2 ** 40]], { dtype: 'int32' })).message).toBe('tensor: data[1][1] is 1099511627776: value cannot be converted to type int32 without overflow');
    expect(rangeError(() => torch.tensor([0, NaN], { dtype: 'int64' })).message).toMatch(/^tensor: data\[1\] is NaN: value cannot be converted to type int64 without overflow/);
    expect(rangeError(() => torch.tensor([Infinity], { dtype: 'int16' })).message).toMatch(OVERFLOW('int16'));
    expect(rangeError(() => torch.tensor([2 ** 63], { dtype: 'int64' })).message).toMatch(OVERFLOW('int64'));
    expect(rangeError(() => torch.tensor([-256], { dtype: 'uint8' })).message).toMatch(OVERFLOW('uint8'));
  });

  it('bigints outside int64 (BigInt64Array would wrap 2n**64n to 0)', () => {
    expect(rangeError(() => torch.tensor([2n ** 64n])).message).toBe('tensor: data[0] is 18446744073709551616n: value cannot be converted to type int64 without overflow');
    expect(rangeError(() => torch.tensor([[1n], [-(2n ** 63n) - 1n]])).message).toMatch(/^tensor: data\[1\]\[0\] is -9223372036854775809n/);
    expect(rangeError(() => torch.tensor([1n, 200n], { dtype: 'int8' })).message).toBe('tensor: data[1] is 200: value cannot be converted to type int8 without overflow');
    expect(Array.from(torch.tensor([2n ** 63n - 1n, -(2n ** 63n)]).data() as BigInt64Array)).toEqual([2n ** 63n - 1n, -(2n ** 63n)]);
    // Floating dtypes take any bigint, as PyTorch takes any int.
    expect(torch.tensor([2n ** 64n], { dtype: 'float64' }).item()).toBe(2 ** 64);
  });

  it('typed arrays cast to a narrower integer dtype', () => {
    expect(rangeError(() => torch.tensor(new Int32Array([1, 300]), { dtype: 'int8' })).message).toBe('tensor: data[1] is 300: value cannot be converted to type int8 without overflow');
    expect(rangeError(() => torch.tensor(new Float32Array([1, 2, 3, NaN]), { dtype: 'int32', shape: [2, 2] })).message).toMatch(/^tensor: data\[1\]\[1\] is NaN/);
    expect(torch.tensor(new Int32Array([-128, 127]), { dtype: 'int8' }).tolist()).toEqual([-128, 127]);
  });

  it('what PyTorch accepts still works (its results, checked against torch 2.x)', () => {
    expect(torch.tensor([127.9, -128, 255.5], { dtype: 'int16' }).tolist()).toEqual([127, -128, 255]); // truncation
    expect(torch.tensor([127.9, -128], { dtype: 'int8' }).tolist()).toEqual([127, -128]); // torch 2.x's bounds
    expect(rangeError(() => torch.tensor([128], { dtype: 'int8' })).message).toMatch(OVERFLOW('int8'));
    expect(torch.tensor([-1], { dtype: 'uint8' }).tolist()).toEqual([255]); // a Python int -1 wraps into uint8
    expect(rangeError(() => torch.tensor([-128.9], { dtype: 'int8' })).message).toMatch(OVERFLOW('int8'));
    expect(torch.tensor([2, 0, -3], { dtype: 'bool' }).tolist()).toEqual([true, false, true]);
    // Float dtypes hold inf and NaN.
    expect(torch.tensor([Infinity, NaN, 1e300]).tolist()).toEqual([Infinity, NaN, Infinity]);
    expect(torch.tensor([NaN], { dtype: 'float64' }).tolist()).toEqual([NaN]);
  });
});

describe('fills and scalars into integer tensors', () => {
  it('full, fill_, scalarTensor, fullLike, maskedFill, where, indexPut_ refuse with a RangeError naming the op and dtype', () => {
    const z = () => torch.zeros([2], { dtype: 'int8' });
    const mask = torch.tensor([true, false]);
    expect(rangeError(() => torch.full([2], 300, { dtype: 'int8' })).message).toBe('full: value cannot be converted to type int8 without overflow');
    expect(rangeError(() => torch.full([2], NaN, { dtype: 'int32' })).message).toBe('full: value cannot be converted to type int32 without overflow');
    expect(rangeError(() => torch.zeros([2], { dtype: 'int32' }).fill_(2 ** 40)).message).toBe('fill_: value cannot be converted to type int32 without overflow');
    expect(rangeError(() => torch.scalarTensor(300, { dtype: 'int8' })).message).toMatch(/^scalarTensor: .*int8 without overflow/);
    expect(rangeError(() => torch.fullLike(z(), 300)).message).toMatch(/^fullLike: .*int8 without overflow/);
    expect(rangeError(() => z().maskedFill(mask, 300)).message).toMatch(/^maskedFill: .*int8 without overflow/);
    expect(rangeError(() => torch.where(mask, z(), 300)).message).toMatch(/^where: .*int8 without overflow/);
    expect(rangeError(() => z().indexPut_([0], 300)).message).toMatch(/^indexPut_: .*int8 without overflow/);
    expect(rangeError(() => torch.full([1], 2 ** 31, { dtype: 'int32' })).message).toMatch(OVERFLOW('int32'));
    expect(torch.full([1], 2 ** 31 - 1, { dtype: 'int32' }).item()).toBe(2 ** 31 - 1);
  });

  it('arithmetic with a scalar wraps in the tensor dtype, exactly as PyTorch does', () => {
    // torch.zeros(2, dtype=torch.int8).add(300) is tensor([44, 44]) in PyTorch too: not an error there.
    expect(torch.zeros([2], { dtype: 'int8' }).add(300).tolist()).toEqual([44, 44]);
    expect(torch.zeros([2], { dtype: 'int32' }).add(2 ** 40).tolist()).toEqual([0, 0]);
  });
});

describe('int64 values out to JavaScript numbers', () => {
  it('item() and tolist() refuse what a number would round (2^53 + 1 became 2^53); itemBigInt() and data() are exact', () => {
    const big = torch.tensor([2n ** 62n + 1n]);
    expect(rangeError(() => big.item()).message).toMatch(/^item: the value 4611686018427387905 is beyond 2\^53.*itemBigInt\(\)/);
    expect(rangeError(() => big.tolist()).message).toMatch(/^tolist: element 0 \(flat\) is 4611686018427387905, beyond 2\^53.*data\(\)/);
    expect(big.itemBigInt()).toBe(2n ** 62n + 1n);
    expect((big.data() as BigInt64Array)[0]).toBe(2n ** 62n + 1n);
    expect(torch.tensor([2n ** 53n, -(2n ** 53n)]).tolist()).toEqual([2 ** 53, -(2 ** 53)]);
    expect(torch.tensor([-(2n ** 53n)]).reshape([]).item()).toBe(-(2 ** 53));
  });
});

describe('fitsDType: the same rule for TypeScript that fills typed arrays itself', () => {
  it('agrees with torch.tensor on every case', () => {
    const cases: [number | bigint, 'int8' | 'uint8' | 'int32' | 'int64' | 'float32'][] = [
      [300, 'int8'], [127, 'int8'], [127.9, 'int8'], [128, 'int8'], [-128, 'int8'], [-128.5, 'int8'], [NaN, 'int8'], [-1, 'uint8'], [-256, 'uint8'],
      [-0.5, 'uint8'], [255.5, 'uint8'], [2 ** 31, 'int32'], [2 ** 31 - 1, 'int32'], [2 ** 63, 'int64'], [-(2 ** 63), 'int64'], [Infinity, 'int64'],
      [2n ** 63n, 'int64'], [2n ** 63n - 1n, 'int64'], [200n, 'int8'], [NaN, 'float32'], [2n ** 64n, 'float32'],
    ];
    for (const [value, dtype] of cases) {
      let accepted = true;
      try {
        torch.tensor([value] as number[], { dtype });
      } catch (err) {
        expect(err).toBeInstanceOf(RangeError);
        accepted = false;
      }
      expect([value, dtype, fitsDType(value, dtype)]).toEqual([value, dtype, accepted]);
    }
  });
});
