// The summed cross entropy every class-index loss shares (token losses, sequence and image
// classification), with the item count that goes with it.
//
// Class weights and normalisation. PyTorch's weighted mean is sum_i w[y_i] * l_i / sum_i w[y_i]:
// it divides by the summed weights of the counted targets, not by their number. We return the
// weighted SUM and, as the item count, that summed weight. Both are sums over items, so k
// micro-batches give sum_k S_k / sum_k W_k, which is exactly the weighted mean of the whole
// window as one batch (averaging per-micro-batch weighted means would not be, as the windows'
// weights differ); and with a single micro-batch it equals F.cross_entropy(weight=w). The cost
// is that numItems is then a weight, possibly fractional, not a count: the plain number of
// counted targets is logged as `targets` for throughput figures.
import { Tensor } from '../core/tensor.js';
import '../core/torch.js';
import * as F from '../nn/functional.js';
import { type TaskSpec } from '../task/spec.js';
import { describeShape, LossInputError, optionTensor, upcast } from './inputs.js';

export interface CrossEntropyOptions {
  labelSmoothing: number;
  classWeights?: number[];
}

export interface SummedCrossEntropy {
  /** The loss summed over the counted targets (weighted when classWeights are given). */
  sum: Tensor;
  /** The divisor matching `sum`: the number of targets that are not ignoreIndex, or their summed class weight. */
  counted: number;
  /** The number of targets that are not ignoreIndex. */
  targets: number;
  /** Rows of the batch (samples). */
  rows: number;
}

/** logits [..., C] against class indices [...] (ignoreIndex skipped), logits upcast to float32 at least. */
export function summedCrossEntropy(loss: string, logits: Tensor, targets: Tensor, task: TaskSpec, o: CrossEntropyOptions): SummedCrossEntropy {
  const classes = logits.shape.at(-1)!;
  const flatLogits = upcast(logits).reshape(-1, classes);
  const flatTargets = targets.reshape(-1);
  const valid = flatTargets.ne(task.ignoreIndex);
  const count = valid.sum().item();
  let weight: Tensor | undefined;
  let counted = count;
  if (o.classWeights) {
    if (o.classWeights.length !== classes) {
      throw new LossInputError(loss, `classWeights has ${o.classWeights.length} entries but the logits have ${classes} classes (${describeShape(logits)}); fix: give one weight per class`);
    }
    weight = optionTensor(o.classWeights, flatLogits);
    // Ignored targets may hold any id (-100, 255): look up a safe 0 and zero their weight.
    const safe = flatTargets.where(valid, 0);
    counted = weight.indexSelect(0, safe).mul(valid).sum().item();
  }
  const sum = F.crossEntropy(flatLogits, flatTargets, { weight, ignoreIndex: task.ignoreIndex, labelSmoothing: o.labelSmoothing, reduction: 'sum' });
  return { sum, counted, targets: count, rows: logits.ndim >= 2 ? logits.shape[0] : 1 };
}
