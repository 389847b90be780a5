// Supervised contrastive loss (Khosla et al. 2020, "L_out"): every embedding of the batch is an
// anchor whose positives are all other embeddings of the same label (every view of every sample
// of that class), and whose denominator runs over every other embedding. Without labels each
// sample is its own class, which is SimCLR's NT-Xent for two views.
import { z } from 'zod';
import { torch } from '../../core/torch.js';
import { type TaskSpec } from '../../task/spec.js';
import { batchLabels, classIndices, describeShape, itemCount, LossInputError } from '../inputs.js';
import { parseLossOptions, temperature } from '../options.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from '../types.js';
import { fixedScale, prepareEmbeddings, scaledSimilarity, withoutSelf } from './similarity.js';
import { anyViews } from './views.js';

const supConOptions = z.object({
  /** 0.07, the reference implementation's default. */
  temperature: temperature().default(0.07),
  /** The reference scales the loss by temperature / baseTemperature (0.07, so 1 at the defaults). */
  baseTemperature: temperature().default(0.07),
  normalize: z.boolean().default(true),
});

/**
 * Reads output.views (V tensors [N, D]) or output.embeddings ([N, D] or [N, V, D]) and labels
 * [N] from the batch's labels field (optional). Anchor a's loss is
 *   -(T / T_base) * mean over positives p of log( exp(s_ap) / sum_{k != a} exp(s_ak) ),
 * with s = cosine / T; an anchor without positives contributes 0 (as in the reference code).
 * The N*V anchor losses are summed and divided by V: a loss summed per sample, numItems = N,
 * and loss / numItems is the reference's mean over anchors.
 */
export class SupConLoss implements LossStrategy {
  readonly name = 'supcon';
  readonly usesWholeBatch = true;
  readonly options: z.output<typeof supConOptions>;

  constructor(options: unknown = {}) {
    this.options = parseLossOptions(this.name, supConOptions, options);
  }

  computeLoss(output: ModelOutput, batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const views = anyViews(this.name, output);
      const n = views[0].shape[0], v = views.length;
      const z = prepareEmbeddings(torch.cat(views), this.options.normalize);
      const similarity = scaledSimilarity(z, z, fixedScale(this.options.temperature).scale);
      const logProb = similarity.sub(withoutSelf(similarity).logsumexp(1, true));
      const ids = this.sampleClasses(batch, task, n, z.device).repeat(v);
      const notSelf = torch.eye(n * v, { dtype: 'bool', device: z.device }).logicalNot();
      const positive = ids.unsqueeze(1).eq(ids.unsqueeze(0)).logicalAnd(notSelf);
      // where(), not a product with the mask: log-probabilities are finite, but this keeps any
      // non-positive entry (whatever it holds) out of the sum and its gradient.
      const meanPositive = logProb.where(positive, 0).sum(1).div(positive.sum(1).clampMin(1));
      const loss = meanPositive.sum().mul(-this.options.temperature / this.options.baseTemperature / v);
      return { loss, numItems: itemCount(this.name, task, { samples: n, pairs: n }), logs: { temperature: this.options.temperature } };
    }, 'loss:supcon');
  }

  private sampleClasses(batch: Batch, task: TaskSpec, n: number, device: string) {
    const labels = batchLabels(this.name, batch, task);
    if (!labels) return torch.arange(n, { dtype: 'int64', device });
    const ids = classIndices(this.name, labels, '[batch] class ids');
    if (ids.ndim !== 1 || ids.shape[0] !== n) {
      throw new LossInputError(this.name, `labels must be [${n}] (one class id per sample); got ${describeShape(ids)}; fix: collate one label per sample, not per view`);
    }
    return ids.to(device);
  }
}
