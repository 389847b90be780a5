// Parity with Python PyTorch: reductions with dim/keepdim (values, indices and gradients).
import { afterAll, describe, it } from 'vitest';
import { type OpCase, f, fixed, runOpCase } from '../helpers/op-parity.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

const cases: OpCase[] = [
  { name: 'sum all', inputs: { a: f([3, 4]) }, ts: ({ a }) => a.sum(), py: 'a.sum()' },
  { name: 'sum dim', inputs: { a: f([3, 4], { view: 't' }) }, ts: ({ a }) => a.sum(1), py: 'a.sum(1)' },
  { name: 'sum dims keepdim', inputs: { a: f([2, 3, 4]) }, ts: ({ a }) => a.sum([0, 2], true), py: 'a.sum((0, 2), keepdim=True)' },
  { name: 'sum negative dim', inputs: { a: f([2, 3, 4]) }, ts: ({ a }) => a.sum(-1, { keepdim: true }), py: 'a.sum(-1, keepdim=True)' },
  { name: 'sum int to int64', inputs: { a: fixed([5], { kind: 'int', dtype: 'int32' }) }, ts: ({ a }) => a.sum(), py: 'a.sum()' },
  { name: 'sum dtype', inputs: { a: fixed([5]) }, ts: ({ a }) => a.sum(null, { dtype: 'float64' }), py: 'a.sum(dtype=torch.float64)' },
  { name: 'mean', inputs: { a: f([3, 4]) }, ts: ({ a }) => [a.mean(), a.mean(0), a.mean([0, 1], true)], py: '[a.mean(), a.mean(0), a.mean((0, 1), keepdim=True)]' },
  { name: 'prod', inputs: { a: f([3, 4]) }, ts: ({ a }) => [a.prod(), a.prod(1), a.prod(0, true)], py: '[a.prod(), a.prod(1), a.prod(0, keepdim=True)]' },
  { name: 'max/min all', inputs: { a: f([3, 4]) }, ts: ({ a }) => [a.max(), a.min()], py: '[a.max(), a.min()]' },
  { name: 'max dim with indices', inputs: { a: f([3, 4], { view: 't' }) }, ts: ({ a }) => [...a.max(1)], py: 'list(a.max(1))' },
  { name: 'min dim keepdim', inputs: { a: f([2, 3, 4]) }, ts: ({ a }) => [...a.min(0, true)], py: 'list(a.min(0, keepdim=True))' },
  { name: 'max of two tensors', inputs: { a: f([3]), b: f([3]) }, ts: ({ a, b }) => a.max(b), py: 'torch.max(a, b)' },
  { name: 'amax/amin', inputs: { a: f([2, 3, 4]) }, ts: ({ a }) => [a.amax([0, 2]), a.amin(-1, true)], py: '[a.amax((0, 2)), a.amin(-1, keepdim=True)]' },
  { name: 'argmax/argmin', inputs: { a: fixed([3, 5]) }, ts: ({ a }) => [a.argmax(), a.argmax(1), a.argmin(0, true)], py: '[a.argmax(), a.argmax(1), a.argmin(0, keepdim=True)]' },
  { name: 'std', inputs: { a: f([4, 5]) }, ts: ({ a }) => [a.std(), a.std(1), a.std(0, { keepdim: true })], py: '[a.std(), a.std(1), a.std(0, keepdim=True)]' },
  { name: 'std unbiased false', inputs: { a: f([6]) }, ts: ({ a }) => a.std(null, false), py: 'a.std(unbiased=False)' },
  { name: 'var', inputs: { a: f([4, 5], { view: 't' }) }, ts: ({ a }) => [a.var(), a.var(0), a.var([0, 1], { correction: 0 })], py: '[a.var(), a.var(0), a.var((0, 1), correction=0)]' },
  { name: 'norm', inputs: { a: f([3, 4]) }, ts: ({ a }) => [a.norm(), a.norm(1, 1), a.norm(Infinity, 0, true), a.norm(3)],
    py: '[torch.linalg.vector_norm(a), torch.linalg.vector_norm(a, 1, 1), torch.linalg.vector_norm(a, float("inf"), 0, keepdim=True), torch.linalg.vector_norm(a, 3)]' },
  { name: 'logsumexp', inputs: { a: f([3, 4]) }, ts: ({ a }) => [a.logsumexp(1), a.logsumexp([0, 1], true)], py: '[a.logsumexp(1), a.logsumexp((0, 1), keepdim=True)]' },
  { name: 'cumsum', inputs: { a: f([3, 4]) }, ts: ({ a }) => [a.cumsum(1), a.cumsum(0)], py: '[a.cumsum(1), a.cumsum(0)]' },
  { name: 'cumsum int dtype', inputs: { a: fixed([5], { kind: 'int', dtype: 'int32' }) }, ts: ({ a }) => a.cumsum(0), py: 'a.cumsum(0)' },
  { name: 'cumprod', inputs: { a: f([5]) }, ts: ({ a }) => a.cumprod(0), py: 'a.cumprod(0)' },
  { name: 'topk', inputs: { a: f([3, 6]) }, ts: ({ a }) => [...a.topk(2)], py: 'list(a.topk(2))' },
  { name: 'topk smallest dim 0', inputs: { a: f([5, 3]) }, ts: ({ a }) => [...a.topk(2, 0, { largest: false })], py: 'list(a.topk(2, 0, largest=False))' },
  { name: 'sort', inputs: { a: f([3, 5]) }, ts: ({ a }) => [...a.sort()], py: 'list(a.sort())' },
  { name: 'sort descending dim 0', inputs: { a: f([4, 3], { view: 't' }) }, ts: ({ a }) => [...a.sort(0, true)], py: 'list(a.sort(0, descending=True))' },
  { name: 'sort stable ints', inputs: { a: fixed([12], { kind: 'int', high: 3 }) }, ts: ({ a }) => [...a.sort(0, { stable: true })], py: 'list(a.sort(dim=0, stable=True))' },
  { name: 'argsort', inputs: { a: fixed([7]) }, ts: ({ a }) => a.argsort(0, true), py: 'a.argsort(0, descending=True)' },
  { name: 'all/any', inputs: { a: fixed([3, 4], { kind: 'bool' }) }, ts: ({ a }) => [a.all(), a.any(), a.all(1), a.any(0, true)],
    py: '[a.all(), a.any(), a.all(1), a.any(0, keepdim=True)]' },
  { name: 'countNonzero', inputs: { a: fixed([3, 4], { kind: 'int', high: 2 }) }, ts: ({ a }) => [a.countNonzero(), a.countNonzero(1)], py: '[torch.count_nonzero(a), torch.count_nonzero(a, 1)]' },
  { name: 'reductions on float64', inputs: { a: f([4, 4], { dtype: 'float64' }) }, ts: ({ a }) => [a.sum(0), a.std(), a.logsumexp(1)], py: '[a.sum(0), a.std(), a.logsumexp(1)]' },
];

describe.skipIf(!py)('reductions match PyTorch', () => {
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    await runOpCase(py!, c, 2000 + i);
  });
});
