// Layer parity with PyTorch: the same seed must give the same initial state dict (keys, order,
// values), and the same input the same output and gradients (of the input and every parameter).
import { expect } from 'vitest';
import { type Tensor, nn, torch } from '../../lib/index.js';

type Module = nn.Module;
import { type PyTensor, type TorchPython, compareTensors } from './python.js';

export interface ModuleCase {
  name: string;
  /** Builds the module (called right after torch.manualSeed(seed)). */
  ts: () => Module;
  /** Python expression building the same module (nn is torch.nn). */
  py: string;
  /** Input shapes (float32 randn), or a function making the inputs. */
  inputs: number[][] | (() => Tensor[]);
  /** How to call it; defaults to m.forward(...inputs) / m(*inputs). Python names: m, xs. */
  call?: { ts: (m: Module, xs: Tensor[]) => Tensor; py: string };
  mode?: 'train' | 'eval';
  /** Seed drawn again right before forward on both sides (for dropout). */
  forwardSeed?: number;
  tol?: { rtol?: number; atol?: number };
  /** Skip the gradient of the inputs (integer inputs). */
  noInputGrad?: boolean;
  /** The PyTorch major version the Python side needs (RMSNorm, sdpa, is_causal arrived in 2.x). */
  since?: number;
}

interface PyResult { keys: string[]; state: PyTensor[]; out: PyTensor; grads: PyTensor[]; inputGrads: PyTensor[] }

export async function runModuleCase(py: TorchPython, c: ModuleCase, seed: number): Promise<void> {
  torch.manualSeed(seed);
  const m = c.ts();
  if (c.mode === 'eval') m.eval();
  torch.manualSeed(seed + 1);
  const xs = typeof c.inputs === 'function' ? c.inputs() : c.inputs.map((s) => torch.randn(s));
  const gradInputs = !c.noInputGrad;
  if (gradInputs) xs.forEach((x) => x.requiresGrad_(true));
  if (c.forwardSeed !== undefined) torch.manualSeed(c.forwardSeed);
  const out = c.call ? c.call.ts(m, xs) : m.forward(...xs);
  const g = torch.randn(out.shape);
  out.mul(g).sum().backward();
  const code = `
torch.manual_seed(${seed})
m = ${c.py}
${c.mode === 'eval' ? 'm.eval()' : ''}
sd = m.state_dict()
keys = list(sd.keys())
state = [v.clone() for v in sd.values()]
xs = [x.detach().requires_grad_(${gradInputs ? 'True' : 'False'}) for x in xs]
${c.forwardSeed !== undefined ? `torch.manual_seed(${c.forwardSeed})` : ''}
o = ${c.call?.py ?? 'm(*xs)'}
(o * g).sum().backward()
out = {"keys": keys, "state": state, "out": o, "grads": [p.grad for _, p in m.named_parameters()], "inputGrads": [x.grad for x in xs] if ${gradInputs ? 'True' : 'False'} else []}`;
  // The state dict is compared as it was before the forward pass (BatchNorm updates buffers).
  torch.manualSeed(seed);
  const fresh = c.ts();
  const freshState = fresh.stateDict();
  const theirs = await py.run<PyResult>(code, { xs: xs.map((x) => x.detach()), g });
  expect(Object.keys(freshState), `${c.name}: state dict keys`).toEqual(theirs.keys);
  Object.values(freshState).forEach((t, i) => expect(compareTensors(t, theirs.state[i]), `${c.name}: initial ${theirs.keys[i]}`).toBeNull());
  expect(compareTensors(out.detach(), theirs.out, c.tol), `${c.name}: output`).toBeNull();
  const params = m.namedParameters();
  expect(params.length, `${c.name}: parameter count`).toBe(theirs.grads.length);
  params.forEach(([name, p], i) => {
    const grad = p.grad;
    if (grad === null || theirs.grads[i] === null) expect(grad === null, `${c.name}: grad of ${name} present on one side only`).toBe(theirs.grads[i] === null);
    else expect(compareTensors(grad, theirs.grads[i], c.tol), `${c.name}: grad of ${name}`).toBeNull();
  });
  if (gradInputs) xs.forEach((x, i) => expect(compareTensors(x.grad!, theirs.inputGrads[i], c.tol), `${c.name}: grad of input ${i}`).toBeNull());
}
