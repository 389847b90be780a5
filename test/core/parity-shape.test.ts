// Parity with Python PyTorch: shape ops, joins and splits, indexing (get and set), gather and
// scatter, masks, where, pad, dtype conversions and in-place ops; values and gradients.
import { afterAll, describe, it } from 'vitest';
import { torch } from '../../lib/index.js';
import { type OpCase, f, fixed, runOpCase } from '../helpers/op-parity.js';
import { TorchPython } from '../helpers/python.js';

const py = await TorchPython.start();
afterAll(() => py?.close());

const long = (values: number[]) => torch.tensor(values, { dtype: 'int64' });

const cases: OpCase[] = [
  { name: 'reshape/view/flatten', inputs: { a: f([2, 3, 4]) }, ts: ({ a }) => [a.reshape(4, -1), a.view([6, 4]), a.flatten(), a.flatten(1)],
    py: '[a.reshape(4, -1), a.view(6, 4), a.flatten(), a.flatten(1)]' },
  { name: 'reshape of non-contiguous', inputs: { a: f([3, 4], { view: 't' }) }, ts: ({ a }) => a.reshape(-1), py: 'a.reshape(-1)' },
  { name: 'squeeze/unsqueeze', inputs: { a: f([2, 1, 3, 1]) }, ts: ({ a }) => [a.squeeze(), a.squeeze(1), a.squeeze([1, 3]), a.unsqueeze(0), a.unsqueeze(-1)],
    py: '[a.squeeze(), a.squeeze(1), a.squeeze(1).squeeze(2), a.unsqueeze(0), a.unsqueeze(-1)]' },
  { name: 'permute/transpose/t/mT', inputs: { a: f([2, 3, 4]), m: f([3, 5]) }, ts: ({ a, m }) => [a.permute(2, 0, 1), a.transpose(0, 2), m.t(), a.mT],
    py: '[a.permute(2, 0, 1), a.transpose(0, 2), m.t(), a.mT]' },
  { name: 'expand/expandAs/repeat', inputs: { a: f([3, 1]), b: fixed([2, 3, 4]) }, ts: ({ a, b }) => [a.expand(2, 3, 4), a.expandAs(b), a.repeat(2, 1, 3)],
    py: '[a.expand(2, 3, 4), a.expand_as(b), a.repeat(2, 1, 3)]' },
  { name: 'cat/stack', inputs: { a: f([2, 3]), b: f([2, 3], { view: 't' }) }, ts: ({ a, b }) => [torch.cat([a, b], 0), torch.cat([a, b], 1), torch.stack([a, b], 1)],
    py: '[torch.cat([a, b], 0), torch.cat([a, b], 1), torch.stack([a, b], 1)]' },
  { name: 'split/chunk', inputs: { a: f([7, 2]) }, ts: ({ a }) => [...a.split(3), ...a.split([2, 5]), ...a.chunk(3), ...a.chunk(2, 1)],
    py: '[*a.split(3), *a.split([2, 5]), *a.chunk(3), *a.chunk(2, 1)]' },
  { name: 'narrow/select/unbind', inputs: { a: f([4, 5]) }, ts: ({ a }) => [a.narrow(1, 1, 3), a.select(0, -1), ...a.unbind(1)],
    py: '[a.narrow(1, 1, 3), a.select(0, -1), *a.unbind(1)]' },
  { name: 'flip/roll/movedim', inputs: { a: f([2, 3, 4]) }, ts: ({ a }) => [a.flip(0, 2), a.roll(1, 2), a.roll([1, -1], [0, 1]), a.movedim(0, -1)],
    py: '[a.flip(0, 2), a.roll(1, 2), a.roll((1, -1), (0, 1)), a.movedim(0, -1)]' },
  { name: 'tril/triu/diag', inputs: { a: f([4, 4]), v: f([3]) }, ts: ({ a, v }) => [a.tril(), a.triu(1), a.tril(-1), v.diag(), a.diag(1)],
    py: '[a.tril(), a.triu(1), a.tril(-1), v.diag(), a.diag(1)]' },
  { name: 'contiguous/clone/detach', inputs: { a: f([3, 4], { view: 't' }) }, ts: ({ a }) => [a.contiguous(), a.clone().mul(2), a.detach()],
    py: '[a.contiguous(), a.clone() * 2, a.detach()]' },
  { name: 'repeatInterleave', inputs: { a: f([2, 3]) }, ts: ({ a }) => [a.repeatInterleave(2), a.repeatInterleave(3, 1)], py: '[a.repeat_interleave(2), a.repeat_interleave(3, 1)]' },
  // indexing
  { name: 'index ints and slices', inputs: { a: f([4, 5, 6]) }, ts: ({ a }) => [a.index(1), a.index(-1, '1:4'), a.index(':', '::2', 3), a.index('...', '2:'), a.index(null, 0, '1:-1:2')],
    py: '[a[1], a[-1, 1:4], a[:, ::2, 3], a[..., 2:], a[None, 0, 1:-1:2]]' },
  { name: 'index with torch.slice', inputs: { a: f([5, 5]) }, ts: ({ a }) => a.index(torch.slice(1, null, 2), torch.slice(null, 3)), py: 'a[1::2, :3]' },
  { name: 'index boolean mask', inputs: { a: f([4, 3]), m: fixed([4, 3], { kind: 'bool' }) }, ts: ({ a, m }) => [a.index(m), a.index(m.index(':', 0))],
    py: '[a[m], a[m[:, 0]]]' },
  { name: 'index tensors and lists', inputs: { a: f([5, 4]) }, ts: ({ a }) => [a.index(long([0, 3, 3])), a.index([4, 0], [1, 2]), a.index(':', [true, false, true, false])],
    py: '[a[torch.tensor([0, 3, 3])], a[[4, 0], [1, 2]], a[:, [True, False, True, False]]]' },
  { name: 'indexPut scalar and tensor', inputs: { a: fixed([4, 3]), v: fixed([3]) },
    ts: ({ a, v }) => { const x = a.clone(); x.indexPut_([1], v); x.indexPut_([':', 0], 7); x.indexPut_([x.gt(1)], -1); return x; },
    py: '(x := a.clone(), x.__setitem__(1, v), x.__setitem__((slice(None), 0), 7), x.__setitem__(x > 1, -1))[0]' },
  { name: 'indexPut with gradient', inputs: { a: f([4, 3]), v: f([2, 3]) },
    ts: ({ a, v }) => { const x = a.mul(1); x.indexPut_([long([0, 2])], v); return x; },
    py: '(x := a * 1, x.__setitem__(torch.tensor([0, 2]), v))[0]' },
  { name: 'gather', inputs: { a: f([3, 4]), i: fixed([3, 2], { kind: 'int', high: 4 }) }, ts: ({ a, i }) => a.gather(1, i), py: 'a.gather(1, i)' },
  { name: 'scatter src and value', inputs: { a: f([3, 4]), s: f([3, 1]) },
    ts: ({ a, s }) => [a.scatter(1, long([0, 2, 1]).reshape(3, 1), s), a.scatter(0, long([2, 0, 1, 1]).reshape(1, 4), 9)],
    py: '[a.scatter(1, torch.tensor([0, 2, 1]).reshape(3, 1), s), a.scatter(0, torch.tensor([2, 0, 1, 1]).reshape(1, 4), 9)]' },
  { name: 'scatterAdd/scatterReduce', inputs: { a: f([3]), s: f([6]), i: fixed([6], { kind: 'int', high: 3 }) },
    ts: ({ a, s, i }) => [a.scatterAdd(0, i, s), a.scatterReduce(0, i, s, 'amax'), a.scatterReduce(0, i, s, 'mean', { includeSelf: false })],
    py: '[a.scatter_add(0, i, s), a.scatter_reduce(0, i, s, "amax"), a.scatter_reduce(0, i, s, "mean", include_self=False)]' },
  { name: 'indexSelect/indexAdd', inputs: { a: f([4, 3]), s: f([2, 3]) }, ts: ({ a, s }) => [a.indexSelect(0, long([3, 1, 3])), a.indexAdd(0, long([0, 2]), s)],
    py: '[a.index_select(0, torch.tensor([3, 1, 3])), a.index_add(0, torch.tensor([0, 2]), s)]' },
  { name: 'maskedFill/maskedSelect', inputs: { a: f([3, 4]), m: fixed([4], { kind: 'bool' }) }, ts: ({ a, m }) => [a.maskedFill(m, -5), a.maskedSelect(m), a.maskedFill(m, torch.tensor(2.5))],
    py: '[a.masked_fill(m, -5), a.masked_select(m), a.masked_fill(m, torch.tensor(2.5))]' },
  { name: 'where', inputs: { c: fixed([3, 4], { kind: 'bool' }), a: f([3, 4]), b: f([4]) }, ts: ({ c, a, b }) => [torch.where(c, a, b), torch.where(c, a, 0), torch.where(c, 1, b), a.where(c, -1)],
    py: '[torch.where(c, a, b), torch.where(c, a, 0.0), torch.where(c, 1.0, b), torch.where(c, a, -1.0)]' },
  { name: 'nonzero', inputs: { a: fixed([3, 4], { kind: 'int', high: 2 }) }, ts: ({ a }) => a.nonzero(), py: 'a.nonzero()' },
  { name: 'pad modes', inputs: { a: f([1, 2, 3, 4]), b: f([1, 2, 5]) },
    ts: ({ a, b }) => [a.pad([1, 2]), a.pad([1, 1, 2, 0], { value: 3 }), b.pad([2, 1], { mode: 'reflect' }), a.pad([1, 1, 1, 1], { mode: 'replicate' }), b.pad([1, 2], { mode: 'circular' })],
    py: '[F.pad(a, (1, 2)), F.pad(a, (1, 1, 2, 0), value=3), F.pad(b, (2, 1), mode="reflect"), F.pad(a, (1, 1, 1, 1), mode="replicate"), F.pad(b, (1, 2), mode="circular")]' },
  // dtype conversions
  { name: 'to dtypes', inputs: { a: fixed([8]) }, ts: ({ a }) => { const x = a.mul(100); return [x.long(), x.int(), x.short(), x.char(), x.byte(), x.bool(), x.half(), x.bfloat16(), x.double(), x.to('int32')]; },
    py: '[(x := a * 100).long(), x.int(), x.short(), x.char(), x.byte(), x.bool(), x.half(), x.bfloat16(), x.double(), x.to(torch.int32)]' },
  { name: 'to with gradient', inputs: { a: f([4]) }, ts: ({ a }) => a.double().mul(2).float(), py: '(a.double() * 2).float()' },
  // in place
  { name: 'in-place arithmetic', inputs: { a: fixed([3, 4]), b: fixed([4]) },
    ts: ({ a, b }) => { const x = a.clone(); x.add_(b).mul_(2).sub_(b, { alpha: 0.5 }).div_(3).add_(1).mul_(-1).pow_(2).clamp_(0, 2); return x; },
    py: '(x := a.clone(), x.add_(b).mul_(2).sub_(b, alpha=0.5).div_(3).add_(1).mul_(-1).pow_(2).clamp_(0, 2))[0]' },
  { name: 'in-place unary, fill, zero, copy', inputs: { a: fixed([6], { kind: 'positive' }), b: fixed([6]) },
    ts: ({ a, b }) => { const x = a.clone(), y = a.clone(), z = a.clone(); x.sqrt_().log_().neg_().exp_().sigmoid_(); y.fill_(3.5); z.copy_(b); return [x, y, z, a.clone().zero_()]; },
    py: '[a.clone().sqrt_().log_().neg_().exp_().sigmoid_(), a.clone().fill_(3.5), a.clone().copy_(b), a.clone().zero_()]' },
  { name: 'maskedFill_ and scatter_', inputs: { a: fixed([2, 3]), m: fixed([2, 3], { kind: 'bool' }) },
    ts: ({ a, m }) => { const x = a.clone(); x.maskedFill_(m, 0); const y = a.clone(); y.scatter_(1, long([2, 0]).reshape(2, 1), a.index(':', '0:1')); return [x, y]; },
    py: '[a.clone().masked_fill_(m, 0), a.clone().scatter_(1, torch.tensor([2, 0]).reshape(2, 1), a[:, 0:1])]' },
];

describe.skipIf(!py)('shape, indexing and in-place ops match PyTorch', () => {
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    await runOpCase(py!, c, 3000 + i);
  });
});
