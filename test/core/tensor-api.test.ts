// The Tensor API contract of DESIGN.md section 3: metadata, data out, views, in-place handles,
// the generic torch.ops entry point, and the build's libtorch discovery and load checks.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type BuildInfo, buildInfo, checkBuildInfo } from '../../lib/core/addon.js';
import { native } from '../../lib/core/addon.js';
import { Tensor, torch } from '../../lib/index.js';

describe('metadata and data out', () => {
  it('shape, ndim, numel, size, dtype, device, strides', () => {
    const x = torch.zeros([2, 3, 4]);
    expect(x.shape).toEqual([2, 3, 4]);
    expect(x.ndim).toBe(3);
    expect(x.dim()).toBe(3);
    expect(x.numel()).toBe(24);
    expect(x.size()).toEqual([2, 3, 4]);
    expect(x.size(-1)).toBe(4);
    expect(x.dtype).toBe('float32');
    expect(x.device).toBe('cpu');
    expect(x.stride()).toEqual([12, 4, 1]);
    expect(x.transpose(0, 2).isContiguous()).toBe(false);
    expect(x.elementSize()).toBe(4);
  });

  it('data() gives the typed array of each dtype', () => {
    expect(torch.ones([2]).data()).toBeInstanceOf(Float32Array);
    expect(torch.ones([2], { dtype: 'float64' }).data()).toBeInstanceOf(Float64Array);
    expect(torch.ones([2], { dtype: 'float16' }).data()).toBeInstanceOf(Float32Array);
    expect(torch.ones([2], { dtype: 'bfloat16' }).data()).toBeInstanceOf(Float32Array);
    expect(torch.ones([2], { dtype: 'int64' }).data()).toEqual(new BigInt64Array([1n, 1n]));
    expect(torch.ones([2], { dtype: 'int32' }).data()).toBeInstanceOf(Int32Array);
    expect(torch.ones([2], { dtype: 'int16' }).data()).toBeInstanceOf(Int16Array);
    expect(torch.ones([2], { dtype: 'int8' }).data()).toBeInstanceOf(Int8Array);
    expect(torch.ones([2], { dtype: 'uint8' }).data()).toBeInstanceOf(Uint8Array);
    expect(torch.tensor([true, false]).data()).toEqual(new Uint8Array([1, 0]));
    expect(torch.tensor([[1, 2], [3, 4]]).t().data()).toEqual(new Float32Array([1, 3, 2, 4]));
  });

  it('raw bytes round-trip in every dtype (what file formats store)', () => {
    for (const dtype of torch.dtypes) {
      const x = torch.tensor([[0, 1.5], [-2, 3]]).to(dtype);
      const bytes = new Uint8Array(native.toBytes(x._h));
      expect(bytes.length).toBe(4 * x.elementSize());
      const y = new Tensor(native.fromBytes(bytes, native.dtype(x._h), [2, 2]));
      expect(y.dtype).toBe(dtype);
      expect(y.equal(x)).toBe(true);
      y.dispose();
    }
    expect(() => native.fromBytes(new Uint8Array(3), 6, [1])).toThrow(/holds 3 bytes, but 1 elements of Float need 4/);
  });

  it('tolist() and item()', () => {
    expect(torch.tensor([[1, 2], [3, 4]]).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(torch.tensor([true, false]).tolist()).toEqual([true, false]);
    expect(torch.tensor([5n]).tolist()).toEqual([5]);
    expect(torch.zeros([2, 0]).tolist()).toEqual([[], []]);
    expect(torch.tensor(2.5).tolist()).toBe(2.5);
    expect(torch.tensor([[3]]).item()).toBe(3);
    expect(torch.tensor(true).item()).toBe(true);
    expect(torch.tensor([2n ** 62n]).itemBigInt()).toBe(2n ** 62n);
    expect(() => torch.ones([2]).item()).toThrow(/2 elements cannot be converted to a number/);
  });

  it('toString prints like PyTorch', () => {
    expect(String(torch.tensor([[1, 2], [3, 4]]))).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    expect(String(torch.arange(3))).toBe('tensor([0, 1, 2])');
    expect(String(torch.ones([2], { requiresGrad: true }))).toBe('tensor([1., 1.], requires_grad=True)');
  });
});

describe('views and in-place handles', () => {
  it('views share storage with their base', () => {
    const x = torch.zeros([2, 3]);
    const v = x.index(0);
    v.fill_(5);
    expect(x.tolist()).toEqual([[5, 5, 5], [0, 0, 0]]);
    expect(native.sameStorage(x._h, v._h)).toBe(true);
  });

  it('in-place ops return a fresh handle to the same tensor', () => {
    const x = torch.ones([3]);
    const y = x.add_(1);
    expect(y).not.toBe(x);
    expect(y._h).not.toBe(x._h);
    expect(native.sameStorage(x._h, y._h)).toBe(true);
    y.dispose();
    expect(x.tolist()).toEqual([2, 2, 2]);
  });

  it('to() with dtype, device, another tensor, and options', () => {
    const x = torch.tensor([1.7, -2.2]);
    expect(x.to('int64').tolist()).toEqual([1, -2]);
    expect(x.to('cpu').dtype).toBe('float32');
    expect(x.to(torch.ones([1], { dtype: 'float64' })).dtype).toBe('float64');
    expect(x.to({ dtype: 'float16', copy: true }).dtype).toBe('float16');
    expect(x.cpu().device).toBe('cpu');
  });

  it('function forms mirror the methods', () => {
    const x = torch.tensor([1, 2, 3]);
    expect(torch.add(x, 1).tolist()).toEqual([2, 3, 4]);
    expect(torch.sum(x).item()).toBe(6);
    expect(torch.reshape(x, [3, 1]).shape).toEqual([3, 1]);
    expect(() => torch.add(5 as unknown as Tensor, x)).toThrow(/torch.add: input must be a Tensor/);
  });
});

describe('torch.ops: any ATen operator by schema name', () => {
  it('picks the overload from the arguments', () => {
    const x = torch.tensor([1, 2, 3]);
    expect(torch.ops.aten.add(x, x).tolist()).toEqual([2, 4, 6]);
    expect(torch.ops.aten.add(x, 2).tolist()).toEqual([3, 4, 5]);
    expect(torch.ops.aten.addcmul(x, x, x, { value: 0.5 }).tolist()).toEqual([1.5, 4, 7.5]);
    expect(torch.ops.aten.sum(x, [0], { keepdim: true }).shape).toEqual([1]);
  });

  it('takes a named overload, keyword options, and returns tuples', () => {
    const x = torch.tensor([3, 1, 2]);
    expect(torch.ops.aten.add.Tensor(x, x, { alpha: 2 }).tolist()).toEqual([9, 3, 6]);
    const [values, indices] = torch.ops.aten.sort(x) as Tensor[];
    expect(values.tolist()).toEqual([1, 2, 3]);
    expect(indices.tolist()).toEqual([1, 2, 0]);
    expect(torch.ops.call('aten::mul.Scalar', x, 2).tolist()).toEqual([6, 2, 4]);
    expect(torch.ops.aten.zeros([2], { dtype: 'int32' }).dtype).toBe('int32');
    expect(torch.ops.schema('aten::add.Tensor')).toContain('Scalar alpha=1');
  });

  it('records autograd', () => {
    const w = torch.ones([2], { requiresGrad: true });
    torch.ops.aten.mul(w, torch.tensor([3, 4])).sum().backward();
    expect(w.grad!.tolist()).toEqual([3, 4]);
  });

  it('explains what does not fit', () => {
    const x = torch.ones([2]);
    expect(() => torch.ops.aten.add(x, 'a')).toThrow(/no overload of aten::add takes \(a Tensor, string a\)/);
    expect(() => torch.ops.aten.not_an_op(x)).toThrow(/no operator aten::not_an_op/);
    expect(() => torch.ops.aten.add.Bogus(x, x)).toThrow(/has no overload 'Bogus'/);
  });
});

describe('build and load checks', () => {
  it('the loaded addon has a build-info record matching this package', () => {
    expect(buildInfo).not.toBeNull();
    expect(checkBuildInfo(buildInfo!, buildInfo!.torchtrainVersion)).toBeNull();
  });

  it('a mismatched record gives the reason', () => {
    const info = buildInfo as BuildInfo;
    expect(checkBuildInfo(info, '9.9.9')).toMatch(/built for torchtrain .* but this is torchtrain 9.9.9/);
    expect(checkBuildInfo({ ...info, libtorch: { ...info.libtorch, libDir: '/nonexistent' } }, info.torchtrainVersion)).toMatch(/no longer there/);
    expect(checkBuildInfo({ ...info, libtorch: { ...info.libtorch, version: '0.0.1' } }, info.torchtrainVersion)).toMatch(/now holds libtorch/);
  });

  it('libtorch discovery names all three fixes when nothing is found', () => {
    let message = '';
    try {
      execFileSync(process.execPath, ['scripts/find-libtorch.mjs'], {
        env: { ...process.env, TORCHTRAIN_TARGET: 'libtorch', LIBTORCH: '/nonexistent' },
        stdio: 'pipe',
      });
    } catch (err) {
      message = String((err as { stderr: Buffer }).stderr);
    }
    expect(message).toMatch(/step 1: the LIBTORCH environment variable/);
    expect(message).toMatch(/could not find libtorch/);
    expect(message).toMatch(/LIBTORCH=\/path\/to\/libtorch/);
    expect(message).toMatch(/setup\.sh\s+\(installs the pinned PyTorch/);
    expect(message).toMatch(/setup\.sh --system/);
  });
});
