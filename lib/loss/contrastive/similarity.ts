// What the softmax-over-similarities losses (CLIP/InfoNCE, SimCLR's NT-Xent, SupCon) share:
// embeddings prepared the same way, one notion of temperature, one similarity matrix and one
// cross entropy against the positive's column. Each loss composes these, so a fix to, say,
// the temperature cap reaches all of them.
import { type Tensor } from '../../core/tensor.js';
import { torch } from '../../core/torch.js';
import * as F from '../../nn/functional.js';
import { upcast, LossInputError } from '../inputs.js';
import { type ModelOutput } from '../types.js';

/**
 * Embeddings in float32 at least (the log-sum-exp over a batch of similarities is as
 * precision-hungry as over a vocabulary) and, unless told otherwise, unit-length, so that the
 * similarity is the cosine. Normalising embeddings a model already normalised is harmless.
 */
export function prepareEmbeddings(x: Tensor, normalize: boolean): Tensor {
  const wide = upcast(x);
  return normalize ? F.normalize(wide, { dim: -1 }) : wide;
}

/** The multiplier applied to similarities: 1 / temperature, fixed (a number) or learned (a 0-d tensor). */
export interface SoftmaxScale {
  scale: Tensor | number;
  /** The temperature in effect, for the logs: a number, or a 0-d device tensor for a learned one. */
  temperature(): number | Tensor;
}

export function fixedScale(temperature: number): SoftmaxScale {
  return { scale: 1 / temperature, temperature: () => temperature };
}

/**
 * CLIP's learnable temperature: the model holds logitScale = log(1 / temperature); the scale is
 * exp(logitScale) capped at maxScale (100 in CLIP, i.e. logitScale at most log(100)), so that
 * training cannot sharpen the softmax without bound. The cap is applied in log space; the
 * capped parameter gets no gradient, as in CLIP.
 */
export function learnedScale(logitScale: Tensor, maxScale: number): SoftmaxScale {
  const scale = upcast(logitScale).clampMax(Math.log(maxScale)).exp();
  return { scale, temperature: () => scale.detach().reciprocal() };
}

/**
 * A fixed temperature when one is given, else the model's learnable output.logitScale; `loss`
 * names the strategy in the error when there is neither.
 */
export function softmaxScale(loss: string, output: ModelOutput, o: { temperature?: number; maxScale: number }): SoftmaxScale {
  if (o.temperature !== undefined) return fixedScale(o.temperature);
  const ls = output.logitScale;
  if (ls instanceof torch.Tensor) {
    if (ls.numel() !== 1) throw new LossInputError(loss, `output.logitScale must hold one number (log of 1/temperature); got shape [${ls.shape.join(', ')}]`);
    return learnedScale(ls.reshape([]), o.maxScale);
  }
  throw new LossInputError(loss, 'needs a temperature: output.logitScale (the model\'s learnable log inverse temperature, as models.CLIP has) or a fixed one; '
    + `fix: return { logitScale } from the model, or set the loss option temperature (e.g. { name: '${loss}', options: { temperature: 0.07 } })`);
}

/** Row i, column j: a_i . b_j times the scale (cosines over the temperature for unit embeddings). */
export function scaledSimilarity(a: Tensor, b: Tensor, scale: Tensor | number): Tensor {
  return a.matmul(b.t()).mul(scale);
}

/** A square similarity matrix with the diagonal at -inf, so that no anchor counts itself as a candidate. */
export function withoutSelf(similarity: Tensor): Tensor {
  const n = similarity.shape[0];
  return similarity.maskedFill(torch.eye(n, { dtype: 'bool', device: similarity.device }), -Infinity);
}

/** The summed cross entropy of each row against the column of its positive. */
export function positiveCrossEntropy(logits: Tensor, positives: Tensor): Tensor {
  return F.crossEntropy(logits, positives, { reduction: 'sum' });
}

/** 0..n-1 on the device of `like`: row i's positive is column i (matched pairs). */
export function diagonalTargets(n: number, like: Tensor): Tensor {
  return torch.arange(n, { dtype: 'int64', device: like.device });
}
