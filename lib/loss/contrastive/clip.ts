// CLIP / InfoNCE: N matched image-text pairs; row i of the image-text similarity matrix should
// pick text i out of the batch's N texts, and column i image i. Every other pair in the batch is
// a negative, so the loss depends on the whole batch (usesWholeBatch).
import { z } from 'zod';
import { Tensor } from '../../core/tensor.js';
import { torch } from '../../core/torch.js';
import { type TaskSpec } from '../../task/spec.js';
import { describeShape, itemCount, LossInputError, outputTensor, upcast } from '../inputs.js';
import { parseLossOptions, temperature } from '../options.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from '../types.js';
import { diagonalTargets, positiveCrossEntropy, prepareEmbeddings, scaledSimilarity, softmaxScale } from './similarity.js';

const clipOptions = z.object({
  /** A fixed temperature; without it the model's learnable output.logitScale is used. */
  temperature: temperature().optional(),
  /** The cap on the learned scale exp(logitScale): 100 in CLIP. */
  maxScale: z.number().gt(1).default(100),
  /** L2-normalise the embeddings first (cosine similarity). */
  normalize: z.boolean().default(true),
  /** Average the image->text and text->image losses (CLIP); false keeps image->text only (one-way InfoNCE). */
  symmetric: z.boolean().default(true),
});

/**
 * Summed per pair: (CE(logits_i, i) + CE(logits^T_i, i)) / 2 over the N pairs, numItems = N,
 * so loss / numItems is CLIP's loss. Reads output.imageEmbeds and output.textEmbeds [N, D] (and
 * output.logitScale); a model that already returns output.logitsPerImage [N, N] (scaled, as
 * models.CLIP's forward does) has those used as they are.
 */
export class CLIPLoss implements LossStrategy {
  readonly usesWholeBatch = true;
  readonly options: z.output<typeof clipOptions>;

  constructor(options: unknown = {}, readonly name = 'clip') {
    this.options = parseLossOptions(name, clipOptions, options);
  }

  computeLoss(output: ModelOutput, _batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const { logits, logs } = this.logits(output);
      const n = logits.shape[0];
      if (logits.ndim !== 2 || logits.shape[1] !== n) {
        throw new LossInputError(this.name, `needs as many texts as images (matched pairs); the image-text logits are ${describeShape(logits)}; fix: give one caption per image`);
      }
      const targets = diagonalTargets(n, logits);
      const imageToText = positiveCrossEntropy(logits, targets);
      const loss = this.options.symmetric ? imageToText.add(positiveCrossEntropy(logits.t(), targets)).div(2) : imageToText;
      return { loss, numItems: itemCount(this.name, task, { pairs: n, samples: n }), logs };
    }, `loss:${this.name}`);
  }

  private logits(output: ModelOutput): { logits: Tensor; logs: Record<string, number | Tensor> } {
    if (output.imageEmbeds === undefined && output.logitsPerImage instanceof Tensor) return { logits: upcast(output.logitsPerImage), logs: {} };
    const image = outputTensor(this.name, output, 'imageEmbeds', '[pairs, dim]');
    const text = outputTensor(this.name, output, 'textEmbeds', '[pairs, dim]');
    if (image.ndim !== 2 || text.ndim !== 2 || image.shape[1] !== text.shape[1]) {
      throw new LossInputError(this.name, `imageEmbeds and textEmbeds must be [pairs, dim] with the same dim; got ${describeShape(image)} and ${describeShape(text)}`);
    }
    const s = softmaxScale(this.name, output, this.options);
    const logits = scaledSimilarity(prepareEmbeddings(image, this.options.normalize), prepareEmbeddings(text, this.options.normalize), s.scale);
    return { logits, logs: { temperature: s.temperature() } };
  }
}
