// What a loss reads from the model output and the batch, checked where it is read: a missing
// field or a wrong shape here would otherwise surface as a libtorch error deep inside a kernel
// ("Expected input batch_size (60) to match target batch_size (64)") that names neither the
// loss, nor the TaskSpec field, nor the fix. Also the item counts per TaskSpec.normalizeBy.
import { tensor } from '../core/creation.js';
import { Tensor } from '../core/tensor.js';
import { type NormalizeBy, type TaskSpec } from '../task/spec.js';
import { type Batch } from './types.js';

/** A model output or batch that does not fit what a loss needs. */
export class LossInputError extends Error {
  constructor(readonly loss: string, message: string) {
    super(`loss '${loss}': ${message}`);
    this.name = 'LossInputError';
  }
}

export function describeShape(t: Tensor): string {
  return `${t.dtype} [${t.shape.join(', ')}]`;
}

/** A tensor the model must return, e.g. output.logits; `expected` describes its shape. */
export function outputTensor(loss: string, output: Record<string, unknown>, key: string, expected: string): Tensor {
  const v = output[key];
  if (v instanceof Tensor) return v;
  const got = v === undefined ? `it has only ${Object.keys(output).join(', ') || 'no fields'}` : `output.${key} is ${typeof v}`;
  throw new LossInputError(loss, `needs output.${key} (${expected}) from the model; ${got}; fix: have the model (or its adapter) return { ${key}: ... }`);
}

/** The batch field TaskSpec.fields.labels names, or undefined when the batch has none. */
export function batchLabels(loss: string, batch: Batch, task: TaskSpec): Tensor | undefined {
  const v = batch[task.fields.labels];
  if (v === undefined) return undefined;
  if (!(v instanceof Tensor)) throw new LossInputError(loss, `batch field '${task.fields.labels}' (TaskSpec.fields.labels) must be a Tensor; it is ${typeof v}`);
  return v;
}

export function requiredLabels(loss: string, batch: Batch, task: TaskSpec, expected: string): Tensor {
  const labels = batchLabels(loss, batch, task);
  if (labels) return labels;
  throw new LossInputError(loss, `needs labels (${expected}) in batch field '${task.fields.labels}'; the batch has ${Object.keys(batch).join(', ') || 'no fields'}; `
    + 'fix: have the collate function add them, or point TaskSpec.fields.labels at the field that holds them');
}

const INTEGER = new Set(['int64', 'int32', 'int16', 'int8', 'uint8']);

/** Class-index targets as int64 (what libtorch's cross entropy takes), refusing float labels. */
export function classIndices(loss: string, labels: Tensor, expected: string): Tensor {
  if (labels.dtype === 'int64') return labels;
  if (INTEGER.has(labels.dtype)) return labels.long();
  throw new LossInputError(loss, `labels must hold class indices (${expected}, an integer tensor); got ${describeShape(labels)}; fix: collate labels as int64`);
}

/**
 * Logits in float32 at least: under autocast they arrive in float16/bfloat16, where the
 * log-sum-exp over a large vocabulary loses precision (Hugging Face upcasts for the same reason).
 */
export function upcast(logits: Tensor): Tensor {
  return logits.dtype === 'float16' || logits.dtype === 'bfloat16' ? logits.float() : logits;
}

export function expectShape(loss: string, what: string, t: Tensor, ok: boolean, expected: string, fix: string): void {
  if (!ok) throw new LossInputError(loss, `${what} must be ${expected}; got ${describeShape(t)}; fix: ${fix}`);
}

/**
 * The number of items the summed loss is divided by under TaskSpec.normalizeBy. A loss offers
 * the counts that make sense for it; any other unit is an error rather than a silent guess.
 */
export function itemCount(loss: string, task: TaskSpec, counts: Partial<Record<NormalizeBy, number | Tensor>>): number | Tensor {
  const n = counts[task.normalizeBy];
  if (n !== undefined) return n;
  const units = Object.keys(counts);
  throw new LossInputError(loss, `cannot normalise by '${task.normalizeBy}' (TaskSpec.normalizeBy); it counts ${units.map((u) => `'${u}'`).join(' or ')}; `
    + `fix: set normalizeBy to ${units.map((u) => `'${u}'`).join(' or ')}, or leave it out for the task type's default`);
}

/** A number-array option (class weights, pos_weight) as a tensor in the dtype and on the device of `like`. */
export function optionTensor(values: number[], like: Tensor): Tensor {
  return tensor(values, { dtype: like.dtype, device: like.device });
}
