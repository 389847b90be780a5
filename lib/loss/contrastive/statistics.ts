// Batch statistics shared by the redundancy-reduction losses (VICReg, Barlow Twins): both
// centre embeddings over the batch and penalise off-diagonal entries of a D x D matrix.
import { type Tensor } from '../../core/tensor.js';
import { torch } from '../../core/torch.js';

/** x minus its mean over the batch (dim 0). */
export function centered(x: Tensor): Tensor {
  return x.sub(x.mean(0, true));
}

/**
 * Each column standardised over the batch with the biased variance, exactly what
 * BatchNorm1d(affine=False) does in training mode (Barlow Twins' reference normalises so).
 */
export function standardized(x: Tensor, eps: number): Tensor {
  return centered(x).div(x.var(0, { correction: 0, keepdim: true }).add(eps).sqrt());
}

/** The sum of squares of the off-diagonal entries of a square matrix. */
export function offDiagonalSquareSum(m: Tensor): Tensor {
  const n = m.shape[0];
  return m.maskedFill(torch.eye(n, { dtype: 'bool', device: m.device }), 0).square().sum();
}
