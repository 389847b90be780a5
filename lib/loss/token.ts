// Token-level cross entropy: causal LM (next-token prediction), masked LM and token
// classification. All three sum the loss over the target tokens that are not ignoreIndex and
// report how many there were, so that under gradient accumulation the window's summed loss
// divided by its total tokens is exactly the mean over the same tokens in one large batch;
// averaging each micro-batch first would weight a token of a short (heavily padded)
// micro-batch more than one of a long micro-batch.
import { z } from 'zod';
import { Tensor } from '../core/tensor.js';
import { torch } from '../core/torch.js';
import { type TaskSpec } from '../task/spec.js';
import { type CrossEntropyOptions, type SummedCrossEntropy, summedCrossEntropy } from './cross-entropy.js';
import { batchLabels, classIndices, describeShape, expectShape, itemCount, LossInputError, outputTensor } from './inputs.js';
import { classWeights, labelSmoothing, parseLossOptions } from './options.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from './types.js';

const lmOptions = z.object({
  labelSmoothing: labelSmoothing(),
  /**
   * true (default, Hugging Face's convention): logits and targets arrive aligned and the loss
   * shifts them (position t predicts token t+1). false: the labels are already next-token
   * targets (e.g. TextCorpus labels 'next-token'), so every position, including the last one
   * of the window, gets a gradient.
   */
  shift: z.boolean().default(true),
});
const tokenClassificationOptions = z.object({ labelSmoothing: labelSmoothing(), classWeights: classWeights() });

function tokenResult(loss: string, task: TaskSpec, r: SummedCrossEntropy, weighted: boolean): LossResult {
  const numItems = itemCount(loss, task, { tokens: r.counted, samples: r.rows });
  // The counts the result does not carry go now (this runs every step, outside any scope of its own).
  if (numItems !== r.counted) r.counted.dispose();
  if (!weighted) r.targets.dispose();
  return weighted ? { loss: r.sum, numItems, logs: { targets: r.targets } } : { loss: r.sum, numItems };
}

/**
 * The next-token targets before the shift: the batch's labels field, or else the inputs
 * themselves (the usual case for plain text), with padding turned into ignoreIndex. Padding is
 * found by the attention mask when the batch has one, and by padTokenId only otherwise: many
 * tokenizers pad with their end-of-text id, and masking that id would also drop every real
 * end-of-text target.
 */
function causalTargets(loss: string, batch: Batch, task: TaskSpec): Tensor {
  const labels = batchLabels(loss, batch, task);
  if (labels) return classIndices(loss, labels, '[batch, time]');
  const key = task.fields.inputs;
  const ids = typeof key === 'string' ? batch[key] : undefined;
  if (!(ids instanceof Tensor)) {
    throw new LossInputError(loss, `needs labels in batch field '${task.fields.labels}' or token ids in '${typeof key === 'string' ? key : JSON.stringify(key)}' (TaskSpec.fields.inputs) to predict; `
      + `the batch has ${Object.keys(batch).join(', ') || 'no fields'}; fix: point TaskSpec.fields at the token ids`);
  }
  const targets = classIndices(loss, ids, '[batch, time]');
  const mask = batch[task.fields.attentionMask];
  if (mask instanceof Tensor) {
    expectShape(loss, `attention mask '${task.fields.attentionMask}'`, mask, mask.shape.join() === targets.shape.join(), `shaped like the token ids [${targets.shape.join(', ')}]`, 'collate the mask with the ids');
    return targets.maskedFill(mask.logicalNot(), task.ignoreIndex);
  }
  if (task.padTokenId !== undefined) return targets.maskedFill(targets.eq(task.padTokenId), task.ignoreIndex);
  return targets;
}

/**
 * Causal language modelling: position t predicts token t+1. The shift happens here (logits
 * [:, :-1] against targets [:, 1:]), so models and collate functions hand over unshifted,
 * aligned logits and ids, as Hugging Face's models do. With `shift: false` the labels are
 * taken as next-token targets already and compared position by position.
 */
export class CausalLMLoss implements LossStrategy {
  readonly name = 'causal_lm';
  readonly usesWholeBatch = false;
  readonly options: z.output<typeof lmOptions>;

  constructor(options: unknown = {}) {
    this.options = parseLossOptions(this.name, lmOptions, options);
  }

  computeLoss(output: ModelOutput, batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const logits = outputTensor(this.name, output, 'logits', '[batch, time, vocab]');
      expectShape(this.name, 'output.logits', logits, logits.ndim === 3, '[batch, time, vocab]', 'return unshifted logits for every position');
      const targets = causalTargets(this.name, batch, task);
      expectShape(this.name, 'the targets', targets, targets.shape.join() === logits.shape.slice(0, 2).join(),
        `[batch, time] = [${logits.shape.slice(0, 2).join(', ')}] like the logits`,
        this.options.shift ? 'give labels aligned with the inputs; the loss shifts them itself' : 'give one next-token label per input position');
      const r = this.options.shift
        ? summedCrossEntropy(this.name, logits.index(':', ':-1'), targets.index(':', '1:'), task, this.options)
        : summedCrossEntropy(this.name, logits, targets, task, this.options);
      return tokenResult(this.name, task, r, false);
    }, 'loss:causal_lm');
  }
}

/** Token-aligned cross entropy without a shift (masked LM, token classification). */
abstract class AlignedTokenLoss implements LossStrategy {
  abstract readonly name: string;
  readonly usesWholeBatch = false;
  protected abstract readonly labelsHint: string;
  abstract readonly options: CrossEntropyOptions;

  computeLoss(output: ModelOutput, batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const logits = outputTensor(this.name, output, 'logits', '[batch, time, classes]');
      const labels = classIndices(this.name, this.labels(batch, task), '[batch, time]');
      expectShape(this.name, 'output.logits', logits, logits.ndim >= 2 && labels.shape.join() === logits.shape.slice(0, -1).join(),
        `[${labels.shape.join(', ')}, classes] to match the labels ${describeShape(labels)}`, this.labelsHint);
      return tokenResult(this.name, task, summedCrossEntropy(this.name, logits, labels, task, this.options), this.options.classWeights !== undefined);
    }, `loss:${this.name}`);
  }

  private labels(batch: Batch, task: TaskSpec): Tensor {
    const labels = batchLabels(this.name, batch, task);
    if (labels) return labels;
    throw new LossInputError(this.name, `needs labels [batch, time] in batch field '${task.fields.labels}'; the batch has ${Object.keys(batch).join(', ') || 'no fields'}; fix: ${this.labelsHint}`);
  }
}

/**
 * Masked language modelling: labels hold the original token at masked positions and
 * ignoreIndex everywhere else (what a masking collate function produces), so only masked
 * positions count.
 */
export class MaskedLMLoss extends AlignedTokenLoss {
  readonly name = 'masked_lm';
  protected readonly labelsHint = 'have the masking collate function put the original ids at masked positions and ignoreIndex elsewhere';
  readonly options: z.output<typeof lmOptions>;

  constructor(options: unknown = {}) {
    super();
    this.options = parseLossOptions(this.name, lmOptions, options);
  }
}

/** One class per token (NER, POS tagging); padding and sub-word continuations hold ignoreIndex. */
export class TokenClassificationLoss extends AlignedTokenLoss {
  readonly name = 'token_classification';
  protected readonly labelsHint = 'collate one class id per token, ignoreIndex on padding';
  readonly options: z.output<typeof tokenClassificationOptions>;

  constructor(options: unknown = {}) {
    super();
    this.options = parseLossOptions(this.name, tokenClassificationOptions, options);
  }
}
