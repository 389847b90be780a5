// Reading embeddings out of a model output for the self-supervised losses, with errors that
// say which shape each loss wants: these losses see only embeddings, so a wrong layout would
// otherwise train silently on the wrong pairs.
import { Tensor } from '../../core/tensor.js';
import { describeShape, LossInputError } from '../inputs.js';
import { type ModelOutput } from '../types.js';

function checkViews(loss: string, views: Tensor[], expected: string): Tensor[] {
  const first = views[0];
  for (const [i, v] of views.entries()) {
    if (!(v instanceof Tensor)) throw new LossInputError(loss, `output.views[${i}] must be a Tensor [batch, dim] (${expected})`);
    if (v.ndim !== 2 || v.shape.join() !== first.shape.join()) {
      throw new LossInputError(loss, `every view must be [batch, dim] with the same shape; output.views[0] is ${describeShape(first)}, output.views[${i}] is ${describeShape(v)}`);
    }
  }
  return views;
}

/** output.views = [z1, z2]: two augmented views of the same N samples, row i of each a pair. */
export function twoViews(loss: string, output: ModelOutput): [Tensor, Tensor] {
  const views = output.views;
  if (!Array.isArray(views) || views.length !== 2) {
    const got = Array.isArray(views) ? `${views.length} views` : views === undefined ? `no views (it has ${Object.keys(output).join(', ') || 'no fields'})` : typeof views;
    throw new LossInputError(loss, `needs output.views = [z1, z2], the embeddings [batch, dim] of two augmented views of the same samples; got ${got}; `
      + 'fix: run the model on both views and return { views: [z1, z2] }');
  }
  const [a, b] = checkViews(loss, views, 'two views');
  return [a, b];
}

/**
 * One or more views of N samples: output.views (each [N, D]), or output.embeddings [N, D]
 * (one view) or [N, V, D] (V views, the layout of the SupCon reference code).
 */
export function anyViews(loss: string, output: ModelOutput): Tensor[] {
  if (Array.isArray(output.views) && output.views.length > 0) return checkViews(loss, output.views, 'views of the same samples');
  const e = output.embeddings;
  if (e instanceof Tensor && e.ndim === 2) return [e];
  if (e instanceof Tensor && e.ndim === 3) return e.unbind(1);
  const got = e instanceof Tensor ? `output.embeddings ${describeShape(e)}` : `neither (it has ${Object.keys(output).join(', ') || 'no fields'})`;
  throw new LossInputError(loss, `needs output.views = [z1, z2, ...] (each [batch, dim]) or output.embeddings [batch, dim] or [batch, views, dim]; got ${got}`);
}

/** The batch size of views, refusing batches too small for batch statistics. */
export function batchSize(loss: string, view: Tensor, atLeast: number, why: string): number {
  const n = view.shape[0];
  if (n < atLeast) throw new LossInputError(loss, `needs at least ${atLeast} samples per batch (${why}); got ${n}; fix: use a larger batch`);
  return n;
}
