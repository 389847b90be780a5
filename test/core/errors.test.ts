// Bad input never crashes the process: every exported native function is called with wrong
// argument counts and kinds, disposed handles, NaN, out-of-range and absurd values, and each
// call either returns or throws a JS Error that names the function. Then targeted cases check
// the error class and message of each kind of mistake.
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/core/addon.js';
import { OutOfMemoryError, TorchError, torch } from '../../lib/index.js';
import { checkedSize } from '../../lib/core/validation.js';

// Functions that take no required arguments (extra ones are ignored, as in JS).
const NO_ARGS = new Set(['info', 'memory', 'getNumThreads', 'getNumInteropThreads', 'cudaIsAvailable', 'cudaDeviceCount',
  'isGradEnabled', 'seed', 'initialSeed', 'getRngState', 'cudaSynchronize', 'cudaMemoryStats', 'cudaResetPeakMemoryStats',
  'distIsInitialized', 'distDestroyProcessGroup', 'distBackends', 'distReducerDetach', 'checkpointReleased']);

function fuzzArgs(live: number, disposed: number): unknown[][] {
    // (No junk value is a plausible large size: a legitimate 8 GB request is not what this tests.)
  const junk = [undefined, null, 'x', {}, [], NaN, Infinity, -Infinity, 1.5, 1e300, 2 ** 53 + 2, -5, true, 10n, () => 0, Symbol('s')];
  const lists: unknown[][] = [[], [disposed], [disposed, disposed, disposed]];
  for (const j of junk) lists.push([j], [j, j, j, j], [live, j], [live, j, j], [live, live, j], [live, 0, j], [live, [j]], [[j], live]);
  lists.push([live, [1e15, 1e15]], [live, [-3]], [live, 99], [live, -99], [live, [NaN]], [live, [{ tensor: disposed }]],
    [live, live, live, live, live, live, live, live], [[live, disposed]], [new Float64Array(3), 6, [1e20]], [live, 'bogus', 'bogus']);
  return lists;
}

// The fuzzer calls every function with anything, so it sees the addon untyped.
const untyped = native as unknown as Record<string, (...args: unknown[]) => unknown>;

describe('every native function survives garbage', () => {
  const names = Object.keys(native).filter((n) => typeof untyped[n] === 'function' && n !== 'setErrorClasses');
  const threads = torch.getNumThreads();
  const interop = torch.getNumInteropThreads();

  it('exports a large surface', () => {
    expect(names.length).toBeGreaterThan(200);
  });

  it.each(names)('%s', (name) => {
    const fn = untyped[name];
    const live = native.fromData(new Float32Array([1, 2, 3, 4, 5, 6]), 6, [2, 3]);
    const dead = native.fromData(new Float32Array([1]), 6, [1]);
    native.free(dead);
    const failures: string[] = [];
    for (const args of fuzzArgs(live, dead)) {
      const before = native.memory().tensors;
      try {
        const result = fn(...args);
        // Free whatever new tensors the call made (results are handles, or arrays of them).
        const made = native.memory().tensors - before;
        const handles = typeof result === 'number' ? [result] : Array.isArray(result) ? result : [];
        if (made > 0 && handles.length === made) for (const h of handles) native.free(h);
      } catch (err) {
        if (!(err instanceof Error)) failures.push(`threw a non-Error for ${args.length} args`);
        else if (!err.message) failures.push(`threw an empty message`);
        else if (err instanceof TypeError && err.message.includes('is not a function')) failures.push(err.message);
      }
    }
    if (!NO_ARGS.has(name)) {
      expect(() => fn(), `${name}() with no arguments`).toThrow(new RegExp(name));
    }
    expect(failures).toEqual([]);
    torch.setNumThreads(threads);
    try {
      torch.setNumInteropThreads(interop);
    } catch {
      /* fixed once inter-op work started */
    }
    torch.setGradEnabled(true);
  });
});

describe('each kind of mistake gets a clear error', () => {
  const x = torch.keep(torch.ones([2, 3]));

  it('disposed tensors', () => {
    const t = torch.ones([2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(TypeError);
    expect(() => t.add(1)).toThrow(/disposed Tensor/);
    expect(() => x.add(t)).toThrow(/argument 2 is a disposed Tensor/);
    expect(() => t.dispose()).not.toThrow();
    expect(String(t)).toBe('tensor(<disposed>)');
  });

  it('wrong argument kinds', () => {
    expect(() => x.add('a' as never)).toThrow(TypeError);
    expect(() => x.add('a' as never)).toThrow(/add: other must be a Tensor or a number, got string a/);
    expect(() => x.matmul(3 as never)).toThrow(/matmul: other must be a Tensor, got number 3/);
    expect(() => torch.zeros('big' as never)).toThrow(/zeros: shape must be a number or an array of numbers/);
    expect(() => torch.zeros([2], { dtype: 'float128' as never })).toThrow(/zeros: dtype: "float128" is not a dtype; use one of/);
    expect(() => torch.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => torch.tensor([1, 'a' as never])).toThrow(/element \[1\] is string a/);
    expect(() => x.sum('0' as never)).toThrow(/sum: argument 2/);
    expect(() => torch.cat([x, 5 as never])).toThrow(/cat: tensors\[1\] must be a Tensor/);
    expect(() => torch.scope(5 as never)).toThrow(/expected a function/);
  });

  it('mismatched shapes and dtypes', () => {
    expect(() => x.add(torch.ones([4]))).toThrow(TorchError);
    expect(() => x.add(torch.ones([4]))).toThrow(/add: The size of tensor a \(3\) must match the size of tensor b \(4\)/);
    expect(() => x.matmul(torch.ones([2, 3]))).toThrow(/matmul: .*cannot be multiplied/);
    expect(() => torch.cat([x, torch.ones([2, 2, 2])])).toThrow(TorchError);
    expect(() => x.indexSelect(0, torch.tensor([0.5]))).toThrow(/index_select|IntTensor or LongTensor|Long/i);
    expect(() => x.copy_(torch.ones([5]))).toThrow(TorchError);
    expect(() => x.bitwiseAnd(x)).toThrow(TorchError);
    try {
      x.add(torch.ones([4]));
    } catch (err) {
      expect((err as TorchError).op).toBe('add');
      expect((err as TorchError).detail).toContain('must match');
    }
  });

  it('out-of-range dims and indices are RangeErrors', () => {
    expect(() => x.sum(5)).toThrow(RangeError);
    expect(() => x.sum(5)).toThrow(/Dimension out of range/);
    expect(() => x.select(0, 7)).toThrow(RangeError);
    expect(() => x.index(9)).toThrow(RangeError);
    expect(() => x.transpose(0, 4)).toThrow(RangeError);
    expect(() => x.size(3)).toThrow(/size: dim 3 is out of range for a 2-d tensor/);
    expect(() => x.gather(1, torch.tensor([[7n]]))).toThrow(/index 7 is out of bounds|out of bounds/);
  });

  it('NaN and fractional indices', () => {
    expect(() => x.index(NaN)).toThrow(RangeError);
    expect(() => x.index(NaN)).toThrow(/indices must be integers/);
    expect(() => x.index(0.5)).toThrow(/indices must be integers/);
    expect(() => x.select(0, NaN)).toThrow(/must be an integer/);
    expect(() => x.narrow(0, 0, 1.5)).toThrow(/must be an integer/);
    expect(() => x.index('1:x')).toThrow(/not an integer/);
  });

  it('absurd sizes', () => {
    expect(() => torch.zeros([1e15])).toThrow(/more than 2\^48 elements/);
    expect(() => torch.ones([-1, 2])).toThrow(/invalid size -1/);
    expect(() => torch.randn([2 ** 40, 2 ** 40])).toThrow(RangeError);
    expect(() => x.expand([2 ** 30, 2 ** 30, 3])).toThrow(/2\^48/);
    expect(() => x.repeat(2 ** 30, 2 ** 30)).toThrow(/2\^48/);
    expect(() => torch.arange(0, 1e300)).toThrow(RangeError);
    expect(() => torch.zeros([2 ** 47])).toThrow(OutOfMemoryError.prototype instanceof TorchError ? TorchError : Error);
    expect(() => torch.setNumThreads(1e9)).toThrow(/between 1 and 1024/);
  });

  it('a missing CUDA device', () => {
    if (torch.cuda.isAvailable()) return;
    expect(() => x.to('cuda')).toThrow(TorchError);
    expect(() => torch.zeros([2], { device: 'cuda:3' })).toThrow(TorchError);
    expect(() => x.to('gpu')).toThrow(/not a device; use 'cpu', 'cuda' or 'cuda:N'/);
  });

  it('autograd misuse', () => {
    expect(() => x.backward()).toThrow(/does not require grad|grad_fn/);
    const w = torch.ones([3], { requiresGrad: true });
    expect(() => w.mul(2).backward()).toThrow(/only for scalar outputs/);
    expect(() => (w.mul(2).requiresGrad = false)).toThrow(TorchError);
    expect(() => (w.grad = torch.ones([4]))).toThrow(/assigned grad has shape/);
  });

  it('libtorch warnings reach process.emitWarning', async () => {
    const seen: Error[] = [];
    const listener = (w: Error) => seen.push(w);
    process.on('warning', listener);
    // an out= variant resizing a non-empty output warns in libtorch (TORCH_WARN)
    torch.ops.aten.add.out(torch.ones([3]), torch.ones([3]), { out: torch.empty([1]) });
    await new Promise((r) => setImmediate(r));
    process.off('warning', listener);
    const warning = seen.find((w) => w.name === 'TorchWarning' && /resized/.test(w.message));
    expect(warning?.message).toMatch(/resized/);
  });

  it('the process is alive and consistent afterwards', () => {
    expect(x.add(1).sum().item()).toBe(12);
  });
});

describe('errors name the right op and class', () => {
  it('torch.keep of a disposed tensor says so, in keep (it said "dtype" through a later read)', () => {
    const t = torch.ones([2]);
    t.dispose();
    expect(() => torch.keep(t)).toThrow(TypeError);
    expect(() => torch.keep(t)).toThrow(/^torch\.keep: the tensor was already disposed/);
  });

  it('torch.tensor names itself, not the native fromData underneath', () => {
    expect(() => torch.tensor(new Float32Array(3), { shape: [2, 2] })).toThrow(new RangeError('tensor: the shape holds 4 elements but the data has 3'));
  });

  it('a failed CPU allocation is an OutOfMemoryError, as the README promises', () => {
    for (const make of [() => torch.empty([2 ** 40]), () => torch.ones([2 ** 20, 2 ** 20]), () => torch.zeros([2 ** 38], { dtype: 'float64' })]) {
      let error: unknown;
      try {
        make();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(OutOfMemoryError);
      expect(error).toBeInstanceOf(TorchError);
      expect((error as Error).message).toMatch(/^(empty|ones|zeros): .*allocate/);
    }
  });

  it('checkedSize names the layer and its argument (where empty() would name only its own)', () => {
    expect(() => checkedSize(-1, 'nn.Linear', 'inFeatures')).toThrow(new RangeError('nn.Linear: inFeatures must be a non-negative integer, got -1'));
    expect(() => checkedSize(2.5, 'nn.Linear', 'outFeatures')).toThrow(/outFeatures must be a non-negative integer, got 2\.5/);
    expect(() => checkedSize(NaN, 'nn.Embedding', 'numEmbeddings')).toThrow(/got NaN/);
    expect(() => checkedSize('3', 'nn.Linear', 'inFeatures')).toThrow(TypeError);
    expect(checkedSize(0, 'nn.Linear', 'inFeatures')).toBe(0);
  });
});
