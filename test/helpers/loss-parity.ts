// Parity of a loss strategy with the same formula written in Python PyTorch: our strategy runs
// on the output/batch built from named tensors, the Python code runs on the very same tensors
// (bound to the same names) and must assign the summed loss to `loss`, the item count to `n`
// and, optionally, PyTorch's own mean-reduced loss to `mean`. Then both sides backward and the
// summed loss, the count, sum/n against `mean`, and every leaf's gradient are compared.
import { expect } from 'vitest';
import { type Tensor } from '../../lib/index.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from '../../lib/loss/index.js';
import { type TaskSpec } from '../../lib/task/index.js';
import { type PyTensor, type TorchPython, compareTensors } from './python.js';

export interface LossParity {
  strategy: LossStrategy;
  task: TaskSpec;
  output: ModelOutput;
  batch: Batch;
  /** Every tensor the Python code needs, by its Python name (leaves with requiresGrad get gradients compared). */
  tensors: Record<string, Tensor>;
  /** Python: sets loss (summed), n (items) and optionally mean (PyTorch's mean reduction). */
  py: string;
  tol?: { rtol?: number; atol?: number };
  /** Tolerance for the gradients when it differs from tol. */
  gradTol?: { rtol?: number; atol?: number };
}

interface Theirs {
  loss: PyTensor;
  n: number;
  mean: PyTensor | null;
  grads: Record<string, PyTensor>;
}

export async function expectLossParity(py: TorchPython, c: LossParity): Promise<LossResult> {
  const leaves = Object.entries(c.tensors).filter(([, t]) => t.requiresGrad).map(([name]) => name);
  const ours = c.strategy.computeLoss(c.output, c.batch, c.task);
  ours.loss.backward();
  const code = [
    'import math',
    c.py,
    'mean = locals().get("mean")',
    'loss.backward()',
    `out = {"loss": loss, "n": float(n), "mean": mean, "grads": {k: v.grad for k, v in {${leaves.map((l) => `"${l}": ${l}`).join(', ')}}.items()}}`,
  ].join('\n');
  const theirs = await py.run<Theirs>(code, c.tensors);
  const tol = c.tol ?? {};
  expect(ours.loss.ndim, 'the loss is a 0-d tensor').toBe(0);
  expect(compareTensors(ours.loss.detach(), theirs.loss, tol), 'summed loss').toBeNull();
  const items = typeof ours.numItems === 'number' ? ours.numItems : ours.numItems.item();
  expect(items, 'numItems').toBeCloseTo(theirs.n, 5);
  if (theirs.mean) {
    const mean = ours.loss.item() / items;
    expect(Math.abs(mean - Number(theirs.mean.data[0])), `sum / numItems = ${mean} vs PyTorch's mean ${theirs.mean.data[0]}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(mean)));
  }
  for (const name of leaves) {
    const grad = c.tensors[name].grad;
    expect(grad, `gradient of ${name}`).not.toBeNull();
    expect(theirs.grads[name], `PyTorch's gradient of ${name}`).toBeTruthy();
    expect(compareTensors(grad!, theirs.grads[name], c.gradTol ?? tol), `gradient of ${name}`).toBeNull();
  }
  return ours;
}
