// A table-driven runner for op parity: each case builds inputs (seeded), runs the op in
// torchtrain and the same expression in Python PyTorch on the same values, then compares the
// outputs and, for differentiable cases, the gradients of sum(out * g) for a shared random g.
// Exact unless the case gives tolerances: both sides run the same libtorch kernels.
import { expect } from 'vitest';
import { type DType, Tensor, torch } from '../../lib/index.js';
import { type PyTensor, type TorchPython, compareTensors } from './python.js';

/** How an input is made: a seeded base of `shape`, then an optional view of it on both sides. */
export interface InputSpec {
  shape: number[];
  dtype?: DType;
  /** values: normal (default), positive (|x| + 0.5), int (0..high-1), bool (random mask), unit (in (-0.9, 0.9)) */
  kind?: 'normal' | 'positive' | 'int' | 'bool' | 'unit';
  high?: number;
  /** a non-contiguous view on both sides: transpose of the last two dims, or every other element of the last dim */
  view?: 't' | 'stride';
  grad?: boolean;
}

export interface OpCase {
  name: string;
  inputs: Record<string, InputSpec>;
  ts: (x: Record<string, Tensor>) => Tensor | Tensor[];
  /** A Python expression over the same names (torch and F are in scope). */
  py: string;
  tol?: { rtol?: number; atol?: number };
  /** The PyTorch major version the Python side needs. */
  since?: number;
}

function makeBase(spec: InputSpec): Tensor {
  const shape = spec.view === 't' ? [...spec.shape.slice(0, -2), spec.shape.at(-1)!, spec.shape.at(-2)!]
    : spec.view === 'stride' ? [...spec.shape.slice(0, -1), spec.shape.at(-1)! * 2] : spec.shape;
  switch (spec.kind ?? 'normal') {
    case 'int': return torch.randint(0, spec.high ?? 5, shape, { dtype: spec.dtype ?? 'int64' });
    case 'bool': return torch.rand(shape).gt(0.5);
    case 'positive': return torch.randn(shape, { dtype: spec.dtype }).abs().add(0.5);
    case 'unit': return torch.rand(shape, { dtype: spec.dtype }).mul(1.8).sub(0.9);
    default: return torch.randn(shape, { dtype: spec.dtype ?? 'float32' });
  }
}

const VIEW_TS = { t: (x: Tensor) => x.transpose(-1, -2), stride: (x: Tensor) => x.index('...', '::2') };
const VIEW_PY = { t: '.transpose(-1, -2)', stride: '[..., ::2]' };

export async function runOpCase(py: TorchPython, c: OpCase, seed: number): Promise<void> {
  torch.manualSeed(seed);
  const bases: Record<string, Tensor> = {};
  const inputs: Record<string, Tensor> = {};
  const prelude: string[] = [];
  for (const [name, spec] of Object.entries(c.inputs)) {
    const base = makeBase(spec);
    if (spec.grad) base.requiresGrad_(true);
    bases[name] = base;
    inputs[name] = spec.view ? VIEW_TS[spec.view](base) : base;
    prelude.push(`${name}_base = ${name}`, `${name} = ${name}_base${spec.view ? VIEW_PY[spec.view] : ''}`);
  }
  const raw = c.ts(inputs);
  const outs = Array.isArray(raw) ? raw : [raw];
  const gradNames = Object.entries(c.inputs).filter(([, s]) => s.grad).map(([n]) => n);
  const upstream: Tensor[] = [];
  if (gradNames.length) {
    const g = outs.filter((o) => o.requiresGrad);
    upstream.push(...g.map((o) => torch.randn(o.shape, { dtype: o.dtype })));
    const total = g.map((o, i) => o.mul(upstream[i]).sum()).reduce((a, b) => a.add(b));
    total.backward();
  }
  const code = [
    ...prelude,
    `res = ${c.py}`,
    'outs = list(res) if isinstance(res, (list, tuple)) else [res]',
    ...(gradNames.length
      ? ['req = [o for o in outs if o.requires_grad]', 'sum((o * g).sum() for o, g in zip(req, ups)).backward()',
        `grads = [${gradNames.map((n) => `${n}_base.grad`).join(', ')}]`]
      : ['grads = []']),
    'out = {"outs": outs, "grads": grads}',
  ].join('\n');
  const theirs = await py.run<{ outs: PyTensor[]; grads: PyTensor[] }>(code, { ...bases, ups: upstream });
  expect(theirs.outs.length, `${c.name}: number of outputs`).toBe(outs.length);
  outs.forEach((o, i) => expect(compareTensors(o.detach(), theirs.outs[i], c.tol), `${c.name}: output ${i}`).toBeNull());
  gradNames.forEach((n, i) => {
    const ours = bases[n].grad;
    expect(ours, `${c.name}: grad of ${n}`).not.toBeNull();
    expect(compareTensors(ours!, theirs.grads[i], c.tol), `${c.name}: grad of ${n}`).toBeNull();
  });
}

/** Shorthands for input specs. */
export const f = (shape: number[], extra: Partial<InputSpec> = {}): InputSpec => ({ shape, grad: true, ...extra });
export const fixed = (shape: number[], extra: Partial<InputSpec> = {}): InputSpec => ({ shape, ...extra });
