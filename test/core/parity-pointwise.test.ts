// Parity with Python PyTorch (same libtorch): element-wise math, comparisons, matrix products
// and softmax, with broadcasting and non-contiguous inputs; values and gradients, exact.
import { afterAll, describe, it } from 'vitest';
import { type OpCase, f, fixed, runOpCase } from '../helpers/op-parity.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

const UNARY: [string, string, Partial<{ kind: 'positive' | 'unit'; grad: boolean }>][] = [
  ['neg', 'torch.neg(a)', {}], ['abs', 'torch.abs(a)', {}], ['exp', 'torch.exp(a)', {}], ['log', 'torch.log(a)', { kind: 'positive' }],
  ['log1p', 'torch.log1p(a)', { kind: 'positive' }], ['sqrt', 'torch.sqrt(a)', { kind: 'positive' }], ['rsqrt', 'torch.rsqrt(a)', { kind: 'positive' }],
  ['sin', 'torch.sin(a)', {}], ['cos', 'torch.cos(a)', {}], ['tanh', 'torch.tanh(a)', {}], ['sigmoid', 'torch.sigmoid(a)', {}],
  ['relu', 'torch.relu(a)', {}], ['sign', 'torch.sign(a)', {}], ['floor', 'torch.floor(a)', {}], ['ceil', 'torch.ceil(a)', {}],
  ['round', 'torch.round(a)', {}], ['expm1', 'torch.expm1(a)', {}], ['log2', 'torch.log2(a)', { kind: 'positive' }],
  ['reciprocal', 'torch.reciprocal(a)', { kind: 'positive' }], ['square', 'torch.square(a)', {}], ['silu', 'F.silu(a)', {}],
  ['erf', 'torch.erf(a)', {}], ['asin', 'torch.asin(a)', { kind: 'unit' }], ['atan', 'torch.atan(a)', {}], ['trunc', 'torch.trunc(a)', {}],
];

const cases: OpCase[] = [
  ...UNARY.map(([name, pyExpr, o]): OpCase => ({
    name, inputs: { a: f([3, 4], { kind: o.kind, view: 't' }) }, py: pyExpr,
    ts: ({ a }) => (a as unknown as Record<string, () => typeof a>)[name](),
  })),
  { name: 'round decimals', inputs: { a: f([5]) }, ts: ({ a }) => a.mul(100).round({ decimals: 1 }), py: 'torch.round(a * 100, decimals=1)' },
  // binary, tensor and scalar forms, broadcasting
  { name: 'add broadcast', inputs: { a: f([4, 1, 3]), b: f([2, 1]) }, ts: ({ a, b }) => a.add(b), py: 'a + b' },
  { name: 'add alpha', inputs: { a: f([3, 3]), b: f([3], { view: 'stride' }) }, ts: ({ a, b }) => a.add(b, { alpha: 2.5 }), py: 'torch.add(a, b, alpha=2.5)' },
  { name: 'add scalar', inputs: { a: f([2, 3], { view: 't' }) }, ts: ({ a }) => a.add(1.5), py: 'a + 1.5' },
  { name: 'add int scalar to int tensor', inputs: { a: fixed([4], { kind: 'int', dtype: 'int32' }) }, ts: ({ a }) => a.add(3), py: 'a + 3' },
  { name: 'add fractional scalar to int tensor', inputs: { a: fixed([4], { kind: 'int' }) }, ts: ({ a }) => a.add(0.5), py: 'a + 0.5' },
  { name: 'sub', inputs: { a: f([3, 4]), b: f([4]) }, ts: ({ a, b }) => a.sub(b), py: 'a - b' },
  { name: 'sub scalar alpha', inputs: { a: f([3]) }, ts: ({ a }) => a.sub(2, { alpha: 3 }), py: 'torch.sub(a, 2, alpha=3)' },
  { name: 'rsub', inputs: { a: f([3]) }, ts: ({ a }) => a.rsub(2), py: '2 - a' },
  { name: 'mul', inputs: { a: f([2, 3, 4]), b: f([3, 1]) }, ts: ({ a, b }) => a.mul(b), py: 'a * b' },
  { name: 'mul scalar', inputs: { a: f([5]) }, ts: ({ a }) => a.mul(-3), py: 'a * -3' },
  { name: 'div', inputs: { a: f([3, 4]), b: f([3, 4], { kind: 'positive' }) }, ts: ({ a, b }) => a.div(b), py: 'a / b' },
  { name: 'div scalar', inputs: { a: f([3, 4]) }, ts: ({ a }) => a.div(7), py: 'a / 7' },
  { name: 'rdiv', inputs: { a: f([3], { kind: 'positive' }) }, ts: ({ a }) => a.rdiv(2), py: '2 / a' },
  { name: 'div floor ints', inputs: { a: fixed([6], { kind: 'int', high: 20 }) }, ts: ({ a }) => a.sub(10).div(3, { roundingMode: 'floor' }), py: 'torch.div(a - 10, 3, rounding_mode="floor")' },
  { name: 'div trunc', inputs: { a: fixed([6]), b: fixed([6], { kind: 'positive' }) }, ts: ({ a, b }) => a.div(b, { roundingMode: 'trunc' }), py: 'torch.div(a, b, rounding_mode="trunc")' },
  { name: 'pow tensor', inputs: { a: f([4], { kind: 'positive' }), b: f([4]) }, ts: ({ a, b }) => a.pow(b), py: 'torch.pow(a, b)' },
  { name: 'pow scalar', inputs: { a: f([2, 3]) }, ts: ({ a }) => a.pow(3), py: 'a ** 3' },
  { name: 'pow fractional', inputs: { a: f([4], { kind: 'positive' }) }, ts: ({ a }) => a.pow(0.5), py: 'a ** 0.5' },
  { name: 'rpow', inputs: { a: f([4]) }, ts: ({ a }) => a.rpow(2), py: '2 ** a' },
  { name: 'maximum', inputs: { a: f([3, 4]), b: f([4]) }, ts: ({ a, b }) => a.maximum(b), py: 'torch.maximum(a, b)' },
  { name: 'minimum', inputs: { a: f([3, 4], { view: 't' }), b: f([3, 1]) }, ts: ({ a, b }) => a.minimum(b), py: 'torch.minimum(a, b)' },
  { name: 'remainder', inputs: { a: fixed([5]) }, ts: ({ a }) => a.mul(10).remainder(3), py: 'torch.remainder(a * 10, 3)' },
  { name: 'fmod', inputs: { a: fixed([5]) }, ts: ({ a }) => a.mul(10).fmod(3), py: 'torch.fmod(a * 10, 3)' },
  { name: 'atan2', inputs: { a: f([4]), b: f([4]) }, ts: ({ a, b }) => a.atan2(b), py: 'torch.atan2(a, b)' },
  // comparisons and logic
  { name: 'eq/ne/lt/le/gt/ge', inputs: { a: fixed([3, 4], { kind: 'int' }), b: fixed([4], { kind: 'int' }) },
    ts: ({ a, b }) => [a.eq(b), a.ne(b), a.lt(b), a.le(b), a.gt(b), a.ge(b)], py: '[a == b, a != b, a < b, a <= b, a > b, a >= b]' },
  { name: 'comparisons with scalars', inputs: { a: fixed([6]) }, ts: ({ a }) => [a.eq(0), a.lt(0.5), a.ge(-0.2), a.ne(1), a.le(0), a.gt(-1)],
    py: '[a == 0, a < 0.5, a >= -0.2, a != 1, a <= 0, a > -1]' },
  { name: 'logical', inputs: { a: fixed([5], { kind: 'bool' }), b: fixed([5], { kind: 'bool' }) },
    ts: ({ a, b }) => [a.logicalAnd(b), a.logicalOr(b), a.logicalXor(b), a.logicalNot()],
    py: '[torch.logical_and(a, b), torch.logical_or(a, b), torch.logical_xor(a, b), torch.logical_not(a)]' },
  { name: 'isnan/isfinite/isinf', inputs: { a: fixed([6]) }, ts: ({ a }) => { const z = a.div(a.gt(0).float()); return [z.isnan(), z.isfinite(), z.isinf()]; },
    py: '[(z := a / (a > 0).float()).isnan(), z.isfinite(), z.isinf()]' },
  // clamping and friends
  { name: 'clamp', inputs: { a: f([3, 4]) }, ts: ({ a }) => a.clamp(-0.5, 0.5), py: 'torch.clamp(a, -0.5, 0.5)' },
  { name: 'clamp min only', inputs: { a: f([6]) }, ts: ({ a }) => a.clamp(0), py: 'torch.clamp(a, min=0)' },
  { name: 'clamp tensors', inputs: { a: f([4]), lo: fixed([4]), hi: fixed([4], { kind: 'positive' }) }, ts: ({ a, lo, hi }) => a.clamp(lo, hi), py: 'torch.clamp(a, lo, hi)' },
  { name: 'lerp', inputs: { a: f([4]), b: f([4]) }, ts: ({ a, b }) => a.lerp(b, 0.3), py: 'torch.lerp(a, b, 0.3)' },
  { name: 'addcmul', inputs: { a: f([4]), b: f([4]), c: f([4]) }, ts: ({ a, b, c }) => a.addcmul(b, c, { value: 0.5 }), py: 'torch.addcmul(a, b, c, value=0.5)' },
  { name: 'addcdiv', inputs: { a: f([4]), b: f([4]), c: f([4], { kind: 'positive' }) }, ts: ({ a, b, c }) => a.addcdiv(b, c, { value: 2 }), py: 'torch.addcdiv(a, b, c, value=2)' },
  // matrix products and softmax
  { name: 'matmul 2d', inputs: { a: f([5, 7]), b: f([7, 3], { view: 't' }) }, ts: ({ a, b }) => a.matmul(b), py: 'a @ b' },
  { name: 'matmul batched broadcast', inputs: { a: f([2, 1, 4, 5]), b: f([3, 5, 2]) }, ts: ({ a, b }) => a.matmul(b), py: 'torch.matmul(a, b)' },
  { name: 'matmul vector', inputs: { a: f([4, 5]), b: f([5]) }, ts: ({ a, b }) => a.matmul(b), py: 'a @ b' },
  { name: 'bmm', inputs: { a: f([3, 4, 5]), b: f([3, 5, 2]) }, ts: ({ a, b }) => a.bmm(b), py: 'torch.bmm(a, b)' },
  { name: 'mm', inputs: { a: f([3, 4]), b: f([4, 2]) }, ts: ({ a, b }) => a.mm(b), py: 'torch.mm(a, b)' },
  { name: 'outer/dot', inputs: { a: f([4]), b: f([4]) }, ts: ({ a, b }) => [a.outer(b), a.dot(b)], py: '[torch.outer(a, b), torch.dot(a, b)]' },
  { name: 'softmax', inputs: { a: f([3, 5]) }, ts: ({ a }) => a.softmax(-1), py: 'torch.softmax(a, -1)' },
  { name: 'softmax dim 0 non-contiguous', inputs: { a: f([4, 3], { view: 't' }) }, ts: ({ a }) => a.softmax(0), py: 'torch.softmax(a, 0)' },
  { name: 'logSoftmax', inputs: { a: f([2, 3, 4]) }, ts: ({ a }) => a.logSoftmax(1), py: 'torch.log_softmax(a, 1)' },
  { name: 'softmax to float64', inputs: { a: f([6]) }, ts: ({ a }) => a.softmax(0, { dtype: 'float64' }), py: 'torch.softmax(a, 0, dtype=torch.float64)' },
  // other dtypes
  { name: 'float64 math', inputs: { a: f([3, 3], { dtype: 'float64' }) }, ts: ({ a }) => a.exp().mul(a.sin()).sub(1), py: 'a.exp() * a.sin() - 1' },
  { name: 'bfloat16 math', inputs: { a: fixed([6]) }, ts: ({ a }) => a.bfloat16().mul(3).add(1).tanh(), py: '(a.bfloat16() * 3 + 1).tanh()' },
  // (libtorch 1.13 has few float16 CPU kernels: keep to the ones both targets have)
  { name: 'float16 math', inputs: { a: fixed([6]) }, ts: ({ a }) => a.half().mul(3).add(1).abs().float(), py: '(a.half() * 3 + 1).abs().float()' },
];

describe.skipIf(!py)('pointwise and matrix ops match PyTorch', () => {
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    await runOpCase(py!, c, 1000 + i);
  });
});
