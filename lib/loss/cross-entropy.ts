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
import { tensor } from '../core/creation.js';
import { summedCrossEntropy as summedCrossEntropyKernel } from '../core/nn-functional.js';
import { Tensor } from '../core/tensor.js';
import '../core/torch.js';
import { type TaskSpec } from '../task/spec.js';
import { describeShape, LossInputError } from './inputs.js';

export interface CrossEntropyOptions {
  labelSmoothing: number;
  classWeights?: number[];
}

export interface SummedCrossEntropy {
  /** The loss summed over the counted targets (weighted when classWeights are given). */
  sum: Tensor;
  /** The divisor matching `sum`: the number of targets that are not ignoreIndex, or their summed class weight (0-d float64, on the device). */
  counted: Tensor;
  /** The number of targets that are not ignoreIndex (0-d int64, on the device). */
  targets: Tensor;
  /** Rows of the batch (samples). */
  rows: number;
}

/**
 * logits [..., C] against class indices [...] (ignoreIndex skipped), logits upcast to float32 at
 * least. One native call (native summedCrossEntropy) does the upcast, flatten, count and sum:
 * this runs every training step, right after the forward pass, where each separate small call
 * costs several times what it does warm.
 */
export function summedCrossEntropy(loss: string, logits: Tensor, targets: Tensor, task: TaskSpec, o: CrossEntropyOptions): SummedCrossEntropy {
  let weight: Tensor | undefined;
  if (o.classWeights) {
    const classes = logits.shape.at(-1)!;
    if (o.classWeights.length !== classes) {
      throw new LossInputError(loss, `classWeights has ${o.classWeights.length} entries but the logits have ${classes} classes (${describeShape(logits)}); fix: give one weight per class`);
    }
    const dtype = logits.dtype === 'float16' || logits.dtype === 'bfloat16' ? 'float32' : logits.dtype;
    weight = tensor(o.classWeights, { dtype, device: logits.device });
  }
  let result: ReturnType<typeof summedCrossEntropyKernel>;
  try {
    result = summedCrossEntropyKernel(logits, targets, { weight, ignoreIndex: task.ignoreIndex, labelSmoothing: o.labelSmoothing }, loss);
  } catch (err) {
    throw outOfRange(err, loss, logits, task) ?? err;
  } finally {
    // libtorch keeps its own reference for the backward pass; ours can go now.
    weight?.dispose();
  }
  const { sum, counted, targets: count } = result;
  const shape = logits.shape;
  const rows = shape.length >= 2 ? shape[0] : 1;
  return { sum, counted, targets: count, rows };
}

/**
 * libtorch's "Target 7 is out of bounds" names its kernel; say instead which batch field held
 * the bad class id, how many classes the logits have, and what to fix.
 */
function outOfRange(err: unknown, loss: string, logits: Tensor, task: TaskSpec): LossInputError | null {
  const m = err instanceof Error ? /Target (-?\d+) is out of bounds/.exec(err.message) : null;
  if (!m) return null;
  const classes = logits.shape.at(-1)!;
  const field = task.type === 'causal_lm' ? `${task.fields.labels}' (or '${String(task.fields.inputs)}' when the batch has no labels)` : `${task.fields.labels}'`;
  const declared = task.numClasses ?? task.vocabSize;
  return new LossInputError(loss, `the batch field '${field} holds the class id ${m[1]}, outside [0, ${classes}) for logits with ${classes} classes`
    + `${declared !== undefined ? ` (TaskSpec ${task.numClasses !== undefined ? 'numClasses' : 'vocabSize'} ${declared})` : ''}; ignored positions must be ignoreIndex (${task.ignoreIndex}); `
    + 'fix: check the labels the dataset or collate function produce, or the number of classes of the model and TaskSpec');
}
