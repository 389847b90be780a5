// Barlow Twins (Zbontar et al. 2021): the cross-correlation matrix of two views' standardised
// embeddings is pushed towards the identity; a batch statistic (usesWholeBatch).
import { z } from 'zod';
import { torch } from '../../core/torch.js';
import { type TaskSpec } from '../../task/spec.js';
import { itemCount, upcast } from '../inputs.js';
import { parseLossOptions } from '../options.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from '../types.js';
import { offDiagonalSquareSum, standardized } from './statistics.js';
import { batchSize, twoViews } from './views.js';

const barlowOptions = z.object({
  /** The weight of the redundancy (off-diagonal) term: 5e-3 in the paper. */
  lambda: z.number().nonnegative().default(5e-3),
  /** BatchNorm's eps in the standardisation. */
  eps: z.number().positive().default(1e-5),
});

/**
 * Reads output.views = [z1, z2] ([N, D] each). Each view is standardised per dimension over the
 * batch (BatchNorm1d without affine, biased variance), c = z1n^T z2n / N, and
 *   loss = sum_i (1 - c_ii)^2 + lambda * sum_{i != j} c_ij^2.
 * Returned as loss * N with numItems = N, so loss / numItems is the batch's loss.
 */
export class BarlowTwinsLoss implements LossStrategy {
  readonly name = 'barlow_twins';
  readonly usesWholeBatch = true;
  readonly options: z.output<typeof barlowOptions>;

  constructor(options: unknown = {}) {
    this.options = parseLossOptions(this.name, barlowOptions, options);
  }

  computeLoss(output: ModelOutput, _batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const [a, b] = twoViews(this.name, output).map(upcast);
      const n = batchSize(this.name, a, 2, 'the standardisation is a batch statistic');
      const c = standardized(a, this.options.eps).t().matmul(standardized(b, this.options.eps)).div(n);
      const onDiagonal = c.diag().sub(1).square().sum();
      const offDiagonal = offDiagonalSquareSum(c);
      const total = onDiagonal.add(offDiagonal.mul(this.options.lambda));
      const logs = { onDiagonal: onDiagonal.detach(), offDiagonal: offDiagonal.detach() };
      return { loss: total.mul(n), numItems: itemCount(this.name, task, { samples: n, pairs: n }), logs };
    }, 'loss:barlow_twins');
  }
}
