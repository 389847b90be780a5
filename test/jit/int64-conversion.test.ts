// TorchScript calls convert JS values with the same converter as torch.ops (native/ivalues.h),
// so an int argument follows the same rule (test/core/int64-conversion.test.ts): a bigint outside
// int64 and a fractional, NaN or infinite number are refused with the same words; an int result
// beyond 2^53 comes back as a bigint.
import { afterAll, describe, expect, it } from 'vitest';
import { jit } from '../../lib/index.js';
import { TorchPython } from '../helpers/python.js';
import { exportModel, tempDir } from './python-models.js';

const py = await TorchPython.start();
const tmp = tempDir();
afterAll(() => {
  py?.close();
  tmp.remove();
});

describe.skipIf(!py)('int arguments of TorchScript methods', () => {
  it('are refused beyond int64 and when not integers, as torch.ops refuses them', async () => {
    const m = jit.load(await exportModel(py!, tmp.dir, 'Containers'));
    expect(() => m.callMethod('kinds', 2n ** 64n + 2n, 3, true, 'ab')).toThrow(RangeError);
    expect(() => m.callMethod('kinds', 2n ** 64n + 2n, 3, true, 'ab')).toThrow(
      /kinds: argument 'n' \(int\): value cannot be converted to type int64 without overflow \(got 18446744073709551618\)/);
    expect(() => m.callMethod('kinds', 2 ** 64, 3, true, 'ab')).toThrow(/value cannot be converted to type int64 without overflow/);
    expect(() => m.callMethod('kinds', 1, 3, true, 'ab', null, [1, 2n ** 63n])).toThrow(
      /argument 'ks'\[1\] \(int\): value cannot be converted to type int64 without overflow/);
    for (const bad of [1.5, NaN, Infinity]) {
      expect(() => m.callMethod('kinds', bad, 3, true, 'ab')).toThrow(RangeError);
      expect(() => m.callMethod('kinds', bad, 3, true, 'ab')).toThrow(/argument 'n' \(int\) must be an integer, got the number/);
    }
    // The int64 range itself passes, and an int beyond 2^53 comes back exactly, as a bigint.
    expect(m.callMethod('kinds', 2n ** 63n - 1n, 3, true, 'ab')).toEqual([(2n ** 63n - 1n) / 2n, 1.5, false, 'abab', true, 0]);
    expect((m.callMethod('kinds', -(2n ** 63n), 3, true, 'ab') as unknown[])[0]).toBe(-(2n ** 62n));
    m.dispose();
  });
});
