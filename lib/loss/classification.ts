// One label per sample: sequence and image classification (softmax cross entropy over class
// indices, with label smoothing and class weights) and multilabel classification (one sigmoid
// per class). Each sums over samples and reports the samples counted; see cross-entropy.ts for
// how class weights change that count.
import { z } from 'zod';
import { type Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import * as F from '../nn/functional.js';
import { type TaskSpec } from '../task/spec.js';
import { summedCrossEntropy } from './cross-entropy.js';
import { classIndices, describeShape, expectShape, itemCount, LossInputError, optionTensor, outputTensor, requiredLabels, upcast } from './inputs.js';
import { classWeights, labelSmoothing, parseLossOptions } from './options.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from './types.js';

const singleLabelOptions = z.object({ labelSmoothing: labelSmoothing(), classWeights: classWeights() });

function checkClasses(loss: string, logits: Tensor, classes: number, task: TaskSpec): void {
  if (task.numClasses !== undefined && classes !== task.numClasses) {
    throw new LossInputError(loss, `output.logits ${describeShape(logits)} has ${classes} columns but TaskSpec.numClasses is ${task.numClasses}; fix: make the model's head output numClasses logits, or correct numClasses`);
  }
}

/** logits [N, C] against class indices [N]; ignoreIndex labels are skipped. */
abstract class SingleLabelLoss implements LossStrategy {
  abstract readonly name: string;
  readonly usesWholeBatch = false;
  readonly options: z.output<typeof singleLabelOptions>;

  constructor(options: unknown, name: string) {
    this.options = parseLossOptions(name, singleLabelOptions, options);
  }

  // No torch.scope here: the fused cross entropy makes no intermediate tensors (long int labels
  // aside, which the caller's scope frees), and this runs every step, where a scope costs
  // more than the loss itself on a small model.
  computeLoss(output: ModelOutput, batch: Batch, task: TaskSpec): LossResult {
    const logits = outputTensor(this.name, output, 'logits', '[batch, classes]');
    const shape = logits.shape;
    expectShape(this.name, 'output.logits', logits, shape.length === 2, '[batch, classes]', 'return one row of class logits per sample');
    checkClasses(this.name, logits, shape[1], task);
    const labels = classIndices(this.name, requiredLabels(this.name, batch, task, '[batch] class ids'), '[batch]');
    const labelShape = labels.shape;
    expectShape(this.name, 'the labels', labels, labelShape.length === 1 && labelShape[0] === shape[0], `[${shape[0]}] (one class id per logits row)`, 'collate one class id per sample');
    const r = summedCrossEntropy(this.name, logits, labels, task, this.options);
    // Unweighted, the count is the batch size, known without a device read.
    const numItems = itemCount(this.name, task, { samples: this.options.classWeights ? r.counted : shape[0] });
    // The counts the result does not carry go now (this runs every step, outside any scope of its own).
    if (numItems !== r.counted) r.counted.dispose();
    if (!this.options.classWeights) r.targets.dispose();
    return this.options.classWeights ? { loss: r.sum, numItems, logs: { targets: r.targets } } : { loss: r.sum, numItems };
  }
}

export class SequenceClassificationLoss extends SingleLabelLoss {
  readonly name = 'seq_classification';
  constructor(options: unknown = {}) {
    super(options, 'seq_classification');
  }
}

export class ImageClassificationLoss extends SingleLabelLoss {
  readonly name = 'image_classification';
  constructor(options: unknown = {}) {
    super(options, 'image_classification');
  }
}

const multilabelOptions = z.object({
  /** F.binary_cross_entropy_with_logits' pos_weight: one number for every class, or one per class. */
  posWeight: z.union([z.number().nonnegative(), z.array(z.number().nonnegative()).min(1)]).optional(),
});

/**
 * Several independent yes/no labels per sample: BCE with logits. A sample's loss is the mean
 * over its classes, summed over samples, so the summed loss over numItems = samples equals
 * F.binary_cross_entropy_with_logits' mean over all entries.
 */
export class MultilabelLoss implements LossStrategy {
  readonly name = 'multilabel';
  readonly usesWholeBatch = false;
  readonly options: z.output<typeof multilabelOptions>;

  constructor(options: unknown = {}) {
    this.options = parseLossOptions(this.name, multilabelOptions, options);
  }

  computeLoss(output: ModelOutput, batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const logits = upcast(outputTensor(this.name, output, 'logits', '[batch, classes]'));
      expectShape(this.name, 'output.logits', logits, logits.ndim === 2, '[batch, classes]', 'return one row of class logits per sample');
      checkClasses(this.name, logits, logits.shape[1], task);
      const labels = requiredLabels(this.name, batch, task, '[batch, classes] of 0/1');
      expectShape(this.name, 'the labels', labels, labels.shape.join() === logits.shape.join(), `[${logits.shape.join(', ')}] like the logits (a 0/1 target per class)`, 'collate a multi-hot row per sample');
      const classes = logits.shape[1];
      const pw = this.options.posWeight;
      if (Array.isArray(pw) && pw.length !== classes) {
        throw new LossInputError(this.name, `posWeight has ${pw.length} entries but the logits have ${classes} classes; fix: give one weight per class, or a single number`);
      }
      const posWeight = pw === undefined ? undefined : optionTensor(Array.isArray(pw) ? pw : new Array<number>(classes).fill(pw), logits);
      const sum = F.binaryCrossEntropyWithLogits(logits, labels.to(logits.dtype), { posWeight, reduction: 'sum' }).div(classes);
      return { loss: sum, numItems: itemCount(this.name, task, { samples: logits.shape[0] }) };
    }, 'loss:multilabel');
  }
}
