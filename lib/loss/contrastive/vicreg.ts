// VICReg (Bardes, Ponce, LeCun 2022): no negatives; three terms on two views' embeddings
// (invariance: views agree; variance: every dimension keeps a spread over the batch;
// covariance: dimensions decorrelate). The last two are batch statistics (usesWholeBatch).
import { z } from 'zod';
import { type Tensor } from '../../core/tensor.js';
import { torch } from '../../core/torch.js';
import * as F from '../../nn/functional.js';
import { type TaskSpec } from '../../task/spec.js';
import { itemCount, upcast } from '../inputs.js';
import { parseLossOptions } from '../options.js';
import { type Batch, type LossResult, type LossStrategy, type ModelOutput } from '../types.js';
import { centered, offDiagonalSquareSum } from './statistics.js';
import { batchSize, twoViews } from './views.js';

const vicregOptions = z.object({
  /** The paper's coefficients: lambda = mu = 25, nu = 1. */
  invarianceWeight: z.number().nonnegative().default(25),
  varianceWeight: z.number().nonnegative().default(25),
  covarianceWeight: z.number().nonnegative().default(1),
  /** gamma, the standard deviation each dimension is pushed up to. */
  targetStd: z.number().positive().default(1),
  /** Added to the variance under the square root, for a finite gradient at zero spread. */
  eps: z.number().positive().default(1e-4),
});

/**
 * Reads output.views = [z1, z2] ([N, D] each, not normalised). With x, y the views:
 *   invariance = mse(x, y)
 *   variance   = mean(relu(gamma - sqrt(var(x) + eps))) / 2 + the same for y
 *   covariance = sum(offdiag(cov(x))^2) / D + the same for y, cov = centred^T centred / (N - 1)
 *   loss = 25 invariance + 25 variance + 1 covariance        (the reference implementation)
 * A batch statistic is not a sum over items: the strategy returns loss * N with numItems = N,
 * so loss / numItems is the batch's VICReg loss.
 */
export class VICRegLoss implements LossStrategy {
  readonly name = 'vicreg';
  readonly usesWholeBatch = true;
  readonly options: z.output<typeof vicregOptions>;

  constructor(options: unknown = {}) {
    this.options = parseLossOptions(this.name, vicregOptions, options);
  }

  computeLoss(output: ModelOutput, _batch: Batch, task: TaskSpec): LossResult {
    return torch.scope(() => {
      const [x, y] = twoViews(this.name, output).map(upcast);
      const n = batchSize(this.name, x, 2, 'the variance and covariance terms are batch statistics');
      const o = this.options;
      const invariance = F.mseLoss(x, y);
      const xc = centered(x), yc = centered(y);
      const variance = this.varianceTerm(xc).add(this.varianceTerm(yc)).div(2);
      const covariance = this.covarianceTerm(xc, n).add(this.covarianceTerm(yc, n));
      const total = invariance.mul(o.invarianceWeight).add(variance.mul(o.varianceWeight)).add(covariance.mul(o.covarianceWeight));
      const logs = { invariance: invariance.detach(), variance: variance.detach(), covariance: covariance.detach() };
      return { loss: total.mul(n), numItems: itemCount(this.name, task, { samples: n, pairs: n }), logs };
    }, 'loss:vicreg');
  }

  private varianceTerm(xc: Tensor): Tensor {
    return F.relu(xc.var(0).add(this.options.eps).sqrt().rsub(this.options.targetStd)).mean();
  }

  private covarianceTerm(xc: Tensor, n: number): Tensor {
    const dims = xc.shape[1];
    return offDiagonalSquareSum(xc.t().matmul(xc).div(n - 1)).div(dims);
  }
}
