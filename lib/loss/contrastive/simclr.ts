// SimCLR's NT-Xent: two augmented views of N samples make 2N anchors; each anchor's positive is
// the other view of its sample and its negatives the other 2N-2 embeddings of the batch.
import { z } from 'zod';
import { torch } from '../../core/torch.js';
import { type TaskSpec } from '../../task/spec.js';
import { itemCount } from '../inputs.js';
import { parseLossOptions, temperature } from '../options.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from '../types.js';
import { fixedScale, positiveCrossEntropy, prepareEmbeddings, scaledSimilarity, withoutSelf } from './similarity.js';
import { batchSize, twoViews } from './views.js';

const ntXentOptions = z.object({
  /** 0.1, the default of SimCLR's reference code. */
  temperature: temperature().default(0.1),
  normalize: z.boolean().default(true),
});

/**
 * Reads output.views = [z1, z2] ([N, D] each). The 2N anchor losses are summed and halved, so
 * the loss is summed per pair with numItems = N, and loss / numItems is the usual mean over
 * the 2N anchors.
 */
export class NTXentLoss implements LossStrategy {
  readonly usesWholeBatch = true;
  readonly options: z.output<typeof ntXentOptions>;

  constructor(options: unknown = {}, readonly name = 'simclr') {
    this.options = parseLossOptions(name, ntXentOptions, options);
  }

  computeLoss(output: ModelOutput, _batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const [a, b] = twoViews(this.name, output);
      const n = batchSize(this.name, a, 2, 'each anchor needs negatives');
      const z = prepareEmbeddings(torch.cat([a, b]), this.options.normalize);
      const logits = withoutSelf(scaledSimilarity(z, z, fixedScale(this.options.temperature).scale));
      // anchor i (view 1) pairs with i + N (view 2), and the other way round
      const positives = torch.arange(n, 2 * n, { dtype: 'int64', device: z.device });
      const loss = positiveCrossEntropy(logits, torch.cat([positives, positives.sub(n)])).div(2);
      return { loss, numItems: itemCount(this.name, task, { pairs: n, samples: n }), logs: { temperature: this.options.temperature } };
    }, `loss:${this.name}`);
  }
}
